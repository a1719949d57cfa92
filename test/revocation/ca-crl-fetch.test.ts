/**
 * CRL fetching for uploaded CAs in `portcullis serve`, against a real CRL server (node:http on
 * loopback) serving CRLs made at test time: a configured URL fetched and refreshed (reaching an open
 * connection), distribution points learnt from the CA's client certificates, a failing server with
 * the CA failing closed and then open (counted in /metrics), and loopback refused unless the CA
 * allows private addresses. Every wait is bounded.
 */
import 'reflect-metadata';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as x509 from '@peculiar/x509';
import { createTenant, createToken, startAdminServer, type AdminServer } from '../helpers/admin-server.ts';
import { createCa, type CaHandle } from '../helpers/pki.ts';
import { startHttp1Echo, type RunningUpstream } from '../helpers/upstreams.ts';
import { callAs, eventually, keptAlive, mustSucceed, protectHosts, uploadCa } from '../helpers/uploaded-ca.ts';

interface Served {
  status: number;
  body: string | Buffer;
}

describe('serve: CRLs fetched from distribution points', () => {
  let server: AdminServer;
  let upstream: RunningUpstream;
  let crlServer: http.Server;
  let crlBase: string;
  const served = new Map<string, Served>();
  const requests: string[] = [];
  let accountId: string;
  const cas: Record<'fixed' | 'learnt' | 'failing' | 'private', { ca: CaHandle; id: string; host: string }> =
    {} as never;

  const settingsRoute = (name: keyof typeof cas) =>
    `/accounts/${accountId}/mtls_certificates/${cas[name].id}/revocation`;
  const status = async (name: keyof typeof cas) => mustSucceed(server, 'GET', settingsRoute(name));

  before(async () => {
    crlServer = http.createServer((req, res) => {
      requests.push(req.url ?? '');
      const answer = served.get(req.url ?? '') ?? { status: 404, body: '' };
      res.writeHead(answer.status, { 'content-type': 'application/pkix-crl' }).end(answer.body);
    });
    await new Promise<void>((resolve) => crlServer.listen(0, '127.0.0.1', resolve));
    crlBase = `http://127.0.0.1:${(crlServer.address() as AddressInfo).port}`;
    server = await startAdminServer();
    upstream = await startHttp1Echo();
    const tenant = await createTenant(server, 'fetch.test');
    accountId = tenant.accountId;
    for (const name of ['fixed', 'learnt', 'failing', 'private'] as const) {
      const ca = await createCa(`CN=${name} CA,O=Fetch Tests`);
      cas[name] = { ca, id: await uploadCa(server, accountId, ca, name), host: `${name}.fetch.test` };
    }
    await protectHosts(
      server,
      tenant.zoneId,
      Object.values(cas).map((entry) => ({ hostname: entry.host, caId: entry.id })),
      upstream.url,
    );
  });

  after(async () => {
    await server.stop();
    await upstream.close();
    crlServer.closeAllConnections();
    await new Promise((resolve) => crlServer.close(resolve));
  });

  test('a configured URL: fetched, enforced, and refreshed into an open connection', async () => {
    const { ca, host } = cas.fixed;
    const revoked = await ca.issue({ subject: 'CN=revoked' });
    const good = await ca.issue({ subject: 'CN=good' });
    const der = (pem: string) => Buffer.from(x509.PemConverter.decode(pem)[0] ?? new ArrayBuffer(0));
    served.set('/fixed.crl', { status: 200, body: der(await ca.crl([revoked.serialHex])) }); // DER, as a CDP serves it
    const patched = await mustSucceed(server, 'PATCH', settingsRoute('fixed'), {
      crl_fetch: { enabled: true, urls: [`${crlBase}/fixed.crl`], refresh_interval_seconds: 1 },
      allow_private_addresses: true,
    });
    assert.equal(patched.crl_fetch.enabled, true);
    await eventually('the fetched CRL is in force', async () => (await status('fixed')).crls.length === 1);
    const view = await status('fixed');
    assert.equal(view.crls[0].source, 'fetch');
    assert.equal(view.crls[0].source_url, `${crlBase}/fixed.crl`);
    assert.equal(view.crl_fetch_status.last_error, null);
    assert.equal((await callAs(server, host, revoked)).status, 403);

    const open = keptAlive(server, host, good);
    try {
      assert.equal((await open.get()).status, 200);
      served.set('/fixed.crl', { status: 200, body: await ca.crl([revoked.serialHex, good.serialHex]) }); // PEM too
      await eventually('the refreshed CRL reaches the open connection', async () => (await open.get()).status === 403);
    } finally {
      open.close();
    }
  });

  test("distribution points learnt from the CA's client certificates: refused until the CRL is in, then enforced", async () => {
    const { ca, host } = cas.learnt;
    const cdp = `${crlBase}/learnt.crl`;
    const withCdp = (subject: string) =>
      ca.issue({ subject, extraExtensions: [new x509.CRLDistributionPointsExtension([cdp])] });
    const device = await withCdp('CN=device');
    const lost = await withCdp('CN=lost');
    served.set('/learnt.crl', { status: 200, body: await ca.crl([lost.serialHex]) });
    await mustSucceed(server, 'PATCH', settingsRoute('learnt'), {
      crl_fetch: { enabled: true },
      allow_private_addresses: true,
    });
    // No CRL yet and the CA fails closed (the default): refused, and its CDP is learnt from it.
    assert.equal((await callAs(server, host, device)).status, 403);
    await eventually('the learnt CRL is in force', async () => (await status('learnt')).crls.length === 1);
    assert.deepEqual((await status('learnt')).crl_fetch_status.discovered_urls, [cdp]);
    assert.equal((await callAs(server, host, device)).status, 200);
    assert.equal((await callAs(server, host, lost)).status, 403);
  });

  test('a failing CRL server: fail closed refuses the CA clients, fail open lets them through loudly', async () => {
    const { ca, host } = cas.failing;
    const device = await ca.issue({ subject: 'CN=device' });
    served.set('/failing.crl', { status: 500, body: 'down' });
    const before = requests.length;
    await mustSucceed(server, 'PATCH', settingsRoute('failing'), {
      crl_fetch: { enabled: true, urls: [`${crlBase}/failing.crl`] },
      allow_private_addresses: true,
    });
    await eventually(
      'the fetch was tried and failed',
      async () => (await status('failing')).crl_fetch_status.last_error !== null,
    );
    assert.ok(requests.slice(before).includes('/failing.crl'));
    assert.match((await status('failing')).crl_fetch_status.last_error, /failing\.crl: HTTP 500/);
    assert.equal((await callAs(server, host, device)).status, 403, 'fail closed (the default)');

    await mustSucceed(server, 'PATCH', settingsRoute('failing'), { on_unavailable: 'fail_open' });
    assert.equal((await callAs(server, host, device)).status, 200, 'fail open');
    const metrics = await (await fetch(`http://127.0.0.1:${server.running.adminAddress.port}/metrics`)).text();
    const line = new RegExp(
      `portcullis_revocation_unknown_total\\{mtls_certificate_id="${cas.failing.id}",reason="crl_missing",outcome="allowed"\\} (\\d+)`,
    );
    assert.ok(Number(line.exec(metrics)?.[1] ?? 0) >= 1, 'counted as let through');
    assert.match(metrics, /portcullis_revocation_unknown_total\{[^}]*outcome="refused"\} \d+/);
    assert.match(metrics, /portcullis_crl_fetches_total\{result="failed"\} \d+/);
  });

  test('loopback is not fetched unless the CA allows private addresses', async () => {
    const { ca, host } = cas.private;
    const device = await ca.issue({ subject: 'CN=device' });
    const port = (crlServer.address() as AddressInfo).port;
    served.set('/private.crl', { status: 200, body: await ca.crl([]) });
    const literal = await server.call('PATCH', settingsRoute('private'), {
      crl_fetch: { enabled: true, urls: [`http://127.0.0.1:${port}/private.crl`] },
    });
    assert.equal(literal.status, 400);
    assert.equal(literal.body.errors[0]?.code, 12064);
    const before = requests.length;
    await mustSucceed(server, 'PATCH', settingsRoute('private'), {
      crl_fetch: { enabled: true, urls: [`http://localhost:${port}/private.crl`] },
    });
    await eventually(
      'the fetch was refused',
      async () => (await status('private')).crl_fetch_status.last_error !== null,
    );
    assert.match((await status('private')).crl_fetch_status.last_error, /localhost resolves to .*: a loopback address/);
    assert.ok(!requests.slice(before).includes('/private.crl'), 'nothing reached the server');
    assert.equal((await callAs(server, host, device)).status, 403);
    // Letting the gateway reach its own networks is the operator's call, not the tenant's.
    const tenantToken = await createToken(server, 'edit', { account_id: accountId });
    const byTenant = await server.call(
      'PATCH',
      settingsRoute('private'),
      { allow_private_addresses: true },
      tenantToken,
    );
    assert.equal(byTenant.status, 403);
    assert.equal(byTenant.body.errors[0]?.code, 10000);
    await mustSucceed(server, 'PATCH', settingsRoute('private'), { allow_private_addresses: true });
    const urlByTenant = await server.call(
      'PATCH',
      settingsRoute('private'),
      { crl_fetch: { urls: ['http://10.0.0.1/internal.crl'] } },
      tenantToken,
    );
    assert.equal(urlByTenant.status, 403, 'nor may it point fetching elsewhere while private addresses are allowed');
    const otherByTenant = await server.call(
      'PATCH',
      settingsRoute('private'),
      { on_unavailable: 'fail_closed' },
      tenantToken,
    );
    assert.equal(otherByTenant.status, 200, "other settings stay the tenant's");
    await eventually('fetched once allowed', async () => (await status('private')).crls.length === 1);
    assert.equal((await callAs(server, host, device)).status, 200);
  });
});
