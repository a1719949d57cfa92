/**
 * HostnameAssociationService: which CAs a hostname trusts for client certificates (cloudflare-compatibility.md §5).
 * One list per (zone, CA); no CA id means the account's managed CA. Hostnames must be in the zone,
 * and not in a subdomain zone of another account (foreign-hostnames.ts).
 */
import { GW_ERR_API_OBJECT_NOT_FOUND, GW_ERR_API_VALIDATION, GW_ERR_HOSTNAME_NOT_IN_ZONE } from '../../errors/index.ts';
import type { Store } from '../../store/ports.ts';
import type { HexId, Uuid, ZoneRecord } from '../../model/records.ts';
import type { Principal } from '../access-policy.ts';
import type { MtlsCertificateService } from './mtls-certificate-service.ts';
import type { TenancyService } from '../tenancy/tenancy-service.ts';
import { inZoneTransaction } from '../account-transaction.ts';
import { refuseForeignHostnames } from '../tenancy/foreign-hostnames.ts';
import { canonicalHostname, isHostname } from '../../model/hostname.ts';

/** At most this many hostnames per (zone, CA) list. */
export const MAX_HOSTNAMES_PER_ASSOCIATION = 1000;

export class HostnameAssociationService {
  readonly #store: Store;
  readonly #tenancy: TenancyService;
  readonly #mtlsCertificates: MtlsCertificateService;

  constructor(store: Store, tenancy: TenancyService, mtlsCertificates: MtlsCertificateService) {
    this.#store = store;
    this.#tenancy = tenancy;
    this.#mtlsCertificates = mtlsCertificates;
  }

  async get(principal: Principal, zoneId: HexId, mtlsCertificateId: Uuid | undefined): Promise<string[]> {
    const zone = await this.#tenancy.getZone(principal, zoneId, 'read');
    if (mtlsCertificateId !== undefined) await this.#requireCa(principal, zone, mtlsCertificateId);
    return this.#store.listHostnames(zone.id, mtlsCertificateId ?? null);
  }

  async replace(
    principal: Principal,
    zoneId: HexId,
    mtlsCertificateId: Uuid | undefined,
    hostnames: readonly string[],
  ): Promise<string[]> {
    const zone = await this.#tenancy.getZone(principal, zoneId, 'edit');
    if (mtlsCertificateId !== undefined) await this.#requireCa(principal, zone, mtlsCertificateId);
    if (hostnames.length > MAX_HOSTNAMES_PER_ASSOCIATION) {
      throw GW_ERR_API_VALIDATION.create(`at most ${MAX_HOSTNAMES_PER_ASSOCIATION} hostnames`);
    }
    const normalised = [...new Set(hostnames.map((hostname) => normaliseHostname(hostname, zone)))].sort();
    // Under the account lock, a concurrent delete of the CA either sees this association (and is
    // refused) or happens first (and this replace fails the existence check): never both succeed.
    await inZoneTransaction(this.#store, zone, async (store) => {
      if (
        mtlsCertificateId !== undefined &&
        (await store.getMtlsCertificate(zone.accountId, mtlsCertificateId)) === undefined
      ) {
        throw GW_ERR_API_OBJECT_NOT_FOUND.create(`/accounts/${zone.accountId}/mtls_certificates/${mtlsCertificateId}`);
      }
      await refuseForeignHostnames(store, zone, normalised);
      await store.replaceHostnames(zone.id, mtlsCertificateId ?? null, normalised);
    });
    return normalised;
  }

  async #requireCa(principal: Principal, zone: ZoneRecord, id: Uuid): Promise<void> {
    const certificate = await this.#mtlsCertificates.requireInAccount(principal, zone.accountId, id);
    if (!certificate.ca) throw GW_ERR_API_VALIDATION.create(`mtls_certificate_id ${id} is not a CA certificate`);
  }
}

export function normaliseHostname(hostname: string, zone: ZoneRecord): string {
  const lower = canonicalHostname(hostname.trim());
  if (!isHostname(lower, { wildcard: true }))
    throw GW_ERR_API_VALIDATION.create(`"${hostname.slice(0, 80)}" is not a valid hostname`);
  if (lower !== zone.name && !lower.endsWith(`.${zone.name}`))
    throw GW_ERR_HOSTNAME_NOT_IN_ZONE.create(`${lower} (zone ${zone.name})`);
  return lower;
}
