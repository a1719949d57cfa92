import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LogThrottle } from './log-throttle.ts';

test('one line per key per interval; the next line carries the count left out', () => {
  let now = 10_000;
  const throttle = new LogThrottle(1_000, () => now);
  assert.equal(throttle.admit('http1_request'), 0, 'the first occurrence is logged');
  for (let i = 0; i < 500; i++) assert.equal(throttle.admit('http1_request'), undefined);
  assert.equal(throttle.admit('http2_stream'), 0, 'keys are independent');
  now += 999;
  assert.equal(throttle.admit('http1_request'), undefined, 'still inside the interval');
  now += 1;
  assert.equal(throttle.admit('http1_request'), 501, 'the left-out occurrences, then the count starts again');
  now += 5_000;
  assert.equal(throttle.admit('http1_request'), 0);
});
