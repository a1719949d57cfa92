import { test } from 'node:test';
import assert from 'node:assert/strict';
import { childRanges, contentsOf, derTime, lengthOctets, tlv } from './der-writer.ts';

test('lengths: short form under 128, long form with the fewest octets (X.690 §8.1.3)', () => {
  assert.deepEqual([...lengthOctets(0)], [0]);
  assert.deepEqual([...lengthOctets(127)], [127]);
  assert.deepEqual([...lengthOctets(128)], [0x81, 0x80]);
  assert.deepEqual([...lengthOctets(256)], [0x82, 0x01, 0x00]);
  assert.deepEqual([...lengthOctets(3_000_000)], [0x83, 0x2d, 0xc6, 0xc0]);
});

test('times: UTCTime through 2049, GeneralizedTime from 2050, whole seconds (RFC 5280 §4.1.2.5)', () => {
  assert.equal(derTime(new Date('2026-12-07T11:20:33.999Z')).toString('latin1'), '\x17\x0d261207112033Z');
  assert.equal(derTime(new Date('2049-12-31T23:59:59Z')).toString('latin1'), '\x17\x0d491231235959Z');
  assert.equal(derTime(new Date('2050-01-01T00:00:00Z')).toString('latin1'), '\x18\x0f20500101000000Z');
});

test('children of a constructed TLV, short and long lengths; truncation is refused', () => {
  const long = tlv(0x04, new Uint8Array(200));
  const sequence = tlv(0x30, Buffer.concat([tlv(0x02, new Uint8Array([1])), long, tlv(0xa0, new Uint8Array())]));
  const contents = contentsOf(sequence);
  assert.deepEqual(childRanges(contents), [
    [0, 3],
    [3, 3 + long.length],
    [3 + long.length, 5 + long.length],
  ]);
  assert.throws(() => childRanges(contents.subarray(0, contents.length - 1)), /truncated/);
});
