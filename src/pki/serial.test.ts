import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  serialFieldFromBytes,
  serialForLookup,
  serialFromBytes,
  serialToBytes,
  serialToDecimal,
  serialToWire,
  writeSerialBytes,
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

test('writeSerialBytes writes what serialToBytes returns, and refuses the same serials', () => {
  const written = (hex: string): Uint8Array => {
    const out = new Uint8Array(30).fill(0xee);
    const length = writeSerialBytes(hex, out, 3);
    assert.ok(
      out.subarray(0, 3).every((octet) => octet === 0xee),
      'nothing before the offset',
    );
    assert.equal(out[3 + length], 0xee, 'nothing after what it counted');
    return out.slice(3, 3 + length);
  };
  const serials = ['8a0b', 'A0B', '0a0b', '00:8A:0B', '7f', '80', 'ff'.repeat(20), '7f'.repeat(20), '0001', '1'];
  for (let index = 0; index < 200; index++) serials.push(Math.floor(Math.random() * 2 ** 52 + 1).toString(16));
  for (const serial of serials) assert.deepEqual(written(serial), serialToBytes(serial), serial);
  for (const bad of ['', 'xyz', '0x12', '12 34', '00', '0', '01'.repeat(21), 'ff'.repeat(21)]) {
    const expected = (() => {
      try {
        serialToBytes(bad);
      } catch (error) {
        return (error as Error).message;
      }
      return 'no error';
    })();
    assert.throws(() => writeSerialBytes(bad, new Uint8Array(30), 0), { message: expected }, JSON.stringify(bad));
  }
});

test('fields form drops every leading zero octet; wire form only the sign padding', () => {
  const overlong = new Uint8Array([0x00, 0x00, 0x0a]);
  assert.equal(serialFieldFromBytes(overlong), '0A');
  assert.equal(serialFromBytes(overlong), '000a');
  assert.equal(serialFieldFromBytes(new Uint8Array([0x00])), '00');
});
