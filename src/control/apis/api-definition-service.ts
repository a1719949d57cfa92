/**
 * ApiDefinitionService: a zone's APIs (Tyk's API definitions). Field rules are in
 * api-definition-input.ts; this adds what needs the store:
 *  - the (hostname, listen path) pair is unique across APIs (a table constraint) and across APIs
 *    and routes together (checked here, and by RouteService the other way): one request must
 *    never match two configurations;
 *  - allowlisted certificates exist: an `mtls_certificate_id` in the zone's account, and a leaf
 *    (a CA there would admit every certificate it ever signed, which is what a hostname
 *    association is for), a `client_certificate_id` in the zone.
 * Writes hold the account lock, so concurrent writers end as some serial order would.
 */
import { GW_ERR_API_CONFLICT, GW_ERR_API_OBJECT_NOT_FOUND, GW_ERR_API_VALIDATION } from '../../errors/index.ts';
import { StoreConflictError, type Store } from '../../store/ports.ts';
import type { ApiDefinitionRecord, HexId, ZoneRecord } from '../../model/records.ts';
import type { Principal } from '../access-policy.ts';
import { apiInputOf, validateApiInput, type ApiInput, type ValidApi } from './api-definition-input.ts';
import { defined } from './gateway-policy-input.ts';
import { isoMicros, newHexId } from '../ids.ts';
import type { TenancyService } from '../tenancy/tenancy-service.ts';
import { inZoneTransaction } from '../account-transaction.ts';
import { refuseForeignHostnames } from '../tenancy/foreign-hostnames.ts';

/** At most this many APIs per zone (each one is compiled into every snapshot). */
export const MAX_APIS_PER_ZONE = 1000;

/** A PATCH body: any field of ApiInput; `auth` and `rate_limit` are replaced as a whole when given. */
export type ApiPatch = Partial<ApiInput>;

export class ApiDefinitionService {
  readonly #store: Store;
  readonly #tenancy: TenancyService;
  readonly #now: () => Date;

  constructor(store: Store, tenancy: TenancyService, now: () => Date = () => new Date()) {
    this.#store = store;
    this.#tenancy = tenancy;
    this.#now = now;
  }

  async create(principal: Principal, zoneId: HexId, input: ApiInput): Promise<ApiDefinitionRecord> {
    const zone = await this.#tenancy.getZone(principal, zoneId, 'edit');
    const api = validateApiInput(input, zone);
    const now = isoMicros(this.#now());
    const record: ApiDefinitionRecord = { id: newHexId(), zoneId: zone.id, ...api, createdOn: now, modifiedOn: now };
    await this.#inAccount(zone, async (store) => {
      if ((await store.listApis(zone.id)).length >= MAX_APIS_PER_ZONE) {
        throw GW_ERR_API_VALIDATION.create(`a zone has at most ${MAX_APIS_PER_ZONE} APIs`);
      }
      await refuseForeignHostnames(store, zone, [record.hostname]);
      await checkReferences(store, zone, record);
      await writeApi(() => store.createApi(record), record);
    });
    return record;
  }

  async list(principal: Principal, zoneId: HexId): Promise<ApiDefinitionRecord[]> {
    const zone = await this.#tenancy.getZone(principal, zoneId, 'read');
    return this.#store.listApis(zone.id);
  }

  async get(principal: Principal, zoneId: HexId, id: HexId): Promise<ApiDefinitionRecord> {
    const zone = await this.#tenancy.getZone(principal, zoneId, 'read');
    return requireApi(this.#store, zone, id);
  }

  /** PUT: replaces every field but the id and the creation time (omitted ones take their defaults). */
  async update(principal: Principal, zoneId: HexId, id: HexId, input: ApiInput): Promise<ApiDefinitionRecord> {
    const zone = await this.#tenancy.getZone(principal, zoneId, 'edit');
    const api = validateApiInput(input, zone);
    return this.#replace(zone, id, () => api);
  }

  /** PATCH: the fields given replace the stored ones; the result is checked as a whole. */
  async patch(principal: Principal, zoneId: HexId, id: HexId, patch: ApiPatch): Promise<ApiDefinitionRecord> {
    const zone = await this.#tenancy.getZone(principal, zoneId, 'edit');
    return this.#replace(zone, id, (current) => validateApiInput({ ...apiInputOf(current), ...defined(patch) }, zone));
  }

  /** Deletes the API and returns it as it was. */
  async delete(principal: Principal, zoneId: HexId, id: HexId): Promise<ApiDefinitionRecord> {
    const zone = await this.#tenancy.getZone(principal, zoneId, 'edit');
    return this.#inAccount(zone, async (store) => {
      const current = await requireApi(store, zone, id);
      await store.deleteApi(zone.id, id);
      return current;
    });
  }

  #replace(
    zone: ZoneRecord,
    id: HexId,
    next: (current: ApiDefinitionRecord) => ValidApi,
  ): Promise<ApiDefinitionRecord> {
    return this.#inAccount(zone, async (store) => {
      const current = await requireApi(store, zone, id);
      const record: ApiDefinitionRecord = { ...current, ...next(current), modifiedOn: isoMicros(this.#now()) };
      await refuseForeignHostnames(store, zone, [record.hostname]);
      await checkReferences(store, zone, record);
      await writeApi(() => store.updateApi(record), record);
      return record;
    });
  }

  #inAccount<T>(zone: ZoneRecord, work: (store: Store) => Promise<T>): Promise<T> {
    return inZoneTransaction(this.#store, zone, work);
  }
}

