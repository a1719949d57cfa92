/**
 * MtlsCertificateService: certificates uploaded to an account (cloudflare-compatibility.md §3): CAs that client
 * certificates are verified against (bring your own CA), and leaf certificates. Validation is the
 * bad-input list of hostile-input.md (pki/mtls-upload.ts); a CA is refused past the account's quota,
 * and delete is refused while a hostname association uses it. A CA carries a compatibility
 * (docs/adr/0008), set at upload and changeable later: the CA is checked again under the new one.
 */
import {
  GW_ERR_API_OBJECT_NOT_FOUND,
  GW_ERR_API_VALIDATION,
  GW_ERR_CA_QUOTA_EXCEEDED,
  GW_ERR_CERT_IN_USE,
} from '../../errors/index.ts';
import { validateMtlsUpload } from '../../pki/mtls-upload.ts';
import type { SecretBox } from '../../store/secret-box.ts';
import type { Store } from '../../store/ports.ts';
import type {
  CaCompatibility,
  HexId,
  HostnameAssociationRecord,
  MtlsCertificateRecord,
  Uuid,
} from '../../model/records.ts';
import { assertAccount, type Principal } from '../access-policy.ts';
import { isoMicros, isoSeconds, newUuid } from '../ids.ts';
import type { TenancyService } from '../tenancy/tenancy-service.ts';
import { inAccountTransaction } from '../account-transaction.ts';

/** Uploaded CAs per account (Cloudflare: 5 per account, error 1489 beyond). */
export const DEFAULT_MAX_CAS_PER_ACCOUNT = 5;

export interface UploadInput {
  ca: boolean;
  certificates: string;
  name?: string | undefined;
  privateKey?: string | undefined;
  /** CAs only; default `strict`. */
  compatibility?: CaCompatibility | undefined;
}

export class MtlsCertificateService {
  readonly #store: Store;
  readonly #box: SecretBox;
  readonly #tenancy: TenancyService;
  readonly #maxCas: number;

  constructor(store: Store, box: SecretBox, tenancy: TenancyService, maxCas = DEFAULT_MAX_CAS_PER_ACCOUNT) {
    this.#store = store;
    this.#box = box;
    this.#tenancy = tenancy;
    this.#maxCas = maxCas;
  }

  async upload(principal: Principal, accountId: HexId, input: UploadInput): Promise<MtlsCertificateRecord> {
    await this.#tenancy.getAccount(principal, accountId, 'edit');
    if (!input.ca && input.compatibility !== undefined) {
      throw GW_ERR_API_VALIDATION.create('compatibility applies to CAs (ca: true) only');
    }
    const compatibility = input.compatibility ?? 'strict';
    const validated = validateMtlsUpload({
      ca: input.ca,
      compatibility,
      certificatesPem: input.certificates,
      // A leaf uploaded here is one the gateway presents as a client (upstream mTLS).
      ...(input.ca ? {} : { leafUsage: 'clientAuth' as const }),
      ...(input.privateKey === undefined ? {} : { privateKeyPem: input.privateKey }),
    });
    const now = new Date();
    const record: MtlsCertificateRecord = {
      id: newUuid(),
      accountId,
      name: input.name ?? null,
      ca: input.ca,
      certificatesPem: validated.normalisedPem,
      issuer: validated.description.issuer,
      serialNumber: validated.description.serialNumberDecimal,
      signature: validated.description.signature,
      type: 'custom',
      fingerprintSha256: validated.description.fingerprintSha256,
      sealedPrivateKey: input.privateKey === undefined ? null : this.#box.seal(input.privateKey),
      compatibility,
      expiresOn: isoSeconds(validated.description.expiresOn),
      uploadedOn: isoMicros(now),
      updatedAt: isoMicros(now),
    };
    // Count and insert in one transaction, so two concurrent uploads cannot both pass the quota.
    await inAccountTransaction(this.#store, accountId, async (store) => {
      if (input.ca && (await store.countCaCertificates(accountId)) >= this.#maxCas)
        throw GW_ERR_CA_QUOTA_EXCEEDED.create();
      await store.createMtlsCertificate(record);
    });
    return record;
  }

