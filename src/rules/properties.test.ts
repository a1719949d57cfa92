/**
 * Property tests (fast-check): the printer and parser are inverse on generated well-typed ASTs; the parser throws
 * RuleError and nothing else on any text (random, token soup, deep nesting, 4096 characters), with a position
 * inside the text; compiled rules evaluate to a boolean on any request, in bounded time with hostile regexes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Expression, SetItem, StringLiteral, ValueExpression } from './ast.ts';
import { compileExpression, FIELDS, parseExpression, printExpression, RuleError } from './index.ts';
import { fakeContext } from '../../test/helpers/fake-rule-context.ts';
import { toByteString } from './byte-string.ts';
import { formatIpv4, formatIpv6 } from './ip-address.ts';
import { MAX_EXPRESSION_LENGTH } from './limits.ts';
import { parseWildcard } from './wildcard.ts';

const fieldsOf = (kind: string): string[] =>
  [...FIELDS.values()].filter((f) => f.type.kind === kind).map((f) => f.name);
const STRING_FIELDS = fieldsOf('String');
const BOOL_FIELDS = fieldsOf('Bool');

const field = (name: string): ValueExpression => ({ type: 'field', name });
/** Byte strings: arbitrary bytes, or the UTF-8 of text (printed back as text, C1 controls escaped). */
const byteString = fc.oneof(
  fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 10 }).map((bytes) => String.fromCharCode(...bytes)),
  fc.string({ unit: 'grapheme', maxLength: 6 }).map(toByteString),
);
const stringLiteral = byteString.map((value): StringLiteral => ({ type: 'string', value }));
const headerKey = fc.string({ unit: fc.constantFrom('a', 'b', 'x', '-', '_', '1'), minLength: 1, maxLength: 8 });

const stringValue: fc.Arbitrary<ValueExpression> = fc.letrec<{ value: ValueExpression }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', maxDepth: 3 },
    fc.constantFrom(...STRING_FIELDS).map(field),
    fc.tuple(headerKey, fc.nat(3)).map(([key, index]): ValueExpression => ({
      type: 'index',
      target: { type: 'key', target: field('http.request.headers'), key },
      index,
    })),
    fc.nat(5).map((index): ValueExpression => ({ type: 'index', target: field('http.request.headers.names'), index })),
    fc
      .tuple(fc.constantFrom('lower' as const, 'upper' as const), tie('value'))
      .map(([name, argument]): ValueExpression => ({ type: 'call', name, args: [argument] })),
    fc
      .tuple(fc.oneof(tie('value'), stringLiteral), fc.array(fc.oneof(tie('value'), stringLiteral), { maxLength: 2 }))
      .map(([first, rest]): ValueExpression => ({ type: 'call', name: 'concat', args: [first, ...rest] })),
  ),
})).value;

const intValue: fc.Arbitrary<ValueExpression> = fc.oneof(
  fc.constant(field('cf.edge.server_port')),
  stringValue.map((argument): ValueExpression => ({ type: 'call', name: 'len', args: [argument] })),
  fc
    .constantFrom('http.request.headers.names', 'http.request.headers.values')
    .map((name): ValueExpression => ({ type: 'call', name: 'len', args: [field(name)] })),
);

const wildcardPattern = fc
  .array(
    fc
      .array(fc.constantFrom('a', 'B', '/', '.', '\\*', '\\\\', '\xc3\xa9', '"', '\n'), { maxLength: 3 })
      .map((s) => s.join('')),
    { minLength: 1, maxLength: 4 },
  )
  .map((segments) => segments.join('*'))
  .filter((pattern) => {
    try {
      parseWildcard(pattern);
      return true;
    } catch {
      return false;
    }
  });

const regexPattern = fc.constantFrom(
  '^/api/v[0-9]+/',
  '\\.php$',
  '(?i)admin',
  'a"b',
  '["]',
  '"#',
  '"##x',
  'a\\"b',
  '',
  '[[:digit:]]+',
  'é',
  '\\x41|b|c',
  '(?m)^x$',
  '(a+)+$',
);

