/**
 * The key fields (every rule of validateKeyCreate / validateKeySettings) and the certificate
 * binding computed from real certificates made at test time: the leaf hash is the SHA-256 of the
 * DER, the SPKI hash that of the public key, and a certificate renewed with the same key pair keeps
 * its SPKI hash (so a key bound by SPKI survives renewals) while its leaf hash changes.
 */
import 'reflect-metadata';
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { GatewayError } from '../../errors/index.ts';
import { createCa, randomSerial, type CaHandle, type Issued } from '../../../test/helpers/pki.ts';
import {
  bindingOf,
  hashSecret,
  leafDerOf,
  validateCertificateSource,
  validateKeyCreate,
  validateKeySettings,
} from './gateway-key-input.ts';

const NOW = new Date('2026-06-01T00:00:00Z');
const SHA = 'ab'.repeat(32);
const UUID = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const POLICY = 'e'.repeat(32);

function refused(work: () => unknown, message: RegExp, code = 'GW_ERR_API_VALIDATION'): void {
  assert.throws(work, (error) => {
    assert.ok(error instanceof GatewayError, String(error));
    assert.equal(error.code, code, error.message);
    assert.match(error.message, message);
    return true;
  });
}

const create = (input: Record<string, unknown>): ReturnType<typeof validateKeyCreate> => validateKeyCreate(input, NOW);

describe('validateKeyCreate', () => {
  test('a token-only key: defaults for every setting', () => {
    assert.deepEqual(create({ token: true }), {
      settings: {
        alias: '',
        policyIds: [],
        accessRights: [],
        rateLimit: null,
        quota: null,
        expiresOn: null,
        metadata: {},
        active: true,
      },
      certificate: null,
      bindTo: 'leaf',
      token: true,
    });
  });

  test('a key needs a certificate, a token, or both', () => {
    refused(() => create({}), /needs a certificate, a token \(token: true\), or both/);
    refused(() => create({ token: false }), /needs a certificate, a token/);
    assert.equal(create({ certificate: { sha256: SHA } }).token, false);
    assert.equal(create({ certificate: { sha256: SHA }, token: true }).token, true);
    refused(() => create({ token: 'yes' }), /token must be a boolean/);
  });

  test('certificate: exactly one source; ids are UUIDs; sha256 normalised', () => {
    assert.deepEqual(validateCertificateSource({ mtls_certificate_id: UUID.toUpperCase() }), {
      kind: 'mtls_certificate',
      id: UUID,
    });
    assert.deepEqual(validateCertificateSource({ client_certificate_id: UUID }), {
      kind: 'client_certificate',
      id: UUID,
    });
    assert.deepEqual(validateCertificateSource({ pem: 'x' }), { kind: 'pem', pem: 'x' });
    const colons = SHA.toUpperCase().match(/../g)!.join(':');
    assert.deepEqual(validateCertificateSource({ sha256: colons }), { kind: 'sha256', value: SHA });
    refused(() => validateCertificateSource({}), /exactly one of/);
    refused(() => validateCertificateSource({ sha256: SHA, pem: 'x' }), /exactly one of/);
    refused(() => validateCertificateSource('pem'), /exactly one of/);
    refused(
      () => validateCertificateSource({ mtls_certificate_id: 'nope' }),
      /certificate\.mtls_certificate_id must be/,
    );
    refused(() => validateCertificateSource({ sha256: 'abc' }), /certificate\.sha256 must be a SHA-256 fingerprint/);
    refused(() => validateCertificateSource({ pem: 'x'.repeat(16_385) }), /at most 16384 characters/);
  });

  test('bind_to: leaf (default) or spki, only with a certificate; a raw sha256 binds a leaf only', () => {
    assert.equal(create({ certificate: { pem: 'x' }, bind_to: 'spki' }).bindTo, 'spki');
    assert.equal(create({ certificate: { pem: 'x' } }).bindTo, 'leaf');
    refused(() => create({ certificate: { pem: 'x' }, bind_to: 'subject' }), /bind_to must be one of leaf, spki/);
    refused(() => create({ token: true, bind_to: 'leaf' }), /bind_to needs a certificate/);
    refused(
      () => create({ certificate: { sha256: SHA }, bind_to: 'spki' }),
      /bind_to spki needs the certificate itself/,
    );
  });
});

