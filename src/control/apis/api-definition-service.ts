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
import { GW_ERR_API_CONFLICT, GW_ERR_API_VALIDATION } from '../../errors/index.ts';
import type { Store } from '../../store/ports.ts';
import type { ApiDefinitionRecord, HexId, ZoneRecord } from '../../model/records.ts';
import type { Principal } from '../access-policy.ts';
import { apiInputOf, validateApiInput, type ApiInput } from './api-definition-input.ts';
import { defined } from './gateway-policy-input.ts';
import type { TenancyService } from '../tenancy/tenancy-service.ts';
import { ZoneScopedCrud } from '../zone-scoped-crud.ts';

/** At most this many APIs per zone (each one is compiled into every snapshot). */
export const MAX_APIS_PER_ZONE = 1000;

/** A PATCH body: any field of ApiInput; `auth` and `rate_limit` are replaced as a whole when given. */
export type ApiPatch = Partial<ApiInput>;

export class ApiDefinitionService {
  readonly #crud: ZoneScopedCrud<ApiDefinitionRecord, ApiInput>;

  constructor(store: Store, tenancy: TenancyService, now: () => Date = () => new Date()) {
    this.#crud = new ZoneScopedCrud(store, tenancy, now, {
      plural: 'APIs',
      maxPerZone: MAX_APIS_PER_ZONE,
      collection: 'apis',
      validate: validateApiInput,
      store: {
        list: (s, zoneId) => s.listApis(zoneId),
        get: (s, zoneId, id) => s.getApi(zoneId, id),
        create: (s, record) => s.createApi(record),
        update: (s, record) => s.updateApi(record),
        delete: (s, zoneId, id) => s.deleteApi(zoneId, id),
      },
      checkReferences: async (s, zone, records) => {
        for (const record of records) await checkReferences(s, zone, record);
      },
      // A taken (hostname, listen path) pair.
      conflict: (api) => GW_ERR_API_CONFLICT.create(`an API for ${api.hostname}${api.listenPath} already exists`),
    });
  }

  create(principal: Principal, zoneId: HexId, input: ApiInput): Promise<ApiDefinitionRecord> {
    return this.#crud.create(principal, zoneId, input);
  }

  list(principal: Principal, zoneId: HexId): Promise<ApiDefinitionRecord[]> {
    return this.#crud.list(principal, zoneId);
  }

  get(principal: Principal, zoneId: HexId, id: HexId): Promise<ApiDefinitionRecord> {
    return this.#crud.get(principal, zoneId, id);
  }

  /** PUT: replaces every field but the id and the creation time (omitted ones take their defaults). */
  update(principal: Principal, zoneId: HexId, id: HexId, input: ApiInput): Promise<ApiDefinitionRecord> {
    return this.#crud.update(principal, zoneId, id, input);
  }

  /** PATCH: the fields given replace the stored ones; the result is checked as a whole. */
  patch(principal: Principal, zoneId: HexId, id: HexId, patch: ApiPatch): Promise<ApiDefinitionRecord> {
    return this.#crud.patch(principal, zoneId, id, (current, zone) =>
      validateApiInput({ ...apiInputOf(current), ...defined(patch) }, zone),
    );
  }

  /** Deletes the API and returns it as it was. */
  delete(principal: Principal, zoneId: HexId, id: HexId): Promise<ApiDefinitionRecord> {
    return this.#crud.delete(principal, zoneId, id);
  }
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