const STRING_OPERATORS = ['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'contains'] as const;
const ORDER_OPERATORS = ['eq', 'ne', 'lt', 'le', 'gt', 'ge'] as const;

const stringComparison: fc.Arbitrary<Expression> = fc.oneof(
  fc
    .tuple(stringValue, fc.constantFrom(...STRING_OPERATORS), stringLiteral)
    .map(([left, operator, right]): Expression => ({ type: 'comparison', operator, left, right })),
  fc
    .tuple(stringValue, fc.constantFrom('wildcard' as const, 'strict wildcard' as const), wildcardPattern)
    .map(([left, operator, value]): Expression => ({
      type: 'comparison',
      operator,
      left,
      right: { type: 'string', value },
    })),
  fc.tuple(stringValue, regexPattern).map(([left, pattern]): Expression => ({
    type: 'comparison',
    operator: 'matches',
    left,
    right: { type: 'regex', pattern },
  })),
  fc
    .tuple(stringValue, fc.array(stringLiteral, { minLength: 1, maxLength: 4 }))
    .map(([left, items]): Expression => ({ type: 'comparison', operator: 'in', left, right: { type: 'set', items } })),
);

const integer = fc.integer({ min: -100_000, max: 100_000 });
const intItem = fc.oneof(
  integer.map((value): SetItem => ({ type: 'int', value })),
  fc.tuple(integer, fc.nat(1000)).map(([from, width]): SetItem => ({ type: 'int_range', from, to: from + width })),
);
const intComparison: fc.Arbitrary<Expression> = fc.oneof(
  fc.tuple(intValue, fc.constantFrom(...ORDER_OPERATORS), integer).map(([left, operator, value]): Expression => ({
    type: 'comparison',
    operator,
    left,
    right: { type: 'int', value },
  })),
  fc
    .tuple(intValue, fc.array(intItem, { minLength: 1, maxLength: 4 }))
    .map(([left, items]): Expression => ({ type: 'comparison', operator: 'in', left, right: { type: 'set', items } })),
);

const v4 = fc.bigInt({ min: 0n, max: (1n << 32n) - 1n });
const v6 = fc.bigInt({ min: 0n, max: (1n << 128n) - 1n });
const ipText = fc.oneof(v4.map(formatIpv4), v6.map(formatIpv6));
const cidr = fc.oneof(
  fc.tuple(v4, fc.integer({ min: 0, max: 32 })).map(([value, prefix]) => {
    const host = (1n << BigInt(32 - prefix)) - 1n;
    return `${formatIpv4(value & ~host)}/${prefix}`;
  }),
  fc.tuple(v6, fc.integer({ min: 0, max: 128 })).map(([value, prefix]) => {
    const host = (1n << BigInt(128 - prefix)) - 1n;
    return `${formatIpv6(value & ~host)}/${prefix}`;
  }),
);
const ipRange = fc.oneof(
  fc.tuple(v4, v4).map(([a, b]) => (a <= b ? [a, b] : [b, a]).map(formatIpv4)),
  fc.tuple(v6, v6).map(([a, b]) => (a <= b ? [a, b] : [b, a]).map(formatIpv6)),
);
const ipItem: fc.Arbitrary<SetItem> = fc.oneof(
  ipText.map((value): SetItem => ({ type: 'ip', value })),
  cidr.map((value): SetItem => ({ type: 'cidr', value })),
  ipRange.map(([from, to]): SetItem => ({ type: 'ip_range', from: from ?? '', to: to ?? '' })),
);
const ipComparison: fc.Arbitrary<Expression> = fc.oneof(
  fc.tuple(fc.constantFrom('eq' as const, 'ne' as const), ipText).map(([operator, value]): Expression => ({
    type: 'comparison',
    operator,
    left: field('ip.src'),
    right: { type: 'ip', value },
  })),
  fc.array(ipItem, { minLength: 1, maxLength: 4 }).map((items): Expression => ({
    type: 'comparison',
    operator: 'in',
    left: field('ip.src'),
    right: { type: 'set', items },
  })),
);

/** Left sides expanded with [*]: what any()/all() quantify over. */
const expandedString: fc.Arbitrary<ValueExpression> = fc.oneof(
  fc
    .constantFrom('http.request.headers.names', 'http.request.headers.values')
    .map((name): ValueExpression => ({ type: 'expand', target: field(name) })),
  headerKey.map((key): ValueExpression => ({
    type: 'expand',
    target: { type: 'key', target: field('http.request.headers'), key },
  })),
  fc.nat(2).map((index): ValueExpression => ({
    type: 'index',
    target: { type: 'expand', target: field('http.request.headers') },
    index,
  })),
  fc.constantFrom('lower' as const, 'upper' as const).map((name): ValueExpression => ({
    type: 'expand',
    target: { type: 'call', name, args: [{ type: 'expand', target: field('http.request.headers.names') }] },
  })),
);
const quantified: fc.Arbitrary<Expression> = fc
  .tuple(
    fc.constantFrom('any' as const, 'all' as const),
    fc.oneof(
      fc
        .tuple(expandedString, fc.constantFrom(...STRING_OPERATORS), stringLiteral)
        .map(([left, operator, right]): Expression => ({ type: 'comparison', operator, left, right })),
      fc
        .tuple(fc.constantFrom('starts_with' as const, 'ends_with' as const), stringLiteral)
        .map(([name, affix]): Expression => ({
          type: 'predicate',
          value: { type: 'call', name, args: [{ type: 'expand', target: field('http.request.headers.names') }, affix] },
        })),
    ),
  )
  .map(([name, argument]): Expression => ({ type: 'predicate', value: { type: 'call', name, args: [argument] } }));

const booleanLeaf: fc.Arbitrary<Expression> = fc.oneof(
  fc.constantFrom(...BOOL_FIELDS).map((name): Expression => ({ type: 'predicate', value: field(name) })),
  fc.boolean().map((value): Expression => ({ type: 'boolean', value })),
  fc
    .tuple(fc.constantFrom('starts_with' as const, 'ends_with' as const), stringValue, stringLiteral)
    .map(([name, source, affix]): Expression => ({
      type: 'predicate',
      value: { type: 'call', name, args: [source, affix] },
    })),
  quantified,
);

function logical(operator: 'and' | 'or' | 'xor', operands: Expression[]): Expression {
  const flat = operands.flatMap((o) => (o.type === 'logical' && o.operator === operator ? o.operands : [o]));
  return { type: 'logical', operator, operands: flat };
}

const expression: fc.Arbitrary<Expression> = fc.letrec<{ expression: Expression }>((tie) => ({
  expression: fc.oneof(
    { depthSize: 'small', maxDepth: 4 },
    fc.oneof(stringComparison, intComparison, ipComparison, booleanLeaf),
    tie('expression').map((operand): Expression => ({ type: 'not', operand })),
    fc
      .tuple(
        fc.constantFrom('and' as const, 'or' as const, 'xor' as const),
        fc.array(tie('expression'), { minLength: 2, maxLength: 4 }),
      )
      .map(([operator, operands]) => logical(operator, operands)),
  ),
})).expression;

test('printing then parsing gives back any well-typed AST', () => {
  fc.assert(
    fc.property(expression, (ast) => {
      const text = printExpression(ast);
      assert.deepEqual(parseExpression(text), ast, text);
    }),
    { numRuns: 1500 },
  );
});

test('compiled rules evaluate to a boolean on any request, and canonical text is a fixed point', () => {
  const request = fc.record({
    host: fc.string({ maxLength: 20 }),
    path: byteString,
    headers: fc.array(fc.tuple(fc.constantFrom('Accept', 'X-Api-Key', 'accept', 'User-Agent', 'a'), byteString), {
      maxLength: 6,
    }),
  });
  const connection = fc.record({ ip: fc.oneof(v4.map(formatIpv4), v6.map(formatIpv6)), serverPort: fc.nat(65535) });
  fc.assert(
    fc.property(expression, request, connection, (ast, requestOptions, connectionOptions) => {
      const rule = compileExpression(printExpression(ast));
      assert.equal(compileExpression(rule.expression).expression, rule.expression);
      const result = rule.evaluate(fakeContext({ request: requestOptions, connection: connectionOptions }));
      assert.equal(typeof result, 'boolean');
    }),
    { numRuns: 500 },
  );
});

function assertOnlyRuleErrors(text: string): void {
  let ast: Expression;
  try {
    ast = parseExpression(text);
  } catch (error) {
    if (!(error instanceof RuleError)) throw error;
    assert.ok(error.position >= 0 && error.position <= text.length, `position ${error.position} in ${text.length}`);
    assert.ok(!error.reason.includes('\n'), 'a reason is one line');
    assert.match(error.message, /^Filter parsing error \(\d+:\d+\): /);
    return;
  }
  const printed = printExpression(ast);
  assert.deepEqual(parseExpression(printed), ast, `${text} printed as ${printed}`);
}

const TOKENS = [
  '(',
  ')',
  'not',
  '!',
  'and',
  'or',
  'xor',
  '&&',
  '||',
  '^^',
  'http.host',
  'ssl',
  'ip.src',
  'cf.edge.server_port',
  'http.request.headers',
  'http.request.headers.names',
  '["a"]',
  '[0]',
  '[*]',
  '[',
  ']',
  'eq',
  '==',
  'ne',
  'lt',
  '>=',
  'in',
  '{',
  '}',
  '"a"',
  'r#"x"#',
  'r"',
  '"',
  '"\\x',
  '\\',
  '1',
  '-1',
  '0x1F',
  '08',
  '1..2',
  '10.0.0.0/8',
  '::1',
  '1.2.3.4..1.2.3.9',
  'matches',
  '~',
  '"(a+)+$"',
  '"(?=a)"',
  'wildcard',
  'strict',
  '"a**"',
  'contains',
  'any(',
  'all(',
  'lower(',
  'len(',
  'concat(',
  'starts_with(',
  ',',
  'true',
  'false',
  '$list',
  '=',
  '&',
  '#',
  'é',
  '\n',
  '\t',
];

test('the parser throws RuleError and nothing else on token soup', () => {
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...TOKENS), { maxLength: 40 }), fc.constantFrom(' ', ''), (tokens, glue) => {
      assertOnlyRuleErrors(tokens.join(glue));
    }),
    { numRuns: 5000 },
  );
});