  async list(
    principal: Principal,
    accountId: HexId,
    types: readonly string[] | undefined,
  ): Promise<MtlsCertificateRecord[]> {
    await this.#tenancy.getAccount(principal, accountId, 'read');
    return this.#store.listMtlsCertificates(accountId, types);
  }

  async get(principal: Principal, accountId: HexId, id: Uuid): Promise<MtlsCertificateRecord> {
    await this.#tenancy.getAccount(principal, accountId, 'read');
    return this.#find(accountId, id);
  }

  /**
   * Changes how client chains ending at an uploaded CA are judged. The CA is checked again under the new
   * compatibility first (a switch to `strict` is refused, with the rule, for a CA that breaks it), so a stored CA
   * always meets the rules of its own compatibility.
   */
  async setCompatibility(
    principal: Principal,
    accountId: HexId,
    id: Uuid,
    compatibility: CaCompatibility,
  ): Promise<MtlsCertificateRecord> {
    await this.#tenancy.getAccount(principal, accountId, 'edit');
    return inAccountTransaction(this.#store, accountId, async (store) => {
      const record = await store.getMtlsCertificate(accountId, id);
      if (record === undefined)
        throw GW_ERR_API_OBJECT_NOT_FOUND.create(`/accounts/${accountId}/mtls_certificates/${id}`);
      if (!record.ca) throw GW_ERR_API_VALIDATION.create('compatibility applies to CAs (ca: true) only');
      if (record.compatibility === compatibility) return record;
      // The stored bundle is checked as an upload with the new compatibility would be.
      validateMtlsUpload({ ca: true, certificatesPem: record.certificatesPem, compatibility });
      const updatedAt = isoMicros(new Date());
      await store.updateMtlsCertificateCompatibility(accountId, id, compatibility, updatedAt);
      return { ...record, compatibility, updatedAt };
    });
  }

  async delete(principal: Principal, accountId: HexId, id: Uuid): Promise<MtlsCertificateRecord> {
    await this.#tenancy.getAccount(principal, accountId, 'edit');
    return inAccountTransaction(this.#store, accountId, async (store) => {
      const record = await store.getMtlsCertificate(accountId, id);
      if (record === undefined)
        throw GW_ERR_API_OBJECT_NOT_FOUND.create(`/accounts/${accountId}/mtls_certificates/${id}`);
      const uses = await store.listAssociationsOfCertificate(id);
      if (uses.length > 0) {
        // Name what blocks the delete (cloudflare-compatibility.md §3.2: users need to know what to detach).
        throw GW_ERR_CERT_IN_USE.create(`associated with ${uses.map((use) => use.hostname).join(', ')}`);
      }
      // Its CRLs, revocation settings and block list go with it (docs/adr/0014).
      await store.deleteCaRevocation(accountId, id);
      await store.deleteMtlsCertificate(accountId, id);
      return record;
    });
  }

  async associations(principal: Principal, accountId: HexId, id: Uuid): Promise<HostnameAssociationRecord[]> {
    await this.get(principal, accountId, id);
    return this.#store.listAssociationsOfCertificate(id);
  }

  async #find(accountId: HexId, id: Uuid): Promise<MtlsCertificateRecord> {
    const record = await this.#store.getMtlsCertificate(accountId, id);
    if (record === undefined)
      throw GW_ERR_API_OBJECT_NOT_FOUND.create(`/accounts/${accountId}/mtls_certificates/${id}`);
    return record;
  }

  /** For other use cases: the account's certificate, checked to exist. */
  async requireInAccount(principal: Principal, accountId: HexId, id: Uuid): Promise<MtlsCertificateRecord> {
    assertAccount(principal, accountId, 'read', 'read mTLS certificates');
    return this.#find(accountId, id);
  }
}