async function requireApi(store: Store, zone: ZoneRecord, id: HexId): Promise<ApiDefinitionRecord> {
  const record = await store.getApi(zone.id, id);
  if (record === undefined) throw GW_ERR_API_OBJECT_NOT_FOUND.create(`/zones/${zone.id}/gateway/apis/${id}`);
  return record;
}

/** What needs the store: no route at the same pair, and the allowlisted certificates exist. */
async function checkReferences(store: Store, zone: ZoneRecord, api: ApiDefinitionRecord): Promise<void> {
  const routes = await store.listAllRoutes();
  const route = routes.find((r) => r.hostname === api.hostname && r.pathPrefix === api.listenPath);
  if (route !== undefined) {
    throw GW_ERR_API_CONFLICT.create(
      `a route for ${api.hostname}${api.listenPath} already exists; an API and a route cannot share a hostname and path`,
    );
  }
  for (const [index, entry] of api.allowedCertificates.entries()) {
    const field = `auth.allowed_certificates[${index}]`;
    if (entry.kind === 'mtls_certificate') {
      const certificate = await store.getMtlsCertificate(zone.accountId, entry.id);
      if (certificate === undefined) {
        throw GW_ERR_API_VALIDATION.create(`${field}: mTLS certificate ${entry.id} does not exist in this account`);
      }
      if (certificate.ca) {
        throw GW_ERR_API_VALIDATION.create(
          `${field}: mTLS certificate ${entry.id} is a CA; an allowlist names leaf certificates (a CA would admit every certificate it signs: associate the CA with the hostname instead)`,
        );
      }
    } else if (entry.kind === 'client_certificate') {
      if ((await store.getClientCertificate(zone.id, entry.id)) === undefined) {
        throw GW_ERR_API_VALIDATION.create(`${field}: client certificate ${entry.id} does not exist in this zone`);
      }
    }
  }
}

/** Runs a store write; a taken (hostname, listen path) pair becomes a 409 that names it. */
async function writeApi(write: () => Promise<void>, api: ValidApi): Promise<void> {
  try {
    await write();
  } catch (error) {
    if (error instanceof StoreConflictError) {
      throw GW_ERR_API_CONFLICT.create(`an API for ${api.hostname}${api.listenPath} already exists`);
    }
    throw error;
  }
}
