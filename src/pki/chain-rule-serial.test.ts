import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { forgeLeaf, forgeRoot } from '../../test/helpers/forge-certificate.ts';
import { parseChainCertificate } from './chain-certificate.ts';
import { serialViolation } from './chain-rule-serial.ts';

const root = forgeRoot('CN=Serial Root');
const ruleOf = (serial: Uint8Array): string | undefined =>
  serialViolation(parseChainCertificate(forgeLeaf(root, 'CN=device', { serial }).der)!)?.rule;
const octets = (count: number, first = 0x42): Uint8Array => {
  const bytes = randomBytes(count);
  bytes[0] = first;
  return bytes;
};

test('positive serials of 1 to 20 octets pass, also 20 octets with the high bit set (21 on the wire)', () => {
  assert.equal(ruleOf(new Uint8Array([1])), undefined);
  assert.equal(ruleOf(octets(20)), undefined);
  assert.equal(ruleOf(new Uint8Array([0, ...octets(20, 0x92)])), undefined);
});

test('serial-zero, serial-negative, serial-too-long (21 and 22 octets)', () => {
  assert.equal(ruleOf(new Uint8Array([0])), 'serial-zero');
  assert.equal(ruleOf(new Uint8Array([0xff, 0x01])), 'serial-negative');
  assert.equal(ruleOf(octets(21)), 'serial-too-long');
  assert.equal(ruleOf(octets(22)), 'serial-too-long');
  assert.equal(ruleOf(new Uint8Array([0, ...octets(21, 0x92)])), 'serial-too-long');
});
