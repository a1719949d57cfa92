/**
 * issueClientCertificate, checked by the openssl command line: `openssl verify -purpose sslclient -x509_strict`
 * accepts what it issues (and `sslserver` does not), and every field it reports (serial, fingerprint, SKI,
 * signature, dates) is what `openssl x509` reads from the certificate. CSRs and a second, RSA, CA are made by
 * openssl; the managed CA by createManagedCa.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate as X509 } from 'node:crypto';
import { needsOpenssl, OpensslWorkdir } from '../../test/helpers/openssl.ts';
import { createManagedCa, createRootCa, issueCertificate, type IssuedCertificate } from './certificate-issuer.ts';
import { issueClientCertificate, type IssuedClientCertificate } from './client-certificate-issuer.ts';
import { readCsr, type ParsedCsr } from './csr.ts';

const DAY_MS = 86_400_000;

let work: OpensslWorkdir;
const openssl = (...args: string[]): string => work.run(args);

/** `openssl verify` of `leaf` against `caFile`: [exit status 0, stdout + stderr]. */
function verify(caFile: string, leaf: string, ...args: string[]): [boolean, string] {
  return work.check(['verify', '-CAfile', caFile, ...args, leaf]);
}

function assertFails(fn: () => unknown, reason: string, code?: string): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof Error);
    assert.ok(error.message.includes(reason), error.message);
    if (code !== undefined) assert.equal((error as { code?: unknown }).code, code);
    return true;
  });
}

