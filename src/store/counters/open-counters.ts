/**
 * The usage counters `serve` runs with: in process by default, Redis with `--redis` (a cluster's
 * gateways then share every rate limit and quota). Only the composition root calls this.
 */
import type { Logger } from 'pino';
import type { UsageCounters } from '../../policy/usage-counters.ts';
import { MemoryUsageCounters } from './memory-usage-counters.ts';
import { redactRedisUrl, RedisUsageCounters } from './redis-usage-counters.ts';

/** Connection errors are logged at most this often while ioredis reconnects. */
const ERROR_LOG_INTERVAL_MS = 10_000;

export interface OpenUsageCounters {
  readonly counters: UsageCounters;
  /** Where they count, for the start-up log: `memory` or the redacted Redis URL. */
  readonly location: string;
  close(): Promise<void>;
}

/** Rejects when Redis does not answer at start: a cluster must not run on per-process limits. */
export async function openUsageCounters(redisUrl: string | undefined, logger: Logger): Promise<OpenUsageCounters> {
  if (redisUrl === undefined) {
    return { counters: new MemoryUsageCounters(), location: 'memory', close: () => Promise.resolve() };
  }
  const location = redactRedisUrl(redisUrl);
  let lastLogged = 0;
  const counters = await RedisUsageCounters.connect({
    url: redisUrl,
    onError: (message) => {
      const now = Date.now();
      if (now - lastLogged < ERROR_LOG_INTERVAL_MS) return;
      lastLogged = now;
      logger.error(
        { redis: location, err: message },
        'usage counters: Redis unavailable, limited requests are refused',
      );
    },
  });
  return { counters, location, close: () => counters.close() };
}
