/**
 * MemoryUsageCounters over the real RateLimiterMemory: exact under concurrency, refusals consume nothing, rate and
 * quota never collide, windows reset (fake clock), windows longer than setTimeout's limit still limit, and
 * limiters whose counters have all ended are dropped.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { MemoryUsageCounters } from './memory-usage-counters.ts';

const DAY = 86_400;

test('exact under concurrency: of N concurrent consumes against L, exactly L are allowed', async () => {
  const counters = new MemoryUsageCounters();
  const decisions = await Promise.all(
    Array.from({ length: 1000 }, () => counters.consumeRate('key:k1', { rate: 100, per: 60 })),
  );
  const allowed = decisions.filter((d) => d.allowed);
  assert.equal(allowed.length, 100);
  assert.deepEqual(
    allowed.map((d) => d.remaining).sort((a, b) => b - a),
    Array.from({ length: 100 }, (_, i) => 99 - i),
  );
  for (const decision of decisions) {
    assert.equal(decision.limit, 100);
    assert.ok(decision.resetMs > 0 && decision.resetMs <= 60_000, String(decision.resetMs));
    if (!decision.allowed) assert.equal(decision.remaining, 0);
  }

  const quotas = await Promise.all(
    Array.from({ length: 500 }, (_, i) => counters.consumeQuota(`k${i % 5}`, { max: 30, renewalRate: DAY })),
  );
  assert.equal(quotas.filter((d) => d.allowed).length, 5 * 30);
  assert.equal(quotas.filter((d, i) => d.allowed && i % 5 === 2).length, 30);
});

test('a refusal consumes nothing: the stored count stays at the limit', async (t) => {
  const get = t.mock.method(RateLimiterMemory.prototype, 'get');
  const counters = new MemoryUsageCounters();
  const quota = { max: 3, renewalRate: 60 };
  const decisions = await Promise.all(Array.from({ length: 20 }, () => counters.consumeQuota('k1', quota)));
  assert.equal(decisions.filter((d) => d.allowed).length, 3);
  assert.equal(await counters.quotaRemaining('k1', quota), 0);
  // The limiter itself (the one quotaRemaining read) holds exactly the limit.
  const limiter = get.mock.calls[0]?.this as RateLimiterMemory;
  assert.equal((await limiter.get('k1'))?.consumedPoints, 3);
  // And the window did not move: every refusal reports the same or an earlier reset.
  const [first] = decisions;
  for (const decision of decisions) assert.ok(decision.resetMs <= (first?.resetMs ?? 0));
});

test('the synchronous answers count the same counters as the promise ones', async () => {
  const counters = new MemoryUsageCounters();
  const limit = { rate: 3, per: 60 };
  assert.equal(counters.consumeRateNow('key:a', limit).remaining, 2);
  assert.equal((await counters.consumeRate('key:a', limit)).remaining, 1);
  assert.deepEqual(
    [counters.consumeRateNow('key:a', limit).allowed, counters.consumeRateNow('key:a', limit).allowed],
    [true, false],
  );
  const quota = { max: 1, renewalRate: 60 };
  assert.equal(counters.consumeQuotaNow('k1', quota).allowed, true);
  assert.equal((await counters.consumeQuota('k1', quota)).allowed, false);
  assert.equal(await counters.quotaRemaining('k1', quota), 0);
  // A limit the counters refuse: thrown at once, rejected by the promise version.
  assert.throws(() => counters.consumeRateNow('key:a', { rate: -1, per: 60 }), RangeError);
  await assert.rejects(counters.consumeRate('key:a', { rate: 1, per: 0 }), RangeError);
});

test('quotaRemaining does not consume', async () => {
  const counters = new MemoryUsageCounters();
  const quota = { max: 2, renewalRate: 60 };
  assert.equal(await counters.quotaRemaining('k1', quota), 2);
  for (let i = 0; i < 5; i++) assert.equal(await counters.quotaRemaining('k1', quota), 2);
  assert.deepEqual((await counters.consumeQuota('k1', quota)).remaining, 1);
  assert.equal(await counters.quotaRemaining('k1', quota), 1);
  assert.equal(await counters.quotaRemaining('k1', quota), 1);
  assert.equal((await counters.consumeQuota('k1', quota)).allowed, true);
  assert.equal((await counters.consumeQuota('k1', quota)).allowed, false);
  assert.equal(await counters.quotaRemaining('k1', quota), 0);
});

test('rate and quota counters never collide, nor buckets, nor different limits', async () => {
  const counters = new MemoryUsageCounters();
  assert.equal((await counters.consumeRate('k1', { rate: 1, per: 60 })).allowed, true);
  assert.equal((await counters.consumeQuota('k1', { max: 1, renewalRate: 60 })).allowed, true);
  assert.equal((await counters.consumeRate('k2', { rate: 1, per: 60 })).allowed, true);
  assert.equal((await counters.consumeRate('k1', { rate: 2, per: 60 })).allowed, true);
  assert.equal((await counters.consumeRate('k1', { rate: 1, per: 61 })).allowed, true);
  assert.equal((await counters.consumeRate('k1', { rate: 1, per: 60 })).allowed, false);
  assert.equal((await counters.consumeQuota('k1', { max: 1, renewalRate: 60 })).allowed, false);
});

test('a count of 0 refuses everything', async () => {
  const counters = new MemoryUsageCounters();
  const decision = await counters.consumeRate('k1', { rate: 0, per: 1 });
  assert.deepEqual(
    { ...decision, resetMs: decision.resetMs > 0 },
    {
      allowed: false,
      limit: 0,
      remaining: 0,
      resetMs: true,
    },
  );
  assert.equal(await counters.quotaRemaining('k1', { max: 0, renewalRate: 1 }), 0);
});

test('limits that were not validated are refused with a RangeError', async () => {
  const counters = new MemoryUsageCounters();
  for (const limit of [
    { rate: -1, per: 1 },
    { rate: 1.5, per: 1 },
    { rate: Number.NaN, per: 1 },
    { rate: 1, per: 0 },
    { rate: 1, per: 0.5 },
    { rate: 1, per: Number.POSITIVE_INFINITY },
  ]) {
    await assert.rejects(counters.consumeRate('k1', limit), RangeError, JSON.stringify(limit));
  }
  await assert.rejects(counters.consumeQuota('k1', { max: 1, renewalRate: -1 }), RangeError);
});

test('a window resets after its duration (fake clock)', async (t) => {
  t.mock.timers.enable({ apis: ['Date', 'setTimeout'], now: 1_000_000 });
  const counters = new MemoryUsageCounters();
  const limit = { rate: 2, per: 1 };
  assert.equal((await counters.consumeRate('k1', limit)).allowed, true);
  t.mock.timers.tick(400);
  assert.equal((await counters.consumeRate('k1', limit)).allowed, true);
  const refused = await counters.consumeRate('k1', limit);
  assert.deepEqual(refused, { allowed: false, limit: 2, remaining: 0, resetMs: 600 });
  t.mock.timers.tick(599);
  assert.equal((await counters.consumeRate('k1', limit)).allowed, false);
  t.mock.timers.tick(1);
  assert.deepEqual(await counters.consumeRate('k1', limit), { allowed: true, limit: 2, remaining: 1, resetMs: 1000 });
});

test('limiters whose counters have all ended are dropped when a new one is made (fake clock)', async (t) => {
  t.mock.timers.enable({ apis: ['Date', 'setTimeout'], now: 1_000_000 });
  const counters = new MemoryUsageCounters();
  await counters.consumeRate('k1', { rate: 5, per: 1 });
  await counters.consumeQuota('k1', { max: 5, renewalRate: 1 });
  await counters.consumeRate('k1', { rate: 6, per: 1 });
  assert.equal(counters.limiterCount, 3);
  t.mock.timers.tick(1000);
  await counters.consumeRate('k1', { rate: 7, per: 1 });
  assert.equal(counters.limiterCount, 2); // rate 5/1 and 6/1 dropped; quota 5/1 waits for a new quota limiter
  await counters.consumeQuota('k1', { max: 9, renewalRate: 1 });
  assert.equal(counters.limiterCount, 2);
  assert.equal(await counters.quotaRemaining('k1', { max: 5, renewalRate: 1 }), 5);
});

test('a 30-day quota still limits (setTimeout cannot wait that long)', async () => {
  const counters = new MemoryUsageCounters();
  const quota = { max: 1, renewalRate: 30 * DAY };
  assert.equal((await counters.consumeQuota('k1', quota)).allowed, true);
  // RateLimiterMemory alone would have deleted the entry after 1 ms and allowed the next request.
  await sleep(20);
  const refused = await counters.consumeQuota('k1', quota);
  assert.equal(refused.allowed, false);
  assert.ok(refused.resetMs > 0 && refused.resetMs <= 30 * DAY * 1000);
  assert.equal(await counters.quotaRemaining('k1', quota), 0);
});

test('long windows are aligned to the epoch and renew together (fake clock)', async (t) => {
  const durationMs = 30 * DAY * 1000;
  t.mock.timers.enable({ apis: ['Date', 'setTimeout'], now: 55 * durationMs + 1000 });
  const counters = new MemoryUsageCounters();
  const quota = { max: 2, renewalRate: 30 * DAY };
  assert.deepEqual(await counters.consumeQuota('k1', quota), {
    allowed: true,
    limit: 2,
    remaining: 1,
    resetMs: durationMs - 1000,
  });
  assert.equal((await counters.consumeQuota('k1', quota)).allowed, true);
  assert.equal((await counters.consumeQuota('k2', quota)).allowed, true);
  t.mock.timers.tick(durationMs - 2000);
  assert.deepEqual(await counters.consumeQuota('k1', quota), { allowed: false, limit: 2, remaining: 0, resetMs: 1000 });
  assert.equal(await counters.quotaRemaining('k2', quota), 1);
  t.mock.timers.tick(1000);
  assert.equal(await counters.quotaRemaining('k1', quota), 2);
  assert.equal((await counters.consumeQuota('k1', quota)).remaining, 1);
  assert.equal(await counters.quotaRemaining('k2', quota), 2);
});
