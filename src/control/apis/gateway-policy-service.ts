/**
 * GatewayPolicyService: an account's policies, templates of access rights and limits applied to
 * every key that lists them. Field rules are in gateway-policy-input.ts; this adds what needs the
 * store: an access right names an API of a zone of the same account, and a policy is not deleted
 * while a key uses it (the key would silently lose its rights). Writes hold the account lock, as
 * key writes do, so a key cannot start using a policy while it is being deleted.
 */
import { GW_ERR_API_CONFLICT, GW_ERR_API_OBJECT_NOT_FOUND, GW_ERR_API_VALIDATION } from '../../errors/index.ts';
import type { Store } from '../../store/ports.ts';
import type { AccessRight, AccountRecord, GatewayPolicyRecord, HexId } from '../../model/records.ts';
import type { Principal } from '../access-policy.ts';
import {
  defined,
  policyInputOf,
  validatePolicyInput,
  type PolicyInput,
  type ValidPolicy,
} from './gateway-policy-input.ts';
import { isoMicros, newHexId } from '../ids.ts';
import type { TenancyService } from '../tenancy/tenancy-service.ts';
import { inAccountTransaction } from '../account-transaction.ts';

/** At most this many policies per account (each one is compiled into every snapshot). */
export const MAX_POLICIES_PER_ACCOUNT = 1000;

export type PolicyPatch = Partial<PolicyInput>;

export class GatewayPolicyService {
  readonly #store: Store;
  readonly #tenancy: TenancyService;
  readonly #now: () => Date;

  constructor(store: Store, tenancy: TenancyService, now: () => Date = () => new Date()) {
    this.#store = store;
    this.#tenancy = tenancy;
    this.#now = now;
  }

  async create(principal: Principal, accountId: HexId, input: PolicyInput): Promise<GatewayPolicyRecord> {
    const account = await this.#tenancy.getAccount(principal, accountId, 'edit');
    const policy = validatePolicyInput(input);
    const now = isoMicros(this.#now());
    const record: GatewayPolicyRecord = {
      id: newHexId(),
      accountId: account.id,
      ...policy,
      createdOn: now,
      modifiedOn: now,
    };
    await inAccountTransaction(this.#store, account.id, async (store) => {
      if ((await store.listPolicies(account.id)).length >= MAX_POLICIES_PER_ACCOUNT) {
        throw GW_ERR_API_VALIDATION.create(`an account has at most ${MAX_POLICIES_PER_ACCOUNT} policies`);
      }
      await checkAccessRights(store, account.id, record.accessRights);
      await store.createPolicy(record);
    });
    return record;
  }

  async list(principal: Principal, accountId: HexId): Promise<GatewayPolicyRecord[]> {
    const account = await this.#tenancy.getAccount(principal, accountId, 'read');
    return this.#store.listPolicies(account.id);
  }

  async get(principal: Principal, accountId: HexId, id: HexId): Promise<GatewayPolicyRecord> {
    const account = await this.#tenancy.getAccount(principal, accountId, 'read');
    return requirePolicy(this.#store, account.id, id);
  }

  /** PUT: replaces every field but the id and the creation time (omitted ones take their defaults). */
  async update(principal: Principal, accountId: HexId, id: HexId, input: PolicyInput): Promise<GatewayPolicyRecord> {
    const account = await this.#tenancy.getAccount(principal, accountId, 'edit');
    const policy = validatePolicyInput(input);
    return this.#replace(account, id, () => policy);
  }

  /** PATCH: the fields given replace the stored ones (lists as a whole); the result is checked again. */
  async patch(principal: Principal, accountId: HexId, id: HexId, patch: PolicyPatch): Promise<GatewayPolicyRecord> {
    const account = await this.#tenancy.getAccount(principal, accountId, 'edit');
    return this.#replace(account, id, (current) =>
      validatePolicyInput({ ...policyInputOf(current), ...defined(patch) }),
    );
  }

  /** Deletes the policy and returns it as it was; refused (409) while a key lists it. */
  async delete(principal: Principal, accountId: HexId, id: HexId): Promise<GatewayPolicyRecord> {
    const account = await this.#tenancy.getAccount(principal, accountId, 'edit');
    return inAccountTransaction(this.#store, account.id, async (store) => {
      const current = await requirePolicy(store, account.id, id);
      const users = (await store.listKeys(account.id)).filter((key) => key.policyIds.includes(id)).length;
      if (users > 0) {
        throw GW_ERR_API_CONFLICT.create(
          `policy ${id} is used by ${users} key${users === 1 ? '' : 's'}; remove it from ${users === 1 ? 'that key' : 'those keys'} first`,
        );
      }
      await store.deletePolicy(account.id, id);
      return current;
    });
  }

  #replace(
    account: AccountRecord,
    id: HexId,
    next: (current: GatewayPolicyRecord) => ValidPolicy,
  ): Promise<GatewayPolicyRecord> {
    return inAccountTransaction(this.#store, account.id, async (store) => {
      const current = await requirePolicy(store, account.id, id);
      const record: GatewayPolicyRecord = { ...current, ...next(current), modifiedOn: isoMicros(this.#now()) };
      await checkAccessRights(store, account.id, record.accessRights);
      await store.updatePolicy(record);
      return record;
    });
  }
}

async function requirePolicy(store: Store, accountId: HexId, id: HexId): Promise<GatewayPolicyRecord> {
  const record = await store.getPolicy(accountId, id);
  if (record === undefined) throw GW_ERR_API_OBJECT_NOT_FOUND.create(`/accounts/${accountId}/gateway/policies/${id}`);
  return record;
}

/** Every access right names an API of a zone of this account (never another account's). */
export async function checkAccessRights(store: Store, accountId: HexId, rights: readonly AccessRight[]): Promise<void> {
  if (rights.length === 0) return;
  const zones = await store.listZones({ accountIds: [accountId] });
  const apiIds = new Set<string>();
  for (const zone of zones) for (const api of await store.listApis(zone.id)) apiIds.add(api.id);
  for (const [index, right] of rights.entries()) {
    if (!apiIds.has(right.apiId)) {
      throw GW_ERR_API_VALIDATION.create(`access_rights[${index}]: API ${right.apiId} does not exist in this account`);
    }
  }
}
