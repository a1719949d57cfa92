/**
 * GET /zones/:id/client_certificates?search=&expires_within_days= (Portcullis' own narrowing of the
 * list), on SQLite and PostgreSQL: the CN matches in any case, LIKE's own characters match only
 * themselves, hex matches the serial (contained) or the fingerprint (prefix, colons ignored).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { describeOnBothStores } from '../helpers/both-stores.ts';
import { createTenant, startAdminServer, type AdminServer } from '../helpers/admin-server.ts';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

async function csrPem(commonName: string): Promise<string> {
  const keys = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: `CN=${commonName.replace(/([,+"\\<>;=])/g, '\\$1')}`,
    keys: keys,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
  });
  return csr.toString('pem');
}

describeOnBothStores('client certificate search', 'certsearch', (storeUrl) => {
  let server: AdminServer;
  let zoneId: string;
  const issued = new Map<string, { serial_number: string; fingerprint_sha256: string }>();

  before(async () => {
    const url = await storeUrl();
    server = await startAdminServer(url === undefined ? undefined : { kind: 'postgres', url });
    ({ zoneId } = await createTenant(server, 'search.example'));
    for (const [name, days] of [
      ['Device-Alpha', 365],
      ['device_beta', 365],
      ['device%gamma', 20],
      ['other', 365],
    ] as const) {
      const response = await server.call('POST', `/zones/${zoneId}/client_certificates`, {
        csr: await csrPem(name),
        validity_days: days,
      });
      assert.equal(response.status, 200, JSON.stringify(response.body));
      issued.set(name, response.body.result);
    }
  });

  after(async () => {
    await (server as AdminServer | undefined)?.stop();
  });

  const names = async (query: string): Promise<string[]> => {
    const response = await server.call<{ common_name: string }[]>(
      'GET',
      `/zones/${zoneId}/client_certificates?${query}`,
    );
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return response.body.result.map((item) => item.common_name).sort();
  };

  test('the common name matches in any case', async () => {
    assert.deepEqual(await names('search=DEVICE'), ['Device-Alpha', 'device%gamma', 'device_beta']);
    assert.deepEqual(await names('search=alpha'), ['Device-Alpha']);
  });

  test("LIKE's % and _ match only themselves", async () => {
    assert.deepEqual(await names('search=' + encodeURIComponent('_')), ['device_beta']);
    assert.deepEqual(await names('search=' + encodeURIComponent('%')), ['device%gamma']);
    assert.deepEqual(await names('search=' + encodeURIComponent('e%g')), ['device%gamma']);
  });

  test('hex finds the serial (any part) and the fingerprint (its start, colons and case ignored)', async () => {
    const alpha = issued.get('Device-Alpha')!;
    assert.deepEqual(await names(`search=${alpha.serial_number.slice(4, 20).toLowerCase()}`), ['Device-Alpha']);
    const colons = alpha.fingerprint_sha256.slice(0, 16).toUpperCase().match(/../g)!.join(':');
    assert.deepEqual(await names(`search=${encodeURIComponent(colons)}`), ['Device-Alpha']);
  });

  test('expires_within_days narrows to those expiring soon, with the status filter', async () => {
    assert.deepEqual(await names('expires_within_days=30'), ['device%gamma']);
    assert.deepEqual(await names('expires_within_days=30&status=revoked'), []);
    const refused = await server.call('GET', `/zones/${zoneId}/client_certificates?expires_within_days=-1`);
    assert.equal(refused.status, 400);
  });
});
