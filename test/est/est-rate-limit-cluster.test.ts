/**
 * EST enroll limits (`serve --est-attempts-per-address`, `--est-failures-per-secret`) in a cluster: two
 * gateways on one PostgreSQL store with `--redis` count together (src/control/est/est-attempt-limiter.ts
 * uses the gateway's usage counters, which are Redis when it is configured), so a device or a guesser
 * gains nothing by spreading its attempts over the gateways. Each test part connects from its own
 * loopback address.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createTenant, startAdminServer, type AdminServer } from '../helpers/admin-server.ts';
import { within } from '../helpers/cluster.ts';
import { deviceCsrBase64, simpleEnroll, type EnrollReply } from '../helpers/est-enroll.ts';
import { needsOpenssl, OpensslWorkdir } from '../helpers/openssl.ts';
import { postgresSkipReason, startPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { redisSkipReason, startRedis, type TestRedis } from '../helpers/redis.ts';

const HOST = 'fleet.cluster-limits.test';
const FLAGS = { estAttemptsPerAddress: '6/1m', estFailuresPerAddress: '50/1m', estFailuresPerSecret: '3/1m' };

describe(
  'cluster: EST enroll limits are counted once for every gateway (PostgreSQL + Redis)',
  { skip: needsOpenssl.skip || (postgresSkipReason() ?? redisSkipReason() ?? false) },
  () => {
    let postgres: TestPostgres;
    let redis: TestRedis;
    let a: AdminServer;
    let b: AdminServer;
    let openssl: OpensslWorkdir;
    let zoneId: string;
    let profileId: string;
    let csrBase64: string;

    const ok = async <T = Record<string, unknown>>(method: string, route: string, body?: unknown): Promise<T> => {
      const response = await a.call<T>(method, route, body);
      assert.equal(response.status, 200, `${method} ${route}: ${JSON.stringify(response.body.errors)}`);
      return response.body.result;
    };

    const issued = async (): Promise<number> =>
      (await ok<unknown[]>('GET', `/zones/${zoneId}/client_certificates?per_page=1000`)).length;

    /** simpleenroll to `gateway` from `from` (a loopback address), with HTTP Basic `user:password` when given. */
    const enroll = (gateway: AdminServer, from: string, credentials?: string): Promise<EnrollReply> =>
      simpleEnroll({ gateway, host: HOST, csrBase64, from, ...(credentials === undefined ? {} : { credentials }) });

    before(async () => {
      postgres = await startPostgres();
      redis = await startRedis();
      await postgres.createDatabase('est_limits');
      const store = {
        kind: 'postgres' as const,
        url: await postgres.createSchema('est_limits', 'gw'),
        redisUrl: redis.url,
      };
      const env = {
        PORTCULLIS_MASTER_KEY: randomBytes(32).toString('hex'),
        PORTCULLIS_ADMIN_TOKEN: randomBytes(24).toString('base64url'),
      };
      a = await startAdminServer(store, env, { flags: FLAGS });
      b = await startAdminServer(store, env, { flags: FLAGS });
      openssl = new OpensslWorkdir();
      ({ zoneId } = await createTenant(a, 'cluster-limits.test'));
      await ok('PUT', `/zones/${zoneId}/certificate_authorities/hostname_associations`, { hostnames: [HOST] });
      profileId = (await ok<{ id: string }>('POST', `/zones/${zoneId}/est/profiles`, { hostnames: [HOST] })).id;
      csrBase64 = deviceCsrBase64(openssl);
      // Both gateways serve EST for the host before the limits are counted (from an address of its own).
      for (const gateway of [a, b]) {
        await within(10_000, 'EST on the host', async () => (await enroll(gateway, '127.0.0.30')).status === 401);
      }
    });

    after(async () => {
      await Promise.all([a.stop(), b.stop()]);
      openssl.remove();
      await redis.stop();
      await postgres.stop();
    });

    test('attempts per address: 3 on A and 3 on B use up the 6; the 7th is 429 on either', async () => {
      for (let attempt = 0; attempt < 6; attempt += 1) {
        const reply = await enroll(attempt % 2 === 0 ? a : b, '127.0.0.31');
        assert.equal(reply.status, 401, `attempt ${attempt + 1}: challenged`);
      }
      for (const gateway of [a, b]) {
        const limited = await enroll(gateway, '127.0.0.31');
        assert.equal(limited.status, 429);
        assert.equal(limited.code, 'GW_ERR_EST_RATE_LIMITED');
      }
      assert.equal((await enroll(b, '127.0.0.32')).status, 401, 'another address is not limited');
    });

    test('failures per secret: wrong passwords on A and B add up; the right one then gets 429 and nothing is issued', async () => {
      const secret = await ok<{ id: string; secret: string }>(
        'POST',
        `/zones/${zoneId}/est/profiles/${profileId}/bootstrap_secrets`,
        { max_uses: 5 },
      );
      const before = await issued();
      for (const [index, gateway] of [a, b, a].entries()) {
        const wrong = await enroll(gateway, '127.0.0.33', `${secret.id}:estb_wrong_${index}`);
        assert.equal(wrong.status, 401);
        assert.equal(wrong.code, 'GW_ERR_EST_AUTH_FAILED');
      }
      const right = await enroll(b, '127.0.0.34', `${secret.id}:${secret.secret}`);
      assert.equal(right.status, 429, 'limited on B by the failures counted on A and B');
      assert.equal(right.code, 'GW_ERR_EST_RATE_LIMITED');
      assert.equal(await issued(), before, 'nothing issued');
    });
  },
);
