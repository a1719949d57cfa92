/**
 * The counters `serve` runs with: rate limits, quotas and custom-rule hits. In process by default;
 * with `--redis`, in Redis over one connection, so a cluster's gateways share every limit and add up
 * their rule hits. Only the composition root calls this.
 */
import type { Logger } from 'pino';
import type { UsageCounters } from '../../policy/usage-counters.ts';
import type { RuleHitStore } from '../../runtime-config/rule-hits.ts';
import { RuleHitCounters } from './memory-rule-hits.ts';
import { MemoryUsageCounters } from './memory-usage-counters.ts';
import { RedisUnavailableError, closeRedis, connectRedis, redactRedisUrl } from './redis-connection.ts';
import { RedisRuleHits } from './redis-rule-hits.ts';
import { RedisUsageCounters } from './redis-usage-counters.ts';
import { RedisHealth } from './redis-health.ts';
import { RedisChangeChannel } from '../notify/redis-change-channel.ts';

/** Rule-hit flush failures are logged at most this often: while Redis is down they repeat every second. */
const ERROR_LOG_INTERVAL_MS = 10_000;

export interface OpenCounters {
  readonly usage: UsageCounters;
  readonly ruleHits: RuleHitStore;
  /** Where they count, for the start-up log: `memory` or the redacted Redis URL. */
  readonly location: string;
  /**
   * With Redis: the channel on which the cluster's gateways hint each other that the configuration
   * changed (store/notify/redis-change-channel.ts), over the same server. Closed by close(). With
   * `--workers N` and no Redis: the IPC channel between the workers (store/ipc/ipc-change-channel.ts).
   */
  readonly changeHints: ChangeHintChannel | undefined;
  /** With Redis: whether it answers now (redis-health.ts; the portcullis_redis_up gauge and /readyz). */
  readonly redisReady: (() => boolean) | undefined;
  /** After the gateway stopped serving: writes the last rule hits, then closes the connection. */
  close(): Promise<void>;
}

/** A change-hint channel between processes (structurally a control/publish ChangeHint, plus listening). */
export interface ChangeHintChannel {
  publish(): Promise<void>;
  onHint(callback: () => void): void;
}

/** Rejects when Redis does not answer at start: a cluster must not run on per-process limits. */
export async function openCounters(redisUrl: string | undefined, logger: Logger): Promise<OpenCounters> {
  if (redisUrl === undefined) {
    return {
      usage: new MemoryUsageCounters(),
      ruleHits: new RuleHitCounters(),
      location: 'memory',
      changeHints: undefined,
      redisReady: undefined,
      close: () => Promise.resolve(),
    };
  }
  const location = redactRedisUrl(redisUrl);
  // ioredis reports connection errors from the start; they go to the health watcher once it exists.
  const reportTo: { health?: RedisHealth } = {};
  const client = await connectRedis({
    url: redisUrl,
    onError: (message) => reportTo.health?.connectionError(message),
  });
  // One line when Redis stops answering and one when it is back, however many requests were refused.
  const watched = new RedisHealth(client, {
    down: (reason) =>
      logger.error(
        { redis: location, err: reason },
        'Redis unavailable: requests under a rate limit or quota are refused (503) until it answers',
      ),
    up: (downMs) =>
      logger.info(
        { redis: location, downSeconds: Math.round(downMs / 100) / 10 },
        'Redis answers again: rate limits and quotas are counted',
      ),
  });
  reportTo.health = watched;
  let changeHints: RedisChangeChannel;
  try {
    // While Redis is known down a hint is not even tried: the poll carries the change, and an API
    // write does not wait a command timeout for it.
    changeHints = await RedisChangeChannel.open(client, (publish) => watched.run(publish));
  } catch (error) {
    watched.stop();
    await closeRedis(client);
    throw new RedisUnavailableError(redisUrl, `cannot subscribe (${(error as Error).message})`, error);
  }
  const ruleHits = new RedisRuleHits(client, {
    onFlushError: throttled((message) =>
      logger.warn({ redis: location, err: message }, 'rule hits: not written to Redis, kept for the next flush'),
    ),
  });
  return {
    usage: new RedisUsageCounters(client, watched),
    ruleHits,
    location,
    changeHints,
    redisReady: () => watched.up,
    async close() {
      watched.stop();
      await changeHints.close();
      await ruleHits.close().catch((error: unknown) => {
        logger.error({ redis: location, err: (error as Error).message }, 'rule hits: the last flush failed');
      });
      await closeRedis(client);
    },
  };
}

/** `log`, called at most once per ERROR_LOG_INTERVAL_MS; the calls between are dropped. */
function throttled(log: (message: string) => void): (message: string) => void {
  let lastLogged = 0;
  return (message) => {
    const now = Date.now();
    if (now - lastLogged < ERROR_LOG_INTERVAL_MS) return;
    lastLogged = now;
    log(message);
  };
}
