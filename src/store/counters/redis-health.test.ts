/**
 * RedisHealth against a real redis-server that is frozen (SIGSTOP: the connection stays open,
 * nothing answers), resumed, killed and restarted: a command that gets no answer marks Redis down,
 * the commands after it are refused at once instead of each waiting for the command timeout, the
 * heartbeat finds an outage with no traffic at all, the probe marks Redis up when it answers again,
 * and each change of state is reported once. A reply error (Redis answered) is no outage.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Redis } from 'ioredis';
import { redisSkipReason, startRedis, type TestRedis } from '../../../test/helpers/redis.ts';
import { CountersUnavailableError } from '../../policy/usage-counters.ts';
import { closeRedis, connectRedis } from './redis-connection.ts';
import { RedisHealth } from './redis-health.ts';

async function until(condition: () => boolean, limitMs: number, what: string): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > limitMs) assert.fail(`${what}: not within ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('RedisHealth', { skip: redisSkipReason() ?? false }, () => {
  let redis: TestRedis;
  let client: Redis;
  let health: RedisHealth;
  const events: string[] = [];

  before(async () => {
    redis = await startRedis();
    client = await connectRedis({ url: redis.url, onError: (message) => health.connectionError(message) });
    health = new RedisHealth(client, { down: (reason) => events.push(`down: ${reason}`), up: () => events.push('up') });
  });

  after(async () => {
    health.stop();
    await closeRedis(client);
    await redis.stop();
  });

  test('frozen: the first command times out and marks it down, the next are refused at once; resumed: up again', async () => {
    assert.equal(await health.run(() => client.ping()), 'PONG');
    events.length = 0;
    redis.freeze();
    try {
      await assert.rejects(
        health.run(() => client.incr('health:frozen')),
        CountersUnavailableError,
      );
      assert.equal(health.up, false);
      let sent = 0;
      const started = Date.now();
      for (let i = 0; i < 50; i++) {
        await assert.rejects(
          health.run(() => {
            sent += 1;
            return client.incr('health:frozen');
          }),
          CountersUnavailableError,
        );
      }
      assert.equal(sent, 0, 'nothing sent while known down');
      assert.ok(Date.now() - started < 500, 'fifty refusals without a timeout each');
    } finally {
      redis.thaw();
    }
    await until(() => health.up, 5000, 'marked up by the probe');
    assert.equal(await health.run(() => client.ping()), 'PONG');
    assert.deepEqual(events, ['down: Command timed out', 'up']);
  });

  test('the heartbeat finds a frozen Redis with no command sent', async () => {
    events.length = 0;
    redis.freeze();
    try {
      await until(() => !health.up, 5000, 'marked down by the heartbeat');
    } finally {
      redis.thaw();
    }
    await until(() => health.up, 5000, 'marked up again');
    assert.deepEqual(events, ['down: Command timed out', 'up']);
  });

  test('killed and restarted: down once (however many reconnect errors), up once', async () => {
    events.length = 0;
    await redis.kill();
    try {
      await until(() => !health.up, 3000, 'marked down');
      await new Promise((resolve) => setTimeout(resolve, 1500)); // several failed reconnects
      await assert.rejects(
        health.run(() => client.ping()),
        CountersUnavailableError,
      );
    } finally {
      await redis.restart();
    }
    await until(() => health.up, 8000, 'marked up after the reconnect');
    assert.equal(events.length, 2, events.join(' | '));
    assert.match(events[0] ?? '', /^down: /);
    assert.equal(events[1], 'up');
  });

  test('a reply error is an answer: it passes through and Redis stays up', async () => {
    await client.set('health:text', 'not a number');
    await assert.rejects(
      health.run(() => client.incr('health:text')),
      (error: Error) => !(error instanceof CountersUnavailableError) && /not an integer/.test(error.message),
    );
    assert.equal(health.up, true);
  });
});