describe('issueClientCertificate', needsOpenssl, () => {
  let ca: IssuedCertificate;
  let ecCsr: ParsedCsr;
  let rsaCsr: ParsedCsr;
  let issued: IssuedClientCertificate;
  const now = new Date(Date.now() - 1234); // not on a whole second

  before(async () => {
    work = new OpensslWorkdir();
    ca = await createManagedCa('CN=Portcullis Managed CA for account 42,O=Portcullis Tests');
    work.write('ca.pem', ca.certPem);
    ecCsr = readCsr(
      work.newCsr(
        'ec',
        ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'],
        '/C=GB/ST=London/L=London/O=Acme/OU=IoT/CN=device-42/emailAddress=ops@example.com',
        '-addext',
        'subjectAltName=DNS:evil.example',
      ),
    );
    rsaCsr = readCsr(work.newCsr('rsa', ['-newkey', 'rsa:2048'], '/O=Acme/CN=rsa-device'));
    issued = issueClientCertificate({
      ca,
      csr: ecCsr,
      validityDays: 3650,
      now,
      crlUrl: 'http://127.0.0.1:8443/.well-known/portcullis/crl/ca-1.crl',
      ocspUrl: 'http://127.0.0.1:8443/.well-known/portcullis/ocsp/ca-1',
    });
    work.write('ec.pem', issued.certPem);
  });

  after(() => work.remove());

  test('openssl verifies it for TLS client authentication, strictly, and not for a server', () => {
    const [ok, output] = verify('ca.pem', 'ec.pem', '-purpose', 'sslclient', '-x509_strict');
    assert.ok(ok, output);
    const [asServer, serverOutput] = verify('ca.pem', 'ec.pem', '-purpose', 'sslserver');
    assert.equal(asServer, false);
    assert.match(serverOutput, /unsuitable certificate purpose/);
  });

  test('serial, fingerprint and signature are what openssl reads', () => {
    assert.match(issued.serialHex, /^[0-7][0-9a-f]{31}$/, 'positive, 16 octets, lowercase');
    assert.equal(openssl('x509', '-in', 'ec.pem', '-noout', '-serial'), `serial=${issued.serialHex.toUpperCase()}\n`);
    const fingerprint = openssl('x509', '-in', 'ec.pem', '-noout', '-fingerprint', '-sha256');
    assert.equal(fingerprint.trim().split('=')[1]?.replaceAll(':', '').toLowerCase(), issued.fingerprintSha256);
    assert.equal(issued.signature, 'ECDSAWithSHA256');
    assert.match(openssl('x509', '-in', 'ec.pem', '-noout', '-text'), /Signature Algorithm: ecdsa-with-SHA256/);
    const another = issueClientCertificate({ ca, csr: ecCsr, validityDays: 1 });
    assert.notEqual(another.serialHex, issued.serialHex);
  });

  test('the SKI is RFC 5280 method (1), the one openssl computes for the same key; the AKI is the CA SKI', () => {
    const skiOf = (file: string): string =>
      openssl('x509', '-in', file, '-noout', '-ext', 'subjectKeyIdentifier').split('\n')[1]?.trim() ?? '';
    const opensslSelfSigned = openssl('req', '-new', '-x509', '-key', 'ec.key', '-subj', '/CN=x', '-days', '1');
    work.write('openssl-ski.pem', opensslSelfSigned);
    assert.equal(skiOf('ec.pem').replaceAll(':', '').toLowerCase(), issued.skiHex);
    assert.equal(skiOf('openssl-ski.pem'), skiOf('ec.pem'));
    const aki = openssl('x509', '-in', 'ec.pem', '-noout', '-ext', 'authorityKeyIdentifier').split('\n')[1]?.trim();
    assert.equal(aki, skiOf('ca.pem'));
  });

  test('subject: only CN, C, ST, L, O, OU of the CSR; its key; none of its requested extensions', () => {
    const subject = openssl('x509', '-in', 'ec.pem', '-noout', '-subject', '-nameopt', 'RFC2253');
    assert.equal(subject, 'subject=CN=device-42,ST=London,L=London,OU=IoT,O=Acme,C=GB\n');
    assert.equal(
      openssl('x509', '-in', 'ec.pem', '-noout', '-pubkey'),
      openssl('req', '-in', 'ec.csr', '-noout', '-pubkey'),
    );
    const text = openssl('x509', '-in', 'ec.pem', '-noout', '-text');
    assert.doesNotMatch(text, /evil\.example|Subject Alternative Name|ops@example\.com/);
  });

  test('extensions: CA:FALSE and keyUsage critical, clientAuth only, CRL and OCSP URLs', () => {
    const text = openssl('x509', '-in', 'ec.pem', '-noout', '-text');
    assert.match(text, /Version: 3 \(0x2\)/);
    assert.match(text, /X509v3 Basic Constraints: critical\n\s+CA:FALSE\n/);
    assert.match(text, /X509v3 Key Usage: critical\n\s+Digital Signature\n/);
    assert.match(text, /X509v3 Extended Key Usage: \n\s+TLS Web Client Authentication\n/);
    assert.match(text, /URI:http:\/\/127\.0\.0\.1:8443\/\.well-known\/portcullis\/crl\/ca-1\.crl/);
    assert.match(text, /OCSP - URI:http:\/\/127\.0\.0\.1:8443\/\.well-known\/portcullis\/ocsp\/ca-1/);
    const plain = issueClientCertificate({ ca, csr: ecCsr, validityDays: 1 });
    work.write('plain.pem', plain.certPem);
    assert.doesNotMatch(
      openssl('x509', '-in', 'plain.pem', '-noout', '-text'),
      /CRL Distribution|Authority Information/,
    );
  });

  test('an RSA key also gets keyEncipherment', () => {
    const rsa = issueClientCertificate({ ca, csr: rsaCsr, validityDays: 30 });
    work.write('rsa.pem', rsa.certPem);
    assert.ok(verify('ca.pem', 'rsa.pem', '-purpose', 'sslclient', '-x509_strict')[0]);
    const text = openssl('x509', '-in', 'rsa.pem', '-noout', '-text');
    assert.match(text, /X509v3 Key Usage: critical\n\s+Digital Signature, Key Encipherment\n/);
  });

  test('dates: issued at now (whole seconds), expires validityDays later, valid from 5 minutes before', () => {
    const issuedOn = Math.floor(now.getTime() / 1000) * 1000;
    assert.equal(issued.issuedOn.getTime(), issuedOn);
    assert.equal(issued.expiresOn.getTime(), issuedOn + 3650 * DAY_MS);
    assert.equal(issued.notBefore.getTime(), Math.max(issuedOn - 5 * 60_000, caNotBefore(ca)));
    const dates = openssl('x509', '-in', 'ec.pem', '-noout', '-startdate', '-enddate', '-dateopt', 'iso_8601');
    const toIso = (date: Date): string => date.toISOString().replace('T', ' ').replace('.000Z', 'Z');
    assert.equal(dates, `notBefore=${toIso(issued.notBefore)}\nnotAfter=${toIso(issued.expiresOn)}\n`);
  });

  test('a certificate never outlives its CA', async () => {
    const shortCa = await createRootCa({ name: 'CN=Short-lived CA', validityDays: 10 });
    const cut = issueClientCertificate({ ca: shortCa, csr: ecCsr, validityDays: 30 });
    assert.equal(cut.expiresOn.getTime(), caNotAfter(shortCa));
    work.write('short-ca.pem', shortCa.certPem);
    work.write('cut.pem', cut.certPem);
    assert.ok(verify('short-ca.pem', 'cut.pem', '-purpose', 'sslclient')[0]);
    assertFails(
      () =>
        issueClientCertificate({ ca: shortCa, csr: ecCsr, validityDays: 1, now: new Date(Date.now() + 11 * DAY_MS) }),
      'the CA is not valid at',
    );
  });

  test('validityDays must be a whole number from 1 to 5475', () => {
    for (const validityDays of [0, -1, 5476, 1.5, Number.NaN]) {
      assertFails(
        () => issueClientCertificate({ ca, csr: ecCsr, validityDays }),
        'validity_days must be a whole number from 1 to 5475',
        'GW_ERR_API_VALIDATION',
      );
    }
    assert.ok(issueClientCertificate({ ca, csr: ecCsr, validityDays: 5475 }));
  });

  test('refuses a CA that cannot sign, a key that is not the CA key, a URL that is not http(s)', async () => {
    const leaf = await issueCertificate({ ca, subject: 'CN=leaf', usage: 'client', validityDays: 1 });
    assertFails(() => issueClientCertificate({ ca: leaf, csr: ecCsr, validityDays: 1 }), 'is not a CA');
    const other = await createRootCa({ name: 'CN=Other', validityDays: 1 });
    assertFails(
      () => issueClientCertificate({ ca: { certPem: ca.certPem, keyPem: other.keyPem }, csr: ecCsr, validityDays: 1 }),
      'the CA key does not belong to the CA certificate',
    );
    assertFails(
      () => issueClientCertificate({ ca: { certPem: ca.certPem, keyPem: 'not a key' }, csr: ecCsr, validityDays: 1 }),
      'the CA key is not a readable unencrypted PEM private key',
    );
    assertFails(
      () => issueClientCertificate({ ca, csr: ecCsr, validityDays: 1, crlUrl: 'ldap://example.com/crl' }),
      'crlUrl must be an http or https URL',
    );
    assertFails(
      () => issueClientCertificate({ ca, csr: ecCsr, validityDays: 1, ocspUrl: '/relative' }),
      'ocspUrl is not an absolute URL',
    );
  });

  test('an RSA CA made by openssl signs with SHA256WithRSA', () => {
    openssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'rsa-ca.key',
      '-subj',
      '/CN=RSA CA',
      '-days',
      '30',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
      '-out',
      'rsa-ca.pem',
    );
    const rsaCa = {
      certPem: work.read('rsa-ca.pem'),
      keyPem: work.read('rsa-ca.key'),
    };
    const cert = issueClientCertificate({ ca: rsaCa, csr: ecCsr, validityDays: 7 });
    assert.equal(cert.signature, 'SHA256WithRSA');
    work.write('by-rsa.pem', cert.certPem);
    const [ok, output] = verify('rsa-ca.pem', 'by-rsa.pem', '-purpose', 'sslclient', '-x509_strict');
    assert.ok(ok, output);
  });
});

function caNotAfter(ca: IssuedCertificate): number {
  return Date.parse(new X509(ca.certPem).validTo);
}

function caNotBefore(ca: IssuedCertificate): number {
  return Date.parse(new X509(ca.certPem).validFrom);
}
