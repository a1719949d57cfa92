/**
 * buildPkcs12, judged by `openssl pkcs12`: it opens with the passphrase (so the §B.2 KDF and the MAC are right, and
 * the shrouded key decrypts), not with another one.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { needsOpenssl, OpensslWorkdir } from '../../test/helpers/openssl.ts';
import { createManagedCa } from './certificate-issuer.ts';
import { issueClientCertificate } from './client-certificate-issuer.ts';
import { readCsr } from './csr.ts';
import { generateKeyAndCsr } from './key-and-csr.ts';
import { buildPkcs12 } from './pkcs12.ts';

describe('a PKCS #12 file', needsOpenssl, () => {
  let work: OpensslWorkdir;
  let certPem: string;
  let keyPem: string;

  before(async () => {
    work = new OpensslWorkdir();
    const ca = await createManagedCa('CN=P12 Test CA');
    const made = await generateKeyAndCsr('phone-1');
    keyPem = made.keyPem;
    certPem = issueClientCertificate({ ca, csr: readCsr(made.csrPem), validityDays: 30 }).certPem;
  });
  after(() => work.remove());

  test('opens with openssl pkcs12 and the passphrase, giving back the certificate and the key', () => {
    work.write(
      'id.p12',
      buildPkcs12({
        certificatePem: certPem,
        privateKeyPem: keyPem,
        passphrase: 'correct horse',
        friendlyName: 'phone-1',
      }),
    );
    const out = work.run(['pkcs12', '-in', 'id.p12', '-passin', 'pass:correct horse', '-nodes']);
    assert.match(out, /friendlyName: phone-1/);
    const certificate = new X509Certificate(out.slice(out.indexOf('-----BEGIN CERTIFICATE-----')));
    assert.equal(certificate.fingerprint256, new X509Certificate(certPem).fingerprint256);
    const key = createPrivateKey(out.slice(out.indexOf('-----BEGIN PRIVATE KEY-----')));
    assert.ok(certificate.checkPrivateKey(key));
    const localKeyIds = [...out.matchAll(/localKeyID: ([0-9A-F ]+)/g)].map((match) => match[1]?.replaceAll(' ', ''));
    assert.equal(localKeyIds.length, 2);
    assert.equal(localKeyIds[0], createHash('sha256').update(certificate.raw).digest('hex').toUpperCase());
  });

  test('a wrong passphrase fails the MAC', () => {
    work.write(
      'wrong.p12',
      buildPkcs12({ certificatePem: certPem, privateKeyPem: keyPem, passphrase: 'right', friendlyName: 'x' }),
    );
    const [opened, output] = work.check(['pkcs12', '-in', 'wrong.p12', '-passin', 'pass:wrong', '-nodes']);
    assert.equal(opened, false);
    assert.match(output, /mac verify failure|invalid password/i);
  });

  test('refuses an empty passphrase and a key of another certificate', async () => {
    assert.throws(
      () => buildPkcs12({ certificatePem: certPem, privateKeyPem: keyPem, passphrase: '', friendlyName: 'x' }),
      /needs a passphrase/,
    );
    const other = await generateKeyAndCsr('other');
    assert.throws(
      () => buildPkcs12({ certificatePem: certPem, privateKeyPem: other.keyPem, passphrase: 'p', friendlyName: 'x' }),
      /does not belong/,
    );
  });
});
