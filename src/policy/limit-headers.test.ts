/**
 * Limit headers: counts as integers, resets in whole seconds rounded up, `retry-after` (≥ 1) only on refusals.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { OutgoingHttpHeaders } from 'node:http';
import type { OutgoingHttpHeaders as Http2Headers } from 'node:http2';
import { resetSeconds, retryAfterSeconds, setQuotaHeaders, setRateLimitHeaders } from './limit-headers.ts';

test('an allowed request: limit, remaining, reset; no retry-after', () => {
  const headers: OutgoingHttpHeaders = { 'content-type': 'application/json' };
  setRateLimitHeaders(headers, { allowed: true, limit: 100, remaining: 42, resetMs: 1500 });
  assert.deepEqual(headers, {
    'content-type': 'application/json',
    'x-ratelimit-limit': '100',
    'x-ratelimit-remaining': '42',
    'x-ratelimit-reset': '2',
  });
});

test('a refused request: remaining 0 and retry-after', () => {
  const headers: Http2Headers = { ':status': 429 };
  setRateLimitHeaders(headers, { allowed: false, limit: 10, remaining: 0, resetMs: 59_001 });
  assert.deepEqual(headers, {
    ':status': 429,
    'x-ratelimit-limit': '10',
    'x-ratelimit-remaining': '0',
    'x-ratelimit-reset': '60',
    'retry-after': '60',
  });
});

test('quota headers', () => {
  const allowed: OutgoingHttpHeaders = {};
  setQuotaHeaders(allowed, { allowed: true, limit: 1000, remaining: 999, resetMs: 86_400_000 });
  assert.deepEqual(allowed, { 'x-quota-limit': '1000', 'x-quota-remaining': '999', 'x-quota-reset': '86400' });
  const refused: OutgoingHttpHeaders = {};
  setQuotaHeaders(refused, { allowed: false, limit: 1000, remaining: 0, resetMs: 10 });
  assert.deepEqual(refused, {
    'x-quota-limit': '1000',
    'x-quota-remaining': '0',
    'x-quota-reset': '1',
    'retry-after': '1',
  });
});

test('seconds: rounded up; retry-after never below 1', () => {
  assert.equal(resetSeconds(0), 0);
  assert.equal(resetSeconds(-5), 0);
  assert.equal(resetSeconds(1), 1);
  assert.equal(resetSeconds(1000), 1);
  assert.equal(resetSeconds(1001), 2);
  assert.equal(resetSeconds(Number.NaN), 0);
  assert.equal(retryAfterSeconds(0), 1);
  assert.equal(retryAfterSeconds(-1), 1);
  assert.equal(retryAfterSeconds(2500), 3);
});
