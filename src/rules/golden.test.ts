/**
 * Golden files (Caddy's adapt tests): each `testdata/*.rule` is an expression, a line `----`, then either the
 * canonical AST as JSON or `error <code> @<position>: <reason>`. Every valid golden also round-trips through
 * the printer and compiles. `UPDATE_GOLDEN=1` rewrites the expectations from the current parser: review the
 * diff before committing it. The last tests check the corpus covers every operator, field type and error code.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { compileExpression, parseExpression, printExpression, RuleError, FIELDS } from './index.ts';
import type { ComparisonOperator } from './ast.ts';
import { RULE_ERROR_DEFINITIONS } from './rule-error.ts';

const DIRECTORY = path.join(import.meta.dirname, 'testdata');
const SEPARATOR = '\n----\n';
const update = process.env.UPDATE_GOLDEN === '1';

function actual(expression: string): string {
  try {
    return JSON.stringify(parseExpression(expression), null, 2);
  } catch (error) {
    if (!(error instanceof RuleError)) throw error;
    return `error ${error.code} @${error.position}: ${error.reason}`;
  }
}

const files = readdirSync(DIRECTORY)
  .filter((name) => name.endsWith('.rule'))
  .sort();
const seen = { operators: new Set<string>(), fields: new Set<string>(), codes: new Set<string>() };

for (const name of files) {
  const file = path.join(DIRECTORY, name);
  const content = readFileSync(file, 'utf8');
  const split = content.indexOf(SEPARATOR);
  assert.ok(split >= 0, `${name} has no ---- line`);
  const expression = content.slice(0, split);
  const expected = content.slice(split + SEPARATOR.length).replace(/\n$/, '');
  const result = actual(expression);

  const match = /^error (\S+) @/.exec(result);
  if (match?.[1] !== undefined) seen.codes.add(match[1]);
  else {
    JSON.parse(result, (key, value: unknown) => {
      if (key === 'operator' && typeof value === 'string') seen.operators.add(value);
      return value;
    });
    for (const field of result.matchAll(/"name": "([a-z0-9_.]+)"/g)) seen.fields.add(field[1] ?? '');
  }

  test(`golden ${name}`, () => {
    if (update && result !== expected) writeFileSync(file, `${expression}${SEPARATOR}${result}\n`);
    else assert.equal(result, expected);
    if (match !== null) return;
    const ast = parseExpression(expression);
    const printed = printExpression(ast);
    assert.deepEqual(parseExpression(printed), ast, `round trip through ${printed}`);
    assert.equal(compileExpression(expression).expression, printed);
  });
}

test('the golden corpus covers every comparison and logical operator', () => {
  const operators: (ComparisonOperator | 'and' | 'or' | 'xor')[] = [
    'eq',
    'ne',
    'lt',
    'le',
    'gt',
    'ge',
    'contains',
    'matches',
    'wildcard',
    'strict wildcard',
    'in',
    'and',
    'or',
    'xor',
  ];
  for (const operator of operators) assert.ok(seen.operators.has(operator), `no golden uses ${operator}`);
});

test('the golden corpus reads a field of every type', () => {
  const kinds = new Set([...seen.fields].map((name) => FIELDS.get(name)?.type.kind));
  for (const kind of ['Bool', 'Int', 'String', 'Ip', 'Array', 'Map'])
    assert.ok(kinds.has(kind as never), `no ${kind} field`);
});

test('the golden corpus has an error of every code', () => {
  for (const code of Object.keys(RULE_ERROR_DEFINITIONS)) assert.ok(seen.codes.has(code), `no golden for ${code}`);
});
