/**
 * EstAdminService: what an operator manages of EST (docs/adr/0016) — enrollment profiles of a zone,
 * their bootstrap secrets (made here, shown once, stored as SHA-256), requests waiting for approval,
 * tags on client certificates, bulk revocation, and which devices are late to renew.
 */
import { randomBytes } from 'node:crypto';
import {
  GW_ERR_API_CONFLICT,
  GW_ERR_API_OBJECT_NOT_FOUND,
  GW_ERR_API_VALIDATION,
  GW_ERR_BULK_REVOCATION_FILTER,
  GW_ERR_EST_APPROVAL_STATE,
} from '../../errors/index.ts';
import { StoreConflictError, type Store } from '../../store/ports.ts';
import type { ClientCertificateRecord, HexId, Uuid, ZoneRecord } from '../../model/records.ts';
import type {
  BulkRevocationFilter,
  EstApprovalRecord,
  EstApprovalStatus,
  EstBootstrapSecretRecord,
  EstProfileRecord,
  EstProfileSettings,
} from '../../model/est-records.ts';
import type { Principal } from '../access-policy.ts';
import { inZoneTransaction } from '../account-transaction.ts';
import { isoSeconds, newHexId, newUuid } from '../ids.ts';
import type { ManagedCaService } from '../certificates/managed-ca-service.ts';
import type { PublicPkiPublisher } from '../publish/public-pki-publisher.ts';
import type { TenancyService } from '../tenancy/tenancy-service.ts';
import { hashSecret } from '../apis/gateway-key-input.ts';
import { checkTags, validateProfileInput, type EstProfileInput } from './est-profile-input.ts';

export const BOOTSTRAP_SECRET_PREFIX = 'estb_';
const DEFAULT_SECRET_LIFETIME_SECONDS = 7 * 86_400;
const MAX_SECRET_LIFETIME_SECONDS = 365 * 86_400;

export interface BootstrapSecretInput {
  name?: string;
  max_uses?: number;
  expires_in_seconds?: number;
}

/** A secret the config file provisions: its value, a stable id, and an expiry (ISO-8601, seconds). */
export interface ProvidedSecret {
  secret: string;
  id: HexId;
  expiresOn?: string;
}

export interface RenewalHealthEntry {
  clientCertificateId: Uuid;
  profileId: Uuid;
  commonName: string;
  expiresOn: string;
  /** When the device should have re-enrolled by (expiry minus the profile's renew_before_days). */
  renewBy: string;
  overdue: boolean;
}

export interface EstAdminServiceOptions {
  store: Store;
  tenancy: TenancyService;
  managedCas: ManagedCaService;
  publisher: PublicPkiPublisher;
  now?: () => Date;
}

export class EstAdminService {
  readonly #options: EstAdminServiceOptions;

  constructor(options: EstAdminServiceOptions) {
    this.#options = options;
  }

  // Profiles --------------------------------------------------------------------------------------

  async createProfile(principal: Principal, zoneId: HexId, input: EstProfileInput): Promise<EstProfileRecord> {
    const zone = await this.#options.tenancy.getZone(principal, zoneId, 'edit');
    const { label, settings } = validateProfileInput(input);
    // The CA that issues must exist before the first device connects: a hostname trusts the managed
    // CA (and so asks for client certificates at all, which re-enrollment and bootstrap certificates
    // need) only once it exists.
    await this.#options.managedCas.getOrCreate(zone.accountId);
    const now = isoSeconds(this.#now());
    const record: EstProfileRecord = {
      id: newUuid(),
      accountId: zone.accountId,
      zoneId: zone.id,
      label,
      settings,
      createdOn: now,
      modifiedOn: now,
    };
    await inZoneTransaction(this.#options.store, zone, async (store) => {
      await this.#checkReferences(store, zone, record);
      try {
        await store.createEstProfile(record);
      } catch (error) {
        if (error instanceof StoreConflictError) throw GW_ERR_API_CONFLICT.create(error.message);
        throw error;
      }
    });
    return record;
  }

  async listProfiles(principal: Principal, zoneId: HexId): Promise<EstProfileRecord[]> {
    const zone = await this.#options.tenancy.getZone(principal, zoneId, 'read');
    return this.#options.store.listEstProfiles(zone.id);
  }

