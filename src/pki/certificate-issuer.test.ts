/**
 * createRootCa and issueCertificate, checked by the openssl command line (`openssl verify` with the
 * sslclient / sslserver purposes, host and IP checks) and by parsing the result, so the extensions that
 * make a certificate usable are proven rather than assumed. Also the refusals: a leaf as a CA, a key
 * that does not belong to its CA, an impossible validity, a server certificate without names.
 */
import 'reflect-metadata';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { needsOpenssl, OpensslWorkdir } from '../../test/helpers/openssl.ts';
import { createRootCa, issueCertificate, type IssuedCertificate } from './certificate-issuer.ts';

const DAY_MS = 86_400_000;

describe('certificate issuer', () => {
  let work: OpensslWorkdir;
  let ca: IssuedCertificate;
  let client: IssuedCertificate;
  let server: IssuedCertificate;

  before(async () => {
    work = new OpensslWorkdir();
    ca = await createRootCa({ name: 'CN=Issuer Test CA,O=Portcullis Tests', validityDays: 30 });
    client = await issueCertificate({
      ca,
      subject: 'CN=device-42,O=Portcullis Tests',
      uris: ['spiffe://example.org/device/42'],
      usage: 'client',
      validityDays: 7,
    });
    server = await issueCertificate({
      ca,
      subject: 'CN=localhost',
      dnsNames: ['localhost'],
      ipAddresses: ['127.0.0.1'],
      usage: 'server',
      validityDays: 7,
    });
  });

  after(() => work.remove());

  /** Writes PEM files and runs `openssl verify -CAfile ca.pem <args> leaf.pem`; returns [ok, output]. */
  function opensslVerify(leaf: IssuedCertificate, ...args: string[]): [boolean, string] {
    const caFile = work.write('ca.pem', ca.certPem);
    const leafFile = work.write(`${leaf.serialHex}.pem`, leaf.certPem);
    return work.check(['verify', '-CAfile', caFile, ...args, leafFile]);
  }

  test('a client certificate verifies for the sslclient purpose, and not for sslserver', needsOpenssl, () => {
    const [ok, output] = opensslVerify(client, '-purpose', 'sslclient');
    assert.ok(ok, output);
    assert.match(output, /: OK/);
    const [asServer, serverOutput] = opensslVerify(client, '-purpose', 'sslserver');
    assert.equal(asServer, false, 'a client certificate must not pass as a server certificate');
    assert.match(serverOutput, /unsuitable certificate purpose/);
  });

  test(
    'a server certificate verifies for sslserver, its DNS name and its IP, and not for sslclient',
    needsOpenssl,
    () => {
      const [ok, output] = opensslVerify(
        server,
        '-purpose',
        'sslserver',
        '-verify_hostname',
        'localhost',
        '-verify_ip',
        '127.0.0.1',
      );
      assert.ok(ok, output);
      assert.equal(opensslVerify(server, '-purpose', 'sslserver', '-verify_hostname', 'example.com')[0], false);
      assert.equal(opensslVerify(server, '-purpose', 'sslclient')[0], false);
    },
  );

  test('the root CA is self-signed, cA=TRUE (critical), keyCertSign|cRLSign, with an SKI', needsOpenssl, () => {
    const caFile = work.write('root.pem', ca.certPem);
    work.run(['verify', '-CAfile', caFile, '-x509_strict', caFile]);
    const cert = new x509.X509Certificate(ca.certPem);
    const basic = cert.getExtension(x509.BasicConstraintsExtension);
    assert.equal(basic?.ca, true);
    assert.equal(basic.critical, true);
    const keyUsage = cert.getExtension(x509.KeyUsagesExtension);
    assert.equal(keyUsage?.usages, x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign);
    assert.equal(keyUsage.critical, true);
    assert.ok(cert.getExtension(x509.SubjectKeyIdentifierExtension));
    assert.equal(cert.subject, 'O=Portcullis Tests, CN=Issuer Test CA', 'DER order: the RFC 4514 string reversed');
  });

  test('names are RFC 4514 strings: they print back as given (openssl -nameopt RFC2253)', needsOpenssl, () => {
    const file = work.write('names.pem', client.certPem);
    const output = work.run(['x509', '-in', file, '-noout', '-subject', '-issuer', '-nameopt', 'RFC2253']);
    assert.equal(output, 'subject=CN=device-42,O=Portcullis Tests\nissuer=CN=Issuer Test CA,O=Portcullis Tests\n');
  });

  test('leaves are cA=FALSE, digitalSignature, one EKU, with an SKI and the CA SKI as AKI', () => {
    const caSki = new x509.X509Certificate(ca.certPem).getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
    assert.ok(caSki);
    for (const [leaf, eku] of [
      [client, x509.ExtendedKeyUsage.clientAuth],
      [server, x509.ExtendedKeyUsage.serverAuth],
    ] as const) {
      const cert = new x509.X509Certificate(leaf.certPem);
      const basic = cert.getExtension(x509.BasicConstraintsExtension);
      assert.equal(basic?.ca, false);
      assert.equal(basic.critical, true);
      assert.equal(cert.getExtension(x509.KeyUsagesExtension)?.usages, x509.KeyUsageFlags.digitalSignature);
      assert.deepEqual([...(cert.getExtension(x509.ExtendedKeyUsageExtension)?.usages ?? [])], [eku]);
      assert.ok(cert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId);
      assert.equal(cert.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId, caSki);
      assert.equal(cert.issuer, 'O=Portcullis Tests, CN=Issuer Test CA');
    }
    const sans = new x509.X509Certificate(server.certPem).getExtension(x509.SubjectAlternativeNameExtension);
    assert.deepEqual(sans?.names.toJSON(), [
      { type: 'dns', value: 'localhost' },
      { type: 'ip', value: '127.0.0.1' },
    ]);
    assert.equal(sans.critical, false);
    const clientSans = new x509.X509Certificate(client.certPem).getExtension(x509.SubjectAlternativeNameExtension);
    assert.deepEqual(clientSans?.names.toJSON(), [{ type: 'url', value: 'spiffe://example.org/device/42' }]);
  });

  test('ECDSA P-256 with SHA-256; the PKCS#8 key belongs to the certificate', () => {
    for (const issued of [ca, client, server]) {
      const cert = new X509Certificate(issued.certPem);
      assert.equal(cert.publicKey.asymmetricKeyType, 'ec');
      assert.equal(cert.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
      assert.match(issued.keyPem, /^-----BEGIN PRIVATE KEY-----\n/);
      assert.ok(cert.checkPrivateKey(createPrivateKey(issued.keyPem)));
      const algorithm = new x509.X509Certificate(issued.certPem).signatureAlgorithm as {
        name: string;
        hash?: { name: string };
      };
      assert.equal(algorithm.name, 'ECDSA');
      assert.equal(algorithm.hash?.name, 'SHA-256');
    }
  });

  test('serials are random, positive and 16 bytes; serialHex and sha256 match the certificate', async () => {
    const serials = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const issued = await issueCertificate({ ca, subject: `CN=serial-${i}`, usage: 'client', validityDays: 1 });
      const cert = new X509Certificate(issued.certPem);
      assert.equal(issued.serialHex, cert.serialNumber.replace(/^0+/, ''));
      const firstOctet = Number.parseInt(issued.serialHex.padStart(32, '0').slice(0, 2), 16);
      assert.ok(issued.serialHex.length <= 32 && firstOctet >= 0x01 && firstOctet <= 0x7f, 'positive, 16 octets');
      assert.equal(issued.sha256, cert.fingerprint256.replaceAll(':', '').toLowerCase());
      serials.add(issued.serialHex);
    }
    assert.equal(serials.size, 20);
  });

  test('validity: backdated a few minutes, validityDays long, never beyond the CA', async () => {
    const cert = new X509Certificate(client.certPem);
    const notBefore = Date.parse(cert.validFrom);
    const notAfter = Date.parse(cert.validTo);
    assert.ok(notBefore < Date.now() && notBefore > Date.now() - 10 * 60_000);
    assert.ok(Math.abs(notAfter - (Date.now() + 7 * DAY_MS)) < 60_000);
    const long = await issueCertificate({ ca, subject: 'CN=long', usage: 'client', validityDays: 365 });
    assert.equal(new X509Certificate(long.certPem).validTo, new X509Certificate(ca.certPem).validTo);
  });

  test('refuses a leaf as CA, a foreign CA key, bad validity and a server certificate without names', async () => {
    const other = await createRootCa({ name: 'CN=Other CA', validityDays: 1 });
    await assert.rejects(
      issueCertificate({ ca: client, subject: 'CN=x', usage: 'client', validityDays: 1 }),
      /not a CA certificate/,
    );
    await assert.rejects(
      issueCertificate({
        ca: { certPem: ca.certPem, keyPem: other.keyPem },
        subject: 'CN=x',
        usage: 'client',
        validityDays: 1,
      }),
      /does not belong to the CA certificate/,
    );
    await assert.rejects(
      issueCertificate({
        ca: { certPem: ca.certPem, keyPem: 'nonsense' },
        subject: 'CN=x',
        usage: 'client',
        validityDays: 1,
      }),
      (error: Error) => /not a readable/.test(error.message) && !error.message.includes('nonsense'),
    );
    for (const validityDays of [0, -1, Number.NaN, 1e9]) {
      await assert.rejects(createRootCa({ name: 'CN=x', validityDays }), /validityDays/);
      await assert.rejects(issueCertificate({ ca, subject: 'CN=x', usage: 'client', validityDays }), /validityDays/);
    }
    await assert.rejects(
      issueCertificate({ ca, subject: 'CN=localhost', usage: 'server', validityDays: 1 }),
      /needs at least one DNS name or IP address/,
    );
    await assert.rejects(issueCertificate({ ca, subject: '', usage: 'client', validityDays: 1 }), /needs a subject/);
  });

  test('an empty subject makes the subject alternative names critical', async () => {
    const issued = await issueCertificate({
      ca,
      subject: '',
      uris: ['spiffe://example.org/a'],
      usage: 'client',
      validityDays: 1,
    });
    const cert = new x509.X509Certificate(issued.certPem);
    assert.equal(cert.subject, '');
    assert.equal(cert.getExtension(x509.SubjectAlternativeNameExtension)?.critical, true);
  });
});
