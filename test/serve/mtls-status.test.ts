/**
 * What a client refused by the mTLS rule of `portcullis serve` is told: the 403 `GW_ERR_RULE_BLOCKED` answer
 * carries `mtls_status` in Cloudflare's words (absent, untrusted, expired, notyetvalid, revoked), one word and
 * nothing of the verification detail (README 'What a refused client is told'). A hostname without mTLS says nothing about certificates.
 * Real handshakes against an uploaded CA, with certificates made at test time.
 */
import 'reflect-metadata';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTenant, startAdminServer, type AdminServer } from '../helpers/admin-server.ts';
import { edgeCaPem } from '../helpers/gateway-pki.ts';
import { request } from '../helpers/https-client.ts';
import { createCa, type Issued } from '../helpers/pki.ts';
import { startHttp1Echo, type RunningUpstream } from '../helpers/upstreams.ts';
import { callAs, mustSucceed, protectHosts, uploadCa } from '../helpers/uploaded-ca.ts';

const FLEET = 'fleet.example.test';
const OPEN = 'open.example.test';
const DAY_MS = 86_400_000;

interface Refusal {
  error: { code: string; message: string; mtls_status?: string };
}

describe('serve: the mTLS status in a refusal', () => {
  let server: AdminServer;
  let upstream: RunningUpstream;
  let zoneId: string;
  const clients: Record<string, Issued> = {};

  before(async () => {
    server = await startAdminServer();
    upstream = await startHttp1Echo();
    let accountId: string;
    ({ accountId, zoneId } = await createTenant(server, 'example.test'));
    const ca = await createCa('CN=Fleet CA,O=Tenant');
    const stranger = await createCa('CN=Stranger CA,O=Elsewhere');
    const caId = await uploadCa(server, accountId, ca, 'fleet');
    await protectHosts(server, zoneId, [{ hostname: FLEET, caId }], upstream.url);
    clients.good = await ca.issue({ subject: 'CN=good' });
    clients.expired = await ca.issue({
      subject: 'CN=expired',
      notBefore: new Date(Date.now() - 30 * DAY_MS),
      notAfter: new Date(Date.now() - DAY_MS),
    });
    clients.notYetValid = await ca.issue({
      subject: 'CN=early',
      notBefore: new Date(Date.now() + DAY_MS),
      notAfter: new Date(Date.now() + 30 * DAY_MS),
    });
    clients.untrusted = await stranger.issue({ subject: 'CN=stranger' });
    clients.expiredUntrusted = await stranger.issue({
      subject: 'CN=old stranger',
      notBefore: new Date(Date.now() - 30 * DAY_MS),
      notAfter: new Date(Date.now() - DAY_MS),
    });
    clients.revoked = await ca.issue({ subject: 'CN=revoked' });
    await mustSucceed(server, 'POST', `/accounts/${accountId}/mtls_certificates/${caId}/blocked_certificates`, {
      sha256: clients.revoked.sha256,
    });
    // A hostname of the zone without mTLS, blocked by a path rule.
    await mustSucceed(server, 'POST', `/zones/${zoneId}/gateway/routes`, { hostname: OPEN, upstream: upstream.url });
  });

  after(async () => {
    await server.stop();
    await upstream.close();
  });

  const refusedAs = async (name: string): Promise<Refusal> => {
    const response = await callAs(server, FLEET, clients[name]!);
    assert.equal(response.status, 403, response.body);
    return response.json<Refusal>();
  };

  test('a good certificate gets through', async () => {
    assert.equal((await callAs(server, FLEET, clients.good!)).status, 200);
  });

  for (const [name, status] of [
    ['expired', 'expired'],
    ['notYetValid', 'notyetvalid'],
    ['untrusted', 'untrusted'],
    // OpenSSL reports the last problem it found, the dates, after the missing issuer: expired.
    ['expiredUntrusted', 'expired'],
    ['revoked', 'revoked'],
  ] as const) {
    test(`${name}: 403 GW_ERR_RULE_BLOCKED with mtls_status ${status}, and nothing more`, async () => {
      const body = await refusedAs(name);
      assert.deepEqual(body, {
        error: {
          code: 'GW_ERR_RULE_BLOCKED',
          message: 'The request was blocked by a custom rule',
          mtls_status: status,
        },
      });
    });
  }

  test('no certificate: mtls_status absent', async () => {
    const response = await request({
      port: server.gatewayPort,
      ca: edgeCaPem(server),
      servername: FLEET,
      headers: { host: FLEET },
    });
    assert.equal(response.status, 403);
    assert.equal(response.json<Refusal>().error.mtls_status, 'absent');
  });

  test('a hostname without mTLS: a block says nothing about certificates', async () => {
    const entrypoint = await mustSucceed<{ id: string }>(
      server,
      'GET',
      `/zones/${zoneId}/rulesets/phases/http_request_firewall_custom/entrypoint`,
    );
    await mustSucceed(server, 'POST', `/zones/${zoneId}/rulesets/${entrypoint.id}/rules`, {
      action: 'block',
      expression: `http.host eq "${OPEN}" and http.request.uri.path eq "/admin"`,
    });
    const response = await request({
      port: server.gatewayPort,
      ca: edgeCaPem(server),
      servername: OPEN,
      path: '/admin',
      headers: { host: OPEN },
    });
    assert.equal(response.status, 403, response.body);
    assert.deepEqual(response.json<Refusal>(), {
      error: { code: 'GW_ERR_RULE_BLOCKED', message: 'The request was blocked by a custom rule' },
    });
  });
});
