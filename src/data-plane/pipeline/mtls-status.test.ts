import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mtlsStatusOf } from './mtls-status.ts';

const NOW = Date.parse('2026-06-01T00:00:00Z');
const valid = { presented: true, verified: true, failure: undefined, validFromMs: NOW - 1000, expiresAtMs: NOW + 1000 };
const good = { certVerified: true, certRevoked: false };
const bad = { certVerified: false, certRevoked: false };

test('absent, ok, revoked', () => {
  const none = { presented: false, verified: false, failure: 'none', validFromMs: NaN, expiresAtMs: NaN };
  assert.equal(mtlsStatusOf(none, bad, NOW), 'absent');
  assert.equal(mtlsStatusOf(valid, good, NOW), 'ok');
  assert.equal(mtlsStatusOf(valid, { certVerified: true, certRevoked: true }, NOW), 'revoked');
});

test('expired and not yet valid: as OpenSSL said at the handshake, or as the dates say now', () => {
  const refused = (failure: string) => ({ ...valid, verified: false, failure });
  assert.equal(mtlsStatusOf(refused('CERT_HAS_EXPIRED'), bad, NOW), 'expired');
  assert.equal(mtlsStatusOf(refused('CERT_NOT_YET_VALID'), bad, NOW), 'notyetvalid');
  assert.equal(mtlsStatusOf({ ...valid, expiresAtMs: NOW }, bad, NOW), 'expired'); // notAfter excluded, as OpenSSL
  assert.equal(mtlsStatusOf({ ...valid, validFromMs: NOW + 1 }, bad, NOW), 'notyetvalid');
});

test('untrusted: no path to a trusted CA (whatever the dates: OpenSSL said which), a policy rule', () => {
  const unknownCa = { ...valid, verified: false, failure: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', expiresAtMs: NOW - 1 };
  assert.equal(mtlsStatusOf(unknownCa, bad, NOW), 'untrusted');
  assert.equal(mtlsStatusOf({ ...valid, verified: false, failure: 'rule: leaf-is-ca' }, bad, NOW), 'untrusted');
  assert.equal(mtlsStatusOf(valid, bad, NOW), 'untrusted'); // e.g. its CA no longer trusted, revocation unknown
});

test('revoked wins over expired; unreadable dates are untrusted, not a guess', () => {
  assert.equal(
    mtlsStatusOf({ ...valid, expiresAtMs: NOW - 1 }, { certVerified: false, certRevoked: true }, NOW),
    'revoked',
  );
  assert.equal(mtlsStatusOf({ ...valid, validFromMs: NaN, expiresAtMs: NaN }, bad, NOW), 'untrusted');
});
