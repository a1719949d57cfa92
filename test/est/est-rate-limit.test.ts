/**
 * EST enroll attempts are bounded (`serve --est-attempts-per-address`, `--est-failures-per-address`,
 * `--est-failures-per-secret`): per client address (each test part connects from its own loopback
 * address) and per bootstrap secret across addresses. A limited attempt is answered 429 with
 * Retry-After before its credentials are looked at: a right secret after too many wrong ones issues
 * nothing.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createTenant, startAdminServer, type AdminServer } from '../helpers/admin-server.ts';
import { deviceCsrBase64, simpleEnroll, type EnrollReply } from '../helpers/est-enroll.ts';
import { needsOpenssl, OpensslWorkdir } from '../helpers/openssl.ts';

const HOST = 'limits.example.test';

describe('serve: EST enroll attempts are rate limited', needsOpenssl, () => {
  let server: AdminServer;
  let openssl: OpensslWorkdir;
  let zoneId: string;
  let profileId: string;
  let csrBase64: string;

  const ok = async <T = Record<string, unknown>>(method: string, route: string, body?: unknown): Promise<T> => {
    const response = await server.call<T>(method, route, body);
    assert.equal(response.status, 200, `${method} ${route}: ${JSON.stringify(response.body.errors)}`);
    return response.body.result;
  };

  const secret = (): Promise<{ id: string; secret: string }> =>
    ok('POST', `/zones/${zoneId}/est/profiles/${profileId}/bootstrap_secrets`, { max_uses: 10 });

  const count = async (): Promise<number> =>
    (await ok<unknown[]>('GET', `/zones/${zoneId}/client_certificates?per_page=1000`)).length;

  /** simpleenroll from `from` (a loopback address), with HTTP Basic `user:password` when given. */
  const enroll = (from: string, credentials?: string): Promise<EnrollReply> =>
    simpleEnroll({
      gateway: server,
      host: HOST,
      csrBase64,
      from,
      ...(credentials === undefined ? {} : { credentials }),
    });

  before(async () => {
    server = await startAdminServer(undefined, undefined, {
      flags: { estAttemptsPerAddress: '6/1m', estFailuresPerAddress: '4/1m', estFailuresPerSecret: '3/1m' },
    });
    openssl = new OpensslWorkdir();
    ({ zoneId } = await createTenant(server, 'example.test'));
    await ok('PUT', `/zones/${zoneId}/certificate_authorities/hostname_associations`, { hostnames: [HOST] });
    profileId = (await ok<{ id: string }>('POST', `/zones/${zoneId}/est/profiles`, { hostnames: [HOST] })).id;
    csrBase64 = deviceCsrBase64(openssl);
  });

  after(async () => {
    openssl.remove();
    await server.stop();
  });

  test('failures per secret: after 3 wrong passwords the right one gets 429 + Retry-After, from any address', async () => {
    const guessed = await secret();
    const before = await count();
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const wrong = await enroll('127.0.0.2', `${guessed.id}:estb_wrong_${attempt}`);
      assert.equal(wrong.status, 401);
      assert.equal(wrong.code, 'GW_ERR_EST_AUTH_FAILED');
    }
    const right = await enroll('127.0.0.2', `${guessed.id}:${guessed.secret}`);
    assert.equal(right.status, 429);
    assert.equal(right.code, 'GW_ERR_EST_RATE_LIMITED');
    assert.match(right.retryAfter ?? '', /^[1-9]\d*$/);
    const elsewhere = await enroll('127.0.0.3', `${guessed.id}:${guessed.secret}`);
    assert.equal(elsewhere.status, 429, 'the secret is limited whatever the address');
    assert.equal(await count(), before, 'nothing issued');

    const other = await secret();
    assert.equal((await enroll('127.0.0.3', `${other.id}:${other.secret}`)).status, 200, 'other secrets are not');
  });

  test('failures per address: after 4 refused credentials from one address, even a good secret gets 429 there', async () => {
    const good = await secret();
    for (let attempt = 0; attempt < 4; attempt += 1) {
      const made = `${randomBytes(16).toString('hex')}:estb_guess`;
      assert.equal((await enroll('127.0.0.4', made)).status, 401);
    }
    const limited = await enroll('127.0.0.4', `${good.id}:${good.secret}`);
    assert.equal(limited.status, 429);
    assert.equal(limited.code, 'GW_ERR_EST_RATE_LIMITED');
    assert.equal((await enroll('127.0.0.5', `${good.id}:${good.secret}`)).status, 200, 'another address is not');
  });

  test('attempts per address: the 7th enroll attempt in a minute gets 429, whatever it carries', async () => {
    for (let attempt = 0; attempt < 6; attempt += 1) {
      const challenged = await enroll('127.0.0.6');
      assert.equal(challenged.status, 401, 'no credentials: challenged, not counted as a failure');
      assert.equal(challenged.code, 'GW_ERR_EST_AUTH_REQUIRED');
    }
    const limited = await enroll('127.0.0.6');
    assert.equal(limited.status, 429);
    assert.match(limited.retryAfter ?? '', /^[1-9]\d*$/);
  });
});
