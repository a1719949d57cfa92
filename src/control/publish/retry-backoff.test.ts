import { test } from 'node:test';
import assert from 'node:assert/strict';
import { retryDelayMs } from './retry-backoff.ts';

test('doubles from the base with each failure, up to the maximum', () => {
  const top = () => 1; // the random half at its largest
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6, 50].map((failures) => retryDelayMs(failures, 500, 5000, top)),
    [500, 1000, 2000, 4000, 5000, 5000, 5000],
  );
});

test('jitter: half the delay is fixed, the other half random', () => {
  assert.equal(
    retryDelayMs(3, 500, 5000, () => 0),
    1000,
  );
  assert.equal(
    retryDelayMs(3, 500, 5000, () => 0.5),
    1500,
  );
  for (let i = 0; i < 200; i++) {
    const delay = retryDelayMs(4, 500, 5000);
    assert.ok(delay >= 2000 && delay <= 4000, String(delay));
  }
});

test('a count below one is treated as the first failure', () => {
  assert.equal(
    retryDelayMs(0, 500, 5000, () => 1),
    500,
  );
});
