import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFingerprint } from './proxy-config.ts';

const HEX = 'ab'.repeat(32);
const COLONS = 'AB:'.repeat(31) + 'AB';

test('parseFingerprint takes plain hex, colon-separated hex and what openssl prints', () => {
  assert.equal(parseFingerprint(HEX), HEX);
  assert.equal(parseFingerprint(COLONS), HEX);
  assert.equal(parseFingerprint(`sha256 Fingerprint=${COLONS}`), HEX); // OpenSSL 3
  assert.equal(parseFingerprint(`SHA256 Fingerprint=${COLONS}\n`), HEX); // OpenSSL 1.1
});

test('parseFingerprint refuses anything else with the usage error', () => {
  for (const bad of ['abc', `sha1 Fingerprint=${COLONS}`, `${HEX}00`, `Fingerprint=${COLONS}`]) {
    assert.throws(() => parseFingerprint(bad), { code: 'GW_ERR_USAGE' }, bad);
  }
});
