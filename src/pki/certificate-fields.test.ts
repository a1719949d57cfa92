/**
 * readCertificateFields on real certificates made at test time, cross-checked against the openssl command line
 * (serial, fingerprints, dates, SKI, RFC 2253 and oneline names) so the formats are proven, not assumed. Odd
 * encodings (lossy strings, duplicate extensions) are made by re-encoding a real certificate with asn1-x509; the
 * signature then no longer matches, which does not matter to a field reader.
 */
import 'reflect-metadata';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AttributeTypeAndValue,
  AttributeValue,
  Certificate,
  Extension,
  GeneralName,
  Name,
  RelativeDistinguishedName,
  SubjectAlternativeName,
  Version,
  id_ce_subjectAltName,
  id_ce_subjectKeyIdentifier,
} from '@peculiar/asn1-x509';
import * as x509 from '@peculiar/x509';
import { GatewayError } from '../errors/index.ts';
import { needsOpenssl, OpensslWorkdir } from '../../test/helpers/openssl.ts';
import { createCa, Eku, type NameInput } from '../../test/helpers/pki.ts';
import { readCertificateFields, RFC9440_MAX_CERT_BYTES } from './certificate-fields.ts';

/** `openssl x509 -noout <args>` on the DER; the output with `name=` prefixes kept. */
function openssl(der: Uint8Array, ...args: string[]): string {
  const work = new OpensslWorkdir();
  try {
    return work.run(['x509', '-inform', 'DER', '-in', work.write('cert.der', der), '-noout', ...args]);
  } finally {
    work.remove();
  }
}

/** The value of `key=value` in openssl's output. */
function opensslField(der: Uint8Array, key: string, ...args: string[]): string {
  const line = openssl(der, ...args)
    .split('\n')
    .find((l) => l.startsWith(key + '='));
  assert.ok(line !== undefined, `openssl printed no ${key}=`);
  return line.slice(key.length + 1);
}

function opensslKeyId(der: Uint8Array, extension: string): string {
  const match = /([0-9A-F]{2}(?::[0-9A-F]{2})+)/.exec(openssl(der, '-ext', extension));
  return match ? match[1]!.replaceAll(':', '') : '';
}

/** Our RFC 4514 output minus our two deliberate differences from OpenSSL (`\=` and trailing `\20`). */
function asOpensslPrintsIt(dn: string): string {
  return dn.replaceAll('\\=', '=').replace(/\\20(?=,|\+|$)/g, '\\ ');
}

/** Parses, changes and re-encodes a certificate (its signature becomes invalid). */
function mutate(der: Uint8Array, change: (certificate: Certificate) => void): Uint8Array {
  const certificate = AsnConvert.parse(der, Certificate);
  change(certificate);
  delete certificate.tbsCertificateRaw;
  return new Uint8Array(AsnConvert.serialize(certificate));
}

function rawValue(...bytes: number[]): AttributeValue {
  return new AttributeValue({ anyValue: new Uint8Array(bytes).buffer });
}

function cnName(...values: AttributeValue[]): Name {
  return new Name(
    values.map((value) => new RelativeDistinguishedName([new AttributeTypeAndValue({ type: '2.5.4.3', value })])),
  );
}

function assertCertInvalid(run: () => unknown): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof GatewayError);
    assert.equal(error.code, 'GW_ERR_CERT_INVALID');
    assert.ok(error.cause !== undefined, 'the cause is kept for the log');
    return true;
  });
}

const ca = await createCa('C=US,ST=Texas,L=Austin,O=Access Testing,OU=TX,CN=Access Testing CA');
const leaf = await ca.issue({
  subject: 'C=US,ST=Texas,L=Austin,O=Access,OU=Access Admins,CN=James Royal', // root first, as encoded
  dns: ['api.example.com', 'b.example.com'],
  uris: ['spiffe://example.com/ns/a,b;c=d', 'urn:x'],
  ips: ['10.0.0.1', '2001:db8::1'],
  eku: [Eku.clientAuth, Eku.serverAuth],
});