  async getProfile(principal: Principal, zoneId: HexId, id: Uuid): Promise<EstProfileRecord> {
    const zone = await this.#options.tenancy.getZone(principal, zoneId, 'read');
    return requireProfile(this.#options.store, zone.id, id);
  }

  /** PUT: every setting replaced (omitted ones take their defaults); the label stays. */
  async updateProfile(
    principal: Principal,
    zoneId: HexId,
    id: Uuid,
    input: EstProfileInput,
  ): Promise<EstProfileRecord> {
    const zone = await this.#options.tenancy.getZone(principal, zoneId, 'edit');
    return inZoneTransaction(this.#options.store, zone, async (store) => {
      const current = await requireProfile(store, zone.id, id);
      const { label, settings } = validateProfileInput({ ...input, label: input.label ?? current.label });
      if (label !== current.label) throw GW_ERR_API_VALIDATION.create('label cannot change: create another profile');
      const record = { ...current, settings, modifiedOn: isoSeconds(this.#now()) };
      await this.#checkReferences(store, zone, record);
      await store.updateEstProfile(record);
      return record;
    });
  }

  /** Deletes the profile, its secrets and approvals; certificates it issued stay (revoke them in bulk by profile first). */
  async deleteProfile(principal: Principal, zoneId: HexId, id: Uuid): Promise<EstProfileRecord> {
    const zone = await this.#options.tenancy.getZone(principal, zoneId, 'edit');
    return inZoneTransaction(this.#options.store, zone, async (store) => {
      const current = await requireProfile(store, zone.id, id);
      await store.deleteEstProfile(zone.id, id);
      return current;
    });
  }

  /** Hostnames of the zone, one profile per (hostname, label), policies and CAs of the account. */
  async #checkReferences(store: Store, zone: ZoneRecord, record: EstProfileRecord): Promise<void> {
    const { settings } = record;
    for (const hostname of settings.hostnames) {
      if (hostname !== zone.name && !hostname.endsWith(`.${zone.name}`)) {
        throw GW_ERR_API_VALIDATION.create(`hostname ${hostname} is not in the zone ${zone.name}`);
      }
    }
    for (const other of await store.listEstProfiles(zone.id)) {
      if (other.id === record.id || other.label !== record.label) continue;
      const shared = other.settings.hostnames.find((hostname) => settings.hostnames.includes(hostname));
      if (shared !== undefined) {
        throw GW_ERR_API_CONFLICT.create(`profile ${other.id} serves label "${record.label}" on ${shared} already`);
      }
    }
    for (const policyId of settings.keyPolicyIds ?? []) {
      if ((await store.getPolicy(zone.accountId, policyId)) === undefined) {
        throw GW_ERR_API_VALIDATION.create(`key_policy_ids: no policy ${policyId} in this account`);
      }
    }
    for (const caId of settings.bootstrapCaIds) {
      const uploaded = await store.getMtlsCertificate(zone.accountId, caId);
      if (uploaded === undefined || !uploaded.ca) {
        throw GW_ERR_API_VALIDATION.create(`bootstrap_ca_ids: ${caId} is not a CA uploaded to this account`);
      }
    }
  }

  // Bootstrap secrets -----------------------------------------------------------------------------

