/**
 * `portcullis serve` presents per-hostname TLS policies compiled from the store, and changes made
 * through the API are in force when the API answers: associate a hostname with the managed CA,
 * issue a client certificate, and the gateway asks for and verifies that certificate on that
 * hostname only. Requests for another host on the connection get 421; unknown SNI gets the default
 * policy. Accepted requests with no route answer 404 (routing is tested in serve-gateway-pipeline).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import tls from 'node:tls';
import { createTenant, startAdminServer, type AdminServer } from '../helpers/admin-server.ts';
import { edgeCaPem } from '../helpers/gateway-pki.ts';
import { OpensslWorkdir } from '../helpers/openssl.ts';
import { request } from '../helpers/https-client.ts';

describe('serve: per-hostname TLS policy from the store', () => {
  let server: AdminServer;
  let openssl: OpensslWorkdir;
  let zoneId: string;
  let client: { certPem: string; keyPem: string };

  before(async () => {
    server = await startAdminServer();
    openssl = new OpensslWorkdir();
    ({ zoneId } = await createTenant(server, 'example.test'));
    const put = await server.call('PUT', `/zones/${zoneId}/certificate_authorities/hostname_associations`, {
      hostnames: ['api.example.test'],
    });
    assert.equal(put.status, 200);
    const { csrPem, keyPem } = openssl.csr('p256', '/CN=device-1/O=Example');
    const issued = await server.call<{ certificate: string }>('POST', `/zones/${zoneId}/client_certificates`, {
      csr: csrPem,
      validity_days: 30,
    });
    assert.equal(issued.status, 200);
    client = { certPem: issued.body.result.certificate, keyPem };
  });

  after(async () => {
    openssl.remove();
    await server.stop();
  });

  const call = (servername: string, host: string, withCert: boolean) =>
    request({
      port: server.gatewayPort,
      ca: edgeCaPem(server),
      servername,
      headers: { host },
      ...(withCert ? { cert: client.certPem, key: client.keyPem } : {}),
    });

  test('the associated hostname gets its own certificate and asks for a client certificate from its CA only', async () => {
    const peer = await new Promise<string>((resolve, reject) => {
      const socket = tls.connect(
        { host: '127.0.0.1', port: server.gatewayPort, servername: 'api.example.test', ca: edgeCaPem(server) },
        () => {
          resolve(socket.getPeerX509Certificate()?.checkHost('api.example.test') ?? '');
          socket.destroy();
        },
      );
      socket.on('error', reject);
    });
    assert.equal(peer, 'api.example.test');
    const sClient = (servername: string) =>
      openssl.sClient(['-connect', `127.0.0.1:${server.gatewayPort}`, '-servername', servername]);
    const associated = await sClient('api.example.test');
    assert.match(associated, /Acceptable client certificate CA names\n.*Managed CA/);
    // A hostname without an association, and unknown SNI, never ask (no certificate prompt there).
    const route = await server.call('POST', `/zones/${zoneId}/gateway/routes`, {
      hostname: 'open.example.test',
      upstream: 'http://127.0.0.1:9',
    });
    assert.equal(route.status, 200);
    const routeOnly = await sClient('open.example.test');
    assert.match(routeOnly, /subject=CN ?= ?open\.example\.test/);
    assert.match(routeOnly, /No client certificate CA names sent/);
    assert.match(await sClient('unknown.example.test'), /No client certificate CA names sent/);
  });

  test('an accepted request without a route gets 404; another Host gets 421', async () => {
    const accepted = await call('api.example.test', 'api.example.test', true);
    assert.equal(accepted.status, 404);
    assert.equal(accepted.json<{ error: { code: string } }>().error.code, 'GW_ERR_ROUTE_NOT_FOUND');
    const misdirected = await call('api.example.test', 'other.example.test', true);
    assert.equal(misdirected.status, 421);
    assert.equal(misdirected.json<{ error: { code: string } }>().error.code, 'GW_ERR_MISDIRECTED_REQUEST');
  });

  test('unknown SNI gets the default policy: 421 for any host, public PKI still served', async () => {
    // The default certificate names only the gateway's own names, so a strict client refuses an
    // unknown SNI; with SNI `localhost` the request for an associated host is misdirected.
    await assert.rejects(call('unknown.example.test', 'unknown.example.test', false), /altnames/);
    const res = await call('localhost', 'api.example.test', false);
    assert.equal(res.status, 421);
    const caList = await server.call<{ certificate_authority: { id: string } }[]>(
      'GET',
      `/zones/${zoneId}/client_certificates`,
    );
    const caId = caList.body.result[0]!.certificate_authority.id;
    const pem = await request({
      port: server.gatewayPort,
      ca: edgeCaPem(server),
      servername: 'localhost',
      path: `/.well-known/portcullis/ca/${caId}.pem`,
    });
    assert.equal(pem.status, 200);
    assert.match(pem.body, /BEGIN CERTIFICATE/);
  });

  test('a hostname associated later is served without a restart', async () => {
    const put = await server.call('PUT', `/zones/${zoneId}/certificate_authorities/hostname_associations`, {
      hostnames: ['api.example.test', 'new.example.test'],
    });
    assert.equal(put.status, 200);
    const res = await call('new.example.test', 'new.example.test', true);
    assert.equal(res.status, 404, 'accepted by the new host policy, then no route');
  });
});
