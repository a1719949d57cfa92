/**
 * ClientCertificateService: client certificates issued by the account's managed CA from a CSR
 * (cloudflare-compatibility.md §4). Lifecycle: active → pending_revocation (DELETE) → revoked, and back to
 * active via PATCH {reactivate: true}. Every status change republishes the CA's CRL and OCSP view at once.
 */
import {
  GW_ERR_API_OBJECT_NOT_FOUND,
  GW_ERR_API_VALIDATION,
  GW_ERR_CLIENT_CERT_QUOTA,
  GW_ERR_CLIENT_CERT_STATE,
  GW_ERR_CSR_SAN_NOT_ALLOWED,
  GW_ERR_PUBLIC_URL_LOOPBACK,
} from '../../errors/index.ts';
import { unreachablePublicUrl } from '../../config/public-url-reach.ts';
import { readCsr } from '../../pki/csr.ts';
import { issueClientCertificate, MAX_CLIENT_VALIDITY_DAYS } from '../../pki/client-certificate-issuer.ts';
import type { ClientCertificateFilter, Page, Store } from '../../store/ports.ts';
import type { ClientCertificateRecord, ClientCertificateStatus, HexId, Uuid, ZoneRecord } from '../../model/records.ts';
import type { Principal } from '../access-policy.ts';
import { isoSeconds, newUuid } from '../ids.ts';
import type { ManagedCaService } from './managed-ca-service.ts';
import type { PublicPkiPublisher } from '../publish/public-pki-publisher.ts';
import type { TenancyService } from '../tenancy/tenancy-service.ts';
import { inZoneTransaction } from '../account-transaction.ts';
import { applySanPolicy, describeRefusals } from '../../pki/san-policy.ts';
import { SAN_POLICY_SETTING, sanPolicyOf } from './san-policy-service.ts';

/** Active client certificates per zone (Cloudflare: "up to 100"; revoking releases the slot). */
export const DEFAULT_CLIENT_CERTIFICATES_PER_ZONE = 1000;

export interface ClientCertificateServiceOptions {
  store: Store;
  tenancy: TenancyService;
  managedCas: ManagedCaService;
  publisher: PublicPkiPublisher;
  /** Base URL of the gateway for the CRL distribution point and OCSP URL written into certificates. */
  publicUrl: () => string;
  /** The gateway listener's host: with a non-loopback one, a loopback publicUrl is warned about (issueWarnings). */
  listenHost?: string;
  perZoneLimit?: number;
  now?: () => Date;
}

export class ClientCertificateService {
  readonly #options: ClientCertificateServiceOptions;

  constructor(options: ClientCertificateServiceOptions) {
    this.#options = options;
  }

  async create(
    principal: Principal,
    zoneId: HexId,
    input: { csr: string; validityDays: number },
  ): Promise<ClientCertificateRecord> {
    const { store, tenancy, managedCas, publisher } = this.#options;
    const publicUrl = this.#options.publicUrl();
    const zone = await tenancy.getZone(principal, zoneId, 'edit');
    if (
      !Number.isInteger(input.validityDays) ||
      input.validityDays < 1 ||
      input.validityDays > MAX_CLIENT_VALIDITY_DAYS
    ) {
      throw GW_ERR_API_VALIDATION.create(`validity_days must be a whole number from 1 to ${MAX_CLIENT_VALIDITY_DAYS}`);
    }
    const csr = readCsr(input.csr);
    // Every requested SAN is certified or the request is refused naming it: never dropped (docs/adr/0019).
    const { policy } = sanPolicyOf(zone, await store.getZoneSetting(zone.id, SAN_POLICY_SETTING));
    const { allowed, refused } = applySanPolicy(csr.requestedSans, policy);
    if (refused.length > 0) throw GW_ERR_CSR_SAN_NOT_ALLOWED.create(describeRefusals(refused));
    const limit = this.#options.perZoneLimit ?? DEFAULT_CLIENT_CERTIFICATES_PER_ZONE;
    const ca = await managedCas.getOrCreate(zone.accountId);
    const issued = issueClientCertificate({
      ca: managedCas.authorityOf(ca),
      csr,
      validityDays: input.validityDays,
      now: this.#now(),
      crlUrl: `${publicUrl}/.well-known/portcullis/crl/${ca.id}.crl`,
      ocspUrl: `${publicUrl}/.well-known/portcullis/ocsp/${ca.id}`,
      subjectAltNames: allowed,
    });
    const record: ClientCertificateRecord = {
      id: newUuid(),
      zoneId: zone.id,
      accountId: zone.accountId,
      caId: ca.id,
      certificatePem: issued.certPem,
      csr: csr.pem,
      commonName: csr.subject.commonName,
      country: csr.subject.country,
      state: csr.subject.state,
      location: csr.subject.locality,
      organization: csr.subject.organization,
      organizationalUnit: csr.subject.organizationalUnit,
      serialNumber: issued.serialHex,
      fingerprintSha256: issued.fingerprintSha256,
      ski: issued.skiHex,
      signature: issued.signature,
      status: 'active',
      validityDays: input.validityDays,
      issuedOn: isoSeconds(issued.issuedOn),
      expiresOn: isoSeconds(issued.expiresOn),
      revokedAt: null,
    };
    // Count and insert under the account lock, so concurrent requests cannot overshoot the quota.
    await inZoneTransaction(store, zone, async (trx) => {
      if ((await trx.countActiveClientCertificates(zone.id)) >= limit)
        throw GW_ERR_CLIENT_CERT_QUOTA.create(String(limit));
      await trx.createClientCertificate(record);
    });
    // The first certificate of an account may have just created its CA: publish its CRL/OCSP.
    await publisher.ensurePublished(ca);
    return record;
  }

