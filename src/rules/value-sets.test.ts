/**
 * `in {…}` sets: overlapping and adjacent ranges merge, bisection finds every boundary, and IPv4 and IPv6 never
 * match each other's ranges.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { SetItem } from './ast.ts';
import { parseIpLiteral } from './ip-address.ts';
import { compileIntegerSet, compileIpSet, compileStringSet } from './value-sets.ts';

test('integer sets: values and inclusive ranges, in any order, overlapping', () => {
  const items: SetItem[] = [
    { type: 'int_range', from: 10, to: 20 },
    { type: 'int', value: 5 },
    { type: 'int_range', from: 15, to: 30 },
    { type: 'int', value: 31 },
    { type: 'int_range', from: -3, to: -1 },
  ];
  const has = compileIntegerSet(items);
  const expected = (n: number): boolean => n === 5 || (n >= 10 && n <= 31) || (n >= -3 && n <= -1);
  for (let n = -10; n <= 40; n++) assert.equal(has(n), expected(n), String(n));
  assert.equal(has('5'), false);
  assert.equal(has(undefined), false);
});

test('integer sets agree with a linear scan', () => {
  const item = fc.oneof(
    fc.integer({ min: -50, max: 50 }).map((value): SetItem => ({ type: 'int', value })),
    fc
      .tuple(fc.integer({ min: -50, max: 50 }), fc.integer({ min: 0, max: 20 }))
      .map(([from, width]): SetItem => ({ type: 'int_range', from, to: from + width })),
  );
  fc.assert(
    fc.property(fc.array(item, { minLength: 1, maxLength: 12 }), fc.integer({ min: -80, max: 80 }), (items, n) => {
      const linear = items.some((i) =>
        i.type === 'int' ? i.value === n : i.type === 'int_range' && n >= i.from && n <= i.to,
      );
      assert.equal(compileIntegerSet(items)(n), linear);
    }),
  );
});

test('IP sets: addresses, CIDRs and ranges of both versions', () => {
  const has = compileIpSet([
    { type: 'cidr', value: '10.0.0.0/8' },
    { type: 'ip', value: '192.0.2.1' },
    { type: 'ip_range', from: '198.51.100.10', to: '198.51.100.20' },
    { type: 'cidr', value: '2001:db8::/32' },
    { type: 'cidr', value: '0.0.0.0/32' },
  ]);
  const check = (text: string, expected: boolean): void => assert.equal(has(parseIpLiteral(text)), expected, text);
  check('10.0.0.0', true);
  check('10.255.255.255', true);
  check('11.0.0.0', false);
  check('9.255.255.255', false);
  check('192.0.2.1', true);
  check('192.0.2.2', false);
  check('198.51.100.10', true);
  check('198.51.100.20', true);
  check('198.51.100.21', false);
  check('2001:db8:ffff:ffff:ffff:ffff:ffff:ffff', true);
  check('2001:db9::', false);
  check('::a00:1', false);
  check('0.0.0.0', true);
  check('::', false);
  assert.equal(has(undefined), false);
});

test('string sets compare whole byte strings', () => {
  const has = compileStringSet([
    { type: 'string', value: 'a' },
    { type: 'string', value: '' },
  ]);
  assert.equal(has('a'), true);
  assert.equal(has(''), true);
  assert.equal(has('A'), false);
  assert.equal(has(undefined), false);
});
