/**
 * RuleError: a GatewayError with a stable code, the wirefilter-style message and excerpt, and a position the
 * rulesets API can point at; `instanceof` tells it apart from other gateway errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayError, GW_ERR_INTERNAL } from '../errors/index.ts';
import { parseExpression, RuleError } from './index.ts';

function failure(text: string): RuleError {
  try {
    parseExpression(text);
  } catch (error) {
    if (error instanceof RuleError) return error;
    throw error;
  }
  throw new Error(`${text} parsed`);
}

test('message, excerpt, line and column', () => {
  const error = failure('ip.src == 34');
  assert.equal(error.code, 'GW_ERR_RULE_TYPE');
  assert.equal(error.position, 10);
  assert.equal(error.length, 2);
  assert.equal(error.message, 'Filter parsing error (1:11): expected an IP address, found the integer 34');
  assert.equal(
    error.excerpt,
    'Filter parsing error (1:11):\nip.src == 34\n          ^^ expected an IP address, found the integer 34\n',
  );
  assert.equal(error.httpStatus, 400);
  assert.ok(error instanceof GatewayError, 'the admin API renders it like any registry error');
});

test('positions on later lines, and excerpts of long lines are clipped around the caret', () => {
  const multiline = failure('ssl and\n  http.host eq 5');
  assert.equal(multiline.line, 2);
  assert.equal(multiline.column, 16);
  assert.match(multiline.excerpt, /\n {2}http\.host eq 5\n {15}\^ /);
  const long = failure(`http.host eq "${'a'.repeat(500)}" and ssl ssl`);
  const [, line, caret] = long.excerpt.split('\n');
  assert.ok((line ?? '').length < 100 && (line ?? '').startsWith('…'));
  assert.equal((caret ?? '').indexOf('^'), (line ?? '').indexOf('ssl ssl') + 4);
});

test('end of input is reported at the length of the expression', () => {
  const error = failure('http.host eq');
  assert.equal(error.position, 12);
  assert.match(error.excerpt, /\n {12}\^ expected a value after eq, found end of input\n$/);
});

test('instanceof RuleError is specific; other gateway errors are not rule errors', () => {
  assert.ok(!(GW_ERR_INTERNAL.create() instanceof RuleError));
  assert.ok(failure('(') instanceof RuleError);
  const foreign = Object.create({ [Symbol.for('portcullis.rule-error')]: true }) as object;
  assert.ok(foreign instanceof RuleError, 'survives duplicate installs');
});

test('a non-string expression is a RuleError too', () => {
  assert.throws(() => parseExpression(42 as unknown as string), RuleError);
  assert.throws(() => parseExpression(undefined as unknown as string), RuleError);
});