describe('validateKeySettings', () => {
  const settings = (input: Record<string, unknown>, stored?: string | null): ReturnType<typeof validateKeySettings> =>
    validateKeySettings(input, NOW, stored);

  test('the binding and the secret cannot change: the message says to delete and create', () => {
    for (const field of ['certificate', 'bind_to', 'token', 'secret', 'certificate_binding']) {
      refused(() => settings({ [field]: null }), /cannot change.*delete the key and create a new one/);
    }
  });

  test('expires_on: RFC 3339 with a zone, in the future, normalised to UTC; null = never', () => {
    assert.equal(settings({ expires_on: '2027-01-01T02:00:00+02:00' }).expiresOn, '2027-01-01T00:00:00.000Z');
    assert.equal(settings({ expires_on: null }).expiresOn, null);
    refused(() => settings({ expires_on: '2026-05-31T23:59:59Z' }), /expires_on must be in the future/);
    refused(() => settings({ expires_on: NOW.toISOString() }), /must be in the future/);
    for (const bad of ['2027-01-01', '2027-01-01T00:00:00', 'tomorrow', '2027-13-01T00:00:00Z', 1_900_000_000]) {
      refused(() => settings({ expires_on: bad }), /expires_on must be an RFC 3339 date-time/);
    }
  });

  test('an expiry already stored (now past) may stay when other settings change', () => {
    const past = '2026-01-01T00:00:00.000Z';
    assert.equal(settings({ expires_on: past, alias: 'x' }, past).expiresOn, past);
    refused(() => settings({ expires_on: '2026-01-02T00:00:00Z' }, past), /must be in the future/);
  });

  test('metadata: at most 50 entries, names 1..64, string values of at most 1024', () => {
    const fifty = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, 'v']));
    assert.equal(Object.keys(settings({ metadata: fifty }).metadata).length, 50);
    refused(() => settings({ metadata: { ...fifty, extra: 'v' } }), /more than 50 entries/);
    refused(() => settings({ metadata: { ['n'.repeat(65)]: 'v' } }), /names must have 1 to 64/);
    refused(() => settings({ metadata: { '': 'v' } }), /names must have 1 to 64/);
    refused(() => settings({ metadata: { n: 'v'.repeat(1025) } }), /metadata\.n is longer than 1024/);
    refused(() => settings({ metadata: { n: 1 } }), /metadata\.n must be a string/);
    refused(() => settings({ metadata: ['a'] }), /metadata must be an object of strings/);
  });

  test('policy_ids: hex ids, duplicates merged, at most 100', () => {
    assert.deepEqual(settings({ policy_ids: [POLICY, POLICY] }).policyIds, [POLICY]);
    refused(() => settings({ policy_ids: ['nope'] }), /policy_ids must hold policy ids/);
    refused(() => settings({ policy_ids: POLICY }), /policy_ids must be an array/);
    const many = Array.from({ length: 101 }, (_, i) => i.toString(16).padStart(32, '0'));
    refused(() => settings({ policy_ids: many }), /more than 100 policies/);
  });

  test('with policy_ids, the key takes rights and limits from its policies: its own are refused', () => {
    const own: Record<string, unknown>[] = [
      { access_rights: [{ api_id: 'c'.repeat(32) }] },
      { rate_limit: { rate: 1, per: 1 } },
      { quota: { max: 1, renewal_rate: 1 } },
    ];
    for (const body of own) {
      refused(
        () => settings({ policy_ids: [POLICY], ...body }),
        /takes its access rights, rate limit and quota from its policies/,
      );
      assert.ok(settings(body), 'fine without policies');
    }
    assert.deepEqual(settings({ policy_ids: [POLICY], access_rights: [], rate_limit: null, quota: null }).policyIds, [
      POLICY,
    ]);
    refused(
      () => create({ token: true, policy_ids: [POLICY], quota: { max: 1, renewal_rate: 1 } }),
      /from its policies/,
    );
  });

  test('alias at most 255; limits and rights as for policies', () => {
    assert.equal(settings({ alias: ' device 7 ' }).alias, 'device 7');
    refused(() => settings({ alias: 'a'.repeat(256) }), /alias is longer than 255/);
    refused(() => settings({ rate_limit: { rate: 1, per: 0 } }), /rate_limit\.per/);
    refused(() => settings({ quota: { max: -1, renewal_rate: 60 } }), /quota\.max/);
    refused(() => settings({ access_rights: [{ api_id: 'x' }] }), /access_rights\[0\]\.api_id/);
    refused(() => settings({ active: 'no' }), /active must be a boolean/);
  });
});

