/**
 * applyApiLimits: the rate limits and quota of one API request, after access was granted — the
 * key's rate limit (bucket `key:<id>`), the API-wide limit (`api:<id>`), then the key's quota, in
 * Tyk's order. The first refusal wins: 429 GW_ERR_RATE_LIMITED with Retry-After, or 403
 * GW_ERR_QUOTA_EXCEEDED. Allowed requests get the X-RateLimit-* / X-Quota-* headers of the key.
 * A counter backend that fails refuses the request (fail closed: limits that cannot be counted
 * are not enforced otherwise).
 */
import { GW_ERR_QUOTA_EXCEEDED, GW_ERR_RATE_LIMITED } from '../../errors/index.ts';
import { setQuotaHeaders, setRateLimitHeaders } from '../../policy/limit-headers.ts';
import type { QuotaDecision, RateDecision, UsageCounters } from '../../policy/usage-counters.ts';
import type { Quota, RateLimit } from '../../model/records.ts';
import type { ApiRuntime, KeyRuntime } from '../../runtime-config/api-runtime.ts';
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

/** One counter a request is checked against, in order. */
type LimitStep =
  | {
      readonly kind: 'rate';
      readonly bucket: string;
      readonly limit: RateLimit;
      readonly headers: 'key' | 'api' | 'refusal-only';
    }
  | { readonly kind: 'quota'; readonly keyId: string; readonly quota: Quota };

/**
 * The checks of one request: the key's rate limit, the API-wide one, then the key's quota. Made once per (API, key)
 * and kept: the snapshot's ApiRuntime and KeyRuntime are immutable and replaced whenever an API, a key or a policy
 * changes, so a plan kept for a pair cannot go stale, and a request costs two WeakMap lookups instead of an array,
 * its steps and two bucket strings. Weak both ways, so a plan goes with the snapshot that held its pair.
 */
const plans = new WeakMap<
  ApiRuntime,
  { keyless?: readonly LimitStep[]; byKey: WeakMap<KeyRuntime, readonly LimitStep[]> }
>();

function limitSteps(api: ApiRuntime, key: KeyRuntime | undefined): readonly LimitStep[] {
  let ofApi = plans.get(api);
  if (ofApi === undefined) {
    ofApi = { byKey: new WeakMap() };
    plans.set(api, ofApi);
  }
  if (key === undefined) {
    ofApi.keyless ??= planLimitSteps(api, undefined);
    return ofApi.keyless;
  }
  let steps = ofApi.byKey.get(key);
  if (steps === undefined) {
    steps = planLimitSteps(api, key);
    ofApi.byKey.set(key, steps);
  }
  return steps;
}

function planLimitSteps(api: ApiRuntime, key: KeyRuntime | undefined): readonly LimitStep[] {
  const steps: LimitStep[] = [];
  const keyRate = key?.limits?.rateLimit ?? null;
  if (key !== undefined && keyRate !== null)
    steps.push({ kind: 'rate', bucket: `key:${key.id}`, limit: keyRate, headers: 'key' });
  // The API-wide limit's headers are sent only when the key has no rate limit of its own (or on its refusal).
  if (api.rateLimit !== null) {
    steps.push({
      kind: 'rate',
      bucket: `api:${api.id}`,
      limit: api.rateLimit,
      headers: keyRate === null ? 'api' : 'refusal-only',
    });
  }
  const quota = key?.limits?.quota ?? null;
  if (key !== undefined && quota !== null) steps.push({ kind: 'quota', keyId: key.id, quota });
  return Object.freeze(steps.map((step) => Object.freeze(step)));
}

/** Applies one step's decision to the outcome's headers; the refusal, if it is one. */
function decided(
  step: LimitStep,
  decision: RateDecision | QuotaDecision,
  headers: Record<string, string>,
): LimitOutcome | undefined {
  if (step.kind === 'quota') {
    setQuotaHeaders(headers, decision);
    return decision.allowed ? undefined : { error: GW_ERR_QUOTA_EXCEEDED, headers };
  }
  if (step.headers === 'refusal-only') {
    if (decision.allowed) return undefined;
    // The API-wide refusal carries its own headers, not the key's.
    const apiHeaders: Record<string, string> = {};
    setRateLimitHeaders(apiHeaders, decision);
    return { error: GW_ERR_RATE_LIMITED, headers: apiHeaders };
  }
  setRateLimitHeaders(headers, decision);
  return decision.allowed ? undefined : { error: GW_ERR_RATE_LIMITED, headers };
}

export async function applyApiLimits(
  api: ApiRuntime,
  key: KeyRuntime | undefined,
  counters: UsageCounters,
): Promise<LimitOutcome> {
  const headers: Record<string, string> = {};
  for (const step of limitSteps(api, key)) {
    const decision =
      step.kind === 'rate'
        ? await counters.consumeRate(step.bucket, step.limit)
        : await counters.consumeQuota(step.keyId, step.quota);
    const refusal = decided(step, decision, headers);
    if (refusal !== undefined) return refusal;
  }
  return { error: undefined, headers };
}

/**
 * The same, answered at once when the counters count in process (`consume*Now`): no promise and no
 * microtask between the request and its forwarding. Undefined when they cannot (a remote backend):
 * then use applyApiLimits. Throws where applyApiLimits would reject.
 */
export function applyApiLimitsNow(
  api: ApiRuntime,
  key: KeyRuntime | undefined,
  counters: UsageCounters,
): LimitOutcome | undefined {
  if (counters.consumeRateNow === undefined || counters.consumeQuotaNow === undefined) return undefined;
  const headers: Record<string, string> = {};
  for (const step of limitSteps(api, key)) {
    const decision =
      step.kind === 'rate'
        ? counters.consumeRateNow(step.bucket, step.limit)
        : counters.consumeQuotaNow(step.keyId, step.quota);
    const refusal = decided(step, decision, headers);
    if (refusal !== undefined) return refusal;
  }
  return { error: undefined, headers };
}
