/**
 * ManagedCaService: one managed CA per account, created on first need (docs/architecture.md, "Data model"). Its private
 * key is sealed with the master key before it reaches the store and is opened only to sign.
 */
import { createRootCa, type CertificateAuthority } from '../../pki/certificate-issuer.ts';
import type { SecretBox } from '../../store/secret-box.ts';
import { StoreConflictError, type Store } from '../../store/ports.ts';
import type { HexId, ManagedCaRecord, Uuid } from '../../model/records.ts';
import { isoSeconds, newUuid } from '../ids.ts';

const MANAGED_CA_VALIDITY_DAYS = 7300; // 20 years: longer than the longest client certificate (15 years)

export class ManagedCaService {
  readonly #store: Store;
  readonly #box: SecretBox;

  constructor(store: Store, box: SecretBox) {
    this.#store = store;
    this.#box = box;
  }

  async getOrCreate(accountId: HexId): Promise<ManagedCaRecord> {
    const existing = await this.#store.getManagedCa(accountId);
    if (existing !== undefined) return existing;
    const name = `Portcullis Managed CA for account ${accountId}`;
    const ca = await createRootCa({ name: `CN=${name},O=Portcullis`, validityDays: MANAGED_CA_VALIDITY_DAYS });
    const record: ManagedCaRecord = {
      id: newUuid(),
      accountId,
      name,
      certificatePem: ca.certPem,
      sealedPrivateKey: this.#box.seal(ca.keyPem),
      nextCrlNumber: 1,
      createdAt: isoSeconds(new Date()),
    };
    try {
      await this.#store.createManagedCa(record);
      return record;
    } catch (error) {
      if (!(error instanceof StoreConflictError)) throw error;
      // Created concurrently (another request or instance): the stored one wins.
      const stored = await this.#store.getManagedCa(accountId);
      if (stored === undefined) throw error;
      return stored;
    }
  }

  /** Certificate and opened key, to sign with. */
  authorityOf(record: ManagedCaRecord): CertificateAuthority {
    return { certPem: record.certificatePem, keyPem: this.#box.open(record.sealedPrivateKey) };
  }

  get(caId: Uuid): Promise<ManagedCaRecord | undefined> {
    return this.#store.getManagedCaById(caId);
  }
}
