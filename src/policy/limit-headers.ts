/**
 * Response headers that tell a client where it stands against its rate limit and quota.
 *
 *   x-ratelimit-limit       the rate limit's count per window
 *   x-ratelimit-remaining   requests left in the window
 *   x-ratelimit-reset       SECONDS until the window resets (integer, rounded up), not a timestamp
 *   x-quota-limit           the quota's count per renewal period
 *   x-quota-remaining       requests left in the period
 *   x-quota-reset           SECONDS until the quota renews (integer, rounded up)
 *   retry-after             on a refusal: seconds until a retry can succeed, at least 1 (RFC 9110 §10.2.3;
 *                           RFC 6585 §4 for 429). Also set on a quota refusal, where it is advice.
 *
 * The names are the de facto `X-RateLimit-*` ones (GitHub, Tyk), with the reset as a delay so that it does
 * not depend on the client's clock (Tyk sends a Unix time; the IETF draft `RateLimit` fields also use a delay).
 * Quotas get their own `x-quota-*` names instead of taking over `x-ratelimit-*` as Tyk's default does, so both can
 * be sent together. Names are lowercase, as HTTP/2 requires (RFC 9113 §8.2.1).
 *
 * The setters write into the caller's header object (no allocation beyond the value strings).
 */
import type { QuotaDecision, RateDecision } from './usage-counters.ts';

export const RATE_LIMIT_LIMIT_HEADER = 'x-ratelimit-limit';
export const RATE_LIMIT_REMAINING_HEADER = 'x-ratelimit-remaining';
export const RATE_LIMIT_RESET_HEADER = 'x-ratelimit-reset';
export const QUOTA_LIMIT_HEADER = 'x-quota-limit';
export const QUOTA_REMAINING_HEADER = 'x-quota-remaining';
export const QUOTA_RESET_HEADER = 'x-quota-reset';
export const RETRY_AFTER_HEADER = 'retry-after';

/** A response header object: node:http's and node:http2's `OutgoingHttpHeaders` fit. */
export type HeaderTarget = Record<string, string | number | string[] | undefined>;

/** Sets the `x-ratelimit-*` headers, and `retry-after` when the decision is a refusal. */
export function setRateLimitHeaders(headers: HeaderTarget, decision: RateDecision): void {
  headers[RATE_LIMIT_LIMIT_HEADER] = String(decision.limit);
  headers[RATE_LIMIT_REMAINING_HEADER] = String(decision.allowed ? Math.max(0, decision.remaining) : 0);
  headers[RATE_LIMIT_RESET_HEADER] = String(resetSeconds(decision.resetMs));
  if (!decision.allowed) headers[RETRY_AFTER_HEADER] = String(retryAfterSeconds(decision.resetMs));
}

/** Sets the `x-quota-*` headers, and `retry-after` when the decision is a refusal. */
export function setQuotaHeaders(headers: HeaderTarget, decision: QuotaDecision): void {
  headers[QUOTA_LIMIT_HEADER] = String(decision.limit);
  headers[QUOTA_REMAINING_HEADER] = String(decision.allowed ? Math.max(0, decision.remaining) : 0);
  headers[QUOTA_RESET_HEADER] = String(resetSeconds(decision.resetMs));
  if (!decision.allowed) headers[RETRY_AFTER_HEADER] = String(retryAfterSeconds(decision.resetMs));
}

/** Whole seconds until a reset, rounded up; 0 for a reset now or past. */
export function resetSeconds(resetMs: number): number {
  return resetMs > 0 ? Math.ceil(resetMs / 1000) : 0;
}

/** `retry-after` seconds: rounded up, at least 1 (a 0 would invite an immediate retry that fails again). */
export function retryAfterSeconds(resetMs: number): number {
  return Math.max(1, resetSeconds(resetMs));
}
