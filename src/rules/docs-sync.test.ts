/**
 * docs/reference/rules-language.md stays true: every field with its type, every function and every error code
 * has a row; every example there and in the schema compiles; the error examples show the errors the parser
 * gives today.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { compileExpression, FIELDS, FUNCTIONS, parseExpression, RuleError } from './index.ts';
import { RULE_ERROR_DEFINITIONS } from './rule-error.ts';
import { typeName } from './types.ts';

const DOCS = readFileSync(path.resolve(import.meta.dirname, '../../docs/reference/rules-language.md'), 'utf8');

/** Table rows as cells, with `\|` unescaped and the backticks of code cells removed. */
function rows(): string[][] {
  return DOCS.split('\n')
    .filter((line) => line.startsWith('| ') && !line.startsWith('| ---'))
    .map((line) =>
      line
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((cell) =>
          cell
            .trim()
            .replaceAll('\\|', '|')
            .replace(/^`(.*)`$/, '$1'),
        ),
    );
}

test('every field is documented with its type and a compiling example that uses it', () => {
  const documented = new Map(rows().map((cells) => [cells[0], cells]));
  for (const field of FIELDS.values()) {
    const row = documented.get(field.name);
    assert.ok(row, `${field.name} has no row`);
    assert.equal(row[1], typeName(field.type), field.name);
    assert.equal(row[3], field.example, `${field.name} example`);
    const rule = compileExpression(field.example);
    assert.ok(rule.fields.includes(field.name), `${field.example} reads ${field.name}`);
  }
});

test('every function is documented with a compiling example', () => {
  const documented = new Map(rows().map((cells) => [cells[0], cells]));
  for (const definition of FUNCTIONS.values()) {
    const row = documented.get(definition.name);
    assert.ok(row, `${definition.name} has no row`);
    assert.equal(row[1], definition.signature);
    assert.equal(row[3], definition.example);
    assert.ok(definition.example.includes(`${definition.name}(`));
    compileExpression(definition.example);
  }
});

test('every error code is documented', () => {
  for (const code of Object.keys(RULE_ERROR_DEFINITIONS)) assert.match(DOCS, new RegExp(`\\| \`${code}\` \\|`));
});

test('the operator examples compile', () => {
  const operators = rows().filter((cells) => cells.length === 6 && cells[0] !== 'English');
  assert.equal(operators.length, 11);
  for (const cells of operators) compileExpression(cells[5] ?? '');
});

test('the error examples are the errors the parser gives', () => {
  const examples = rows().filter((cells) => cells.length === 2 && /^`GW_ERR_RULE_\w+` at \d+: /.test(cells[1] ?? ''));
  assert.ok(examples.length >= 5);
  for (const [expression = '', expected = ''] of examples) {
    assert.throws(
      () => parseExpression(expression),
      (error: RuleError) => {
        assert.equal(`\`${error.code}\` at ${error.position}: ${error.reason}`, expected);
        return true;
      },
    );
  }
});

test('the quoted error excerpt is the one the parser renders', () => {
  const excerpt = /```\n(Filter parsing error \(1:11\):\n[^`]+)```/.exec(DOCS)?.[1];
  assert.ok(excerpt);
  assert.throws(
    () => parseExpression('ip.src == 34'),
    (error: RuleError) => error.excerpt === excerpt,
  );
});
