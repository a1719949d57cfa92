/**
 * Two gateways over one PostgreSQL store, where the second one's snapshot rebuild fails (its store
 * errors on one query, as a database does for a moment): the change must still reach it. A
 * generation counts as applied only once its snapshot is live, and a failed rebuild is retried, so
 * a revocation made through the first gateway bites on the second — on new handshakes and on a
 * connection kept alive from before — within a bound, not at the next unrelated change.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import https from 'node:https';
import { createTenant, startAdminServer, type AdminServer } from './helpers/admin-server.ts';
import { edgeCaPem } from './helpers/gateway-pki.ts';
import { OpensslWorkdir } from './helpers/openssl.ts';
import { postgresSkipReason, startPostgres, type TestPostgres } from './helpers/postgres.ts';
import { request } from './helpers/https-client.ts';
import { storeFault } from './helpers/store-fault.ts';
import { startHttp1Echo, type RunningUpstream } from './helpers/upstreams.ts';

const HOST = 'api.recovery.test';

/** Polls `probe` every 25 ms until it returns true; fails after `limitMs`. */
async function within(limitMs: number, what: string, probe: () => Promise<boolean>): Promise<void> {
  const started = Date.now();
  while (!(await probe())) {
    if (Date.now() - started > limitMs) assert.fail(`${what}: not within ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('cluster: a snapshot rebuild that fails is retried', { skip: postgresSkipReason() ?? false }, () => {
  let postgres: TestPostgres;
  let first: AdminServer;
  let second: AdminServer;
  let upstream: RunningUpstream;
  let openssl: OpensslWorkdir;
  // The compile's first query: failing it fails the whole rebuild, as any store error would.
  const fault = storeFault('listAllAssociations');

  before(async () => {
    postgres = await startPostgres();
    await postgres.createDatabase('recovery');
    const url = await postgres.createSchema('recovery', 'gw');
    const env = {
      PORTCULLIS_MASTER_KEY: randomBytes(32).toString('hex'),
      PORTCULLIS_ADMIN_TOKEN: randomBytes(24).toString('base64url'),
    };
    first = await startAdminServer({ kind: 'postgres', url }, env);
    second = await startAdminServer({ kind: 'postgres', url }, env, { wrapStore: fault.wrapStore });
    upstream = await startHttp1Echo();
    openssl = new OpensslWorkdir();
  });

  after(async () => {
    openssl.remove();
    await Promise.all([first.stop(), second.stop(), upstream.close()]);
    await postgres.stop();
  });

  test('a revocation reaches the gateway whose rebuild failed once: new handshakes and a kept-alive connection', async () => {
    const { zoneId } = await createTenant(first, 'recovery.test');
    const ok = async (method: string, route: string, body?: unknown) => {
      const response = await first.call(method, route, body);
      assert.equal(response.status, 200, JSON.stringify(response.body.errors));
      return response.body.result as Record<string, string>;
    };
    const { csrPem, keyPem } = openssl.csr('p256', '/CN=recovery-device');
    const issued = await ok('POST', `/zones/${zoneId}/client_certificates`, { csr: csrPem, validity_days: 7 });
    await ok('PUT', `/zones/${zoneId}/certificate_authorities/hostname_associations`, { hostnames: [HOST] });
    await ok('POST', `/zones/${zoneId}/gateway/routes`, { hostname: HOST, upstream: upstream.url });
    await ok('POST', `/zones/${zoneId}/gateway/mtls_rule`, { hostnames: [HOST] });
    const client = { ca: edgeCaPem(first), cert: issued.certificate, key: keyPem, servername: HOST };
    const fresh = async () =>
      (await request({ port: second.gatewayPort, ...client, headers: { host: HOST } }).catch(() => undefined))?.status;
    await within(3000, 'the second gateway serves the new hostname', async () => (await fresh()) === 200);

    const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
    const sockets = new Set<unknown>();
    const kept = () =>
      new Promise<number>((resolve, reject) => {
        const req = https.request(
          { host: '127.0.0.1', port: second.gatewayPort, headers: { host: HOST }, agent, ...client },
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
      assert.equal(await kept(), 200);
      fault.fail(1);
      await ok('DELETE', `/zones/${zoneId}/client_certificates/${issued.id}`);
      // The rebuild for the revocation fails once (a retry follows within a second or so).
      await within(3000, 'the rebuild was attempted and failed', () => Promise.resolve(fault.failures === 1));
      await within(3000, 'the kept-alive connection is refused', async () => (await kept()) === 403);
      assert.equal(await fresh(), 403, 'a new handshake is refused too');
      assert.equal(sockets.size, 1, 'the same keep-alive connection throughout');
    } finally {
      agent.destroy();
    }
  });
});