describe('certificate bindings from real certificates', () => {
  let ca: CaHandle;
  let leaf: Issued;
  let renewed: Issued;

  before(async () => {
    ca = await createCa();
    leaf = await ca.issue({ subject: 'CN=device-1' });
    // The same key pair in a new certificate (a renewal): new serial, new validity, same SPKI.
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: randomSerial(),
      subject: 'CN=device-1',
      issuer: ca.cert.subjectName,
      notBefore: new Date(Date.now() - 1000),
      notAfter: new Date(Date.now() + 90 * 86_400_000),
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
      publicKey: leaf.keys.publicKey,
      signingKey: ca.keys.privateKey,
      extensions: [new x509.BasicConstraintsExtension(false, undefined, true)],
    });
    renewed = { ...leaf, cert, certPem: cert.toString('pem'), der: Buffer.from(cert.rawData) };
  });

  const spkiOf = async (issued: Issued): Promise<string> =>
    createHash('sha256')
      .update(Buffer.from(await webcrypto.subtle.exportKey('spki', issued.keys.publicKey)))
      .digest('hex');

  test('leaf: SHA-256 of the DER (the same as the certificate thumbprint)', () => {
    const binding = bindingOf(leafDerOf(leaf.certPem, 'certificate.pem'), 'leaf', new Date(), 'certificate');
    assert.deepEqual(binding, { kind: 'leaf_sha256', value: leaf.sha256 });
  });

  test('spki: SHA-256 of the SubjectPublicKeyInfo DER', async () => {
    const binding = bindingOf(leaf.der, 'spki', new Date(), 'certificate');
    assert.deepEqual(binding, { kind: 'spki_sha256', value: await spkiOf(leaf) });
    assert.notEqual(binding.value, leaf.sha256);
  });

  test('a renewal with the same key: same SPKI hash, different leaf hash', () => {
    const now = new Date();
    assert.equal(bindingOf(renewed.der, 'spki', now, 'c').value, bindingOf(leaf.der, 'spki', now, 'c').value);
    assert.notEqual(bindingOf(renewed.der, 'leaf', now, 'c').value, bindingOf(leaf.der, 'leaf', now, 'c').value);
  });

  test('another key pair: another SPKI hash', async () => {
    const other = await ca.issue({ subject: 'CN=device-1' });
    assert.notEqual(
      bindingOf(other.der, 'spki', new Date(), 'c').value,
      bindingOf(leaf.der, 'spki', new Date(), 'c').value,
    );
  });

  test('a CA certificate is refused, whichever binding', () => {
    for (const bindTo of ['leaf', 'spki'] as const) {
      refused(() => bindingOf(ca.der, bindTo, new Date(), 'certificate'), /certificate is a CA certificate/);
    }
  });

  test('an expired certificate: refused for a leaf binding, accepted for an SPKI binding', () => {
    const later = new Date(Date.now() + 365 * 86_400_000);
    refused(() => bindingOf(leaf.der, 'leaf', later, 'certificate'), /expired on .*bind_to spki/);
    assert.equal(bindingOf(leaf.der, 'spki', later, 'certificate').kind, 'spki_sha256');
  });

  test('PEM: exactly one certificate; garbage is GW_ERR_CERT_UPLOAD_INVALID', () => {
    refused(() => leafDerOf(leaf.certPem + ca.certPem, 'certificate.pem'), /exactly one certificate .* not 2/);
    refused(
      () => leafDerOf('hello', 'certificate.pem'),
      /certificate\.pem: no PEM block/,
      'GW_ERR_CERT_UPLOAD_INVALID',
    );
    refused(() => leafDerOf(leaf.keyPem, 'certificate.pem'), /expected CERTIFICATE/, 'GW_ERR_CERT_UPLOAD_INVALID');
    const junk = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';
    refused(
      () => bindingOf(leafDerOf(junk, 'c'), 'leaf', new Date(), 'c'),
      /not a parsable X\.509/,
      'GW_ERR_CERT_UPLOAD_INVALID',
    );
  });
});

describe('hashSecret', () => {
  test('lowercase hex SHA-256 of the whole secret, prefix included', () => {
    const secret = 'pk_abc';
    assert.equal(hashSecret(secret), createHash('sha256').update('pk_abc').digest('hex'));
    assert.match(hashSecret(secret), /^[0-9a-f]{64}$/);
  });
});
