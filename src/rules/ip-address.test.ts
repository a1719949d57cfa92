/**
 * IP addresses: strict parsing (RFC 4291 text forms, no IPv4 leading zeros), RFC 5952 printing, and the data
 * plane's view of a socket address (zone dropped, IPv4-mapped to IPv4).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatIp, formatIpv6, parseIpAddress, parseIpLiteral, parseIpv4, parseIpv6 } from './ip-address.ts';

test('IPv4: dotted quads only, no leading zeros', () => {
  assert.equal(parseIpv4('192.0.2.1'), 0xc0000201n);
  assert.equal(parseIpv4('0.0.0.0'), 0n);
  assert.equal(parseIpv4('255.255.255.255'), 0xffffffffn);
  for (const bad of [
    '256.0.0.1',
    '1.2.3',
    '1.2.3.4.5',
    '01.2.3.4',
    '1.2.3.-4',
    '1..2.3',
    '',
    '1.2.3.4 ',
    '0x1.2.3.4',
  ]) {
    assert.equal(parseIpv4(bad), undefined, bad);
  }
});

test('IPv4: the hand-written scanner agrees with the dotted-quad grammar on any text of digits and dots', () => {
  const octet = /^(?:0|[1-9][0-9]{0,2})$/;
  const reference = (text: string): bigint | undefined => {
    const parts = text.split('.');
    if (parts.length !== 4 || !parts.every((part) => octet.test(part) && Number(part) <= 255)) return undefined;
    return BigInt(parts.reduce((value, part) => value * 256 + Number(part), 0));
  };
  const text = fc
    .array(fc.constantFrom('0', '1', '2', '5', '9', '.', '.', 'a', ' '), { maxLength: 18 })
    .map((chars) => chars.join(''));
  fc.assert(
    fc.property(text, (input) => assert.equal(parseIpv4(input), reference(input))),
    { numRuns: 5000 },
  );
  for (const edge of ['0.0.0.0', '255.255.255.255', '256.1.1.1', '1.1.1.1.', '.1.1.1.1', '1.1.1.1000', '00.1.1.1']) {
    assert.equal(parseIpv4(edge), reference(edge), edge);
  }
});

test('IPv6: compressed, full, embedded IPv4; one :: at most', () => {
  assert.equal(parseIpv6('::'), 0n);
  assert.equal(parseIpv6('::1'), 1n);
  assert.equal(parseIpv6('2001:db8::'), 0x20010db8n << 96n);
  assert.equal(parseIpv6('2001:DB8:0:0:0:0:0:1'), (0x20010db8n << 96n) | 1n);
  assert.equal(parseIpv6('::ffff:192.0.2.1'), 0xffffc0000201n);
  for (const bad of [
    ':::',
    '1::2::3',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7',
    ':1::',
    '12345::',
    'g::',
    '::1.2.3',
    '1:2:3:4:5:6:7::8',
  ]) {
    assert.equal(parseIpv6(bad), undefined, bad);
  }
});

test('RFC 5952 printing: lower case, longest zero run compressed (leftmost on a tie), mapped IPv4 dotted', () => {
  const cases: [string, string][] = [
    ['2001:0DB8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['2001:db8::0:1', '2001:db8::1'],
    ['::ffff:c000:201', '::ffff:192.0.2.1'],
    ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
  ];
  for (const [input, expected] of cases) assert.equal(formatIpv6(parseIpv6(input) ?? -1n), expected, input);
});

test('printing and parsing are inverse for every address', () => {
  fc.assert(
    fc.property(fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), (value) => {
      assert.equal(parseIpv6(formatIpv6(value)), value);
    }),
  );
  fc.assert(
    fc.property(fc.bigInt({ min: 0n, max: (1n << 32n) - 1n }), (value) => {
      assert.deepEqual(parseIpLiteral(formatIp({ version: 4, value })), { version: 4, value });
    }),
  );
});

test('a socket address as ip.src: zone dropped, IPv4-mapped becomes IPv4', () => {
  assert.deepEqual(parseIpAddress('::ffff:192.0.2.1'), { version: 4, value: 0xc0000201n });
  assert.deepEqual(parseIpAddress('fe80::1%eth0'), { version: 6, value: (0xfe80n << 112n) | 1n });
  assert.deepEqual(parseIpAddress('192.0.2.1'), { version: 4, value: 0xc0000201n });
  assert.equal(parseIpAddress('::192.0.2.1')?.version, 6, 'IPv4-compatible (not mapped) stays IPv6');
  assert.equal(parseIpAddress('not an address'), undefined);
});
