import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayError } from '../errors/index.ts';
import { parseWorkers } from './workers-option.ts';

test('--workers: absent is 1, a number is itself, auto is the cores available', () => {
  assert.equal(parseWorkers(undefined), 1);
  assert.equal(parseWorkers('1'), 1);
  assert.equal(parseWorkers('4'), 4);
  assert.equal(
    parseWorkers('auto', () => 6),
    6,
  );
  assert.equal(
    parseWorkers('auto', () => 0),
    1,
  );
});

test('--workers: anything else is a usage error (exit 2)', () => {
  for (const text of ['0', '-1', '1.5', 'two', '', '257', '1e3', ' 2']) {
    assert.throws(
      () => parseWorkers(text),
      (error: unknown) => error instanceof GatewayError && error.code === 'GW_ERR_USAGE' && error.exitCode === 2,
      text,
    );
  }
});
