/**
 * generateCrl, checked by the openssl command line: `openssl crl -CAfile` verifies the signature and lists the
 * serials, CRL number and AKI; `openssl verify -crl_check` refuses a revoked certificate with "certificate
 * revoked" and accepts the others. The data plane's own reader (revocation-index.ts) must accept it too.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { needsOpenssl, OpensslWorkdir } from '../../test/helpers/openssl.ts';
import { createManagedCa, issueCertificate, type IssuedCertificate } from './certificate-issuer.ts';
import { generateCrl, type GeneratedCrl } from './crl-generator.ts';
import { buildRevocationIndex } from './revocation-index.ts';
import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificateList } from '@peculiar/asn1-x509';
import { serialForLookup, serialFromBytes } from './serial.ts';

const HOUR_MS = 3_600_000;

let work: OpensslWorkdir;
/** Runs openssl in the test directory: [exit status 0, stdout + stderr]. */
const openssl = (...args: string[]): [boolean, string] => work.check(args);

describe('generateCrl', needsOpenssl, () => {
  let ca: IssuedCertificate;
  let revoked: IssuedCertificate;
  let good: IssuedCertificate;
  let crl: GeneratedCrl;
  const thisUpdate = new Date(Date.now() - 60_000);
  const nextUpdate = new Date(thisUpdate.getTime() + 24 * HOUR_MS);
  const revokedAt = new Date('2026-01-02T03:04:05.678Z');

  before(async () => {
    work = new OpensslWorkdir();
    ca = await createManagedCa('CN=CRL Test CA,O=Portcullis Tests');
    revoked = await issueCertificate({ ca, subject: 'CN=revoked', usage: 'client', validityDays: 7 });
    good = await issueCertificate({ ca, subject: 'CN=good', usage: 'client', validityDays: 7 });
    work.write('ca.pem', ca.certPem);
    work.write('revoked.pem', revoked.certPem);
    work.write('good.pem', good.certPem);
    crl = generateCrl({
      ca,
      crlNumber: 7,
      entries: [{ serialHex: revoked.serialHex, revokedAt }],
      thisUpdate,
      nextUpdate,
    });
    work.write('crl.der', crl.der);
    work.write('crl.pem', crl.pem);
  });

  after(() => work.remove());

  test('openssl verifies its signature and reads v2, the CRL number, the AKI and the revoked serial', () => {
    const [ok, text] = openssl('crl', '-inform', 'DER', '-in', 'crl.der', '-CAfile', 'ca.pem', '-noout', '-text');
    assert.ok(ok, text);
    assert.match(text, /verify OK/);
    assert.match(text, /Version 2 \(0x1\)/);
    assert.match(text, /X509v3 CRL Number: \n\s+7\n/);
    const caSki = openssl('x509', '-in', 'ca.pem', '-noout', '-ext', 'subjectKeyIdentifier')[1].split('\n')[1]?.trim();
    assert.match(text, new RegExp(`X509v3 Authority Key Identifier: \\n\\s+${caSki ?? 'missing'}\\n`));
    // openssl prints whole bytes; issueCertificate's serialHex drops a leading zero digit.
    const printed = (serial: string): string => (serial.length % 2 === 1 ? `0${serial}` : serial);
    assert.match(
      text,
      new RegExp(`Serial Number: ${printed(revoked.serialHex)}\\n\\s+Revocation Date: Jan  2 03:04:05 2026 GMT`),
    );
    assert.doesNotMatch(text, new RegExp(`Serial Number: ${printed(good.serialHex)}`));
    assert.equal(
      openssl('crl', '-in', 'crl.pem', '-noout', '-issuer', '-nameopt', 'RFC2253')[1],
      'issuer=CN=CRL Test CA,O=Portcullis Tests\n',
    );
  });

  test('openssl verify -crl_check: the revoked certificate fails, the other passes', () => {
    const [revokedOk, revokedOutput] = openssl(
      'verify',
      '-crl_check',
      '-CRLfile',
      'crl.pem',
      '-CAfile',
      'ca.pem',
      'revoked.pem',
    );
    assert.equal(revokedOk, false);
    assert.match(revokedOutput, /certificate revoked/);
    const [goodOk, goodOutput] = openssl(
      'verify',
      '-crl_check',
      '-CRLfile',
      'crl.pem',
      '-CAfile',
      'ca.pem',
      'good.pem',
    );
    assert.ok(goodOk, goodOutput);
  });

  test('the PEM is an X509 CRL block of the same DER; the data plane reads it', async () => {
    assert.match(crl.pem, /^-----BEGIN X509 CRL-----\n[\s\S]+\n-----END X509 CRL-----\n$/);
    const [, der] = openssl('crl', '-in', 'crl.pem', '-outform', 'DER', '-out', 'roundtrip.der');
    assert.equal(der, '');
    assert.deepEqual(work.readBytes('roundtrip.der'), Buffer.from(crl.der));
    const index = await buildRevocationIndex([{ source: 'crl.pem', pem: crl.pem }], [new X509Certificate(ca.certPem)]);
    const issuer = new X509Certificate(ca.certPem).fingerprint256;
    assert.equal(index.isRevoked(issuer, revoked.serialHex), true);
    assert.equal(index.isRevoked(issuer, good.serialHex), false);
    // The form a connection keeps (ConnectionIdentity.serialKey): the same answers without normalising again.
    const revokedLeaf = new X509Certificate(revoked.certPem);
    assert.equal(index.isRevokedLookupForm(issuer, serialForLookup(revokedLeaf.serialNumber)), true);
    assert.equal(
      index.isRevokedLookupForm(issuer, serialForLookup(new X509Certificate(good.certPem).serialNumber)),
      false,
    );
  });

  test('an empty CRL has no revokedCertificates; a large CRL number and many entries work', () => {
    const empty = generateCrl({ ca, crlNumber: 0, entries: [], thisUpdate, nextUpdate });
    work.write('empty.pem', empty.pem);
    const [ok, text] = openssl('crl', '-in', 'empty.pem', '-CAfile', 'ca.pem', '-noout', '-text');
    assert.ok(ok, text);
    assert.match(text, /No Revoked Certificates/);
    assert.ok(openssl('verify', '-crl_check', '-CRLfile', 'empty.pem', '-CAfile', 'ca.pem', 'revoked.pem')[0]);

    const entries = Array.from({ length: 500 }, (_, i) => ({
      serialHex: (i + 1).toString(16),
      revokedAt: new Date(thisUpdate.getTime() - i * 1000),
    }));
    entries.push({ serialHex: 'ff:'.repeat(19) + 'ff', revokedAt }); // 20 octets, high bit set
    const big = generateCrl({ ca, crlNumber: 2n ** 100n, entries, thisUpdate, nextUpdate });
    work.write('big.pem', big.pem);
    const [bigOk, bigText] = openssl('crl', '-in', 'big.pem', '-CAfile', 'ca.pem', '-noout', '-text');
    assert.ok(bigOk, bigText);
    assert.match(bigText, new RegExp(`X509v3 CRL Number: \\n\\s+${(2n ** 100n).toString()}\\n`));
    assert.equal(bigText.match(/Serial Number: /g)?.length, 501);
    assert.match(bigText, /Serial Number: 01F4\n/);
    assert.match(bigText, new RegExp(`Serial Number: ${'FF'.repeat(20)}\\n`));
  });

  test('the hand-written DER is what the ASN.1 schema encodes: parsed and encoded again, byte for byte', () => {
    const entries = [
      { serialHex: '01', revokedAt },

      { serialHex: '80', revokedAt: new Date('2049-12-31T23:59:59Z') }, // high bit: a 00 octet in front
      { serialHex: '7f'.repeat(20), revokedAt: new Date('2050-01-01T00:00:00Z') }, // GeneralizedTime from 2050
      ...Array.from({ length: 300 }, (_, i) => ({ serialHex: (i + 0x1000).toString(16), revokedAt })),
    ];
    const generated = generateCrl({ ca, crlNumber: 300, entries, thisUpdate, nextUpdate });
    const parsed = AsnConvert.parse(generated.der, CertificateList);
    assert.deepEqual(new Uint8Array(AsnConvert.serialize(parsed)), generated.der);
    const listed = parsed.tbsCertList.revokedCertificates ?? [];
    assert.equal(listed.length, entries.length);
    assert.deepEqual(
      listed.slice(0, 3).map((entry) => [serialFromBytes(entry.userCertificate), entry.revocationDate.getTime()]),
      entries
        .slice(0, 3)
        .map((entry) => [entry.serialHex, new Date(Math.floor(entry.revokedAt.getTime() / 1000) * 1000)]),
    );
    assert.ok(listed[2]?.revocationDate.generalTime, 'GeneralizedTime in 2050');
    assert.ok(listed[1]?.revocationDate.utcTime, 'UTCTime through 2049');
  });

  test('refuses a CA without cRLSign, bad dates, bad or duplicate serials, a bad CRL number', () => {
    const [made, output] = openssl(
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      'nocrl.key',
      '-subj',
      '/CN=No cRLSign',
      '-days',
      '1',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign',
      '-out',
      'nocrl.pem',
    );
    assert.ok(made, output);
    const noCrlSign = {
      certPem: work.read('nocrl.pem'),
      keyPem: work.read('nocrl.key'),
    };
    const base = { ca, crlNumber: 1, entries: [], thisUpdate, nextUpdate };
    const cases: [Parameters<typeof generateCrl>[0], string][] = [
      [{ ...base, ca: noCrlSign }, 'does not allow cRLSign'],
      [{ ...base, ca: revoked }, 'is not a CA'],
      [{ ...base, nextUpdate: thisUpdate }, 'nextUpdate must be after thisUpdate'],
      [{ ...base, crlNumber: -1 }, 'crlNumber must be from 0 to 2^159 - 1'],
      [{ ...base, crlNumber: 2n ** 159n }, 'crlNumber must be from 0 to 2^159 - 1'],
      [{ ...base, entries: [{ serialHex: 'xyz', revokedAt }] }, 'is not hexadecimal'],
      [{ ...base, entries: [{ serialHex: '00', revokedAt }] }, 'serial 0'],
      [{ ...base, entries: [{ serialHex: '01'.repeat(21), revokedAt }] }, 'serial of 21 octets'],
      [
        {
          ...base,
          entries: [
            { serialHex: 'abc', revokedAt },
            { serialHex: '0ABC', revokedAt },
          ],
        },
        'serial 0ABC is listed twice',
      ],
    ];
    for (const [options, reason] of cases) {
      assert.throws(
        () => generateCrl(options),
        (error: unknown) => error instanceof Error && error.message.includes(reason),
        reason,
      );
    }
  });
});
