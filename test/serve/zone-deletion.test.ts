/**
 * DELETE /zones/{id} seen from the data plane of `portcullis serve`, over real TLS with
 * certificates made at test time:
 *  - a client certificate revoked in a zone stays revoked after the zone is gone: its serial stays
 *    in the managed CA's CRL, and another zone of the account that trusts the managed CA keeps
 *    refusing it (the zone's certificates outlive it as revocation records);
 *  - the deletion is in force when the API answers: a delegated subdomain zone of another account,
 *    once deleted, no longer keeps its parent's wildcard from covering its name.
 */
import 'reflect-metadata';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as x509 from '@peculiar/x509';
import { createTenant, startAdminServer, type AdminServer } from '../helpers/admin-server.ts';
import { edgeCaPem, gatewayRequest } from '../helpers/gateway-pki.ts';
import { request, type ClientResponse } from '../helpers/https-client.ts';
import { OpensslWorkdir } from '../helpers/openssl.ts';
import { startHttp1Echo, type RunningUpstream } from '../helpers/upstreams.ts';
import { fails, ok } from '../helpers/v4-assertions.ts';

interface Issued {
  id: string;
  certificate: string;
  serial_number: string;
  certificate_authority: { id: string };
}

const callHost = (
  server: AdminServer,
  hostname: string,
  client?: { certPem: string; keyPem: string },
): Promise<ClientResponse> =>
  request({
    port: server.gatewayPort,
    ca: edgeCaPem(server),
    servername: hostname,
    path: '/',
    headers: { host: hostname },
    ...(client === undefined ? {} : { cert: client.certPem, key: client.keyPem }),
  });

const errorCode = (response: ClientResponse): string => response.json<{ error: { code: string } }>().error.code;

describe('serve: a deleted zone', () => {
  let server: AdminServer;
  let openssl: OpensslWorkdir;
  let upstream: RunningUpstream;

  before(async () => {
    server = await startAdminServer();
    openssl = new OpensslWorkdir();
    upstream = await startHttp1Echo();
  });

  after(async () => {
    openssl.remove();
    await server.stop();
    await upstream.close();
  });

  test("its revoked certificates stay revoked: in the CRL, and on the account's other zones", async () => {
    const { accountId, zoneId: keepId } = await createTenant(server, 'keep.test');
    const gone = ok(
      await server.call<{ id: string }>('POST', '/zones', { name: 'gone.test', account: { id: accountId } }),
    );
    // api.keep.test trusts the account's managed CA, which issues the device certificate in gone.test.
    ok(
      await server.call('PUT', `/zones/${keepId}/certificate_authorities/hostname_associations`, {
        hostnames: ['api.keep.test'],
      }),
    );
    ok(
      await server.call('POST', `/zones/${keepId}/gateway/routes`, {
        hostname: 'api.keep.test',
        upstream: upstream.url,
      }),
    );
    ok(await server.call('POST', `/zones/${keepId}/gateway/mtls_rule`, { hostnames: ['api.keep.test'] }));
    const { csrPem, keyPem } = openssl.csr('p256', '/CN=device-of-gone');
    const issued = ok(
      await server.call<Issued>('POST', `/zones/${gone.id}/client_certificates`, { csr: csrPem, validity_days: 30 }),
    );
    const device = { certPem: issued.certificate, keyPem };
    assert.equal((await callHost(server, 'api.keep.test', device)).status, 200);

    const zone = `/zones/${gone.id}`;
    const refused = await server.call('DELETE', zone);
    assert.match(fails(refused, 409, 12132), /1 active client certificate; remove them first \(revoke/);
    ok(await server.call('DELETE', `${zone}/client_certificates/${issued.id}`));
    const revokedBefore = await callHost(server, 'api.keep.test', device);
    assert.equal(revokedBefore.status, 403);

    assert.deepEqual(ok(await server.call('DELETE', zone)), { id: gone.id });
    fails(await server.call('GET', zone), 404, 7003);
    const revokedAfter = await callHost(server, 'api.keep.test', device);
    assert.equal(revokedAfter.status, 403);
    assert.equal(errorCode(revokedAfter), 'GW_ERR_RULE_BLOCKED', 'the mTLS rule still sees a revoked certificate');
    const crl = await gatewayRequest(server, `/.well-known/portcullis/crl/${issued.certificate_authority.id}.crl`);
    assert.equal(crl.status, 200);
    const serials = new x509.X509Crl(crl.body).entries.map((entry) => entry.serialNumber.toLowerCase());
    assert.ok(serials.includes(issued.serial_number.toLowerCase()), `serial ${issued.serial_number} in the CRL`);

    // A zone of the same name later is a new zone: the old certificates are not its.
    const again = ok(
      await server.call<{ id: string }>('POST', '/zones', { name: 'gone.test', account: { id: accountId } }),
    );
    assert.notEqual(again.id, gone.id);
    assert.deepEqual(ok(await server.call('GET', `/zones/${again.id}/client_certificates`)), []);
  });

  test("deleting another account's delegated subdomain zone hands its name back to the parent at once", async () => {
    const parent = await createTenant(server, 'shop.test');
    ok(
      await server.call('PUT', `/zones/${parent.zoneId}/certificate_authorities/hostname_associations`, {
        hostnames: ['*.shop.test'],
      }),
    );
    ok(
      await server.call('POST', `/zones/${parent.zoneId}/gateway/routes`, {
        hostname: '*.shop.test',
        upstream: upstream.url,
      }),
    );
    const other = ok(await server.call<{ id: string }>('POST', '/accounts', { name: 'tenant of api.shop.test' }));
    const delegated = ok(
      await server.call<{ id: string }>('POST', '/zones', {
        name: 'api.shop.test',
        account: { id: other.id },
        delegated: true,
      }),
    );
    assert.equal((await callHost(server, 'www.shop.test')).status, 200, "the parent's wildcard serves its names");
    // No policy covers the delegated zone's name: the gateway presents its default certificate.
    await assert.rejects(
      callHost(server, 'api.shop.test'),
      /api\.shop\.test\. is not in the cert's altnames: DNS:localhost/,
    );

    ok(await server.call('DELETE', `/zones/${delegated.id}`));
    const afterDelete = await callHost(server, 'api.shop.test');
    assert.equal(afterDelete.status, 200, afterDelete.body);
    assert.equal(upstream.received.at(-1)?.headers.host, 'api.shop.test');
  });
});