test('reads the identity fields of a client certificate', () => {
  const fields = readCertificateFields(leaf.der, ca.der);
  assert.equal(fields.subjectDn, 'CN=James Royal,OU=Access Admins,O=Access,L=Austin,ST=Texas,C=US');
  assert.equal(fields.subjectDnLegacy, '/C=US/ST=Texas/L=Austin/O=Access/OU=Access Admins/CN=James Royal');
  assert.equal(fields.issuerDn, 'CN=Access Testing CA,OU=TX,O=Access Testing,L=Austin,ST=Texas,C=US');
  assert.equal(fields.issuerDnLegacy, '/C=US/ST=Texas/L=Austin/O=Access Testing/OU=TX/CN=Access Testing CA');
  assert.equal(fields.serial, leaf.serialHex);
  assert.equal(fields.issuerSerial, ca.serialHex);
  assert.equal(fields.fingerprintSha256, leaf.sha256);
  assert.match(fields.fingerprintSha1, /^[0-9a-f]{40}$/);
  assert.match(fields.ski, /^[0-9A-F]{40}$/);
  assert.match(fields.issuerSki, /^[0-9A-F]{40}$/);
  assert.deepEqual(fields.dnsNames, ['api.example.com', 'b.example.com']);
  assert.deepEqual(fields.uris, ['spiffe://example.com/ns/a,b;c=d', 'urn:x']);
  assert.deepEqual(fields.ips, ['10.0.0.1', '2001:db8::1']);
  assert.deepEqual(fields.emails, []);
  assert.deepEqual(fields.extendedKeyUsages, [Eku.clientAuth, Eku.serverAuth]);
  assert.equal(fields.rfc9440, ':' + leaf.der.toString('base64') + ':');
  assert.equal(fields.rfc9440TooLarge, false);
});

test('matches openssl: serial, fingerprints, dates, key identifiers, names', needsOpenssl, () => {
  const fields = readCertificateFields(leaf.der, ca.der);
  assert.equal(fields.serial, opensslField(leaf.der, 'serial', '-serial'));
  assert.equal(fields.issuerSerial, opensslField(ca.der, 'serial', '-serial'));
  const colonHex = (value: string): string => value.replaceAll(':', '').toLowerCase();
  assert.equal(
    fields.fingerprintSha256,
    colonHex(opensslField(leaf.der, 'sha256 Fingerprint', '-fingerprint', '-sha256')),
  );
  assert.equal(fields.fingerprintSha1, colonHex(opensslField(leaf.der, 'sha1 Fingerprint', '-fingerprint', '-sha1')));
  assert.equal(fields.notBefore, opensslField(leaf.der, 'notBefore', '-startdate'));
  assert.equal(fields.notAfter, opensslField(leaf.der, 'notAfter', '-enddate'));
  assert.equal(fields.ski, opensslKeyId(leaf.der, 'subjectKeyIdentifier'));
  assert.equal(fields.issuerSki, opensslKeyId(ca.der, 'subjectKeyIdentifier'));
  assert.equal(fields.subjectDn, opensslField(leaf.der, 'subject', '-subject', '-nameopt', 'RFC2253'));
  assert.equal(fields.issuerDn, opensslField(leaf.der, 'issuer', '-issuer', '-nameopt', 'RFC2253'));
  assert.equal(fields.subjectDnLegacy, opensslField(leaf.der, 'subject', '-subject', '-nameopt', 'compat'));
  assert.equal(fields.issuerDnLegacy, opensslField(leaf.der, 'issuer', '-issuer', '-nameopt', 'compat'));
});

test('serial: no sign-padding 00 byte when the high bit is set; leading zero nibbles kept', needsOpenssl, async () => {
  const high = await ca.issue({ subject: 'CN=high', serial: '8f00112233445566778899aabbccddee' });
  assert.ok(high.der.includes(Buffer.from('0211008f0011', 'hex')), 'DER carries the 00 sign byte');
  assert.equal(readCertificateFields(high.der).serial, '8F00112233445566778899AABBCCDDEE');
  assert.equal(readCertificateFields(high.der).serial, opensslField(high.der, 'serial', '-serial'));
  const low = await ca.issue({ subject: 'CN=low', serial: '0a01' });
  assert.equal(readCertificateFields(low.der).serial, '0A01');
  assert.equal(readCertificateFields(low.der).serial, opensslField(low.der, 'serial', '-serial'));
});

test('dates: ASN1_TIME_print style, day padded with a space; UTCTime and GeneralizedTime', needsOpenssl, async () => {
  const dated = await ca.issue({
    subject: 'CN=dated',
    notBefore: new Date(Date.UTC(2022, 2, 1, 13, 35, 0)),
    notAfter: new Date(Date.UTC(2051, 11, 31, 23, 59, 59)), // after 2049: GeneralizedTime (RFC 5280 §4.1.2.5)
  });
  const fields = readCertificateFields(dated.der);
  assert.equal(fields.notBefore, 'Mar  1 13:35:00 2022 GMT');
  assert.equal(fields.notAfter, 'Dec 31 23:59:59 2051 GMT');
  assert.equal(fields.notBefore, opensslField(dated.der, 'notBefore', '-startdate'));
  assert.equal(fields.notAfter, opensslField(dated.der, 'notAfter', '-enddate'));
});

