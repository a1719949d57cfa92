/**
 * Identity headers: which client-sent names are stripped, and the exact xfcc / rfc9440 / cf headers built from
 * real certificates (made at test time), including hostile subjects and SANs: every value must be one line of
 * printable ASCII.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCa } from '../../../test/helpers/pki.ts';
import { readCertificateFields, type CertificateFields } from '../../pki/certificate-fields.ts';
import {
  buildIdentityHeaders,
  IDENTITY_HEADER_FORMATS,
  isClientIdentityHeader,
  RFC9440_MAX_CHAIN_BYTES,
  type IdentityForHeaders,
} from './identity-headers.ts';

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

const ca = await createCa('C=US,O=Access Testing,CN=Access Testing CA');
const intermediate = await ca.intermediate('CN=Intermediate CA');
const leaf = await intermediate.issue({
  subject: 'O=Access,CN=James Royal',
  dns: ['api.example.com', 'b.example.com'],
  uris: ['spiffe://example.com/ns/a', 'spiffe://example.com/a,b;c=d"e\\f'],
});
const fields = readCertificateFields(leaf.der, intermediate.der);

function identity(overrides: Partial<IdentityForHeaders> = {}): IdentityForHeaders {
  return { presented: true, verified: true, revoked: false, fields, chainDer: [intermediate.der], ...overrides };
}

function assertHeaderSafe(headers: Record<string, string>): void {
  for (const [name, value] of Object.entries(headers)) {
    assert.match(name, /^[a-z0-9-]+$/);
    assert.match(value, PRINTABLE_ASCII, `${name}: ${JSON.stringify(value)}`);
    assert.equal(value, value.trim(), `${name} has no leading or trailing whitespace`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// isClientIdentityHeader

test('isClientIdentityHeader: identity headers and their _ spellings', () => {
  const names = [
    'x-forwarded-client-cert',
    'client-cert',
    'client-cert-chain',
    'cf-cert-presented',
    'cf-cert-verified',
    'cf-cert-subject-dn',
    'cf-cert-fingerprint-sha256',
    'cf-client-cert-der-base64',
    'cf-client-cert-sha256',
    'x-ssl-client-verify',
    'x-ssl-client-s-dn',
    'x-ssl-cert',
    'x-client-cert',
    'x-client-certificate',
    'x-client-verify',
    'x-client-dn',
    'ssl-client-s-dn',
    'ssl-client-cert',
    'x-forwarded-tls-client-cert',
    'x-forwarded-tls-client-cert-info',
    'x-amzn-mtls-clientcert',
    'x-amzn-mtls-clientcert-serial-number',
    'x-arr-clientcert',
  ];
  for (const name of names) {
    assert.equal(isClientIdentityHeader(name), true, name);
    assert.equal(isClientIdentityHeader(name.replaceAll('-', '_')), true, name.replaceAll('-', '_'));
  }
  for (const name of ['x_forwarded-client_cert', 'cf_cert-subject_dn', 'client_cert', 'client_cert_chain']) {
    assert.equal(isClientIdentityHeader(name), true, name);
  }
});

test('isClientIdentityHeader: ordinary headers pass', () => {
  const names = [
    '',
    'x',
    'host',
    'content-type',
    'content-length',
    'cookie',
    'accept',
    'authorization',
    'x-forwarded-for',
    'x-forwarded-proto',
    'x-forwarded-host',
    'x-forwarded-client', // not the full prefix
    'cf-connecting-ip',
    'cf-ray',
    'cf-ipcountry',
    'cf-cert', // our names all continue with '-'
    'client',
    'client-id',
    'x-client-id',
    'x-client-ip',
    'x-client-version',
    'x-ssl',
    'ssl-client',
    'x-request-id',
    'x-cf-cert-subject-dn', // not at the start
  ];
  for (const name of names) assert.equal(isClientIdentityHeader(name), false, JSON.stringify(name));
});

test('isClientIdentityHeader: everything buildIdentityHeaders emits is also stripped from clients', () => {
  const all = buildIdentityHeaders(identity(), IDENTITY_HEADER_FORMATS);
  assert.ok(Object.keys(all).length > 15);
  for (const name of Object.keys(all)) assert.equal(isClientIdentityHeader(name), true, name);
});

// ---------------------------------------------------------------------------------------------------------------
// xfcc

test('xfcc: Hash, quoted Subject, one URI= per URI SAN and one DNS= per DNS SAN, in order', () => {
  const headers = buildIdentityHeaders(identity(), ['xfcc']);
  assert.deepEqual(Object.keys(headers), ['x-forwarded-client-cert']);
  assert.equal(
    headers['x-forwarded-client-cert'],
    `Hash=${leaf.sha256};Subject="CN=James Royal,O=Access";URI=spiffe://example.com/ns/a;` +
      'URI="spiffe://example.com/a,b;c=d\\"e\\\\f";DNS=api.example.com;DNS=b.example.com',
  );
});

test('xfcc: quotes and escapes the subject', async () => {
  const hostile = await ca.issue({ subject: [{ CN: ['q"uote'] }, { O: ['a,b'] }] });
  const headers = buildIdentityHeaders(identity({ fields: readCertificateFields(hostile.der) }), ['xfcc']);
  // DN escaping first (\" and \,), then XFCC quoting escapes each \ and " once more.
  assert.equal(headers['x-forwarded-client-cert'], `Hash=${hostile.sha256};Subject="O=a\\\\,b,CN=q\\\\\\"uote"`);
});

test('xfcc: control and non-ASCII bytes in URI and DNS SANs are percent-encoded, never sent raw', () => {
  const hostileFields: CertificateFields = {
    ...fields,
    uris: ['http://x/\r\nX-Injected: 1', 'urn:é'],
    dnsNames: ['evil.example\u0000.com', 'a b', 'ok.example'],
  };
  const value = buildIdentityHeaders(identity({ fields: hostileFields }), ['xfcc'])['x-forwarded-client-cert']!;
  assert.match(value, PRINTABLE_ASCII);
  assert.ok(
    value.endsWith(
      ';URI=http://x/%0D%0AX-Injected:%201;URI=urn:%C3%A9;DNS=evil.example%00.com;DNS=a%20b;DNS=ok.example',
    ),
    value,
  );
});

test('xfcc and rfc9440 are only sent for a verified, unrevoked certificate', () => {
  for (const overrides of [
    { verified: false },
    { revoked: true },
    { presented: false, verified: false, fields: undefined },
  ]) {
    assert.deepEqual(buildIdentityHeaders(identity(overrides), ['xfcc', 'rfc9440']), {}, JSON.stringify(overrides));
  }
});

// ---------------------------------------------------------------------------------------------------------------
// rfc9440

test('rfc9440: Client-Cert and Client-Cert-Chain as structured-field byte sequences', async () => {
  const second = await ca.intermediate('CN=Second');
  const headers = buildIdentityHeaders(identity({ chainDer: [intermediate.der, second.der] }), ['rfc9440']);
  assert.deepEqual(headers, {
    'client-cert': `:${leaf.der.toString('base64')}:`,
    'client-cert-chain': `:${intermediate.der.toString('base64')}:, :${second.der.toString('base64')}:`,
  });
  assert.deepEqual(Object.keys(buildIdentityHeaders(identity({ chainDer: [] }), ['rfc9440'])), ['client-cert']);
});

test('rfc9440: a leaf over 10 KiB or a chain over 16 KiB is left out', async () => {
  const dns = Array.from({ length: 400 }, (_, i) => `host-${i}.a-fairly-long-subdomain.example.com`);
  const big = await intermediate.issue({ subject: 'CN=big', dns });
  const bigFields = readCertificateFields(big.der);
  assert.equal(bigFields.rfc9440TooLarge, true);
  const chainDer = [big.der, big.der];
  assert.ok(big.der.length * 2 > RFC9440_MAX_CHAIN_BYTES);
  assert.deepEqual(buildIdentityHeaders(identity({ fields: bigFields, chainDer }), ['rfc9440']), {});
});

// ---------------------------------------------------------------------------------------------------------------
// cf

test('cf: every cf-cert-* header, both fingerprint spellings', () => {
  const headers = buildIdentityHeaders(identity(), ['cf']);
  assert.deepEqual(headers, {
    'cf-cert-presented': 'true',
    'cf-cert-verified': 'true',
    'cf-cert-revoked': 'false',
    'cf-cert-issuer-dn': 'CN=Intermediate CA',
    'cf-cert-subject-dn': 'CN=James Royal,O=Access',
    'cf-cert-issuer-dn-rfc2253': 'CN=Intermediate CA',
    'cf-cert-subject-dn-rfc2253': 'CN=James Royal,O=Access',
    'cf-cert-issuer-dn-legacy': '/CN=Intermediate CA',
    'cf-cert-subject-dn-legacy': '/O=Access/CN=James Royal',
    'cf-cert-serial': leaf.serialHex,
    'cf-cert-issuer-serial': intermediate.serialHex,
    'cf-cert-sha256': leaf.sha256,
    'cf-cert-sha1': fields.fingerprintSha1,
    'cf-cert-fingerprint-sha256': leaf.sha256,
    'cf-cert-fingerprint-sha1': fields.fingerprintSha1,
    'cf-cert-not-before': fields.notBefore,
    'cf-cert-not-after': fields.notAfter,
    'cf-cert-ski': fields.ski,
    'cf-cert-issuer-ski': fields.issuerSki,
  });
});

test('cf: the three booleans always; fields also for an unverified or revoked certificate; empty ones omitted', () => {
  assert.deepEqual(buildIdentityHeaders(identity({ presented: false, verified: false, fields: undefined }), ['cf']), {
    'cf-cert-presented': 'false',
    'cf-cert-verified': 'false',
    'cf-cert-revoked': 'false',
  });
  const unverified = buildIdentityHeaders(identity({ verified: false }), ['cf']);
  assert.equal(unverified['cf-cert-verified'], 'false');
  assert.equal(unverified['cf-cert-subject-dn'], 'CN=James Royal,O=Access');
  const revoked = buildIdentityHeaders(identity({ revoked: true }), ['cf']);
  assert.equal(revoked['cf-cert-revoked'], 'true');
  const noIssuer = buildIdentityHeaders(identity({ fields: { ...fields, issuerSerial: '', ski: '' } }), ['cf']);
  assert.equal('cf-cert-issuer-serial' in noIssuer, false);
  assert.equal('cf-cert-ski' in noIssuer, false);
});

// ---------------------------------------------------------------------------------------------------------------
// All formats, hostile input.

test('formats: only those asked; none gives no headers', () => {
  assert.deepEqual(buildIdentityHeaders(identity(), []), {});
  assert.deepEqual(IDENTITY_HEADER_FORMATS, ['xfcc', 'rfc9440', 'cf']);
  const keys = Object.keys(buildIdentityHeaders(identity(), ['xfcc', 'rfc9440']));
  assert.deepEqual(keys.sort(), ['client-cert', 'client-cert-chain', 'x-forwarded-client-cert']);
});

test('a hostile subject and SANs give only single-line printable ASCII values', async () => {
  const subject = [
    { C: ['US'] },
    { O: [{ utf8String: 'x",O=Admin;CN=root\r\nX-Injected: 1' }] },
    { CN: [{ utf8String: ' \u0000/CN=admin+UID=0 é 日本 😀 \\ #' }] },
  ];
  const hostile = await intermediate.issue({
    subject: subject as unknown as Parameters<typeof intermediate.issue>[0]['subject'],
    dns: ['evil.example\r\nX-Injected: 1'],
    uris: ['spiffe://x/\r\n,;="\\\u0000 é'],
  });
  const hostileFields = readCertificateFields(hostile.der, intermediate.der);
  const headers = buildIdentityHeaders(
    { presented: true, verified: true, revoked: false, fields: hostileFields, chainDer: [intermediate.der] },
    IDENTITY_HEADER_FORMATS,
  );
  assert.ok(Object.keys(headers).length >= 20);
  assertHeaderSafe(headers);
});

test('a value that is not printable ASCII is never emitted, whoever built the fields', () => {
  const junk: CertificateFields = { ...fields, subjectDn: 'CN=a\r\nX: 1', serial: 'AB\u0000', notBefore: 'é' };
  const headers = buildIdentityHeaders(identity({ fields: junk }), IDENTITY_HEADER_FORMATS);
  assertHeaderSafe(headers);
  for (const name of ['cf-cert-subject-dn', 'cf-cert-subject-dn-rfc2253', 'cf-cert-serial', 'cf-cert-not-before']) {
    assert.equal(name in headers, false, name);
  }
  assert.equal('x-forwarded-client-cert' in headers, false);
  assert.equal(headers['cf-cert-issuer-dn'], 'CN=Intermediate CA');
});
