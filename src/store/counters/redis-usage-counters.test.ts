/**
 * RedisUsageCounters against a real redis-server started for the test: exact when two gateways (two
 * adapters, two connections) count concurrently, refusals leave the window where it was, rate and
 * quota never collide, a window resets, and an outage rejects at once (the data plane then fails
 * closed) and heals when Redis is back.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { redisSkipReason, startRedis, type TestRedis } from '../../../test/helpers/redis.ts';
import type { Redis } from 'ioredis';
import { closeRedis, connectRedis, redactRedisUrl } from './redis-connection.ts';
import { RedisUsageCounters } from './redis-usage-counters.ts';
import { RedisHealth } from './redis-health.ts';

describe('RedisUsageCounters', { skip: redisSkipReason() ?? false }, () => {
  let redis: TestRedis;
  let clients: Redis[];
  let healths: RedisHealth[];
  let first: RedisUsageCounters;
  let second: RedisUsageCounters;
  const errors: string[] = [];
  const connect = () => connectRedis({ url: redis.url, onError: (message) => errors.push(message) });

  before(async () => {
    redis = await startRedis();
    const [one, two] = await Promise.all([connect(), connect()]);
    clients = [one, two];
    const quiet = { down: () => undefined, up: () => undefined };
    healths = [new RedisHealth(one, quiet), new RedisHealth(two, quiet)];
    [first, second] = [new RedisUsageCounters(one, healths[0]!), new RedisUsageCounters(two, healths[1]!)];
  });

  after(async () => {
    for (const health of healths) health.stop();
    await Promise.all(clients.map(closeRedis));
    await redis.stop();
  });

  test('two gateways counting at once: of N concurrent consumes against L, exactly L are allowed', async () => {
    const limit = { rate: 100, per: 60 };
    const decisions = await Promise.all(
      Array.from({ length: 600 }, (_, i) => (i % 2 === 0 ? first : second).consumeRate('key:shared', limit)),
    );
    const allowed = decisions.filter((decision) => decision.allowed);
    assert.equal(allowed.length, 100);
    assert.deepEqual(
      allowed.map((decision) => decision.remaining).sort((a, b) => b - a),
      Array.from({ length: 100 }, (_, i) => 99 - i),
    );
    for (const decision of decisions) {
      assert.equal(decision.limit, 100);
      assert.ok(decision.resetMs > 0 && decision.resetMs <= 60_000, String(decision.resetMs));
      if (!decision.allowed) assert.equal(decision.remaining, 0);
    }
  });

  test('quotas: shared, counted apart from rate limits, read without counting', async () => {
    const quota = { max: 5, renewalRate: 86_400 };
    assert.equal(await first.quotaRemaining('k-quota', quota), 5, 'an unused quota is whole');
    const decisions = await Promise.all(
      Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? first : second).consumeQuota('k-quota', quota)),
    );
    assert.equal(decisions.filter((decision) => decision.allowed).length, 5);
    assert.equal(await second.quotaRemaining('k-quota', quota), 0);
    // The same id with a rate limit of the same numbers is another counter.
    assert.equal((await first.consumeRate('k-quota', { rate: 5, per: 86_400 })).allowed, true);
    // A different quota for the same key is a different counter too (a changed limit starts afresh).
    assert.equal(await first.quotaRemaining('k-quota', { max: 6, renewalRate: 86_400 }), 6);
  });

  test('refusals leave the window where it was; it resets when it ends; a count of 0 refuses', async () => {
    const limit = { rate: 2, per: 1 };
    const opened = await first.consumeRate('key:window', limit);
    await second.consumeRate('key:window', limit);
    await sleep(300);
    const refused = await first.consumeRate('key:window', limit);
    assert.equal(refused.allowed, false);
    assert.ok(refused.resetMs <= opened.resetMs - 250, `${refused.resetMs} vs ${opened.resetMs}`);
    await sleep(refused.resetMs + 50);
    assert.equal((await second.consumeRate('key:window', limit)).allowed, true, 'a new window');
    assert.equal((await first.consumeRate('key:none', { rate: 0, per: 60 })).allowed, false);
  });

  test('Redis down: consumes reject at once (fail closed), and count again once it is back', async () => {
    const limit = { rate: 10, per: 60 };
    await redis.kill();
    const started = Date.now();
    await assert.rejects(first.consumeRate('key:outage', limit));
    await assert.rejects(second.consumeQuota('k-outage', { max: 1, renewalRate: 60 }));
    assert.ok(Date.now() - started < 1_500, 'no waiting for a reconnect');
    await sleep(600); // long enough for a reconnect attempt to fail and be reported
    await redis.restart();
    const deadline = Date.now() + 5_000;
    let decision;
    while (decision === undefined && Date.now() < deadline) {
      decision = await first.consumeRate('key:outage', limit).catch(() => sleep(100).then(() => undefined));
    }
    assert.ok(decision?.allowed, 'counting again after the reconnect');
    assert.ok(errors.length > 0, 'the connection errors were reported');
    assert.ok(errors.every((message) => !message.includes('password')));
  });

  test('a server that is not there: connect rejects; the password never shows in a redacted URL', async () => {
    await assert.rejects(
      connectRedis({ url: 'redis://gw:s3cret@127.0.0.1:1', onError: () => undefined }),
      (error: Error) => /^Redis at redis:\/\/gw:\*\*\*@127\.0\.0\.1:1: .*ECONNREFUSED/.test(error.message),
    );
    assert.equal(redactRedisUrl('redis://gw:s3cret@cache.internal:6380/2'), 'redis://gw:***@cache.internal:6380/2');
    assert.equal(redactRedisUrl('redis://cache.internal:6379'), 'redis://cache.internal:6379');
  });
});
