import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mtlsStatusOf } from './mtls-status.ts';

const NOW = Date.parse('2030-06-01T00:00:00Z');
const leaf = {};
const valid = { presented: true, leaf, validFromMs: NOW - 1000, expiresAtMs: NOW + 1000 };
const verified = { certVerified: true, certRevoked: false };
const unverified = { certVerified: false, certRevoked: false };

test('no certificate is absent, whatever else is known', () => {
  assert.equal(mtlsStatusOf({ ...valid, presented: false, leaf: undefined }, unverified, NOW), 'absent');
});

test('verified is ok; revoked wins over verified (a revoked certificate still verifies)', () => {
  assert.equal(mtlsStatusOf(valid, verified, NOW), 'ok');
  assert.equal(mtlsStatusOf(valid, { certVerified: true, certRevoked: true }, NOW), 'revoked');
  assert.equal(mtlsStatusOf(valid, { certVerified: false, certRevoked: true }, NOW), 'revoked');
});

test('unverified: dates say notyetvalid or expired (notAfter excluded), else untrusted', () => {
  assert.equal(mtlsStatusOf({ ...valid, validFromMs: NOW + 1 }, unverified, NOW), 'notyetvalid');
  assert.equal(mtlsStatusOf({ ...valid, expiresAtMs: NOW }, unverified, NOW), 'expired');
  assert.equal(mtlsStatusOf(valid, unverified, NOW), 'untrusted');
  // Unreadable dates (NaN) are no evidence of either: untrusted.
  assert.equal(mtlsStatusOf({ ...valid, validFromMs: NaN, expiresAtMs: NaN }, unverified, NOW), 'untrusted');
});