test('the parser throws RuleError and nothing else on arbitrary strings', () => {
  fc.assert(fc.property(fc.string({ maxLength: 300 }), assertOnlyRuleErrors), { numRuns: 2000 });
  fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 100 }), assertOnlyRuleErrors), { numRuns: 1000 });
  fc.assert(
    fc.property(
      fc.string({ minLength: MAX_EXPRESSION_LENGTH - 4, maxLength: MAX_EXPRESSION_LENGTH + 4 }),
      assertOnlyRuleErrors,
    ),
    { numRuns: 50 },
  );
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...TOKENS), { minLength: 1, maxLength: 20 }), (tokens) => {
      const unit = tokens.join(' ');
      const text = unit.repeat(Math.ceil(MAX_EXPRESSION_LENGTH / (unit.length + 1))).slice(0, MAX_EXPRESSION_LENGTH);
      assertOnlyRuleErrors(text);
    }),
    { numRuns: 200 },
  );
});

test('deep nesting is refused with a limit error, never a stack overflow', () => {
  const openers = ['(', 'not ', '!', 'any(', 'lower(', 'concat(', 'len(', '[', '{', 'http.request.headers[*]'];
  for (const opener of openers) {
    for (const depth of [1, 63, 64, 65, 100, 1000, 5000]) {
      const text = opener.repeat(depth) + 'ssl' + ')'.repeat(opener.endsWith('(') ? depth : 0);
      assertOnlyRuleErrors(text);
    }
  }
  const deepest = `${'('.repeat(64)}ssl${')'.repeat(64)}`;
  assert.doesNotThrow(() => parseExpression(deepest));
  assert.throws(
    () => parseExpression(`(${deepest})`),
    (error: RuleError) => error.code === 'GW_ERR_RULE_LIMIT',
  );
  const longChain = Array.from({ length: 400 }, () => 'ssl').join(' and ');
  assert.equal(compileExpression(longChain).evaluate(fakeContext()), true, 'long flat chains are not deep');
});

