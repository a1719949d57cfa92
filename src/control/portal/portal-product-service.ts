/**
 * The operator's side of the catalogue: products (APIs of one account + the policy their keys get +
 * a description + an approval mode). Account-scoped like keys and policies: a token of account A
 * never sees or changes a product of account B. The APIs must be in zones of the product's account
 * and the policy in the account.
 */
import { GW_ERR_API_CONFLICT, GW_ERR_API_OBJECT_NOT_FOUND, GW_ERR_API_VALIDATION } from '../../errors/index.ts';
import type { Store } from '../../store/ports.ts';
import type { ApiDefinitionRecord, HexId } from '../../model/records.ts';
import type { PortalProductRecord } from '../../model/portal-records.ts';
import { canSeeAccount, type Principal } from '../access-policy.ts';
import { inAccountTransaction } from '../account-transaction.ts';
import { isoMicros, newHexId } from '../ids.ts';
import type { TenancyService } from '../tenancy/tenancy-service.ts';
import { checkHexId, validateProduct, type ProductInput } from './portal-input.ts';

export class PortalProductService {
  readonly #store: Store;
  readonly #tenancy: TenancyService;
  readonly #now: () => Date;

  constructor(store: Store, tenancy: TenancyService, now: () => Date = () => new Date()) {
    this.#store = store;
    this.#tenancy = tenancy;
    this.#now = now;
  }

  async create(principal: Principal, input: ProductInput): Promise<PortalProductRecord> {
    const accountId = checkHexId(input.account_id, 'account_id');
    const account = await this.#tenancy.getAccount(principal, accountId, 'edit');
    const valid = validateProduct(input);
    return inAccountTransaction(this.#store, account.id, async (store) => {
      await checkReferences(store, account.id, valid.apiIds, valid.policyId);
      const created = isoMicros(this.#now());
      const record: PortalProductRecord = {
        id: newHexId(),
        accountId: account.id,
        ...valid,
        createdOn: created,
        modifiedOn: created,
      };
      await store.putPortalProduct(record);
      return record;
    });
  }

  async list(principal: Principal): Promise<PortalProductRecord[]> {
    const all = await this.#store.listPortalProducts();
    return all.filter((product) => canSeeAccount(principal, product.accountId));
  }

  async get(principal: Principal, id: string): Promise<PortalProductRecord> {
    const product = await this.#find(id);
    await this.#tenancy.getAccount(principal, product.accountId, 'read');
    return product;
  }

  /** PATCH: the fields given replace the stored ones; the account stays. */
  async update(principal: Principal, id: string, input: ProductInput): Promise<PortalProductRecord> {
    const current = await this.#find(id);
    await this.#tenancy.getAccount(principal, current.accountId, 'edit');
    if (input.account_id !== undefined && input.account_id !== current.accountId) {
      throw GW_ERR_API_VALIDATION.create('account_id cannot change: create a product in the other account');
    }
    const valid = validateProduct({
      name: current.name,
      description: current.description,
      api_ids: current.apiIds,
      policy_id: current.policyId,
      approval_mode: current.approvalMode,
      published: current.published,
      validity_days: current.validityDays,
      ...definedOnly(input),
    });
    return inAccountTransaction(this.#store, current.accountId, async (store) => {
      await checkReferences(store, current.accountId, valid.apiIds, valid.policyId);
      const record: PortalProductRecord = { ...current, ...valid, modifiedOn: isoMicros(this.#now()) };
      await store.putPortalProduct(record);
      return record;
    });
  }

  /** Refused while requests for it are pending or approved: revoke or reject them first. */
  async delete(principal: Principal, id: string): Promise<PortalProductRecord> {
    const current = await this.#find(id);
    await this.#tenancy.getAccount(principal, current.accountId, 'edit');
    return inAccountTransaction(this.#store, current.accountId, async (store) => {
      const open = await store.listPortalAccessRequests({ productId: id, statuses: ['pending', 'approved'] });
      if (open.length > 0) {
        throw GW_ERR_API_CONFLICT.create(
          `the product has ${open.length} pending or approved access requests: reject or revoke them first, or unpublish it`,
        );
      }
      await store.deletePortalProduct(id);
      return current;
    });
  }

  async #find(id: string): Promise<PortalProductRecord> {
    const product = /^[0-9a-f]{32}$/.test(id) ? await this.#store.getPortalProduct(id) : undefined;
    if (product === undefined) throw GW_ERR_API_OBJECT_NOT_FOUND.create(`/portal/products/${id}`);
    return product;
  }
}

function definedOnly(input: ProductInput): ProductInput {
  return Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined));
}

/** The APIs of a product, in its order; throws when one is not in a zone of the account. */
export async function productApis(
  store: Store,
  accountId: HexId,
  apiIds: readonly HexId[],
): Promise<ApiDefinitionRecord[]> {
  const apis = new Map<HexId, ApiDefinitionRecord>();
  for (const zone of await store.listZones({ accountIds: [accountId] })) {
    for (const api of await store.listApis(zone.id)) apis.set(api.id, api);
  }
  return apiIds.map((id, index) => {
    const api = apis.get(id);
    if (api === undefined) throw GW_ERR_API_VALIDATION.create(`api_ids[${index}]: API ${id} is not in this account`);
    return api;
  });
}

async function checkReferences(store: Store, accountId: HexId, apiIds: readonly HexId[], policyId: HexId) {
  const apis = await productApis(store, accountId, apiIds);
  for (const api of apis) {
    if (api.authMode !== 'mtls_dynamic') {
      throw GW_ERR_API_VALIDATION.create(
        `API ${api.id} uses auth mode ${api.authMode}: a product's APIs use mtls_dynamic, so that the keys the portal binds to certificates are what lets clients in`,
      );
    }
  }
  if ((await store.getPolicy(accountId, policyId)) === undefined) {
    throw GW_ERR_API_VALIDATION.create(`policy_id: policy ${policyId} does not exist in this account`);
  }
}
