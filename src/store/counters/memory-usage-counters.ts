/**
 * MemoryUsageCounters: the in-process UsageCounters (policy/usage-counters.ts), on rate-limiter-flexible's
 * RateLimiterMemory. Right for one gateway process; a cluster needs the Redis adapter (see the end of this header).
 *
 * Layout: one RateLimiterMemory per distinct (kind, count, window), created on first use and cached, named
 * `portcullis:<rate|quota>:<count>:<seconds>` so rate and quota counters (and different limits) never share a
 * name; the bucket or key id is the limiter's key inside it.
 *
 * Exact under concurrency: counting is synchronous (`consume*Now()`, and the promise versions answer with what
 * they counted when called), so N concurrent requests are counted in call order and exactly the first L of them
 * are allowed.
 *
 * A refusal consumes nothing: RateLimiterMemory counts a refused point too; it is given back at once (synchronously,
 * right after the count), but only while the window it was counted in is still open: a reward after the window's
 * end would start the next window at -1, one request over the limit. (The check is against the window's end as
 * Date.now() sees it, as the limiter's.)
 *
 * Memory: RateLimiterMemory deletes each entry with an unref'd timer when its window ends, so counters live at
 * most one window after their last request. Limiters themselves are dropped when a new one is created and theirs
 * are all past their window. BUT setTimeout cannot wait longer than 2^31-1 ms (about 24.8 days): a longer
 * duration fires after 1 ms and deletes the entry at once, so RateLimiterMemory does not limit at all (see
 * animir/node-rate-limiter-flexible#71). Windows longer than that (monthly quotas) therefore use a limiter with no
 * expiry, aligned to the epoch (window n = [n·d, (n+1)·d) since 1970), replaced as a whole when its window ends:
 * for those, a window does not start at the first request, and all keys renew at the same instant.
 *
 * The Redis adapter (redis-usage-counters.ts, cluster mode) differs as follows:
 * - `new RateLimiterRedis({ storeClient: ioredis, keyPrefix, points, duration })`, cached per (kind, count,
 *   window) the same way, with the same key prefixes (rate and quota never collide; different limits neither).
 * - Exactness across processes comes from its Lua script (SET NX EX + INCRBY + PTTL, one atomic round trip).
 * - No long-window path: Redis expiries have no 24.8-day limit, every window starts at its first request.
 *   Durations must be whole seconds (the script uses EX).
 * - Do not reward refusals: over Redis the reward is a second round trip that can land after the window ended and
 *   open the next one at -1. With per-limit counters, the points a refusal leaves above the limit change no
 *   answer (remaining is clamped at 0, the expiry does not move), so leaving them is correct; a stricter variant
 *   is a `customIncrTtlLuaScript` that DECRBYs back when over the limit it reads from the key's prefix.
 * - `get` for quotaRemaining is a GET + PTTL round trip; Redis errors reject (not a RateLimiterRes): let the
 *   data plane choose fail-closed or an `insuranceLimiter` (a RateLimiterMemory) for outages.
 * - Memory is bounded by the keys' TTLs in Redis.
 */
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { QuotaDecision, RateDecision, UsageCounters } from '../../policy/usage-counters.ts';
import type { Quota, RateLimit } from '../../model/records.ts';
import { checkLimitShape } from './limit-shape.ts';

/** The longest setTimeout delay (2^31 - 1 ms, about 24.8 days); RateLimiterMemory expires entries with it. */
export const LONGEST_TIMER_MS = 2 ** 31 - 1;

type CounterKind = 'rate' | 'quota';

/** RateDecision and QuotaDecision have the same shape. */
type Decision = RateDecision & QuotaDecision;

export class MemoryUsageCounters implements UsageCounters {
  readonly #rate = new LimiterSet('rate');
  readonly #quota = new LimiterSet('quota');

  consumeRate(bucket: string, limit: RateLimit): Promise<RateDecision> {
    return settled(() => this.consumeRateNow(bucket, limit));
  }

  consumeQuota(keyId: string, quota: Quota): Promise<QuotaDecision> {
    return settled(() => this.consumeQuotaNow(keyId, quota));
  }

  consumeRateNow(bucket: string, limit: RateLimit): RateDecision {
    return this.#rate.consume(bucket, limit.rate, limit.per);
  }

  consumeQuotaNow(keyId: string, quota: Quota): QuotaDecision {
    return this.#quota.consume(keyId, quota.max, quota.renewalRate);
  }

  quotaRemaining(keyId: string, quota: Quota): Promise<number> {
    return this.#quota.remaining(keyId, quota.max, quota.renewalRate);
  }

  /** How many limiters are held (for tests and diagnostics). */
  get limiterCount(): number {
    return this.#rate.size + this.#quota.size;
  }
}

/** The limiters of one kind, by count then window seconds (two Map lookups, no key string per request). */
class LimiterSet {
  readonly #kind: CounterKind;
  readonly #byCount = new Map<number, Map<number, CounterWindow>>();

  constructor(kind: CounterKind) {
    this.#kind = kind;
  }

