import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SignInThrottle } from './sign-in-throttle.ts';

test('an address is refused after maxFailures failures until its window ends', () => {
  let now = 1_000;
  const throttle = new SignInThrottle({ maxFailures: 3, windowMs: 60_000, now: () => now });
  for (let i = 0; i < 3; i++) {
    assert.equal(throttle.retryAfterMs('10.0.0.1'), 0);
    throttle.failed('10.0.0.1');
  }
  assert.equal(throttle.retryAfterMs('10.0.0.1'), 60_000);
  assert.equal(throttle.retryAfterMs('10.0.0.2'), 0, 'other addresses are not affected');
  now += 59_000;
  assert.equal(throttle.retryAfterMs('10.0.0.1'), 1_000);
  now += 1_000;
  assert.equal(throttle.retryAfterMs('10.0.0.1'), 0, 'a new window starts afresh');
});

test('the table of addresses stays bounded', () => {
  const throttle = new SignInThrottle({ maxFailures: 1, windowMs: 60_000, maxAddresses: 2, now: () => 0 });
  throttle.failed('a');
  throttle.failed('b');
  throttle.failed('c');
  assert.equal(throttle.retryAfterMs('a'), 0, 'the oldest address was dropped');
  assert.ok(throttle.retryAfterMs('b') > 0);
  assert.ok(throttle.retryAfterMs('c') > 0);
});
