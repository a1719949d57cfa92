/**
 * The regex engine: what it matches (a table, plus a differential test against V8's RegExp on the syntax both
 * share), what it refuses (look-around, backreferences, oversized patterns), and the property it exists for:
 * time linear in the input on patterns that make backtracking engines explode, with a bounded state cache.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compileRegex, RegexSyntaxError } from './regex/compile-regex.ts';
import { MAX_REGEX_CACHED_STATES } from './limits.ts';

const matches = (pattern: string, input: string): boolean => compileRegex(pattern).test(input);

test('matches the Rust syntax Cloudflare patterns use', () => {
  const cases: [string, string, boolean][] = [
    ['abc', 'xxabcxx', true],
    ['^abc', 'xabc', false],
    ['^abc', 'abcx', true],
    ['abc$', 'xabc', true],
    ['abc$', 'abcx', false],
    ['\\Aabc\\z', 'abc', true],
    ['a+b', 'caaab', true],
    ['(a|b)*c', 'ababx', false],
    ['(?i)HeLLo', 'say hello', true],
    ['(?i:a)b', 'AB', false],
    ['(?i:a)b', 'Ab', true],
    ['a(?i)b|c', 'aC', true], // a flag lasts to the end of its group, across |
    ['\\bfoo\\b', 'a foo b', true],
    ['\\bfoo\\b', 'afoob', false],
    ['\\Bfoo', 'afoo', true],
    ['^$', '', true],
    ['', 'anything', true],
    ['x{2,3}$', 'axx', true],
    ['x{2,3}$', 'ax', false],
    ['^x{2}$', 'xxx', false],
    ['^x{2,}$', 'xxxxx', true],
    ['[^a-c]', 'abc', false],
    ['[^a-c]', 'abcd', true],
    ['[]a]', ']', true],
    ['[a-]', '-', true],
    ['[\\d\\s]', 'x 1', true],
    ['[[:digit:]]{3}', 'ab123', true],
    ['[[:^alpha:]]', 'abc', false],
    ['[a[bc]]', 'c', true],
    ['(?m)^b$', 'a\nb\nc', true],
    ['^b', 'a\nb', false],
    ['a.c', 'a\nc', false],
    ['(?s)a.c', 'a\nc', true],
    ['\\x41\\x{42}\\u0043', 'ABC', true],
    ['\\.', 'a.b', true],
    ['\\.', 'ab', false],
    ['(?P<name>ab)(?<other>c)', 'abc', true],
    ['a*?b', 'aab', true],
    ['é', 'caf\xc3\xa9', true],
    ['\\w+@\\w+\\.com', 'mail bob@example.com now', true],
    ['(?i)a(?-i)b', 'Ab', true],
    ['(?i)a(?-i)b', 'AB', false],
    ['(?U)a+', 'aa', true],
    ['\\S\\s', 'a b', true],
    ['\\n\\t\\r\\f\\v\\a', '\n\t\r\f\v\x07', true],
    ['\\U0001F600', '\xf0\x9f\x98\x80', true],
  ];
  for (const [pattern, input, expected] of cases) {
    assert.equal(matches(pattern, input), expected, `${pattern} on ${JSON.stringify(input)}`);
  }
});

test('refuses look-around, backreferences and what Rust refuses', () => {
  const refused = [
    'a(?=b)',
    'a(?!b)',
    '(?<=a)b',
    '(?<!a)b',
    '(a)\\1',
    '(?P<x>a)(?P=x)',
    '\\k<x>',
    '(ab',
    'ab)',
    '[ab',
    '*a',
    'a**',
    'a{2}{3}',
    'a+*',
    'a{1001}',
    'a{3,2}',
    'a{',
    '\\p{L}',
    '[é]',
    '\\q',
    '\\0',
    'a\\',
    '(?x)a',
    '[a&&b]',
    '\\<',
    '(?--i)a',
    '(?i',
    '\\x{110000}',
    '\\u{D800}',
    '[z-a]',
    '[a-\\d]',
    '[[:bogus:]]',
    '[\\b]',
    '(?<1a>x)',
  ];
  for (const pattern of refused) assert.throws(() => compileRegex(pattern), RegexSyntaxError, pattern);
});

test('size limits: long patterns, unrolled repetitions and compile work are capped', () => {
  assert.throws(() => compileRegex('a'.repeat(1025)), /longer than 1024/);
  assert.throws(() => compileRegex('(a{1000}){5}'), /too large/);
  assert.throws(() => compileRegex('(((){1000}){1000}){1000}'), /too large/);
  assert.doesNotThrow(() => compileRegex('a{1000}'));
});

/** Patterns over the syntax V8 and this engine read the same way (ASCII, no \s, no quantified anchors). */
const atom = fc.constantFrom('a', 'b', '.', '[ab]', '[^a]', '\\d', '\\w', '\\W', '-', '\\.', 'x');
const pattern: fc.Arbitrary<string> = fc.letrec<{ node: string }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    atom,
    fc.tuple(tie('node'), tie('node')).map(([a, b]) => a + b),
    fc.tuple(tie('node'), tie('node')).map(([a, b]) => `(?:${a}|${b})`),
    fc.tuple(tie('node'), fc.constantFrom('*', '+', '?', '{2}', '{1,3}', '{0,}', '*?')).map(([a, q]) => `(?:${a})${q}`),
    tie('node').map((a) => `(${a})`),
    tie('node').map((a) => `^${a}`),
    tie('node').map((a) => `${a}$`),
    tie('node').map((a) => `\\b${a}`),
  ),
})).node;
const input = fc.string({ unit: fc.constantFrom('a', 'b', '1', ' ', '-', '.', 'x', '\n'), maxLength: 24 });

