/**
 * Each request's mTLS status in the analytics, in Cloudflare's vocabulary, from real mTLS requests to
 * a running `serve` (SQLite): a hostname trusting an uploaded CA under the mTLS rule (API Shield's
 * model: the handshake admits any certificate, the rule refuses), and clients with a good
 * certificate (ok), none (absent), one of another CA (untrusted), an expired one (expired), one not
 * valid yet (notyetvalid) and a blocked one (revoked). Counted per hostname by
 * /gateway/analytics/mtls_status, grouped by group_by=mtls_status, and shown per request in the
 * request log; the time series counts them per minute.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTenant, startAdminServer, type AdminServer } from '../helpers/admin-server.ts';
import { createCa, DAY, type Issued } from '../helpers/pki.ts';
import { request } from '../helpers/https-client.ts';
import { edgeCaPem } from '../helpers/gateway-pki.ts';
import { mustSucceed, protectHosts, uploadCa } from '../helpers/uploaded-ca.ts';
import { startHttp1Echo, type RunningUpstream } from '../helpers/upstreams.ts';

const HOST = 'api.status.test';

interface StatusCount {
  hostname: string;
  status: string | null;
  requests: number;
}

describe('analytics: the mTLS status of each request (ok, absent, untrusted, notyetvalid, expired, revoked)', () => {
  let server: AdminServer;
  let upstream: RunningUpstream;
  let zoneId: string;
  const clients: Record<string, Issued> = {};

  before(async () => {
    server = await startAdminServer();
    upstream = await startHttp1Echo();
    const tenant = await createTenant(server, 'status.test');
    zoneId = tenant.zoneId;
    const ca = await createCa('CN=Status Root CA');
    const caId = await uploadCa(server, tenant.accountId, ca, 'status root');
    await protectHosts(server, zoneId, [{ hostname: HOST, caId }], upstream.url);
    const now = Date.now();
    clients.ok = await ca.issue({ subject: 'CN=good' });
    clients.untrusted = await (await createCa('CN=Other CA')).issue({ subject: 'CN=stranger' });
    clients.expired = await ca.issue({
      subject: 'CN=old',
      notBefore: new Date(now - 30 * DAY),
      notAfter: new Date(now - DAY),
    });
    clients.notyetvalid = await ca.issue({
      subject: 'CN=early',
      notBefore: new Date(now + DAY),
      notAfter: new Date(now + 30 * DAY),
    });
    clients.revoked = await ca.issue({ subject: 'CN=blocked' });
    await mustSucceed(server, 'POST', `/accounts/${tenant.accountId}/mtls_certificates/${caId}/blocked_certificates`, {
      sha256: clients.revoked.sha256,
    });
  });

  after(async () => {
    await (upstream as RunningUpstream | undefined)?.close();
    await (server as AdminServer | undefined)?.stop();
  });

  function call(client: Issued | undefined): ReturnType<typeof request> {
    return request({
      port: server.gatewayPort,
      ca: edgeCaPem(server),
      servername: HOST,
      headers: { host: HOST },
      path: '/status',
      ...(client === undefined ? {} : { cert: client.certPem, key: client.keyPem }),
    });
  }

  test('each kind of client is counted under its status, per hostname and in the request log', async () => {
    const expected: Record<string, { times: number; status: number }> = {
      ok: { times: 3, status: 200 },
      absent: { times: 2, status: 403 },
      untrusted: { times: 1, status: 403 },
      expired: { times: 1, status: 403 },
      notyetvalid: { times: 1, status: 403 },
      revoked: { times: 2, status: 403 },
    };
    for (const [kind, { times, status }] of Object.entries(expected)) {
      for (let sent = 0; sent < times; sent++) {
        const answer = await call(clients[kind]);
        assert.equal(answer.status, status, `${kind}: ${answer.body}`);
      }
    }

    // Analytics are written in batches off the hot path: poll (bounded) until all 10 are stored.
    let counts: StatusCount[] = [];
    for (let attempt = 0; attempt < 100; attempt++) {
      counts = await mustSucceed<StatusCount[]>(server, 'GET', `/zones/${zoneId}/gateway/analytics/mtls_status`);
      if (counts.reduce((sum, count) => sum + count.requests, 0) >= 10) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const byStatus = Object.fromEntries(counts.map((count) => [count.status, count.requests]));
    assert.deepEqual(
      byStatus,
      Object.fromEntries(Object.entries(expected).map(([kind, { times }]) => [kind, times])),
      JSON.stringify(counts),
    );
    assert.ok(counts.every((count) => count.hostname === HOST));

    const grouped = await mustSucceed<{ groups: { key: string; requests: number }[] }>(
      server,
      'GET',
      `/zones/${zoneId}/gateway/analytics?group_by=mtls_status`,
    );
    assert.equal(grouped.groups.find((group) => group.key === 'revoked')?.requests, 2);

    const log = await mustSucceed<{ mtls_status: string; status: number }[]>(
      server,
      'GET',
      `/zones/${zoneId}/gateway/analytics/requests?limit=20`,
    );
    assert.equal(log.length, 10);
    assert.equal(log.filter((entry) => entry.mtls_status === 'expired').length, 1);
    assert.ok(log.filter((entry) => entry.mtls_status === 'ok').every((entry) => entry.status === 200));

    const series = await mustSucceed<{ interval: string; points: { time: string; requests: number }[] }>(
      server,
      'GET',
      `/zones/${zoneId}/gateway/analytics/timeseries?since=${encodeURIComponent(new Date(Date.now() - 3_600_000).toISOString())}`,
    );
    assert.equal(series.interval, 'minute');
    assert.ok(series.points.length >= 60 && series.points.length <= 62, String(series.points.length));
    assert.equal(
      series.points.reduce((sum, point) => sum + point.requests, 0),
      10,
    );
  });

  test('a time series longer than its bound is refused with the API validation error', async () => {
    const response = await server.call(
      'GET',
      `/zones/${zoneId}/gateway/analytics/timeseries?interval=minute&since=2020-01-01T00:00:00Z`,
    );
    assert.equal(response.status, 400);
    assert.equal(response.body.errors.length, 1);
    const error = response.body.errors[0]!;
    assert.equal(error.code, 12101);
    assert.match(error.message, /at most 1500/);
  });
});
