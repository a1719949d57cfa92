/**
 * Wildcards: `*` spans any bytes (including none and `/`), the whole value must match, `wildcard` folds ASCII
 * case and `strict wildcard` does not; the segment matcher agrees with a regex translation on random inputs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compileWildcard, parseWildcard, WildcardError } from './wildcard.ts';

test('matching', () => {
  const cases: [string, string, boolean, boolean][] = [
    // pattern, value, wildcard, strict wildcard
    ['https://example.com/a/*', 'https://example.com/a/b/c', true, true],
    ['https://example.com/a/*', 'https://EXAMPLE.com/a/', true, false],
    ['*.example.com', 'api.example.com', true, true],
    ['*.example.com', 'example.com', false, false],
    ['*', '', true, true],
    ['a*b*c', 'abc', true, true],
    ['a*b*c', 'aXbYc', true, true],
    ['a*b*c', 'acb', false, false],
    ['a*a', 'a', false, false],
    ['a*a', 'aa', true, true],
    ['*ab*ab*', 'xabab', true, true],
    ['*ab*ab*', 'xaba', false, false],
    ['a\\*', 'a*', true, true],
    ['a\\*', 'ab', false, false],
    ['a\\\\*', 'a\\zzz', true, true],
    ['exact', 'EXACT', true, false],
    ['caf\xc3\xa9*', 'CAF\xc3\xa9!', true, false],
    ['caf\xc3\xa9*', 'CAF\xc3\x89!', false, false],
  ];
  for (const [pattern, value, folded, strict] of cases) {
    assert.equal(compileWildcard(pattern, false)(value), folded, `wildcard ${pattern} on ${value}`);
    assert.equal(compileWildcard(pattern, true)(value), strict, `strict wildcard ${pattern} on ${value}`);
  }
});

test('invalid patterns', () => {
  assert.throws(() => parseWildcard('a**'), WildcardError);
  assert.throws(() => parseWildcard('a\\b'), WildcardError);
  assert.throws(() => parseWildcard('a\\'), WildcardError);
  assert.deepEqual(parseWildcard('a\\**b\\\\'), ['a*', 'b\\']);
});

function reference(pattern: string, strict: boolean): RegExp {
  const body = parseWildcard(pattern)
    .map((segment) => segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('[\\s\\S]*');
  return new RegExp(`^${body}$`, strict ? '' : 'i');
}

test('agrees with an anchored regex translation', () => {
  const unit = fc.constantFrom('a', 'B', 'b', '/', '.');
  fc.assert(
    fc.property(
      fc.array(fc.string({ unit, maxLength: 3 }), { minLength: 1, maxLength: 4 }),
      fc.string({ unit, maxLength: 12 }),
      fc.boolean(),
      (segments, value, strict) => {
        const pattern = segments.join('*');
        fc.pre(!pattern.includes('**'));
        assert.equal(compileWildcard(pattern, strict)(value), reference(pattern, strict).test(value));
      },
    ),
    { numRuns: 2000 },
  );
});
