/**
 * A key's effective access rights and limits, worked out once per snapshot from the key and its policies.
 *
 * - No policy ids: the key's own access rights, rate limit and quota apply.
 * - One or more policies: the policies decide and the key's own values are IGNORED (Tyk likewise overwrites a
 *   session's rights and limits with those of its policies). Several policies combine like Tyk's `apply_policies`:
 *   - access rights: the union. Rights for the same API merge without widening anything: rights with the same
 *     methods join their paths, rights with the same paths join their methods, and an empty list (all) wins in
 *     the list it is in; other rights stay side by side as alternatives (see access-rights.ts), so `GET /read/*`
 *     from one policy and `POST /write/*` from another never make `POST /read/*`.
 *   - rate limit: the most generous, the highest `rate / per` (ties: the higher `rate`, i.e. the larger burst).
 *     null (no limit) is the most generous of all.
 *   - quota: the most generous, the highest `max / renewalRate` (ties: the higher `max`); null (unlimited) wins.
 * - Fail closed: a listed policy that does not exist, or belongs to another account, is `policy_missing`; one that
 *   is not active is `policy_inactive`. Either way the key gets no access at all: the gateway does not guess
 *   what the missing policy allowed or limited, and serving the others alone could widen or narrow the key.
 */
import type { AccessRight, GatewayKeyRecord, GatewayPolicyRecord, HexId, Quota, RateLimit } from '../model/records.ts';

export interface EffectiveLimits {
  readonly accessRights: readonly AccessRight[];
  /** null = no rate limit. */
  readonly rateLimit: RateLimit | null;
  /** null = unlimited. */
  readonly quota: Quota | null;
}

export type EffectiveLimitsError = 'policy_missing' | 'policy_inactive';

export type EffectiveLimitsResult =
  | { readonly kind: 'ok'; readonly limits: EffectiveLimits }
  | { readonly kind: EffectiveLimitsError; readonly policyId: HexId };

/** The fields of a key that limits depend on. */
export type KeyLimitFields = Pick<GatewayKeyRecord, 'accountId' | 'policyIds' | 'accessRights' | 'rateLimit' | 'quota'>;

/** Works out a key's effective rights and limits; see the file header for the rules. */
export function effectiveLimits(
  key: KeyLimitFields,
  policiesById: ReadonlyMap<HexId, GatewayPolicyRecord>,
): EffectiveLimitsResult {
  if (key.policyIds.length === 0) {
    return { kind: 'ok', limits: { accessRights: key.accessRights, rateLimit: key.rateLimit, quota: key.quota } };
  }
  const policies: GatewayPolicyRecord[] = [];
  for (const policyId of key.policyIds) {
    const policy = policiesById.get(policyId);
    if (policy === undefined || policy.accountId !== key.accountId) return { kind: 'policy_missing', policyId };
    if (!policy.active) return { kind: 'policy_inactive', policyId };
    policies.push(policy);
  }
  let rateLimit: RateLimit | null | undefined;
  let quota: Quota | null | undefined;
  for (const policy of policies) {
    rateLimit = rateLimit === undefined ? policy.rateLimit : moreGenerousRateLimit(rateLimit, policy.rateLimit);
    quota = quota === undefined ? policy.quota : moreGenerousQuota(quota, policy.quota);
  }
  const accessRights = unionAccessRights(policies.map((policy) => policy.accessRights));
  return { kind: 'ok', limits: { accessRights, rateLimit: rateLimit ?? null, quota: quota ?? null } };
}

/** The more generous of two rate limits (null = none, the most generous). */
export function moreGenerousRateLimit(a: RateLimit | null, b: RateLimit | null): RateLimit | null {
  if (a === null || b === null) return null;
  return moreGenerous(a.rate, a.per, b.rate, b.per) ? a : b;
}

/** The more generous of two quotas (null = unlimited, the most generous). */
export function moreGenerousQuota(a: Quota | null, b: Quota | null): Quota | null {
  if (a === null || b === null) return null;
  return moreGenerous(a.max, a.renewalRate, b.max, b.renewalRate) ? a : b;
}

/** Whether `countA / secondsA >= countB / secondsB` (cross-multiplied: no division), the larger count on a tie. */
function moreGenerous(countA: number, secondsA: number, countB: number, secondsB: number): boolean {
  const a = countA * secondsB;
  const b = countB * secondsA;
  return a > b || (a === b && countA >= countB);
}

/**
 * The union of several lists of access rights, merged per API without widening (see the file header). The result
 * lists APIs in the order they first appear.
 */
export function unionAccessRights(lists: readonly (readonly AccessRight[])[]): AccessRight[] {
  const byApi = new Map<HexId, AccessRight[]>();
  for (const list of lists) {
    for (const right of list) {
      const rights = byApi.get(right.apiId);
      if (rights === undefined) byApi.set(right.apiId, [right]);
      else rights.push(right);
    }
  }
  const union: AccessRight[] = [];
  for (const [apiId, rights] of byApi) union.push(...mergeRightsOfOneApi(apiId, rights));
  return union;
}

function mergeRightsOfOneApi(apiId: HexId, rights: readonly AccessRight[]): AccessRight[] {
  if (rights.some((right) => right.methods.length === 0 && right.paths.length === 0)) {
    return [{ apiId, methods: [], paths: [] }];
  }
  // Same methods → join paths; then same paths → join methods. Each step is an exact union of what they allow.
  const byMethods = joinWhereEqual(rights, 'methods', 'paths');
  return joinWhereEqual(byMethods, 'paths', 'methods').map((right) => ({ ...right, apiId }));
}

/** Groups rights whose `same` list is equal as a set, joining their `joined` lists (empty = all wins). */
function joinWhereEqual(
  rights: readonly AccessRight[],
  same: 'methods' | 'paths',
  joined: 'methods' | 'paths',
): AccessRight[] {
  const groups = new Map<string, AccessRight>();
  for (const right of rights) {
    const groupKey = JSON.stringify([...new Set(right[same])].sort());
    const group = groups.get(groupKey);
    if (group === undefined) {
      groups.set(groupKey, { ...right, methods: [...new Set(right.methods)], paths: [...new Set(right.paths)] });
      continue;
    }
    const target = group[joined];
    if (target.length === 0) continue;
    if (right[joined].length === 0) {
      group[joined] = [];
      continue;
    }
    for (const item of right[joined]) if (!target.includes(item)) target.push(item);
  }
  return [...groups.values()];
}
