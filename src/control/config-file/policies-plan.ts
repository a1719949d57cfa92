/**
 * planPolicies: an account's policies (templates of access rights and limits that keys list), as
 * the configuration file declares them. Only for an account with the `policies:` key: the file is
 * then authoritative for its policies, matched by name (kept with its id when unchanged, replaced
 * when changed, created when new, deleted when the file drops it). Without the key, the account's
 * policies are left alone.
 *
 * Keys are never in the file (a key's secret is shown once, when it is created), so the file cannot
 * drop a policy a key lists: it is refused before anything is written, naming the policy and keys.
 *
 * An access right names an API of the file (`api: orders`: its id is read when the write runs,
 * after the zones' writes, which come first, have created it) or any API of the account by id
 * (`api_id`), which must still exist once the file is applied.
 */
import { createHash } from 'node:crypto';
import type { DeclaredAccessRight, DeclaredPolicy } from '../../config/gateway-config-schema.ts';
import type { LoadedAccount } from '../../config/load-gateway-config.ts';
import { configInvalid, excerpt } from '../../config/yaml-cursor.ts';
import type { AccountRecord, GatewayPolicyRecord } from '../../model/records.ts';
import { validated, whereOfProblem, ResolvedIds, type PlanContext, type PlannedWrite } from './plan-parts.ts';
import { validatePolicyInput, type PolicyInput, type ValidPolicy } from '../apis/gateway-policy-input.ts';
import { MAX_POLICIES_PER_ACCOUNT } from '../apis/gateway-policy-service.ts';
import { normaliseZoneName } from '../tenancy/tenancy-service.ts';

/** An access right's API: its id now (an API that exists) or only once the writes before it ran. */
interface RightApi {
  readonly now: string | undefined;
  readonly atWrite: () => string;
}

export async function planPolicies(
  account: LoadedAccount,
  record: AccountRecord | undefined,
  context: PlanContext,
): Promise<PlannedWrite[]> {
  const declared = account.policies;
  if (declared === undefined) return [];
  if (declared.value.length > MAX_POLICIES_PER_ACCOUNT) {
    throw configInvalid(declared.where, `an account has at most ${MAX_POLICIES_PER_ACCOUNT} policies`);
  }
  const { services, principal } = context;
  const stored = record === undefined ? [] : await services.policies.list(principal, record.id);
  const existing = await apisAfterApply(declared.value, record, context);
  const writes: PlannedWrite[] = [];
  const kept = new Set<string>();
  for (const policy of declared.value) {
    const apis = policy.accessRights.map((right) => rightApi(right, account, existing, context));
    const valid = validated(
      (reason) => whereOfProblem(policy.whereOf, reason, policy.where),
      // An API still to be created has no id yet: one made from its name stands in for the checks.
      () =>
        validatePolicyInput(
          inputOf(
            policy,
            apis.map((api, index) => api.now ?? standIn(policy, index)),
          ),
        ),
    );
    const named = stored.filter((candidate) => candidate.name === valid.name);
    if (named.length > 1) {
      throw configInvalid(
        policy.where,
        `${named.length} policies of this account are named ${excerpt(valid.name)}: delete all but one through the admin API`,
      );
    }
    const [current] = named;
    if (current !== undefined) kept.add(current.id);
    const known = apis.every((api) => api.now !== undefined);
    if (current !== undefined && known && canonical(current) === canonical(valid)) continue;
    const target = `account ${account.name}: policy ${valid.name}`;
    const run = async (): Promise<void> => {
      const accountId = context.ids.get(ResolvedIds.accountKey(account.name));
      const input = inputOf(
        policy,
        apis.map((api) => api.atWrite()),
      );
      if (current === undefined) await services.policies.create(principal, accountId, input);
      else await services.policies.update(principal, accountId, current.id, input);
    };
    writes.push({ kind: 'policy', target, run });
  }
  const dropped = stored.filter((policy) => !kept.has(policy.id));
  const deletes = await planDeletes(account, dropped, declared.where, context);
  // Deletes go last; first only when the creates would otherwise pass the account's quota midway.
  const creates = declared.value.length - kept.size;
  return stored.length + creates > MAX_POLICIES_PER_ACCOUNT ? [...deletes, ...writes] : [...writes, ...deletes];
}

