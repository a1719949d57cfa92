/**
 * RedisChangeChannel against a real redis-server: a hint published by one process reaches the others
 * and not itself, and the subscription comes back by itself after Redis restarts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { redisSkipReason, startRedis, type TestRedis } from '../../../test/helpers/redis.ts';
import { closeRedis, connectRedis } from '../counters/redis-connection.ts';
import { RedisChangeChannel } from './redis-change-channel.ts';

describe('RedisChangeChannel', { skip: redisSkipReason() ?? false }, () => {
  let redis: TestRedis;
  let clients: Redis[] = [];
  let channels: RedisChangeChannel[] = [];
  const hints = [0, 0];

  before(async () => {
    redis = await startRedis();
    clients = await Promise.all([0, 1].map(() => connectRedis({ url: redis.url, onError: () => undefined })));
    channels = await Promise.all(clients.map((client) => RedisChangeChannel.open(client)));
    channels.forEach((channel, index) =>
      channel.onHint(() => {
        hints[index] = (hints[index] ?? 0) + 1;
      }),
    );
  });

  after(async () => {
    await Promise.all(channels.map((channel) => channel.close()));
    await Promise.all(clients.map(closeRedis));
    await redis.stop();
  });

  async function until(condition: () => boolean, limitMs: number): Promise<void> {
    const started = Date.now();
    while (!condition()) {
      if (Date.now() - started > limitMs) assert.fail(`not within ${limitMs} ms (hints ${String(hints)})`);
      await sleep(10);
    }
  }

  test('a hint reaches the other process, not the sender', async () => {
    const [first, second] = channels;
    assert.ok(first !== undefined && second !== undefined);
    await first.publish();
    await until(() => hints[1] === 1, 2000);
    await second.publish();
    await until(() => hints[0] === 1, 2000);
    await sleep(50);
    assert.deepEqual(hints, [1, 1], 'nobody hears their own hint');
  });

  test('while Redis is down publishing rejects; once it is back, hints flow again', async () => {
    const [first] = channels;
    assert.ok(first !== undefined);
    await redis.kill();
    await assert.rejects(first.publish());
    await redis.restart();
    // Hints sent while it was down are lost, so each reconnect counts as one; then both connections
    // are subscribed again and a published hint arrives.
    await until(() => (hints[0] ?? 0) >= 2 && (hints[1] ?? 0) >= 2, 10_000);
    const before = hints[1] ?? 0;
    await until(() => {
      first.publish().catch(() => undefined);
      return (hints[1] ?? 0) > before;
    }, 10_000);
  });
});