  /**
   * Caveats about what create() issues, for the answer's `messages`: the CRL and OCSP URLs name a loopback host
   * that relying parties elsewhere cannot reach (README "Public URL").
   */
  issueWarnings(): { code: number; message: string }[] {
    const { listenHost } = this.#options;
    const origin =
      listenHost === undefined ? undefined : unreachablePublicUrl(this.#options.publicUrl(), { host: listenHost });
    if (origin === undefined) return [];
    const warning = GW_ERR_PUBLIC_URL_LOOPBACK.create(origin);
    return [{ code: warning.v4Code, message: warning.message }];
  }

  /**
   * One page of the zone's certificates: of some statuses, whose common name, serial or fingerprint
   * matches `search` (ClientCertificateFilter), expiring within `expiresWithinDays` days, carrying `tag`.
   */
  async list(
    principal: Principal,
    zoneId: HexId,
    statuses: readonly ClientCertificateStatus[] | undefined,
    page: Page,
    narrowing: { search?: string | undefined; expiresWithinDays?: number | undefined; tag?: string | undefined } = {},
  ): Promise<{ items: ClientCertificateRecord[]; total: number }> {
    const zone = await this.#options.tenancy.getZone(principal, zoneId, 'read');
    const { search, expiresWithinDays, tag } = narrowing;
    const filter: ClientCertificateFilter = {
      ...(tag === undefined ? {} : { tag }),
      ...(statuses === undefined ? {} : { statuses }),
      ...(search === undefined || search.trim() === '' ? {} : { search }),
      ...(expiresWithinDays === undefined
        ? {}
        : { expiresBefore: isoSeconds(new Date(this.#now().getTime() + expiresWithinDays * 86_400_000)) }),
    };
    return this.#options.store.listClientCertificates(zone.id, filter, page);
  }

  async get(principal: Principal, zoneId: HexId, id: Uuid): Promise<ClientCertificateRecord> {
    const zone = await this.#options.tenancy.getZone(principal, zoneId, 'read');
    return this.#find(zone.id, id);
  }

  /** DELETE: revoke. Idempotent for certificates already pending revocation or revoked. */
  async revoke(principal: Principal, zoneId: HexId, id: Uuid): Promise<ClientCertificateRecord> {
    const zone = await this.#options.tenancy.getZone(principal, zoneId, 'edit');
    const current = await this.#find(zone.id, id);
    if (current.status === 'pending_revocation' || current.status === 'revoked') return current;
    return this.#transition(zone, current, 'pending_revocation', isoSeconds(this.#now()));
  }

  /** PATCH {reactivate: true}: from pending_revocation or revoked back towards active. */
  async reactivate(principal: Principal, zoneId: HexId, id: Uuid): Promise<ClientCertificateRecord> {
    const zone = await this.#options.tenancy.getZone(principal, zoneId, 'edit');
    const current = await this.#find(zone.id, id);
    if (current.status === 'active' || current.status === 'pending_reactivation') {
      throw GW_ERR_CLIENT_CERT_STATE.create(`a certificate in status ${current.status} cannot be reactivated`);
    }
    return this.#transition(zone, current, 'pending_reactivation', null);
  }

  /**
   * Applies a status change and republishes revocation data. The pending_* states of Cloudflare's
   * API are asynchronous there; here the change takes effect at once, so the record settles in its
   * final state (revoked / active) right after the response that shows the pending one. The zone
   * must still exist: a reactivation racing the zone's deletion must not leave a valid certificate
   * that no zone can revoke any more.
   */
  async #transition(
    zone: ZoneRecord,
    current: ClientCertificateRecord,
    pending: ClientCertificateStatus,
    revokedAt: string | null,
  ): Promise<ClientCertificateRecord> {
    const { store, managedCas, publisher } = this.#options;
    const settled: ClientCertificateStatus = pending === 'pending_revocation' ? 'revoked' : 'active';
    await inZoneTransaction(store, zone, (trx) =>
      trx.updateClientCertificateStatus(current.zoneId, current.id, settled, revokedAt),
    );
    const ca = await managedCas.get(current.caId);
    if (ca !== undefined) await publisher.publish(ca);
    return { ...current, status: pending, revokedAt };
  }

  async #find(zoneId: HexId, id: Uuid): Promise<ClientCertificateRecord> {
    const record = await this.#options.store.getClientCertificate(zoneId, id);
    if (record === undefined) throw GW_ERR_API_OBJECT_NOT_FOUND.create(`/zones/${zoneId}/client_certificates/${id}`);
    return record;
  }

  #now(): Date {
    return (this.#options.now ?? (() => new Date()))();
  }
}