test('agrees with V8 RegExp on patterns both engines read the same way', () => {
  fc.assert(
    fc.property(pattern, input, (source, text) => {
      assert.equal(matches(source, text), new RegExp(source).test(text), `${source} on ${JSON.stringify(text)}`);
    }),
    { numRuns: 2000 },
  );
});

const HOSTILE: [string, string][] = [
  ['(a+)+$', `${'a'.repeat(20_000)}!`],
  ['(a|a)*b', 'a'.repeat(20_000)],
  ['(a|aa)+$', `${'a'.repeat(20_000)}!`],
  ['(.*a){12}', 'a'.repeat(20_000)],
  ['^(\\w+\\s?)*$', `${'word '.repeat(4_000)}!`],
  ['.*.*.*.*.*x', 'y'.repeat(20_000)],
  ['(x+x+)+y', 'x'.repeat(20_000)],
  ['^(([a-z])+.)+[A-Z]([a-z])+$', 'a'.repeat(20_000)],
  ['\\d*\\d*\\d*\\d*\\d*z', '1'.repeat(20_000)],
  ['(a|b)*a(a|b){14}', 'ab'.repeat(10_000)],
];

test('hostile patterns on hostile 20 KB inputs finish in linear time', () => {
  for (const [source, text] of HOSTILE) {
    const matcher = compileRegex(source);
    const started = performance.now();
    matcher.test(text);
    const elapsed = performance.now() - started;
    assert.ok(elapsed < 500, `${source}: ${elapsed.toFixed(1)} ms`);
    assert.ok(matcher.cachedStates <= MAX_REGEX_CACHED_STATES);
  }
});

test('a pattern whose DFA is exponential keeps its state cache bounded and its answers right', () => {
  const source = '(a|b)*a(a|b){12}';
  const matcher = compileRegex(source);
  const reference = new RegExp(source);
  fc.assert(
    fc.property(fc.string({ unit: fc.constantFrom('a', 'b'), minLength: 14, maxLength: 400 }), (text) => {
      assert.equal(matcher.test(text), reference.test(text));
      assert.ok(matcher.cachedStates <= MAX_REGEX_CACHED_STATES);
    }),
    { numRuns: 300 },
  );
});

/** Nested and overlapping quantifiers, the shapes behind ReDoS advisories. */
const hostilePattern: fc.Arbitrary<string> = fc.letrec<{ node: string }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom('a', 'a?', 'a*', '.', '\\w', '[a-z]', '(a|aa)', '(a|a)'),
    fc.tuple(tie('node'), tie('node')).map(([a, b]) => a + b),
    fc.tuple(tie('node'), fc.constantFrom('*', '+', '{1,5}', '{0,}')).map(([a, q]) => `(${a})${q}`),
    fc.tuple(tie('node'), tie('node')).map(([a, b]) => `(${a}|${b})`),
  ),
})).node;

test('generated hostile patterns on hostile inputs stay within a linear time bound', () => {
  fc.assert(
    fc.property(
      hostilePattern.map((p) => `^${p}$`),
      fc.integer({ min: 1_000, max: 16_000 }),
      fc.constantFrom('!', 'b', ''),
      (source, length, tail) => {
        let matcher;
        try {
          matcher = compileRegex(source);
        } catch (error) {
          if (error instanceof RegexSyntaxError) return;
          throw error;
        }
        const started = performance.now();
        matcher.test('a'.repeat(length) + tail);
        const elapsed = performance.now() - started;
        assert.ok(elapsed < 1_000, `${source} on ${length} bytes: ${elapsed.toFixed(1)} ms`);
      },
    ),
    { numRuns: 200 },
  );
});
