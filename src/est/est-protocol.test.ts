import 'reflect-metadata';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as x509 from '@peculiar/x509';
import { GatewayError } from '../errors/index.ts';
import { readCsr } from '../pki/csr.ts';
import { toPem } from '../pki/pem.ts';
import type { EstProfileSettings } from '../model/est-records.ts';
import { parseEstPath } from './est-path.ts';
import { decodeBase64Body, encodeBase64Body, requireMediaType } from './est-body.ts';
import { certsOnlyPkcs7 } from './pkcs7-certs-only.ts';
import { readCsrAttributes } from './csr-attributes.ts';
import { channelBindingMatches } from './channel-binding.ts';
import { readBasicCredentials } from './basic-auth.ts';
import { checkReenrollmentNames, namesForEnrollment } from './enrollment-rules.ts';
import { csrAttrsFor } from './csr-attrs.ts';

/** `openssl req` in a temporary directory: a P-256 key, the DER CSR with `extra` arguments. */
/** `subject` undefined: from the -config file (openssl drops the config's attributes when -subj is given). */
function opensslCsr(subject: string | undefined, ...extra: string[]): Buffer {
  const dir = mkdtempSync(path.join(tmpdir(), 'est-unit-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-new',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        path.join(dir, 'k'),
        ...(subject === undefined ? [] : ['-subj', subject]),
        '-outform',
        'DER',
        '-out',
        path.join(dir, 'csr'),
        ...extra,
      ],
      { stdio: 'pipe' },
    );
    return readFileSync(path.join(dir, 'csr'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const SETTINGS: EstProfileSettings = {
  hostnames: ['d.example.test'],
  validityDays: 30,
  keyTypes: ['P-256'],
  subject: { organization: 'Acme' },
  commonNamePattern: '[a-z0-9-]{1,32}',
  dnsNameTemplates: ['{cn}.devices.example.test'],
  keyPolicyIds: null,
  tags: [],
  bootstrapSecrets: true,
  bootstrapCaIds: [],
  manualApproval: false,
  renewalGraceSeconds: 60,
  renewBeforeDays: 7,
};

test('EST paths: operations with and without a label; anything else is no EST path', () => {
  assert.deepEqual(parseEstPath('/.well-known/est/cacerts'), { label: '', operation: 'cacerts' });
  assert.deepEqual(parseEstPath('/.well-known/est/fleet-a/simpleenroll?x=1'), {
    label: 'fleet-a',
    operation: 'simpleenroll',
  });
  for (const bad of [
    '/.well-known/est/',
    '/.well-known/est/unknown',
    '/.well-known/est/a/b/simpleenroll',
    '/.well-known/est/cacerts/cacerts',
    '/.well-known/est/../simpleenroll',
    '/.well-known/est/%2e%2e/simpleenroll',
  ]) {
    assert.equal(parseEstPath(bad), undefined, bad);
  }
});

test('bodies: base64 with line breaks is read, garbage and empty bodies are refused with a clear code', () => {
  assert.deepEqual(decodeBase64Body(Buffer.from('AQID\r\nBA==\r\n')), Buffer.from([1, 2, 3, 4]));
  for (const bad of ['', 'not base64!', 'AQI', '====']) {
    assert.throws(
      () => decodeBase64Body(Buffer.from(bad)),
      (error: GatewayError) => error.code === 'GW_ERR_EST_REQUEST_INVALID',
    );
  }
  const long = encodeBase64Body(Buffer.alloc(100, 7));
  assert.ok(long.split('\n').every((line) => line.length <= 64 && !line.includes('\r')));
  assert.deepEqual(execFileSync('base64', ['-d'], { input: long }), Buffer.alloc(100, 7), 'GNU base64 -d reads it');
  assert.deepEqual(decodeBase64Body(Buffer.from(long)), Buffer.alloc(100, 7));
  requireMediaType('Application/PKCS10; charset=x', 'application/pkcs10');
  assert.throws(() => requireMediaType('application/json', 'application/pkcs10'), /Unsupported content type/);
  assert.throws(() => requireMediaType(undefined, 'application/pkcs10'), /none/);
});

test('certs-only PKCS #7 is read back by an independent parser (and by openssl)', async () => {
  const keys = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const make = (name: string) =>
    x509.X509CertificateGenerator.createSelfSigned({
      name,
      keys,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
      notBefore: new Date(),
      notAfter: new Date(Date.now() + 86_400_000),
    });
  const certificates = [await make('CN=one'), await make('CN=two')];
  const der = certsOnlyPkcs7(certificates.map((certificate) => new Uint8Array(certificate.rawData)));
  const parsed = new x509.X509Certificates(der);
  assert.deepEqual([...parsed].map((certificate) => certificate.subject).sort(), ['CN=one', 'CN=two']);
  const printed = execFileSync('openssl', ['pkcs7', '-inform', 'DER', '-print_certs'], { input: der }).toString();
  assert.match(printed, /subject=CN = one/);
});

test('CSR attributes: challengePassword and the requested subjectAltNames', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'est-unit-'));
  try {
    const config = path.join(dir, 'req.cnf');
    writeFileSync(
      config,
      '[req]\ndistinguished_name=dn\nattributes=attrs\nprompt=no\n[dn]\nCN=x\n[attrs]\nchallengePassword=c2VjcmV0\n',
    );
    const der = opensslCsr(
      undefined,
      '-config',
      config,
      '-addext',
      'subjectAltName=DNS:A.example.test,DNS:b.example.test',
    );
    const attributes = readCsrAttributes(der);
    assert.equal(attributes.challengePassword, 'c2VjcmV0');
    assert.deepEqual(attributes.subjectAltNames, ['dns:a.example.test', 'dns:b.example.test']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.deepEqual(readCsrAttributes(opensslCsr('/CN=y')), {
    challengePassword: undefined,
    subjectAltNames: undefined,
  });
});

test('channel binding: the base64 of tls-unique or tls-exporter matches, anything else does not', () => {
  const exporter = Buffer.alloc(32, 9);
  assert.ok(channelBindingMatches(exporter.toString('base64'), { tlsExporter: exporter }));
  assert.ok(channelBindingMatches(Buffer.from('fin').toString('base64'), { tlsUnique: Buffer.from('fin') }));
  assert.ok(!channelBindingMatches(Buffer.alloc(32, 8).toString('base64'), { tlsExporter: exporter }));
  assert.ok(!channelBindingMatches('', {}));
});

test('HTTP Basic credentials', () => {
  const header = `Basic ${Buffer.from('id:pa:ss').toString('base64')}`;
  assert.deepEqual(readBasicCredentials(header), { user: 'id', password: 'pa:ss' });
  assert.equal(readBasicCredentials('Bearer x'), undefined);
  assert.equal(readBasicCredentials(`Basic ${Buffer.from('nocolon').toString('base64')}`), undefined);
  assert.equal(readBasicCredentials(undefined), undefined);
});

test('profile rules: key type, common name pattern, fixed subject fields, DNS names from the template', () => {
  const csr = readCsr(toPem(opensslCsr('/CN=dev-7/O=Other/C=DE'), 'CERTIFICATE REQUEST'));
  const names = namesForEnrollment(csr.subject, csr.keyAlgorithm, SETTINGS);
  assert.equal(names.subject.organization, 'Acme', 'the profile fixes O');
  assert.equal(names.subject.country, 'DE', 'what the profile leaves open comes from the CSR');
  assert.deepEqual(names.dnsNames, ['dev-7.devices.example.test']);
  assert.throws(
    () => namesForEnrollment(csr.subject, csr.keyAlgorithm, { ...SETTINGS, keyTypes: ['P-384'] }),
    /a P-256 key is not allowed/,
  );
  const spaced = readCsr(toPem(opensslCsr('/CN=Not Allowed'), 'CERTIFICATE REQUEST'));
  assert.throws(() => namesForEnrollment(spaced.subject, spaced.keyAlgorithm, SETTINGS), /pattern/);
});

test("re-enrollment names must be the current certificate's (RFC 7030 §4.2.2)", () => {
  const subject = {
    commonName: 'a',
    country: '',
    state: '',
    locality: '',
    organization: 'Acme',
    organizationalUnit: '',
  };
  const current = { subject, dnsNames: ['a.example.test'] };
  checkReenrollmentNames(subject, undefined, current);
  checkReenrollmentNames(subject, ['dns:a.example.test'], current);
  assert.throws(
    () => checkReenrollmentNames({ ...subject, commonName: 'b' }, undefined, current),
    /commonName differs/,
  );
  assert.throws(() => checkReenrollmentNames({ ...subject, organization: '' }, undefined, current), /organization/);
  assert.throws(() => checkReenrollmentNames(subject, ['dns:b.example.test'], current), /subjectAltNames/);
  assert.throws(() => checkReenrollmentNames(subject, [], current), /subjectAltNames/);
});

test('csrattrs: 204 when RSA is allowed, the curves and ecdsa-with-SHA256 for EC-only profiles', () => {
  assert.equal(csrAttrsFor(['P-256', 'RSA']), undefined);
  const der = csrAttrsFor(['P-384']);
  assert.ok(der !== undefined);
  const parsed = execFileSync('openssl', ['asn1parse', '-inform', 'DER'], { input: der }).toString();
  assert.match(parsed, /id-ecPublicKey/);
  assert.match(parsed, /secp384r1/);
  assert.match(parsed, /ecdsa-with-SHA256/);
  const edOnly = execFileSync('openssl', ['asn1parse', '-inform', 'DER'], { input: csrAttrsFor(['Ed25519']) });
  assert.match(edOnly.toString(), /ED25519/);
  assert.doesNotMatch(edOnly.toString(), /ecdsa-with-SHA256/, 'an Ed25519-only profile asks for no ECDSA');
  const mixed = execFileSync('openssl', ['asn1parse', '-inform', 'DER'], { input: csrAttrsFor(['P-256', 'Ed25519']) });
  assert.match(mixed.toString(), /prime256v1[\s\S]*ecdsa-with-SHA256[\s\S]*ED25519/);
});