  /**
   * Makes a secret; returns it once, with its record (only the hash is stored). `provided`: the
   * config file's secret, id and expiry (never from the API, whose secrets are made here).
   */
  async createSecret(
    principal: Principal,
    zoneId: HexId,
    profileId: Uuid,
    input: BootstrapSecretInput,
    provided?: ProvidedSecret,
  ): Promise<{ record: EstBootstrapSecretRecord; secret: string }> {
    const zone = await this.#options.tenancy.getZone(principal, zoneId, 'edit');
    const maxUses = input.max_uses ?? 1;
    if (!Number.isInteger(maxUses) || maxUses < 1 || maxUses > 1_000_000) {
      throw GW_ERR_API_VALIDATION.create('max_uses must be a whole number from 1 to 1000000');
    }
    const lifetime = input.expires_in_seconds ?? DEFAULT_SECRET_LIFETIME_SECONDS;
    if (!Number.isInteger(lifetime) || lifetime < 1 || lifetime > MAX_SECRET_LIFETIME_SECONDS) {
      throw GW_ERR_API_VALIDATION.create(
        `expires_in_seconds must be a whole number from 1 to ${MAX_SECRET_LIFETIME_SECONDS}`,
      );
    }
    const name = input.name ?? '';
    if (typeof name !== 'string' || name.length > 200)
      throw GW_ERR_API_VALIDATION.create('name must be at most 200 characters');
    const now = this.#now();
    const secret = provided?.secret ?? BOOTSTRAP_SECRET_PREFIX + randomBytes(24).toString('base64url');
    const record: EstBootstrapSecretRecord = {
      id: provided?.id ?? newHexId(),
      accountId: zone.accountId,
      zoneId: zone.id,
      profileId,
      name,
      secretHash: hashSecret(secret),
      maxUses,
      uses: 0,
      expiresOn: provided?.expiresOn ?? isoSeconds(new Date(now.getTime() + lifetime * 1000)),
      createdOn: isoSeconds(now),
    };
    await inZoneTransaction(this.#options.store, zone, async (store) => {
      await requireProfile(store, zone.id, profileId);
      await store.createBootstrapSecret(record);
    });
    return { record, secret };
  }

  async listSecrets(principal: Principal, zoneId: HexId, profileId: Uuid): Promise<EstBootstrapSecretRecord[]> {
    const zone = await this.#options.tenancy.getZone(principal, zoneId, 'read');
    await requireProfile(this.#options.store, zone.id, profileId);
    return this.#options.store.listBootstrapSecrets(zone.id, profileId);
  }

  async deleteSecret(
    principal: Principal,
    zoneId: HexId,
    profileId: Uuid,
    id: HexId,
  ): Promise<EstBootstrapSecretRecord> {
    const zone = await this.#options.tenancy.getZone(principal, zoneId, 'edit');
    return inZoneTransaction(this.#options.store, zone, async (store) => {
      const secret = await store.getBootstrapSecret(id);
      if (secret === undefined || secret.zoneId !== zone.id || secret.profileId !== profileId) {
        throw GW_ERR_API_OBJECT_NOT_FOUND.create(`/zones/${zone.id}/est/profiles/${profileId}/bootstrap_secrets/${id}`);
      }
      await store.deleteBootstrapSecret(zone.id, id);
      return secret;
    });
  }

  // Approvals -------------------------------------------------------------------------------------

  async listApprovals(principal: Principal, zoneId: HexId, status?: EstApprovalStatus): Promise<EstApprovalRecord[]> {
    const zone = await this.#options.tenancy.getZone(principal, zoneId, 'read');
    return this.#options.store.listEstApprovals(zone.id, status);
  }

  /** approve or reject a pending request; the device collects an approved certificate at its next retry. */
  async decide(principal: Principal, zoneId: HexId, id: Uuid, approve: boolean): Promise<EstApprovalRecord> {
    const zone = await this.#options.tenancy.getZone(principal, zoneId, 'edit');
    return inZoneTransaction(this.#options.store, zone, async (store) => {
      const current = await store.getEstApproval(zone.id, id);
      if (current === undefined) throw GW_ERR_API_OBJECT_NOT_FOUND.create(`/zones/${zone.id}/est/approvals/${id}`);
      if (current.status !== 'pending') throw GW_ERR_EST_APPROVAL_STATE.create(`it is ${current.status} already`);
      const record: EstApprovalRecord = {
        ...current,
        status: approve ? 'approved' : 'rejected',
        decidedOn: isoSeconds(this.#now()),
      };
      await store.updateEstApproval(record);
      return record;
    });
  }

  // Tags and bulk revocation ----------------------------------------------------------------------

  async setTags(principal: Principal, zoneId: HexId, certificateId: Uuid, tags: unknown): Promise<string[]> {
    const zone = await this.#options.tenancy.getZone(principal, zoneId, 'edit');
    const checked = checkTags(tags);
    await inZoneTransaction(this.#options.store, zone, async (store) => {
      if ((await store.getClientCertificate(zone.id, certificateId)) === undefined) {
        throw GW_ERR_API_OBJECT_NOT_FOUND.create(`/zones/${zone.id}/client_certificates/${certificateId}`);
      }
      await store.setClientCertificateTags(certificateId, zone.id, checked);
    });
    return [...checked].sort();
  }

  async tagsOf(ids: readonly Uuid[]): Promise<Map<Uuid, string[]>> {
    return this.#options.store.listClientCertificateTags(ids);
  }

  /** Ids of the zone's certificates that carry `tag` (the list filter). */
  async idsWithTag(principal: Principal, zoneId: HexId, tag: string): Promise<Set<Uuid>> {
    const zone = await this.#options.tenancy.getZone(principal, zoneId, 'read');
    return new Set(await this.#options.store.listClientCertificateIdsByTag(zone.id, tag));
  }

  /**
   * Revokes every active certificate of the zone that meets all criteria, in one transaction, then
   * republishes each issuing CA's CRL and OCSP view once. The change announcement carries it to every
   * gateway's snapshot (new handshakes and open connections alike): `afterCommit`, when given, is
   * awaited once the transaction has committed and before the CRLs, so that the other gateways hear
   * of it without waiting for them.
   */
  async bulkRevoke(
    principal: Principal,
    zoneId: HexId,
    input: { tag?: string; profile_id?: string; ca_id?: string; issued_before?: string },
    afterCommit?: () => Promise<void>,
  ): Promise<{ revoked: number; ids: Uuid[] }> {
    const zone = await this.#options.tenancy.getZone(principal, zoneId, 'edit');
    const filter = bulkFilterOf(input);
    const revokedAt = isoSeconds(this.#now());
    const revoked = await inZoneTransaction(this.#options.store, zone, (store) =>
      store.bulkRevokeClientCertificates(zone.id, filter, revokedAt),
    );
    if (revoked.length > 0) await afterCommit?.();
    // This process's revocation sets take the rows the transaction returned (no 10,000-row read back), before the
    // answer; `publish` then finds them current and only republishes the CRL.
    const byCa = new Map<Uuid, { version: number; serials: string[] }>();
    for (const entry of revoked) {
      const ca = byCa.get(entry.caId);
      if (ca === undefined) byCa.set(entry.caId, { version: entry.version, serials: [entry.serialNumber] });
      else ca.serials.push(entry.serialNumber);
    }
    const revokedAtMs = Date.parse(revokedAt);
    for (const [caId, { version, serials }] of byCa) {
      await this.#options.publisher.applyOwnRevocations(caId, version, serials, revokedAtMs);
      const ca = await this.#options.managedCas.get(caId);
      if (ca !== undefined) await this.#options.publisher.publish(ca);
    }
    return { revoked: revoked.length, ids: revoked.map((entry) => entry.id) };
  }

  // Renewal health --------------------------------------------------------------------------------

  /**
   * The zone's EST-enrolled certificates still in service (active, not replaced), with when each
   * should have been renewed; `overdue` when that moment has passed.
   */
  async renewalHealth(principal: Principal, zoneId: HexId): Promise<RenewalHealthEntry[]> {
    const zone = await this.#options.tenancy.getZone(principal, zoneId, 'read');
    return renewalHealthOf(this.#options.store, zone.id, this.#now());
  }

  #now(): Date {
    return (this.#options.now ?? (() => new Date()))();
  }
}

/** Renewal health of a zone (also read by the expiry monitor, without a principal). */
export async function renewalHealthOf(store: Store, zoneId: HexId, now: Date): Promise<RenewalHealthEntry[]> {
  const profiles = new Map<Uuid, EstProfileSettings>(
    (await store.listEstProfiles(zoneId)).map((profile) => [profile.id, profile.settings]),
  );
  const entries: RenewalHealthEntry[] = [];
  for (const enrollment of await store.listEstEnrollments(zoneId)) {
    if (enrollment.replacedBy !== null) continue;
    const certificate: ClientCertificateRecord | undefined = await store.getClientCertificate(
      zoneId,
      enrollment.clientCertificateId,
    );
    if (certificate?.status !== 'active') continue;
    const renewBeforeDays = profiles.get(enrollment.profileId)?.renewBeforeDays ?? 0;
    const renewBy = new Date(Date.parse(certificate.expiresOn) - renewBeforeDays * 86_400_000);
    entries.push({
      clientCertificateId: certificate.id,
      profileId: enrollment.profileId,
      commonName: certificate.commonName,
      expiresOn: certificate.expiresOn,
      renewBy: isoSeconds(renewBy),
      overdue: renewBy.getTime() <= now.getTime(),
    });
  }
  return entries;
}

function bulkFilterOf(input: {
  tag?: string;
  profile_id?: string;
  ca_id?: string;
  issued_before?: string;
}): BulkRevocationFilter {
  const filter: BulkRevocationFilter = {};
  if (input.tag !== undefined) filter.tag = checkTags([input.tag], 'tag')[0] ?? '';
  if (input.profile_id !== undefined) filter.profileId = input.profile_id;
  if (input.ca_id !== undefined) filter.caId = input.ca_id;
  if (input.issued_before !== undefined) {
    const time = Date.parse(input.issued_before);
    if (Number.isNaN(time)) throw GW_ERR_API_VALIDATION.create('issued_before must be an RFC 3339 time');
    filter.issuedBefore = isoSeconds(new Date(time));
  }
  if (Object.keys(filter).length === 0) throw GW_ERR_BULK_REVOCATION_FILTER.create('none given');
  return filter;
}

async function requireProfile(store: Store, zoneId: HexId, id: Uuid): Promise<EstProfileRecord> {
  const profile = await store.getEstProfile(zoneId, id);
  if (profile === undefined) throw GW_ERR_API_OBJECT_NOT_FOUND.create(`/zones/${zoneId}/est/profiles/${id}`);
  return profile;
}
