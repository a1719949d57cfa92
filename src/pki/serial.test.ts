import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  serialFieldFromBytes,
  serialForLookup,
  serialFromBytes,
  serialToBytes,
  serialToDecimal,
  serialToWire,
} from './serial.ts';

// INTEGER 0x8a0b: DER content octets 00 8a 0b (the 00 keeps it positive, X.690 §8.3.2).
const SIGN_PADDED = new Uint8Array([0x00, 0x8a, 0x0b]);

test('every form of one serial, as the table in serial.ts lists them', () => {
  assert.equal(serialFromBytes(SIGN_PADDED), '8a0b');
  assert.equal(serialToWire('8A:0B'), '8a0b');
  assert.equal(serialForLookup('00:8A:0b'), '8A0B');
  assert.equal(serialFieldFromBytes(SIGN_PADDED), '8A0B');
  assert.equal(serialToDecimal('8a0b'), '35339');
  assert.deepEqual(serialToBytes('8a0b'), SIGN_PADDED);
});

test('lookup form drops leading zero digits, fields and wire forms keep whole octets', () => {
  const content = new Uint8Array([0x0a, 0x0b]);
  assert.equal(serialForLookup('0A0B'), 'A0B');
  assert.equal(serialFieldFromBytes(content), '0A0B');
  assert.equal(serialFromBytes(content), '0a0b');
  assert.equal(serialToWire('0A:0B'), '0a0b');
  assert.equal(serialForLookup('0'), '0');
});

test('bytes and wire form round-trip; serialToBytes refuses what is not a serial', () => {
  assert.equal(serialFromBytes(serialToBytes('A0B')), '0a0b');
  assert.throws(() => serialToBytes('xyz'), /not hexadecimal/);
  assert.throws(() => serialToBytes('00'), /serial 0/);
  assert.throws(() => serialToBytes('01'.repeat(21)), /21 octets/);
});

test('fields form drops every leading zero octet; wire form only the sign padding', () => {
  const overlong = new Uint8Array([0x00, 0x00, 0x0a]);
  assert.equal(serialFieldFromBytes(overlong), '0A');
  assert.equal(serialFromBytes(overlong), '000a');
  assert.equal(serialFieldFromBytes(new Uint8Array([0x00])), '00');
});