test('issuer SKI: from the issuer when given, else the leaf authorityKeyIdentifier, else empty', () => {
  const withIssuer = readCertificateFields(leaf.der, ca.der);
  const withoutIssuer = readCertificateFields(leaf.der);
  assert.equal(withoutIssuer.issuerSerial, '');
  assert.equal(withoutIssuer.issuerSki, withIssuer.issuerSki);
  const issuerWithoutSki = mutate(ca.der, (certificate) => {
    const extensions = certificate.tbsCertificate.extensions!;
    extensions.splice(
      extensions.findIndex((extension) => extension.extnID === id_ce_subjectKeyIdentifier),
      1,
    );
  });
  assert.equal(readCertificateFields(leaf.der, issuerWithoutSki).issuerSki, withIssuer.issuerSki);
  const selfSigned = readCertificateFields(ca.der); // a root has no authorityKeyIdentifier here
  assert.equal(selfSigned.issuerSki, '');
});

test('extended key usages: [] without the extension', async () => {
  const noEku = await ca.issue({ subject: 'CN=no eku', eku: [] });
  assert.deepEqual(readCertificateFields(noEku.der).extendedKeyUsages, []);
});

test('subjectAltName: e-mail addresses, and values are not altered', () => {
  const der = mutate(leaf.der, (certificate) => {
    const san = new SubjectAlternativeName([
      new GeneralName({ rfc822Name: 'a@example.com' }),
      new GeneralName({ dNSName: 'evil.example\r\nX-Injected: 1' }),
      new GeneralName({ uniformResourceIdentifier: 'https://x/?a=1,b;c' }),
      new GeneralName({ rfc822Name: 'b@example.com' }),
    ]);
    const extensions = certificate.tbsCertificate.extensions!;
    const index = extensions.findIndex((extension) => extension.extnID === id_ce_subjectAltName);
    extensions[index] = new Extension({
      extnID: id_ce_subjectAltName,
      extnValue: new OctetString(AsnConvert.serialize(san)),
    });
  });
  const fields = readCertificateFields(der);
  assert.deepEqual(fields.emails, ['a@example.com', 'b@example.com']);
  assert.deepEqual(fields.dnsNames, ['evil.example\r\nX-Injected: 1']); // escaped by whoever prints it
  assert.deepEqual(fields.uris, ['https://x/?a=1,b;c']);
});

test('rfc9440: empty and flagged when the DER is over 10 KiB', async () => {
  const dns = Array.from({ length: 400 }, (_, i) => `host-${i}.a-fairly-long-subdomain.example.com`);
  const big = await ca.issue({ subject: 'CN=big', dns });
  assert.ok(big.der.length > RFC9440_MAX_CERT_BYTES);
  const fields = readCertificateFields(big.der);
  assert.equal(fields.rfc9440, '');
  assert.equal(fields.rfc9440TooLarge, true);
  assert.equal(fields.dnsNames.length, 400);
});

test(
  'hostile subjects: every escape agrees with openssl -nameopt RFC2253 and stays printable ASCII',
  needsOpenssl,
  async () => {
    const subjects: x509.JsonNameParams[] = [
      [{ CN: [{ utf8String: 'a,b+c"d\\e;f<g>h=i/j' }] }],
      [{ CN: [{ utf8String: '#lead and trail ' }] }, { O: [{ utf8String: ' both ' }] }],
      [{ CN: [{ utf8String: 'x\r\nX-Injected: 1\u0000\u007f\ttab' }] }],
      [
        { CN: [{ utf8String: 'José 日本 😀' }] },
        { O: [{ bmpString: 'bmp é' }] },
        { OU: [{ universalString: 'uni ü' }] },
      ],
      [
        { C: [{ printableString: 'US' }] },
        { O: ['Org'], OU: ['Unit'], '0.9.2342.19200300.100.1.1': ['u1'] },
        { CN: ['multi'] },
      ],
      [{ E: [{ ia5String: 'a@b.c' }] }, { DC: [{ ia5String: 'example' }] }, { '1.2.3.4': [{ utf8String: 'hé' }] }],
      [{ CN: [{ utf8String: '",CN=admin' }] }],
    ];
    for (const subject of subjects) {
      const issued = await ca.issue({ subject: new x509.Name(subject) as unknown as NameInput });
      const fields = readCertificateFields(issued.der);
      for (const value of [fields.subjectDn, fields.subjectDnLegacy]) assert.match(value, /^[\x20-\x7e]*$/);
      assert.equal(
        asOpensslPrintsIt(fields.subjectDn),
        opensslField(issued.der, 'subject', '-subject', '-nameopt', 'RFC2253'),
      );
    }
  },
);

