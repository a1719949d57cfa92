import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validAt } from './connection-identity.ts';

test('validAt: from notBefore (included) to notAfter (excluded, as OpenSSL counts it); unreadable dates never pass', () => {
  const notBefore = Date.parse('Jan  1 00:00:00 2026 GMT');
  const notAfter = Date.parse('Dec 31 23:59:59 2026 GMT');
  const window = { validFromMs: notBefore, expiresAtMs: notAfter };
  assert.equal(validAt(window, notBefore - 1), false);
  assert.equal(validAt(window, notBefore), true);
  assert.equal(validAt(window, notAfter - 1), true);
  assert.equal(validAt(window, notAfter), false, 'the notAfter second itself: OpenSSL already refuses a handshake');
  assert.equal(validAt({ validFromMs: Number.NaN, expiresAtMs: notAfter }, notBefore + 1), false);
  assert.equal(validAt({ validFromMs: notBefore, expiresAtMs: Number.NaN }, notBefore + 1), false);
});