  get size(): number {
    let size = 0;
    for (const bySeconds of this.#byCount.values()) size += bySeconds.size;
    return size;
  }

  /** Counts one request, synchronously (RateLimiterMemory's storage is in-process; see ImmediateRateLimiter). */
  consume(key: string, count: number, seconds: number): Decision {
    const now = Date.now();
    const window = this.#window(count, seconds, now);
    const limiter = window.limiterAt(now);
    const endsAt = window.endsAt;
    const result = limiter.consumeNow(key);
    const resetMs = endsAt === null ? result.msBeforeNext : endsAt - now;
    if (result.consumedPoints <= count) {
      return { allowed: true, limit: count, remaining: Math.max(0, count - result.consumedPoints), resetMs };
    }
    // A refusal consumes nothing: the point goes back at once, if its window is still open (see the file header).
    if (endsAt !== null || Date.now() < now + result.msBeforeNext) limiter.rewardNow(key);
    return { allowed: false, limit: count, remaining: 0, resetMs };
  }

  async remaining(key: string, count: number, seconds: number): Promise<number> {
    const now = Date.now();
    const window = this.#byCount.get(count)?.get(seconds);
    if (window === undefined || window.isPast(now)) return count;
    const result = await window.limiterAt(now).get(key);
    // A timed entry can outlive its window until its timer runs: read it as empty then.
    if (result === null || (window.endsAt === null && result.msBeforeNext <= 0)) return count;
    return Math.max(0, count - result.consumedPoints);
  }

  #window(count: number, seconds: number, now: number): CounterWindow {
    let bySeconds = this.#byCount.get(count);
    let window = bySeconds?.get(seconds);
    if (window !== undefined) {
      window.lastUsedAt = now;
      return window;
    }
    checkLimitShape(this.#kind, count, seconds);
    this.#dropPast(now);
    window = new CounterWindow(`portcullis:${this.#kind}:${count}:${seconds}`, count, seconds, now);
    bySeconds = this.#byCount.get(count); // #dropPast may have removed it
    if (bySeconds === undefined) {
      bySeconds = new Map<number, CounterWindow>();
      this.#byCount.set(count, bySeconds);
    }
    bySeconds.set(seconds, window);
    return window;
  }

  /** Drops limiters whose counters have all ended: a new limiter is rare, so this runs rarely. */
  #dropPast(now: number): void {
    for (const [count, bySeconds] of this.#byCount) {
      for (const [seconds, window] of bySeconds) if (window.isPast(now)) bySeconds.delete(seconds);
      if (bySeconds.size === 0) this.#byCount.delete(count);
    }
  }
}

/**
 * One limit's limiter. Timed (window ≤ LONGEST_TIMER_MS): one RateLimiterMemory whose entries open at their first
 * request and expire by timer. Aligned (longer): a RateLimiterMemory without expiry for the current epoch-aligned
 * window, replaced when the window ends.
 */
class CounterWindow {
  readonly #prefix: string;
  readonly #count: number;
  readonly #durationMs: number;
  #limiter: ImmediateRateLimiter;
  /** Aligned windows: when the current one ends (ms since the epoch); null for timed windows. */
  endsAt: number | null;
  lastUsedAt: number;

  constructor(prefix: string, count: number, seconds: number, now: number) {
    this.#prefix = prefix;
    this.#count = count;
    this.#durationMs = seconds * 1000;
    this.lastUsedAt = now;
    if (this.#durationMs <= LONGEST_TIMER_MS) {
      this.endsAt = null;
      this.#limiter = new ImmediateRateLimiter({ keyPrefix: prefix, points: count, duration: seconds });
    } else {
      this.endsAt = this.#alignedEnd(now);
      this.#limiter = this.#unexpiringLimiter();
    }
  }

  limiterAt(now: number): ImmediateRateLimiter {
    if (this.endsAt !== null && now >= this.endsAt) {
      this.endsAt = this.#alignedEnd(now);
      this.#limiter = this.#unexpiringLimiter();
    }
    return this.#limiter;
  }

  /** Whether every counter this limiter holds has ended. */
  isPast(now: number): boolean {
    return this.endsAt === null ? now >= this.lastUsedAt + this.#durationMs : now >= this.endsAt;
  }

  #alignedEnd(now: number): number {
    return (Math.floor(now / this.#durationMs) + 1) * this.#durationMs;
  }

  #unexpiringLimiter(): ImmediateRateLimiter {
    // duration 0 = entries never expire (and no timer); the whole limiter goes when its window ends.
    return new ImmediateRateLimiter({ keyPrefix: this.#prefix, points: this.#count, duration: 0 });
  }
}

/** The part of rate-limiter-flexible's MemoryStorage used here (lib/component/MemoryStorage). */
interface MemoryStorage {
  incrby(key: string, value: number, durationSec: number): RateLimiterRes;
}

/**
 * RateLimiterMemory, counted synchronously. Its `consume()` already counts synchronously (inside the
 * Promise executor, on its MemoryStorage) and only hands the result over a promise; on the gateway's
 * hot path that promise, the one around it and the microtask hop cost ~5 % of a proxied request
 * (measured with `npm run bench:paired`). `consumeNow()` does what `consume()` does for the options
 * used here (1 point, no blockDuration, no execEvenly) and returns the RateLimiterRes at once.
 * It reads the limiter's storage, `_memoryStorage`: not part of the typed API, so the constructor
 * checks it is there (a rate-limiter-flexible that moved it fails at start, and in the tests, never
 * silently).
 */
class ImmediateRateLimiter extends RateLimiterMemory {
  readonly #storage: MemoryStorage;

  constructor(options: { keyPrefix: string; points: number; duration: number }) {
    super(options);
    const storage = (this as unknown as { _memoryStorage?: Partial<MemoryStorage> })._memoryStorage;
    if (typeof storage?.incrby !== 'function') {
      throw new Error("rate-limiter-flexible's RateLimiterMemory has no _memoryStorage.incrby: unsupported version");
    }
    this.#storage = storage as MemoryStorage;
  }

  consumeNow(key: string): RateLimiterRes {
    return this.#storage.incrby(this.getKey(key), 1, this.duration);
  }

  rewardNow(key: string): void {
    this.#storage.incrby(this.getKey(key), -1, this.duration);
  }
}

/** A synchronous answer as a promise; a throw becomes a rejection. */
function settled<T>(answer: () => T): Promise<T> {
  try {
    return Promise.resolve(answer());
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}
