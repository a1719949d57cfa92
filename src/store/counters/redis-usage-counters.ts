/**
 * RedisUsageCounters: the cluster UsageCounters (policy/usage-counters.ts), on rate-limiter-flexible's
 * RateLimiterRedis over ioredis (DESIGN.md §1: `--redis redis://…`). Every gateway process sharing the
 * Redis counts against the same counters, so a key's limit holds for the cluster, not per process.
 *
 * Layout: as the memory adapter (memory-usage-counters.ts, whose header lists the differences): one
 * limiter per (kind, count, window), named `portcullis:<rate|quota>:<count>:<seconds>`, the bucket or
 * key id as its key. Exact across processes: each consume is one Lua script (SET NX EX, INCRBY, PTTL),
 * atomic in Redis. A window opens at its first request and lasts its seconds, however long (Redis
 * expiries have no 24.8-day limit).
 *
 * A refusal is not given back: a reward is a second round trip that could land after the window ended
 * and open the next one at -1. The point a refusal leaves above the limit changes no answer (remaining
 * is clamped at 0) and does not move the window's expiry (SET NX), so the contract holds.
 *
 * Failures reject, fast: no offline queue (a command while disconnected fails at once), one attempt per
 * command, a command timeout; the data plane then refuses the request (fail closed: a limit that cannot
 * be counted is not enforced otherwise). ioredis keeps reconnecting in the background.
 */
import { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { QuotaDecision, RateDecision, UsageCounters } from '../../policy/usage-counters.ts';
import type { Quota, RateLimit } from '../records.ts';
import { checkLimitShape } from './limit-shape.ts';

/** A request waits at most this long for Redis before it is refused. */
const COMMAND_TIMEOUT_MS = 1_000;
const CONNECT_TIMEOUT_MS = 5_000;
/** Reconnect backoff: 200 ms more per attempt, at most 2 s between attempts. */
const RECONNECT_STEP_MS = 200;
const RECONNECT_MAX_MS = 2_000;

type CounterKind = 'rate' | 'quota';
type Decision = RateDecision & QuotaDecision;

export interface RedisCountersOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://…` (TLS). */
  readonly url: string;
  /** Told of connection errors (ioredis emits them while it reconnects); never given the URL's password. */
  readonly onError: (message: string) => void;
}

export class RedisUsageCounters implements UsageCounters {
  readonly #client: Redis;
  readonly #limiters = new Map<string, RateLimiterRedis>();

  private constructor(client: Redis) {
    this.#client = client;
  }

  /** Connects and checks the server answers (PING); rejects with the reason when it does not. */
  static async connect(options: RedisCountersOptions): Promise<RedisUsageCounters> {
    const client = new Redis(options.url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: COMMAND_TIMEOUT_MS,
      connectTimeout: CONNECT_TIMEOUT_MS,
      retryStrategy: (attempt: number) => Math.min(attempt * RECONNECT_STEP_MS, RECONNECT_MAX_MS),
    });
    let lastError: string | undefined;
    client.on('error', (error: Error) => {
      lastError = error.message;
      options.onError(error.message);
    });
    try {
      await client.connect();
      await client.ping();
    } catch (error) {
      client.disconnect();
      // ioredis' own rejection says little ("Connection is closed."): the socket's error says why.
      const reason = lastError ?? (error as Error).message;
      throw new Error(`Redis at ${redactRedisUrl(options.url)}: ${reason}`, { cause: error });
    }
    return new RedisUsageCounters(client);
  }

  consumeRate(bucket: string, limit: RateLimit): Promise<RateDecision> {
    return this.#consume('rate', bucket, limit.rate, limit.per);
  }

  consumeQuota(keyId: string, quota: Quota): Promise<QuotaDecision> {
    return this.#consume('quota', keyId, quota.max, quota.renewalRate);
  }

  async quotaRemaining(keyId: string, quota: Quota): Promise<number> {
    const result = await this.#limiter('quota', quota.max, quota.renewalRate).get(keyId);
    return result === null ? quota.max : Math.max(0, quota.max - result.consumedPoints);
  }

  /** Closes the connection (after the gateway stopped serving). */
  async close(): Promise<void> {
    await this.#client.quit().catch(() => this.#client.disconnect());
  }

  async #consume(kind: CounterKind, key: string, count: number, seconds: number): Promise<Decision> {
    const limiter = this.#limiter(kind, count, seconds);
    try {
      const result = await limiter.consume(key, 1);
      return { allowed: true, limit: count, remaining: result.remainingPoints, resetMs: result.msBeforeNext };
    } catch (rejection) {
      // rate-limiter-flexible rejects with a RateLimiterRes when over the limit, with an Error when Redis fails.
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      return { allowed: false, limit: count, remaining: 0, resetMs: rejection.msBeforeNext };
    }
  }

  #limiter(kind: CounterKind, count: number, seconds: number): RateLimiterRedis {
    const prefix = `portcullis:${kind}:${count}:${seconds}`;
    let limiter = this.#limiters.get(prefix);
    if (limiter === undefined) {
      checkLimitShape(kind, count, seconds);
      limiter = new RateLimiterRedis({
        storeClient: this.#client,
        keyPrefix: prefix,
        points: count,
        duration: seconds,
        rejectIfRedisNotReady: true,
      });
      this.#limiters.set(prefix, limiter);
    }
    return limiter;
  }
}

/** The URL with its password replaced, for messages and logs. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}