test('TeletexString is read as Latin-1, as openssl does', needsOpenssl, () => {
  const der = mutate(leaf.der, (certificate) => {
    certificate.tbsCertificate.subject = cnName(rawValue(0x14, 0x02, 0x41, 0xe9));
  });
  const fields = readCertificateFields(der);
  assert.equal(fields.subjectDn, 'CN=A\\C3\\A9');
  assert.equal(fields.subjectDn, opensslField(der, 'subject', '-subject', '-nameopt', 'RFC2253'));
});

test('a value the parser would decode lossily is printed as #hex of its DER, so it cannot pass for another', () => {
  const der = mutate(leaf.der, (certificate) => {
    certificate.tbsCertificate.subject = cnName(
      rawValue(0x0c, 0x04, 0x63, 0x61, 0x66, 0xe9), // UTF8String, invalid UTF-8: would read as "café"
      rawValue(0x1c, 0x04, 0x00, 0x01, 0x00, 0x61), // UniversalString U+10061: would read as "a"
      rawValue(0x0c, 0x05, 0x63, 0x61, 0x66, 0xc3, 0xa9), // UTF8String "café", valid
      rawValue(0x1c, 0x04, 0x00, 0x00, 0x00, 0x62), // UniversalString "b", valid
    );
    certificate.tbsCertificate.issuer = cnName(rawValue(0x0c, 0x01, 0xff));
  });
  const fields = readCertificateFields(der);
  assert.equal(fields.subjectDn, 'CN=b,CN=caf\\C3\\A9,CN=#1C0400010061,CN=#0C04636166E9');
  assert.equal(fields.subjectDnLegacy, '/CN=#0C04636166E9/CN=#1C0400010061/CN=caf\\C3\\A9/CN=b');
  assert.equal(fields.issuerDn, 'CN=#0C01FF');
});

test('a v1 certificate (no version field, no extensions) reads with empty extension fields', () => {
  const der = mutate(leaf.der, (certificate) => {
    certificate.tbsCertificate.version = Version.v1;
    delete certificate.tbsCertificate.extensions;
    certificate.tbsCertificate.subject = cnName(new AttributeValue({ utf8String: 'José' })); // takes the raw re-check
  });
  const fields = readCertificateFields(der);
  assert.equal(fields.subjectDn, 'CN=Jos\\C3\\A9');
  assert.deepEqual([fields.ski, fields.issuerSki, fields.dnsNames, fields.extendedKeyUsages], ['', '', [], []]);
});

test('accepts a Buffer that is a view into a larger allocation', () => {
  const backing = Buffer.alloc(leaf.der.length + 16, 0xee);
  leaf.der.copy(backing, 7);
  const view = backing.subarray(7, 7 + leaf.der.length);
  assert.deepEqual(readCertificateFields(view, ca.der), readCertificateFields(leaf.der, ca.der));
});

test('throws GW_ERR_CERT_INVALID, with the cause, for anything that is not exactly one certificate', () => {
  const inputs: Uint8Array[] = [
    new Uint8Array(0),
    Buffer.from('not a certificate'),
    Buffer.from(leaf.certPem),
    leaf.der.subarray(0, leaf.der.length - 10),
    Buffer.concat([leaf.der, Buffer.from([0x00, 0x00])]),
    new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]),
    new Uint8Array(AsnConvert.serialize(cnName(new AttributeValue({ utf8String: 'a name, not a cert' })))),
  ];
  for (const input of inputs) assertCertInvalid(() => readCertificateFields(input));
  assertCertInvalid(() => readCertificateFields(leaf.der, Buffer.from('bad issuer')));
});

test('throws GW_ERR_CERT_INVALID for a duplicate extension or an extension that does not parse', () => {
  const duplicated = mutate(leaf.der, (certificate) => {
    const extensions = certificate.tbsCertificate.extensions!;
    extensions.push(extensions.find((extension) => extension.extnID === id_ce_subjectAltName)!);
  });
  assertCertInvalid(() => readCertificateFields(duplicated));
  const brokenSan = mutate(leaf.der, (certificate) => {
    const extensions = certificate.tbsCertificate.extensions!;
    const index = extensions.findIndex((extension) => extension.extnID === id_ce_subjectAltName);
    extensions[index] = new Extension({
      extnID: id_ce_subjectAltName,
      extnValue: new OctetString(new Uint8Array([0x30, 0x05, 0x82])),
    });
  });
  assertCertInvalid(() => readCertificateFields(brokenSan));
});
