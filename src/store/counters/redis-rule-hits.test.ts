/**
 * RedisRuleHits against a real redis-server started for the test, two instances (two gateways, two
 * connections) on it: their hits add up and the last hit is the latest either saw; a read includes
 * this process's hits not yet flushed; an outage loses no hit and counts none twice (also when Redis
 * ran a batch whose reply never came); a read while Redis is down answers this process's own counts
 * and says so; closing writes what is left.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { redisSkipReason, startRedis, type TestRedis } from '../../../test/helpers/redis.ts';
import type { RuleHitReport } from '../../runtime-config/rule-hits.ts';
import { closeRedis, connectRedis } from './redis-connection.ts';
import { RedisRuleHits } from './redis-rule-hits.ts';

const T0 = Date.parse('2026-03-01T12:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();
const newId = () => randomBytes(16).toString('hex');

/** The report as [rule id, hits, last hit] sorted by rule id, and its flag. */
function summary(report: RuleHitReport): { counts: [string, number, string][]; local: boolean } {
  return {
    counts: report.counts
      .map((count): [string, number, string] => [count.ruleId, count.hits, count.lastHitAt])
      .sort((a, b) => a[0].localeCompare(b[0])),
    local: report.sharedUnavailable !== undefined,
  };
}

describe('RedisRuleHits', { skip: redisSkipReason() ?? false }, () => {
  let redis: TestRedis;
  let clients: Redis[] = [];
  const flushErrors: string[] = [];
  /** A gateway's counts on its own connection; flushed by hand unless `flushIntervalMs` says otherwise. */
  const open = async (flushIntervalMs = 3_600_000): Promise<RedisRuleHits> => {
    const client = await connectRedis({ url: redis.url, onError: () => undefined });
    clients.push(client);
    return new RedisRuleHits(client, { flushIntervalMs, onFlushError: (message) => flushErrors.push(message) });
  };
  let first: RedisRuleHits;
  let second: RedisRuleHits;

  before(async () => {
    redis = await startRedis();
    [first, second] = await Promise.all([open(), open()]);
  });

  // In registration order: the instances, then their connections, then the server.
  after(async () => {
    await Promise.all([first.close(), second.close()]);
    await Promise.all(clients.map(closeRedis));
    clients = [];
    await redis.stop();
  });

  test('two gateways: each reads the sum of both; the last hit is the latest either saw', async () => {
    const ruleset = newId();
    first.record(ruleset, 'rule-a', T0 + 5_000);
    first.record(ruleset, 'rule-a', T0 + 6_000);
    first.record(ruleset, 'rule-b', T0 + 1_000);
    second.record(ruleset, 'rule-a', T0 + 4_000); // earlier than first's, and flushed after it
    second.record(ruleset, 'rule-c', T0 + 2_000);
    first.record(newId(), 'rule-a', T0 + 9_000); // another ruleset's: not counted in this one
    await first.flush();
    await second.flush();
    const expected = {
      counts: [
        ['rule-a', 3, at(6_000)],
        ['rule-b', 1, at(1_000)],
        ['rule-c', 1, at(2_000)],
      ],
      local: false,
    };
    assert.deepEqual(summary(await first.forRuleset(ruleset)), expected);
    assert.deepEqual(summary(await second.forRuleset(ruleset)), expected);
    await first.flush(); // nothing new: writes nothing, counts nothing twice
    assert.deepEqual(summary(await second.forRuleset(ruleset)), expected);
    assert.deepEqual(await first.forRuleset(newId()), { counts: [], sharedUnavailable: undefined });
  });

  test("a read adds this gateway's hits not yet flushed; the other gateway sees them once flushed", async () => {
    const ruleset = newId();
    first.record(ruleset, 'rule-a', T0 + 1_000);
    await first.flush();
    first.record(ruleset, 'rule-a', T0 + 2_000);
    first.record(ruleset, 'rule-b', T0 + 3_000);
    assert.deepEqual(summary(await first.forRuleset(ruleset)).counts, [
      ['rule-a', 2, at(2_000)],
      ['rule-b', 1, at(3_000)],
    ]);
    assert.deepEqual(summary(await second.forRuleset(ruleset)).counts, [['rule-a', 1, at(1_000)]]);
    await first.flush();
    assert.deepEqual(summary(await second.forRuleset(ruleset)).counts, [
      ['rule-a', 2, at(2_000)],
      ['rule-b', 1, at(3_000)],
    ]);
  });

  test('flushed about every second on its own', async () => {
    const ruleset = newId();
    const ticking = await open(50);
    try {
      ticking.record(ruleset, 'rule-a', T0);
      const deadline = Date.now() + 3_000;
      while ((await second.forRuleset(ruleset)).counts.length === 0) {
        assert.ok(Date.now() < deadline, 'not flushed within 3 s');
        await sleep(25);
      }
      assert.deepEqual(summary(await second.forRuleset(ruleset)).counts, [['rule-a', 1, at(0)]]);
    } finally {
      await ticking.close();
    }
  });

  test('Redis down: hits are kept, a read answers this gateway’s own counts with a flag; back up: exact', async () => {
    const ruleset = newId();
    first.record(ruleset, 'rule-a', T0 + 1_000);
    await first.flush(); // lost with the server below (it restarts empty): only later hits can be checked
    first.record(ruleset, 'rule-a', T0 + 2_000);
    second.record(ruleset, 'rule-a', T0 + 3_000);
    await redis.kill();
    try {
      first.record(ruleset, 'rule-a', T0 + 4_000);
      first.record(ruleset, 'rule-b', T0 + 5_000);
      const started = Date.now();
      await assert.rejects(first.flush());
      await assert.rejects(first.flush()); // a second failure adds nothing either
      await assert.rejects(second.flush());
      assert.ok(Date.now() - started < 1_500, 'no waiting for a reconnect');
      // This gateway's counts since start, flushed or not; the flag says they are not the cluster's.
      assert.deepEqual(summary(await first.forRuleset(ruleset)), {
        counts: [
          ['rule-a', 3, at(4_000)],
          ['rule-b', 1, at(5_000)],
        ],
        local: true,
      });
      assert.deepEqual(summary(await second.forRuleset(ruleset)), {
        counts: [['rule-a', 1, at(3_000)]],
        local: true,
      });
    } finally {
      await redis.restart();
    }
    await untilFlushed(first);
    await untilFlushed(second);
    await first.flush(); // again: nothing is written twice
    // Every hit made after the first flush, once: 2 of first's and 1 of second's for rule-a.
    const expected = {
      counts: [
        ['rule-a', 3, at(4_000)],
        ['rule-b', 1, at(5_000)],
      ],
      local: false,
    };
    assert.deepEqual(summary(await first.forRuleset(ruleset)), expected);
    assert.deepEqual(summary(await second.forRuleset(ruleset)), expected);
    assert.ok(flushErrors.length === 0, 'failed flushes by hand reject; only the timer reports');
  });

  test('a batch Redis ran but whose reply was lost is not counted twice when sent again', async () => {
    const ruleset = newId();
    first.record(ruleset, 'rule-a', T0 + 1_000);
    first.record(ruleset, 'rule-a', T0 + 2_000);
    // Redis holds writes (scripts included) for 1.5 s: the flush times out after 1 s, then Redis runs it.
    const admin = await connectRedis({ url: redis.url, onError: () => undefined });
    try {
      await admin.call('CLIENT', 'PAUSE', '1500', 'WRITE');
      await assert.rejects(first.flush(), /timed out/);
      first.record(ruleset, 'rule-a', T0 + 3_000); // after the lost batch: must be written once too
      await sleep(800); // the pause is over and the batch applied
      assert.deepEqual(summary(await second.forRuleset(ruleset)).counts, [['rule-a', 2, at(2_000)]]);
      await first.flush(); // sends the lost batch again (a no-op now), then the newer hit
    } finally {
      await closeRedis(admin);
    }
    assert.deepEqual(summary(await second.forRuleset(ruleset)).counts, [['rule-a', 3, at(3_000)]]);
    assert.deepEqual(summary(await first.forRuleset(ruleset)).counts, [['rule-a', 3, at(3_000)]]);
  });

  test('close writes the hits left; with Redis down it rejects, saying how many are lost', async () => {
    const ruleset = newId();
    const closing = await open();
    closing.record(ruleset, 'rule-a', T0);
    closing.record(ruleset, 'rule-a', T0 + 1);
    await closing.close();
    assert.deepEqual(summary(await second.forRuleset(ruleset)).counts, [['rule-a', 2, at(1)]]);

    const stranded = await open();
    stranded.record(ruleset, 'rule-b', T0);
    await redis.kill();
    try {
      await assert.rejects(stranded.close(), /^Error: 1 rule hits not written: /);
    } finally {
      await redis.restart();
    }
  });
});

/** Flushes until the client has reconnected and Redis took everything. */
async function untilFlushed(hits: RedisRuleHits): Promise<void> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    try {
      await hits.flush();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(100);
    }
  }
}
