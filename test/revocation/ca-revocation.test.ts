/**
 * Revoking certificates of an uploaded CA in `portcullis serve`, through the admin API, with real
 * TLS handshakes and CRLs made at test time: CRL uploads (good, stale, wrong signer, older, not a
 * CA), block lists by SHA-256 and by serial (per CA and per account, and not across tenants), and
 * revocation reaching a kept-alive HTTP/1.1 connection and an open HTTP/2 session at their next
 * request, as it does for managed certificates.
 */
import 'reflect-metadata';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTenant, startAdminServer, type AdminServer } from '../helpers/admin-server.ts';
import { createCa, type CaHandle, type Issued } from '../helpers/pki.ts';
import { startHttp1Echo, type RunningUpstream } from '../helpers/upstreams.ts';
import { callAs, errorCode, keptAlive, mustSucceed, openH2, protectHosts, uploadCa } from '../helpers/uploaded-ca.ts';

const FLEET = 'fleet.example.test';
const OTHER = 'other.example.test';

describe('serve: CRLs and block lists of an uploaded CA', () => {
  let server: AdminServer;
  let upstream: RunningUpstream;
  let accountId: string;
  let zoneId: string;
  let ca: CaHandle;
  let caId: string;
  let otherCa: CaHandle;
  let otherCaId: string;
  let device: Issued;
  let spare: Issued;

  const crlRoute = () => `/accounts/${accountId}/mtls_certificates/${caId}/crl`;

  before(async () => {
    server = await startAdminServer();
    upstream = await startHttp1Echo();
    ({ accountId, zoneId } = await createTenant(server, 'example.test'));
    ca = await createCa('CN=Fleet CA,O=Tenant');
    otherCa = await createCa('CN=Other CA,O=Tenant');
    caId = await uploadCa(server, accountId, ca, 'fleet');
    otherCaId = await uploadCa(server, accountId, otherCa, 'other');
    await protectHosts(
      server,
      zoneId,
      [
        { hostname: FLEET, caId },
        { hostname: OTHER, caId: otherCaId },
      ],
      upstream.url,
    );
    device = await ca.issue({ subject: 'CN=device-1' });
    spare = await ca.issue({ subject: 'CN=device-2' });
  });

  after(async () => {
    await server.stop();
    await upstream.close();
  });

  test('before any revocation data the CA works as before: its certificates get through', async () => {
    assert.equal((await callAs(server, FLEET, device)).status, 200);
    const settings = await mustSucceed(server, 'GET', `/accounts/${accountId}/mtls_certificates/${caId}/revocation`);
    assert.equal(settings.on_unavailable, 'fail_closed');
    assert.deepEqual(settings.crls, []);
  });

  test('a good CRL is accepted and enforced: the listed certificate is refused, the other goes through', async () => {
    const uploaded = await mustSucceed(server, 'PUT', crlRoute(), {
      crl: await ca.crl([device.serialHex], { crlNumber: 10 }),
    });
    assert.equal(uploaded.crl_number, '10');
    assert.equal(uploaded.revoked_count, 1);
    assert.equal(uploaded.source, 'upload');
    assert.equal(uploaded.stale, false);
    const refused = await callAs(server, FLEET, device);
    assert.equal(refused.status, 403);
    assert.equal(errorCode(refused), 'GW_ERR_RULE_BLOCKED');
    assert.equal((await callAs(server, FLEET, spare)).status, 200);
    const listed = await mustSucceed<unknown[]>(server, 'GET', crlRoute());
    assert.equal(listed.length, 1);
  });

  test('stale, wrong-signer, older, garbage CRLs and a leaf are refused with 400 and a stable code; nothing changes', async () => {
    const refused = async (body: unknown, code: number, message: RegExp, route = crlRoute()) => {
      const response = await server.call('PUT', route, body);
      assert.equal(response.status, 400, JSON.stringify(response.body));
      const [error] = response.body.errors;
      assert.ok(error !== undefined);
      assert.equal(error.code, code);
      assert.match(error.message, message);
    };
    const stale = await ca.crl([], {
      crlNumber: 11,
      thisUpdate: new Date(Date.now() - 7_200_000),
      nextUpdate: new Date(Date.now() - 1000),
    });
    await refused({ crl: stale }, 12062, /The CRL is stale: its nextUpdate .* has passed/);
    await refused(
      { crl: await otherCa.crl([], { crlNumber: 12 }) },
      12061,
      /not signed by this CA: it is issued by "CN=Other CA/,
    );
    await refused({ crl: await ca.crl([], { crlNumber: 9 }) }, 12063, /CRL number 9, the one in force has 10/);
    await refused({ crl: await ca.crl([], { crlNumber: null }) }, 12060, /no cRLNumber/);
    await refused({ crl: 'not a crl' }, 12060, /neither PEM/);
    await refused({ crl: ca.certPem }, 12060, /found CERTIFICATE/);
    const leaf = await server.call<{ id: string }>('POST', `/accounts/${accountId}/mtls_certificates`, {
      ca: false,
      certificates: device.certPem,
    });
    await refused(
      { crl: await ca.crl([]) },
      12101,
      /is not a CA certificate/,
      `/accounts/${accountId}/mtls_certificates/${leaf.body.result.id}/crl`,
    );
    await mustSucceed(server, 'DELETE', `/accounts/${accountId}/mtls_certificates/${leaf.body.result.id}`);
    // The CRL in force is still number 10, and still enforced.
    const [inForce] = await mustSucceed<{ crl_number: string }[]>(server, 'GET', crlRoute());
    assert.equal(inForce?.crl_number, '10');
    assert.equal((await callAs(server, FLEET, device)).status, 403);
  });

  test('a newer CRL reaches a kept-alive HTTP/1.1 connection and an open HTTP/2 session at their next request', async () => {
    const h1 = keptAlive(server, FLEET, spare);
    const h2 = await openH2(server, FLEET, spare);
    try {
      const first = await h1.get('/before');
      assert.equal(first.status, 200);
      assert.equal(await h2.status('/before'), 200);
      await mustSucceed(server, 'PUT', crlRoute(), {
        crl: await ca.crl([device.serialHex, spare.serialHex], { crlNumber: 13 }),
      });
      const second = await h1.get('/after');
      assert.equal(second.status, 403);
      assert.equal(second.socket, first.socket, 'the same TLS connection');
      assert.equal(await h2.status('/after'), 403);
    } finally {
      h1.close();
      h2.session.destroy();
    }
  });

  test('deleting the CRLs stops checking them', async () => {
    const removed = await mustSucceed<unknown[]>(server, 'DELETE', crlRoute());
    assert.equal(removed.length, 1);
    assert.equal((await callAs(server, FLEET, device)).status, 200);
  });

  test('blocked by SHA-256 or serial, per CA: refused on new and open connections; unblocked: through again', async () => {
    const blocks = `/accounts/${accountId}/mtls_certificates/${caId}/blocked_certificates`;
    const h2 = await openH2(server, FLEET, device);
    try {
      assert.equal(await h2.status(), 200);
      const bySha = await mustSucceed(server, 'POST', blocks, {
        sha256: device.sha256.toUpperCase(),
        description: 'lost',
      });
      assert.deepEqual([bySha.sha256, bySha.description, bySha.mtls_certificate_id], [device.sha256, 'lost', caId]);
      assert.equal(await h2.status(), 403, 'the open HTTP/2 session');
      assert.equal((await callAs(server, FLEET, device)).status, 403);
      assert.equal((await callAs(server, FLEET, spare)).status, 200);
      const duplicate = await server.call('POST', blocks, { sha256: device.sha256 });
      assert.equal(duplicate.status, 409);
      const bySerial = await mustSucceed(server, 'POST', blocks, { serial_number: `serial=00${spare.serialHex}` });
      assert.equal(bySerial.serial_number, spare.serialHex);
      assert.equal((await callAs(server, FLEET, spare)).status, 403);
      assert.equal((await mustSucceed<unknown[]>(server, 'GET', blocks)).length, 2);
      await mustSucceed(server, 'DELETE', `${blocks}/${bySha.id}`);
      await mustSucceed(server, 'DELETE', `${blocks}/${bySerial.id}`);
      assert.equal(await h2.status(), 200, 'unblocked on the same session');
      const missing = await server.call('DELETE', `${blocks}/${bySha.id}`);
      assert.equal(missing.status, 404);
    } finally {
      h2.session.destroy();
    }
  });

  test("an account-wide block applies to every CA of the account, and never to another account's hosts", async () => {
    const otherDevice = await otherCa.issue({ subject: 'CN=other-device' });
    const accountBlocks = `/accounts/${accountId}/blocked_certificates`;
    const block = await mustSucceed(server, 'POST', accountBlocks, { sha256: otherDevice.sha256 });
    assert.equal(block.mtls_certificate_id, undefined);
    assert.equal((await callAs(server, OTHER, otherDevice)).status, 403);

    // Another tenant trusting the same CA is not affected by this account's list.
    const stranger = await createTenant(server, 'stranger.test');
    const strangerCaId = await uploadCa(server, stranger.accountId, otherCa, 'same CA, other tenant');
    await protectHosts(server, stranger.zoneId, [{ hostname: 'api.stranger.test', caId: strangerCaId }], upstream.url);
    assert.equal((await callAs(server, 'api.stranger.test', otherDevice)).status, 200);
    const foreign = await server.call(
      'GET',
      `/accounts/${stranger.accountId}/mtls_certificates/${caId}/blocked_certificates`,
    );
    assert.equal(foreign.status, 404, "one account cannot name another's CA");

    await mustSucceed(server, 'DELETE', `${accountBlocks}/${block.id}`);
    assert.equal((await callAs(server, OTHER, otherDevice)).status, 200);
  });

  test('deleting the CA takes its revocation data with it', async () => {
    const ca3 = await createCa('CN=Short-lived CA');
    const id = await uploadCa(server, accountId, ca3, 'short-lived');
    await mustSucceed(server, 'PUT', `/accounts/${accountId}/mtls_certificates/${id}/crl`, { crl: await ca3.crl([]) });
    await mustSucceed(server, 'POST', `/accounts/${accountId}/mtls_certificates/${id}/blocked_certificates`, {
      serial_number: '01',
    });
    await mustSucceed(server, 'DELETE', `/accounts/${accountId}/mtls_certificates/${id}`);
    const gone = await server.call('GET', `/accounts/${accountId}/mtls_certificates/${id}/crl`);
    assert.equal(gone.status, 404);
  });
});
