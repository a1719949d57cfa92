/**
 * RedisUsageCounters: the cluster UsageCounters (policy/usage-counters.ts), on rate-limiter-flexible's
 * RateLimiterRedis over ioredis (docs/architecture.md, "Stack": `--redis redis://…`). Every gateway process sharing the
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
 * Failures reject (redis-connection.ts: fast, no offline queue, a command timeout); the data plane then
 * refuses the request (fail closed: a limit that cannot be counted is not enforced otherwise). Every
 * command goes through RedisHealth (redis-health.ts): once a command got no answer, the next ones are
 * refused at once, without waiting for a timeout each, until Redis answers its probe again.
 */
import type { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { QuotaDecision, RateDecision, UsageCounters } from '../../policy/usage-counters.ts';
import type { Quota, RateLimit } from '../../model/records.ts';
import { checkLimitShape } from './limit-shape.ts';
import type { RedisHealth } from './redis-health.ts';

type CounterKind = 'rate' | 'quota';
type Decision = RateDecision & QuotaDecision;

export class RedisUsageCounters implements UsageCounters {
  readonly #client: Redis;
  readonly #health: RedisHealth;
  readonly #limiters = new Map<string, RateLimiterRedis>();

  /** On a connection from connectRedis and its health, which their owner closes (not this class). */
  constructor(client: Redis, health: RedisHealth) {
    this.#client = client;
    this.#health = health;
  }

  consumeRate(bucket: string, limit: RateLimit): Promise<RateDecision> {
    return this.#consume('rate', bucket, limit.rate, limit.per);
  }

  consumeQuota(keyId: string, quota: Quota): Promise<QuotaDecision> {
    return this.#consume('quota', keyId, quota.max, quota.renewalRate);
  }

  async quotaRemaining(keyId: string, quota: Quota): Promise<number> {
    const limiter = this.#limiter('quota', quota.max, quota.renewalRate);
    const result = await this.#health.run(() => limiter.get(keyId));
    return result === null ? quota.max : Math.max(0, quota.max - result.consumedPoints);
  }

  async #consume(kind: CounterKind, key: string, count: number, seconds: number): Promise<Decision> {
    const limiter = this.#limiter(kind, count, seconds);
    try {
      const result = await this.#health.run(() => limiter.consume(key, 1));
      return { allowed: true, limit: count, remaining: result.remainingPoints, resetMs: result.msBeforeNext };
    } catch (rejection) {
      // rate-limiter-flexible rejects with a RateLimiterRes when over the limit (RedisHealth passes it
      // through: Redis answered), with an Error when Redis fails.
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
