/**
 * applyApiLimits: the rate limits and quota of one API request, after access was granted — the
 * key's rate limit (bucket `key:<id>`), the API-wide limit (`api:<id>`), then the key's quota, in
 * Tyk's order. The first refusal wins: 429 GW_ERR_RATE_LIMITED with Retry-After, or 403
 * GW_ERR_QUOTA_EXCEEDED. Allowed requests get the X-RateLimit-* / X-Quota-* headers of the key.
 * A counter backend that fails refuses the request (fail closed: limits that cannot be counted
 * are not enforced otherwise).
 */
import { GW_ERR_QUOTA_EXCEEDED, GW_ERR_RATE_LIMITED } from '../errors/index.ts';
import { setQuotaHeaders, setRateLimitHeaders } from '../policy/limit-headers.ts';
import type { UsageCounters } from '../policy/usage-counters.ts';
import type { ApiRuntime, KeyRuntime } from '../runtime-config/api-runtime.ts';
import type { PublicError } from './gateway-response.ts';

export interface LimitOutcome {
  /** Set when refused. */
  readonly error: PublicError | undefined;
  /** Response headers to add (to the refusal, or to the upstream's answer). */
  readonly headers: Record<string, string>;
}

/** Whether the request needs a trip to the counters at all (most keyless APIs do not). */
export function hasLimits(api: ApiRuntime, key: KeyRuntime | undefined): boolean {
  return api.rateLimit !== null || key?.limits?.rateLimit != null || key?.limits?.quota != null;
}

export async function applyApiLimits(
  api: ApiRuntime,
  key: KeyRuntime | undefined,
  counters: UsageCounters,
): Promise<LimitOutcome> {
  const headers: Record<string, string> = {};
  const keyRate = key?.limits?.rateLimit ?? null;
  if (key !== undefined && keyRate !== null) {
    const decision = await counters.consumeRate(`key:${key.id}`, keyRate);
    setRateLimitHeaders(headers, decision);
    if (!decision.allowed) return { error: GW_ERR_RATE_LIMITED, headers };
  }
  if (api.rateLimit !== null) {
    const decision = await counters.consumeRate(`api:${api.id}`, api.rateLimit);
    if (!decision.allowed) {
      const apiHeaders: Record<string, string> = {};
      setRateLimitHeaders(apiHeaders, decision);
      return { error: GW_ERR_RATE_LIMITED, headers: apiHeaders };
    }
    if (keyRate === null) setRateLimitHeaders(headers, decision);
  }
  const quota = key?.limits?.quota ?? null;
  if (key !== undefined && quota !== null) {
    const decision = await counters.consumeQuota(key.id, quota);
    setQuotaHeaders(headers, decision);
    if (!decision.allowed) return { error: GW_ERR_QUOTA_EXCEEDED, headers };
  }
  return { error: undefined, headers };
}
