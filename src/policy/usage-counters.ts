/**
 * UsageCounters: the port through which the data plane counts requests against rate limits and quotas. Adapters
 * live in store/counters/ (in process: memory-usage-counters.ts; cluster: Redis) and only app/serve.ts picks one.
 *
 * Contract, for every adapter:
 * - Fixed windows: a counter's window opens at its first request and lasts `per` / `renewalRate` seconds (Tyk's
 *   quota renewal; the memory adapter aligns windows longer than 24.8 days to the epoch, see its header).
 * - A counter belongs to (bucket or key id, the limit's count, the limit's window): a different limit is a
 *   different counter, so changing a key's limit starts it afresh (Tyk resets a key's quota when the key changes).
 *   Rate and quota counters never share a name.
 * - Exact: of N concurrent consumes against a limit of L in one window, exactly min(N, L) are allowed.
 * - A refusal consumes nothing and does not move the window.
 * - Limits must have been validated: counts are non-negative integers, windows positive whole seconds (Redis
 *   expiries are whole seconds). A count of 0 refuses everything.
 * - A promise rejects only when the backend fails (e.g. Redis down); the caller decides to fail open or closed.
 *   An adapter whose backend does not answer (or is known not to) rejects with CountersUnavailableError: it logs
 *   the outage itself, once, so the caller need not log each refused request.
 */
import type { Quota, RateLimit } from '../model/records.ts';

export interface RateDecision {
  readonly allowed: boolean;
  /** The limit's count (`rate`). */
  readonly limit: number;
  /** Requests left in this window after this one (0 when refused). */
  readonly remaining: number;
  /** Milliseconds until the window resets. */
  readonly resetMs: number;
}

export interface QuotaDecision {
  readonly allowed: boolean;
  /** The quota's count (`max`). */
  readonly limit: number;
  /** Requests left in this renewal period after this one (0 when refused). */
  readonly remaining: number;
  /** Milliseconds until the quota renews. */
  readonly resetMs: number;
}

export interface UsageCounters {
  /** Counts one request in `bucket` (e.g. `key:<id>`, `api:<id>`) against `limit`. */
  consumeRate(bucket: string, limit: RateLimit): Promise<RateDecision>;
  /** Counts one request against a key's quota. */
  consumeQuota(keyId: string, quota: Quota): Promise<QuotaDecision>;
  /**
   * The same two, answered at once, by adapters that count in process (the memory one); a remote
   * adapter (Redis) leaves them out and the data plane awaits the promises. They may throw where the
   * promise versions reject.
   */
  consumeRateNow?(bucket: string, limit: RateLimit): RateDecision;
  consumeQuotaNow?(keyId: string, quota: Quota): QuotaDecision;
  /** Requests left in a key's quota, without counting one. */
  quotaRemaining(keyId: string, quota: Quota): Promise<number>;
}

/** The counters' backend does not answer (e.g. Redis down or frozen); the adapter has logged the outage. */
export class CountersUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CountersUnavailableError';
  }
}
