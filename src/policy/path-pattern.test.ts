/**
 * Path patterns: `*` is one or more characters of any kind, the whole path must match, case counts; the segment
 * matcher agrees with an anchored regex translation on random inputs and stays linear on hostile paths.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compilePathPattern, pathPatternProblem } from './path-pattern.ts';

test('matching', () => {
  const cases: [string, string, boolean][] = [
    ['/orders', '/orders', true],
    ['/orders', '/orders/', false],
    ['/orders', '/Orders', false],
    ['/orders/*', '/orders/1', true],
    ['/orders/*', '/orders/1/items', true],
    ['/orders/*', '/orders/', false],
    ['/orders/*', '/orders', false],
    ['/api/*.json', '/api/a.json', true],
    ['/api/*.json', '/api/a/b.json', true],
    ['/api/*.json', '/api/.json', false],
    ['*', '/', true],
    ['*', '', false],
    ['/*/*', '/a/b', true],
    ['/*/*', '/a/', false],
    ['/*/*', '//b', false],
    ['/*/*', '/a/b/c', true],
    ['/a*a', '/aa', false],
    ['/a*a', '/aba', true],
    ['/**', '/a', false],
    ['/**', '/ab', true],
    ['*ab*ab*', 'xabcabx', true],
    ['*ab*ab*', 'xababx', false],
    ['/a?b', '/a?b', true],
  ];
  for (const [pattern, path, expected] of cases) {
    assert.equal(compilePathPattern(pattern)(path), expected, `${pattern} on ${path}`);
  }
});

test('an end index limits the match to path[0..end), e.g. before the query', () => {
  const matcher = compilePathPattern('/orders/*');
  const withQuery = '/orders/1?debug=/x';
  assert.equal(matcher(withQuery, withQuery.indexOf('?')), true);
  assert.equal(compilePathPattern('/orders')('/orders?x', 7), true);
  assert.equal(compilePathPattern('/orders/*')('/orders/?x', 8), false);
  assert.equal(compilePathPattern('*x')('/ax?', 3), true);
  assert.equal(compilePathPattern('*/*z')('/a/b?z', 4), false);
});

function reference(pattern: string): RegExp {
  const body = pattern
    .split('*')
    .map((segment) => segment.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'))
    .join('[^]+');
  return new RegExp(`^${body}$`);
}

test('agrees with an anchored regex translation', () => {
  const unit = fc.constantFrom('a', 'b', 'A', '/', '.', '*');
  fc.assert(
    fc.property(fc.string({ unit, maxLength: 8 }), fc.string({ unit, maxLength: 12 }), (pattern, path) => {
      assert.equal(compilePathPattern(pattern)(path), reference(pattern).test(path), `${pattern} on ${path}`);
    }),
    { numRuns: 5000 },
  );
});

test('agrees with the regex on paths built to match, and with an end index', () => {
  const unit = fc.constantFrom('a', 'b', '/', '.');
  fc.assert(
    fc.property(
      fc.array(fc.string({ unit, maxLength: 3 }), { minLength: 1, maxLength: 5 }),
      fc.array(fc.string({ unit, minLength: 1, maxLength: 4 }), { minLength: 4, maxLength: 4 }),
      fc.string({ unit, maxLength: 4 }),
      (segments, fillers, tail) => {
        const pattern = segments.join('*');
        const path = segments.map((segment, i) => (i === 0 ? segment : `${fillers[i - 1] ?? 'x'}${segment}`)).join('');
        assert.equal(compilePathPattern(pattern)(path), true, `${pattern} on ${path}`);
        const extended = `${path}?${tail}`;
        assert.equal(compilePathPattern(pattern)(extended, path.length), true, `${pattern} on ${extended}`);
      },
    ),
  );
});

test('hostile paths stay linear (no backtracking)', () => {
  // As regexes, `^(?:[^]+a){24}[^]+b$` and `^/[^]+a{40}b[^]+c$` backtrack badly on long runs of "a"; the segment
  // matcher scans each stretch of the path once.
  const run = 'a'.repeat(200_000);
  const cases: [string, string, boolean][] = [
    [`${'*a'.repeat(24)}*b`, `/${run}`, false],
    [`${'*a'.repeat(24)}*b`, `/${run}b`, true],
    [`/*${'a'.repeat(40)}b*c`, `/${run}c`, false],
    [`/*${'a'.repeat(40)}b*c`, `/${run}bxc`, true],
    [`/*${'ab'.repeat(20)}c*${'ab'.repeat(20)}d*`, `/${'ab'.repeat(100_000)}/`, false],
  ];
  for (const [pattern, path, expected] of cases) {
    const matcher = compilePathPattern(pattern);
    const started = performance.now();
    for (let i = 0; i < 5; i++) assert.equal(matcher(path), expected);
    const elapsedMs = performance.now() - started;
    assert.ok(elapsedMs < 1000, `${pattern.slice(0, 20)}: ${elapsedMs} ms`);
  }
});

test('pattern problems for the control plane', () => {
  assert.equal(pathPatternProblem('/orders/*'), null);
  assert.equal(pathPatternProblem('*'), null);
  assert.match(pathPatternProblem('') ?? '', /empty/);
  assert.match(pathPatternProblem('orders') ?? '', /start with/);
  assert.match(pathPatternProblem('/a?b') ?? '', /"\?"/);
  assert.match(pathPatternProblem('/a#b') ?? '', /"#"/);
  assert.match(pathPatternProblem('/a b') ?? '', /" "/);
  assert.match(pathPatternProblem('/a\u0000') ?? '', /\\u0000/);
});
