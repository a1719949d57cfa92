/**
 * Two gateways over one PostgreSQL store, where the second one's snapshot rebuild fails (its store
 * errors on one query, as a database does for a moment): the change must still reach it. A
 * generation counts as applied only once its snapshot is live, and a failed rebuild is retried, so
 * a change made through the first gateway reaches the second within a bound, not at the next
 * unrelated change; a revocation made meanwhile bites on the second — on new handshakes and on a
 * connection kept alive from before — without waiting for the rebuild. When the
 * rebuilds keep failing, the second gateway says so past its bound: `/readyz` 503, the stale gauge,
 * and one log line per state change however many retries there are.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import pino from 'pino';
import { createTenant, type AdminServer } from '../helpers/admin-server.ts';
import { configureMtlsHost, ok, startGatewayPair, within, type GatewayPair } from '../helpers/cluster.ts';
import { edgeCaPem } from '../helpers/gateway-pki.ts';
import { OpensslWorkdir } from '../helpers/openssl.ts';
import { postgresSkipReason } from '../helpers/postgres.ts';
import { request } from '../helpers/https-client.ts';
import { storeFault } from '../helpers/store-fault.ts';
import { startHttp1Echo, type RunningUpstream } from '../helpers/upstreams.ts';

const HOST = 'api.recovery.test';

describe('cluster: a snapshot rebuild that fails is retried', { skip: postgresSkipReason() ?? false }, () => {
  let pair: GatewayPair;
  let first: AdminServer;
  let second: AdminServer;
  let upstream: RunningUpstream;
  let openssl: OpensslWorkdir;
  // The compile's first query: failing it fails the whole rebuild, as any store error would.
  const fault = storeFault('listAllAssociations');
  // The second gateway's log lines about its configuration's freshness.
  const freshnessLog: string[] = [];
  const logger = pino(
    { level: 'info' },
    {
      write(line: string) {
        const { level, msg } = JSON.parse(line) as { level: number; msg: string };
        if (msg.startsWith('configuration ')) freshnessLog.push(`${level} ${msg}`);
      },
    },
  );

  before(async () => {
    pair = await startGatewayPair('recovery', {
      secondExtras: { wrapStore: fault.wrapStore, logger, options: { configStaleAfterMs: 1500 } },
    });
    ({ first, second } = pair);
    upstream = await startHttp1Echo();
    openssl = new OpensslWorkdir();
  });

  after(async () => {
    openssl.remove();
    await Promise.all([pair.stop(), upstream.close()]);
  });

  test('a revocation reaches the gateway whose rebuild failed once: new handshakes and a kept-alive connection', async () => {
    const { zoneId } = await createTenant(first, 'recovery.test');
    const { issued, keyPem } = await configureMtlsHost(first, openssl, {
      zoneId,
      host: HOST,
      upstreamUrl: upstream.url,
      commonName: 'recovery-device',
    });
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
      // A configuration change whose rebuild fails once on the second gateway (a retry follows within a second
      // or so), then a revocation: a revocation alone rebuilds nothing (ADR 0021), and must bite all the same.
      await ok(first, 'POST', `/zones/${zoneId}/gateway/routes`, {
        hostname: 'late.recovery.test',
        upstream: upstream.url,
      });
      await within(3000, 'the rebuild was attempted and failed', () => Promise.resolve(fault.failures === 1));
      await ok(first, 'DELETE', `/zones/${zoneId}/client_certificates/${issued.id}`);
      await within(3000, 'the kept-alive connection is refused', async () => (await kept()) === 403);
      assert.equal(await fresh(), 403, 'a new handshake is refused too');
      assert.equal(sockets.size, 1, 'the same keep-alive connection throughout');
      // The revoked serial may reach the connection before the retried rebuild does (the CRL publication of the
      // same change updates the revocation set the snapshot in force shares): the retry must still succeed.
      await within(3000, 'the retried rebuild brought the configuration up to date', () =>
        Promise.resolve(freshnessLog.at(-1) === '30 configuration up to date again'),
      );
    } finally {
      agent.destroy();
    }
  });

  test('rebuilds that keep failing: readyz 503 and the stale gauge past the bound, one log line per state change', async () => {
    const { zoneId } = await createTenant(first, 'stale-recovery.test');
    const readyz = async () => {
      const response = await fetch(new URL('/readyz', second.baseUrl));
      return { status: response.status, body: (await response.json()) as { checks: Record<string, string> } };
    };
    const staleGauge = async () => {
      const text = await (await fetch(new URL('/metrics', second.baseUrl))).text();
      return Number(/^portcullis_config_stale_seconds (\S+)$/m.exec(text)?.[1]);
    };
    await within(3000, 'the second gateway is ready', async () => (await readyz()).status === 200);
    freshnessLog.length = 0;
    const failedBefore = fault.failures;
    fault.fail(Infinity);
    try {
      const route = await first.call('POST', `/zones/${zoneId}/gateway/routes`, {
        hostname: 'late.stale-recovery.test',
        upstream: upstream.url,
      });
      assert.equal(route.status, 200, JSON.stringify(route.body.errors));
      await within(5000, 'readyz reports the stale configuration', async () => (await readyz()).status === 503);
      assert.deepEqual((await readyz()).body.checks, { config: 'stale', store: 'ok' });
      assert.ok((await staleGauge()) > 1.5);
      // Retried meanwhile (with backoff), and logged once when it began and once when it went stale.
      await within(5000, 'a few retries', () => Promise.resolve(fault.failures - failedBefore >= 3));
      assert.deepEqual(freshnessLog, [
        '40 configuration not brought up to date: retrying with backoff',
        '50 configuration stale: changes made through other gateways may not be enforced here (readyz fails)',
      ]);
    } finally {
      fault.heal();
    }
    await within(8000, 'ready again once a rebuild succeeds', async () => (await readyz()).status === 200);
    assert.equal(await staleGauge(), 0);
    assert.equal(freshnessLog.at(-1), '30 configuration up to date again');
    assert.equal(freshnessLog.length, 3);
  });
});