const hostileRegex = fc.letrec<{ node: string }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom('a', 'a?', 'a*', '.', '\\w', '[a-z]', '(a|aa)', '(a|a)', '.*'),
    fc.tuple(tie('node'), tie('node')).map(([a, b]) => a + b),
    fc.tuple(tie('node'), fc.constantFrom('*', '+', '{2,9}', '{0,}')).map(([a, q]) => `(${a})${q}`),
    fc.tuple(tie('node'), tie('node')).map(([a, b]) => `(${a}|${b})`),
  ),
})).node;

test('rules with hostile regexes evaluate hostile requests in bounded time', () => {
  fc.assert(
    fc.property(
      hostileRegex,
      fc.integer({ min: 1_000, max: 16_000 }),
      fc.constantFrom('!', 'b', ''),
      (pattern, length, tail) => {
        let rule;
        try {
          rule = compileExpression(
            `http.user_agent matches r"^${pattern}$" or http.request.uri.path matches r"${pattern}x"`,
          );
        } catch (error) {
          if (error instanceof RuleError && error.code === 'GW_ERR_RULE_REGEX') return;
          throw error;
        }
        const hostile = 'a'.repeat(length) + tail;
        const context = fakeContext({ request: { path: hostile, headers: [['User-Agent', hostile]] } });
        const started = performance.now();
        rule.evaluate(context);
        const elapsed = performance.now() - started;
        assert.ok(elapsed < 1_000, `${pattern} on ${length} bytes took ${elapsed.toFixed(1)} ms`);
      },
    ),
    { numRuns: 150 },
  );
});
