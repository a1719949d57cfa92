/**
 * Two `portcullis serve` processes' worth of gateway (in-process here) over one PostgreSQL store, as
 * a cluster runs: a change made through one gateway's API is enforced by the other within a
 * second — a new hostname with its route and mTLS rule, then a revocation that reaches an open
 * keep-alive connection on the other gateway. With Redis (`--redis`) as well, a rate limit holds
 * for the cluster: requests spread over both gateways are counted together, exactly; and so are
 * custom-rule hits, which either gateway's API reports. The Redis pair polls the store only hourly:
 * there, changes travel by the Redis hint alone.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { createTenant, type AdminServer } from '../helpers/admin-server.ts';
import { configureMtlsHost, ok as okOn, startGatewayPair, within, type GatewayPair } from '../helpers/cluster.ts';
import { edgeCaPem } from '../helpers/gateway-pki.ts';
import { OpensslWorkdir } from '../helpers/openssl.ts';
import { postgresSkipReason } from '../helpers/postgres.ts';
import { redisSkipReason, startRedis, type TestRedis } from '../helpers/redis.ts';
import { request } from '../helpers/https-client.ts';
import { runCli } from '../helpers/cli.ts';
import { startHttp1Echo, type RunningUpstream } from '../helpers/upstreams.ts';

const HOST = 'api.cluster.test';

describe('cluster: two gateways over one PostgreSQL store', { skip: postgresSkipReason() ?? false }, () => {
  let pair: GatewayPair;
  let first: AdminServer;
  let second: AdminServer;
  let upstream: RunningUpstream;
  let openssl: OpensslWorkdir;

  before(async () => {
    pair = await startGatewayPair('cluster');
    ({ first, second } = pair);
    upstream = await startHttp1Echo();
    openssl = new OpensslWorkdir();
  });

  after(async () => {
    openssl.remove();
    await Promise.all([pair.stop(), upstream.close()]);
  });

  test('a hostname configured and a certificate revoked through one gateway are enforced by the other', async () => {
    const { zoneId } = await createTenant(first, 'cluster.test');
    const { issued, keyPem } = await configureMtlsHost(first, openssl, {
      zoneId,
      host: HOST,
      upstreamUrl: upstream.url,
      commonName: 'cluster-device',
    });

    // One keep-alive connection to the SECOND gateway, reused for every request below.
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
    const sockets = new Set<unknown>();
    const callSecond = () =>
      new Promise<number>((resolve, reject) => {
        const req = https.request(
          {
            host: '127.0.0.1',
            port: second.gatewayPort,
            servername: HOST,
            headers: { host: HOST },
            ca: edgeCaPem(first),
            cert: issued.certificate,
            key: keyPem,
            agent,
          },
          (res) => {
            sockets.add(res.socket);
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        req.on('error', reject);
        req.end();
      });
    try {
      // The second gateway compiled its snapshot before the hostname existed: it learns it from the store.
      const configured = await within(1000, 'the second gateway serves the new hostname', async () => {
        agent.destroy(); // a handshake made under the old snapshot would still be the default policy's
        // Until then the hostname is unknown there: the default certificate does not name it.
        return (await callSecond().catch(() => 0)) === 200;
      });
      assert.ok(configured < 1000);
      sockets.clear();
      assert.equal(await callSecond(), 200);

      await okOn(first, 'DELETE', `/zones/${zoneId}/client_certificates/${issued.id}`);
      const revoked = await within(
        1000,
        'the revocation bites on the second gateway',
        async () => (await callSecond()) === 403,
      );
      assert.ok(revoked < 1000, `revocation reached the other gateway in ${revoked} ms`);
      assert.equal(sockets.size, 1, 'the same keep-alive connection throughout');
    } finally {
      agent.destroy();
    }
  });
});

describe(
  'cluster: two gateways over PostgreSQL and Redis',
  { skip: postgresSkipReason() ?? redisSkipReason() ?? false },
  () => {
    let pair: GatewayPair;
    let redis: TestRedis;
    let first: AdminServer;
    let second: AdminServer;
    let upstream: RunningUpstream;
    let openssl: OpensslWorkdir;

    before(async () => {
      redis = await startRedis();
      // An hour between store polls: every change below reaches the other gateway by its Redis hint.
      pair = await startGatewayPair('cluster', { redisUrl: redis.url, changePollMs: 3_600_000 });
      ({ first, second } = pair);
      upstream = await startHttp1Echo();
      openssl = new OpensslWorkdir();
    });

    after(async () => {
      openssl.remove();
      await Promise.all([pair.stop(), upstream.close()]);
      await redis.stop();
    });

    /**
     * A tenant `<name>.cluster.test` with a client certificate from its managed CA, trusted on
     * `api.<name>.cluster.test`; `ok` calls the first gateway's API, `keylessApi` adds an API there,
     * `call` requests `path` from either gateway with the certificate.
     */
    async function deviceTenant(name: string) {
      const { accountId, zoneId } = await createTenant(first, `${name}.cluster.test`);
      const ok = async <T = Record<string, string>>(method: string, route: string, body?: unknown): Promise<T> => {
        const response = await first.call(method, route, body);
        assert.equal(response.status, 200, JSON.stringify(response.body.errors));
        return response.body.result as T;
      };
      const host = `api.${name}.cluster.test`;
      const { csrPem, keyPem } = openssl.csr('p256', `/CN=${name}-device`);
      const issued = await ok('POST', `/zones/${zoneId}/client_certificates`, { csr: csrPem, validity_days: 7 });
      await ok('PUT', `/zones/${zoneId}/certificate_authorities/hostname_associations`, { hostnames: [host] });
      const keylessApi = (listenPath: string, extra: Record<string, unknown> = {}) =>
        ok('POST', `/zones/${zoneId}/gateway/apis`, {
          name: listenPath.slice(1),
          hostname: host,
          listen_path: listenPath,
          upstream_url: upstream.url,
          auth: { mode: 'keyless' },
          ...extra,
        });
      const call = (gateway: AdminServer, path: string) =>
        request({
          port: gateway.gatewayPort,
          ca: edgeCaPem(first),
          servername: host,
          path,
          headers: { host },
          cert: issued.certificate,
          key: keyPem,
        });
      return { accountId, zoneId, ok, keylessApi, call };
    }

    test('a bulk revocation through one gateway reaches the other by its Redis hint (the store is not polled)', async () => {
      const { zoneId } = await createTenant(first, 'bulk.cluster.test');
      const host = 'fleet.bulk.cluster.test';
      const { issued, keyPem } = await configureMtlsHost(first, openssl, {
        zoneId,
        host,
        upstreamUrl: upstream.url,
        commonName: 'fleet-device',
      });
      await okOn(first, 'PUT', `/zones/${zoneId}/client_certificates/${issued.id}/tags`, { tags: ['fleet'] });
      const call = (gateway: AdminServer) =>
        request({
          port: gateway.gatewayPort,
          ca: edgeCaPem(first),
          servername: host,
          path: '/',
          headers: { host },
          cert: issued.certificate,
          key: keyPem,
        }).catch(() => 'handshake refused' as const);
      for (const gateway of [first, second]) {
        await within(2000, 'the certificate is served', async () => {
          const answer = await call(gateway);
          return answer !== 'handshake refused' && answer.status === 200;
        });
      }
      const result = await okOn(first, 'POST', `/zones/${zoneId}/client_certificates/revoke`, { tag: 'fleet' });
      assert.deepEqual(result, { revoked: 1, ids: [issued.id] });
      for (const gateway of [first, second]) {
        await within(2000, 'the revoked certificate is refused', async () => {
          const answer = await call(gateway);
          return answer === 'handshake refused' || answer.status === 403;
        });
      }
    });

    test('an API rate limit counts the requests of both gateways together, exactly; Redis down fails closed with 503, and keys stay manageable', async () => {
      const { accountId, keylessApi, call } = await deviceTenant('limits');
      await keylessApi('/limited', { rate_limit: { rate: 4, per: 60 } });
      await keylessApi('/ready'); // made last: once the second gateway serves it, it has /limited too
      await within(
        2000,
        'the second gateway serves /ready',
        async () => (await call(second, '/ready').catch(() => undefined))?.status === 200,
      );

      const statuses = await Promise.all(
        Array.from({ length: 10 }, (_, i) => call(i % 2 === 0 ? first : second, '/limited/x').then((r) => r.status)),
      );
      assert.equal(statuses.filter((status) => status === 200).length, 4, String(statuses));
      assert.equal(statuses.filter((status) => status === 429).length, 6, String(statuses));

      // Redis down: requests under a limit are refused (fail closed) with a 503 to retry; the others
      // are served. A key made meanwhile is saved and its secret shown; its quota_remaining is
      // unknown (null), and the envelope says why.
      const keysPath = `/accounts/${accountId}/gateway/keys`;
      const redisUp = async (gateway: AdminServer): Promise<string | undefined> => {
        const text = await (await fetch(new URL('/metrics', gateway.baseUrl))).text();
        return /^portcullis_redis_up (\d)$/m.exec(text)?.[1];
      };
      assert.equal(await redisUp(second), '1');
      await redis.kill();
      let keyId: string;
      try {
        // What an operator alerts on while the refusals below happen.
        await within(3000, 'Redis marked down', async () => (await redisUp(second)) === '0');
        const refused = await call(second, '/limited/x');
        assert.equal(refused.status, 503);
        assert.equal(refused.headers['retry-after'], '1');
        assert.equal(refused.json<{ error: { code: string } }>().error.code, 'GW_ERR_LIMITS_UNAVAILABLE');
        assert.equal((await call(second, '/ready')).status, 200);

        const created = await first.call('POST', keysPath, { token: true, quota: { max: 9, renewal_rate: 3600 } });
        assert.equal(created.status, 200, JSON.stringify(created.body));
        const key = created.body.result as { id: string; secret?: string; quota_remaining: number | null };
        keyId = key.id;
        assert.match(key.secret ?? '', /.{20,}/);
        assert.equal(key.quota_remaining, null);
        assert.deepEqual(
          (created.body.messages as { code: number }[]).map((message) => message.code),
          [11308],
        );
        const listed = await first.call('GET', keysPath);
        assert.equal(listed.status, 200, JSON.stringify(listed.body));
        const row = (listed.body.result as { id: string; quota_remaining: number | null }[]).find(
          (k) => k.id === keyId,
        );
        assert.equal(row?.quota_remaining, null);
        assert.equal(listed.body.messages.length, 1);
        // The CLI shows the list, and the caveat on stderr (stdout stays the result alone).
        const cli = await runCli([
          'key',
          'list',
          '--account',
          accountId,
          '--json',
          '--api',
          first.baseUrl,
          '--token',
          first.adminToken,
        ]);
        assert.equal(cli.code, 0, cli.stderr);
        assert.ok((JSON.parse(cli.stdout) as { id: string }[]).some((k) => k.id === keyId));
        assert.match(
          cli.stderr,
          /^warning: quota_remaining is null: the usage counters did not answer.*\[v4 11308\]$/m,
        );
      } finally {
        await redis.restart();
      }
      await within(5000, 'Redis marked up', async () => (await redisUp(second)) === '1');
      // Once the client has reconnected, the quota is read again.
      await within(5000, 'limited requests counted again', async () => {
        const again = await first.call('GET', `${keysPath}/${keyId}`);
        assert.equal(again.status, 200, JSON.stringify(again.body));
        const known = (again.body.result as { quota_remaining: number | null }).quota_remaining === 9;
        if (known) assert.deepEqual(again.body.messages, []);
        return known;
      });
    });

    test('custom-rule hits through both gateways are counted together; Redis down: each answers its own, with a message', async () => {
      const { zoneId, ok, keylessApi, call } = await deviceTenant('hits');
      const ruleset = await ok<{ rules: { id: string }[] }>(
        'PUT',
        `/zones/${zoneId}/rulesets/phases/http_request_firewall_custom/entrypoint`,
        { rules: [{ action: 'log', expression: 'http.request.uri.path wildcard "/counted*"', ref: 'counted' }] },
      );
      const ruleId = ruleset.rules[0]?.id;
      await keylessApi('/counted');
      // /ready made last: once the second gateway serves it, it has the API and the rule above too.
      await keylessApi('/ready');
      await within(
        2000,
        'the second gateway serves /ready',
        async () => (await call(second, '/ready').catch(() => undefined))?.status === 200,
      );

      const statuses = await Promise.all(
        Array.from({ length: 5 }, (_, i) => call(i < 2 ? first : second, '/counted/x').then((r) => r.status)),
      );
      assert.deepEqual(statuses, [200, 200, 200, 200, 200]);
      type Hit = { rule_id: string; hits: number; last_hit_at: string | null };
      const hitsOf = async (gateway: AdminServer) => {
        const response = await gateway.call<Hit[]>('GET', `/zones/${zoneId}/gateway/rule_hits`);
        assert.equal(response.status, 200, JSON.stringify(response.body));
        return { hit: response.body.result.find((row) => row.rule_id === ruleId), messages: response.body.messages };
      };
      // Each gateway writes its hits to Redis about once a second: both see all five within 3 s.
      await within(
        3000,
        'both gateways see the five hits',
        async () => (await hitsOf(first)).hit?.hits === 5 && (await hitsOf(second)).hit?.hits === 5,
      );
      for (const gateway of [first, second]) {
        const { hit, messages } = await hitsOf(gateway);
        assert.match(hit?.last_hit_at ?? '', /^\d{4}-\d\d-\d\dT/);
        assert.deepEqual(messages, []);
      }

      // Redis down: still 200, with each gateway's own hits since it started and a message saying so.
      await redis.kill();
      try {
        for (const [gateway, own] of [
          [first, 2],
          [second, 3],
        ] as const) {
          const { hit, messages } = await hitsOf(gateway);
          assert.equal(hit?.hits, own);
          assert.deepEqual(
            (messages as { code: number; message: string }[]).map((message) => message.code),
            [11308],
          );
          assert.match((messages[0] as { message: string }).message, /this gateway's only/);
        }
      } finally {
        await redis.restart();
      }
    });
  },
);