/** Deletes, last (once no policy of the file is being written); refused while a key lists one. */
async function planDeletes(
  account: LoadedAccount,
  dropped: readonly GatewayPolicyRecord[],
  where: string,
  context: PlanContext,
): Promise<PlannedWrite[]> {
  const { services, principal } = context;
  const [first] = dropped;
  if (first === undefined) return [];
  const keys = await services.keys.list(principal, first.accountId);
  return dropped.map((policy) => {
    const users = keys.filter((key) => key.policyIds.includes(policy.id)).map((key) => excerpt(key.alias));
    if (users.length > 0) {
      const shown =
        users.length > 5 ? `${users.slice(0, 5).join(', ')} and ${users.length - 5} more` : users.join(', ');
      throw configInvalid(
        where,
        `policy ${excerpt(policy.name)} (${policy.id}) is not in the file, but key${users.length === 1 ? '' : 's'} ${shown} list${users.length === 1 ? 's' : ''} it: keep it in policies, or take it off those keys through the admin API first (keys are not managed by the configuration file)`,
      );
    }
    const run = async (): Promise<void> => {
      await services.policies.delete(principal, policy.accountId, policy.id);
    };
    return { kind: 'policy', target: `account ${account.name}: delete policy ${policy.name}`, run };
  });
}

function rightApi(
  right: DeclaredAccessRight,
  account: LoadedAccount,
  existing: ReadonlySet<string>,
  context: PlanContext,
): RightApi {
  const { ids, deletedApis } = context;
  if (right.apiId !== undefined) {
    const id = right.apiId.value;
    // A malformed id is left to validatePolicyInput, which says what an id looks like.
    if (/^[0-9a-f]{32}$/.test(id) && !existing.has(id)) {
      const why = deletedApis.has(id)
        ? 'is deleted by this file (its zone is in the file, and no API of that zone has its name)'
        : "is not an API of this account's zones";
      throw configInvalid(right.apiId.where, `API ${id} ${why}`);
    }
    return { now: id, atWrite: () => id };
  }
  // The schema made sure the name is declared in exactly one zone of the account.
  const name = right.api?.value.trim() ?? '';
  const zone = account.zones.find((candidate) => candidate.apis.some((api) => api.input.name.trim() === name));
  const key = ResolvedIds.apiKey(zone === undefined ? '' : normaliseZoneName(zone.name), name);
  return { now: ids.has(key) ? ids.get(key) : undefined, atWrite: () => ids.get(key) };
}

/** Ids of the account's stored APIs that the apply keeps (only read when an `api_id` needs them). */
async function apisAfterApply(
  policies: readonly DeclaredPolicy[],
  record: AccountRecord | undefined,
  context: PlanContext,
): Promise<Set<string>> {
  const ids = new Set<string>();
  const needed = policies.some((policy) => policy.accessRights.some((right) => right.apiId !== undefined));
  if (record === undefined || !needed) return ids;
  const { services, principal } = context;
  for (const zone of await services.tenancy.listZones(principal, { accountId: record.id })) {
    for (const api of await services.apis.list(principal, zone.id)) {
      if (!context.deletedApis.has(api.id)) ids.add(api.id);
    }
  }
  return ids;
}

/** The policy in the admin API's wire format, with its access rights' API ids. */
function inputOf(policy: DeclaredPolicy, apiIds: readonly string[]): PolicyInput {
  return {
    ...policy.input,
    access_rights: policy.accessRights.map((right, index) => ({
      api_id: apiIds[index] ?? '',
      methods: right.methods,
      paths: right.paths,
    })),
  };
}

/** A well-formed id, distinct per access right, for an API that exists only once the apply made it. */
function standIn(policy: DeclaredPolicy, index: number): string {
  return createHash('sha256').update(`${policy.where}\0${index}`).digest('hex').slice(0, 32);
}

/** A policy's fields in a fixed form (access rights, methods and paths as sets): equal means no write. */
function canonical(policy: ValidPolicy): string {
  const rights = policy.accessRights
    .map((right) => JSON.stringify([right.apiId, [...right.methods].sort(), [...right.paths].sort()]))
    .sort();
  const { rateLimit, quota } = policy;
  return JSON.stringify([
    policy.name,
    rights,
    rateLimit === null ? null : [rateLimit.rate, rateLimit.per],
    quota === null ? null : [quota.max, quota.renewalRate],
    policy.active,
  ]);
}
