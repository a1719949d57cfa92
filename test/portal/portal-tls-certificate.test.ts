/**
 * The portal's listener serves the hostname's certificate (docs/adr/0017): with a real `serve` and
 * real TLS handshakes, a connection naming the portal's hostname gets the edge CA's certificate
 * until the zone has an edge certificate for that hostname, then that one, without a restart; a
 * connection naming another host keeps the edge CA's.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import tls from 'node:tls';
import { createCa, Eku } from '../helpers/pki.ts';
import { edgeCaPem } from '../helpers/gateway-pki.ts';
import { startPortalWorld, type PortalWorld } from './portal-fixture.ts';

const PORTAL_HOST = 'developers.portal.test';

/** The leaf the portal's listener presents for this SNI, from a real handshake. */
function servedCertificate(port: number, servername: string): Promise<X509Certificate> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false }, () => {
      const peer = socket.getPeerX509Certificate();
      socket.end();
      if (peer === undefined) reject(new Error('no certificate served'));
      else resolve(peer);
    });
    socket.setTimeout(10_000, () => socket.destroy(new Error('handshake timed out')));
    socket.on('error', reject);
  });
}

describe("portal TLS: the hostname's certificate", () => {
  let world: PortalWorld;

  before(async () => {
    world = await startPortalWorld({ flags: { portalUrl: `https://${PORTAL_HOST}` } });
  });
  after(async () => {
    await world.stop();
  });

  test("the edge CA's certificate first; the uploaded edge certificate for the hostname once there is one", async () => {
    const edgeCa = new X509Certificate(edgeCaPem(world.server));
    const before = await servedCertificate(world.portalPort, PORTAL_HOST);
    assert.ok(before.checkIssued(edgeCa), 'no edge certificate yet: the edge CA issued it');
    assert.equal(before.checkHost(PORTAL_HOST), PORTAL_HOST);

    const publicCa = await createCa('CN=Public Web CA,O=Portal Tests');
    const uploaded = await publicCa.issue({ subject: `CN=${PORTAL_HOST}`, dns: [PORTAL_HOST], eku: [Eku.serverAuth] });
    await world.ok('POST', `/zones/${world.zoneId}/custom_certificates`, {
      certificate: uploaded.certPem,
      private_key: uploaded.keyPem,
    });
    const after = await servedCertificate(world.portalPort, PORTAL_HOST);
    assert.equal(after.fingerprint256, new X509Certificate(uploaded.certPem).fingerprint256, 'the uploaded one');

    const other = await servedCertificate(world.portalPort, 'localhost');
    assert.ok(other.checkIssued(edgeCa), "another name: the edge CA's certificate still");
  });
});
