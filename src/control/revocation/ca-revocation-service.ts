/**
 * CaRevocationService: revocation for the CAs an account uploaded (docs/adr/0014) — the CRLs in
 * force (uploaded here, or fetched by crl-refresher.ts through `storeFetchedCrl`), the CA's
 * settings (CRL fetching, OCSP, fail closed or open), and block lists by SHA-256 or serial, per
 * uploaded CA or for the whole account. Every change is compiled into the snapshot by the caller
 * (the admin API's onChange, the refresher's announcement), so it reaches open connections at
 * their next request.
 *
 * A CRL is checked before anything is stored (pki/crl-acceptance.ts): refused CRLs change nothing.
 * The check against the CRL number in force is repeated under the account lock, so two uploads
 * racing cannot put an older CRL over a newer one.
 */
import { X509Certificate } from 'node:crypto';
import {
  GW_ERR_API_CONFLICT,
  GW_ERR_API_OBJECT_NOT_FOUND,
  GW_ERR_API_VALIDATION,
  GW_ERR_AUTH_FORBIDDEN,
  GW_ERR_CRL_OUTDATED,
} from '../../errors/index.ts';
import type { AcceptedCrl } from '../../pki/crl-acceptance.ts';
import { acceptCrlOffThread } from './crl-acceptance-off-thread.ts';
import { readCrlText } from '../../pki/crl-input.ts';
import { readPemBlocksOf } from '../../pki/pem.ts';
import {
  ACCOUNT_BLOCK_SCOPE,
  type CaCrlRecord,
  type CaRevocationRecord,
  type CaRevocationSettings,
  type CertificateBlockRecord,
  type CrlSource,
} from '../../store/ca-revocation-records.ts';
import { StoreConflictError, type Store } from '../../store/ports.ts';
import type { HexId, MtlsCertificateRecord, Uuid } from '../../model/records.ts';
import type { Principal } from '../access-policy.ts';
import { inAccountTransaction } from '../account-transaction.ts';
import {
  applySettingsPatch,
  readBlockInput,
  withDefaults,
  type CaRevocationSettingsWire,
  type CertificateBlockWire,
} from './ca-revocation-input.ts';
import { isoSeconds, newHexId } from '../ids.ts';
import type { TenancyService } from '../tenancy/tenancy-service.ts';

/** Block-list entries per scope (an uploaded CA, or the account). */
export const MAX_BLOCKS_PER_SCOPE = 10_000;

/** Everything about one uploaded CA's revocation, for the API's views. */
export interface CaRevocationState {
  readonly mtlsCertificateId: Uuid;
  readonly settings: CaRevocationSettings;
  /** Undefined until the settings were first written. */
  readonly record: CaRevocationRecord | undefined;
  readonly crls: readonly CaCrlRecord[];
}

export class CaRevocationService {
  readonly #store: Store;
  readonly #tenancy: TenancyService;
  readonly #now: () => Date;

  constructor(store: Store, tenancy: TenancyService, now: () => Date = () => new Date()) {
    this.#store = store;
    this.#tenancy = tenancy;
    this.#now = now;
  }

  // CRLs.

  /** PUT …/crl: `text` is PEM or base64 of the DER. */
  async uploadCrl(principal: Principal, accountId: HexId, id: Uuid, text: string): Promise<CaCrlRecord> {
    await this.#tenancy.getAccount(principal, accountId, 'edit');
    const ca = await this.#requireCa(accountId, id);
    const stored = await this.#putCrlIfNewer(ca, readCrlText(text), 'upload', null);
    return stored.record;
  }

  async listCrls(principal: Principal, accountId: HexId, id: Uuid): Promise<CaCrlRecord[]> {
    await this.#tenancy.getAccount(principal, accountId, 'read');
    await this.#requireCa(accountId, id);
    return this.#store.listCaCrls(id);
  }

  /** DELETE …/crl: the CA's clients are no longer checked against a CRL (unless fetching is on). */
  async deleteCrls(principal: Principal, accountId: HexId, id: Uuid): Promise<CaCrlRecord[]> {
    await this.#tenancy.getAccount(principal, accountId, 'edit');
    await this.#requireCa(accountId, id);
    return inAccountTransaction(this.#store, accountId, async (store) => {
      const removed = await store.listCaCrls(id);
      await store.deleteCaCrls(id);
      return removed;
    });
  }

  /**
   * A CRL fetched from a distribution point (crl-refresher.ts): checked like an upload; stored only
   * when it is newer than the one in force. Throws the refusal (GatewayError) otherwise.
   */
  async storeFetchedCrl(
    ca: MtlsCertificateRecord,
    der: Buffer,
    url: string,
  ): Promise<{ record: CaCrlRecord; changed: boolean }> {
    return this.#putCrlIfNewer(ca, der, 'fetch', url);
  }

  // Settings.

  async getSettings(principal: Principal, accountId: HexId, id: Uuid): Promise<CaRevocationState> {
    await this.#tenancy.getAccount(principal, accountId, 'read');
    await this.#requireCa(accountId, id);
    return this.#state(id);
  }

  /** PATCH …/revocation: what the body names changes; fetching (re)starts at once when on. */
  async updateSettings(
    principal: Principal,
    accountId: HexId,
    id: Uuid,
    patch: CaRevocationSettingsWire,
  ): Promise<CaRevocationState> {
    await this.#tenancy.getAccount(principal, accountId, 'edit');
    await this.#requireCa(accountId, id);
    await inAccountTransaction(this.#store, accountId, async (store) => {
      const current = withDefaults((await store.getCaRevocation(id))?.settings);
      const settings = applySettingsPatch(current, patch);
      assertMayReachPrivateNetworks(principal, current, settings);
      const now = this.#now();
      // Full ISO with milliseconds, like every fetch time: the lease compares them as text.
      const nextFetchAt = settings.crlFetch.enabled ? now.toISOString() : null;
      await store.putCaRevocationSettings({ mtlsCertificateId: id, accountId, settings, nextFetchAt }, isoSeconds(now));
    });
    return this.#state(id);
  }

  // Block lists: `scope` is an uploaded CA's id, or undefined for the account.

  async listBlocks(principal: Principal, accountId: HexId, scope: Uuid | undefined): Promise<CertificateBlockRecord[]> {
    await this.#tenancy.getAccount(principal, accountId, 'read');
    if (scope !== undefined) await this.#requireCa(accountId, scope);
    return this.#store.listCertificateBlocks(accountId, scope ?? ACCOUNT_BLOCK_SCOPE);
  }

  async addBlock(
    principal: Principal,
    accountId: HexId,
    scope: Uuid | undefined,
    wire: CertificateBlockWire,
  ): Promise<CertificateBlockRecord> {
    await this.#tenancy.getAccount(principal, accountId, 'edit');
    if (scope !== undefined) await this.#requireCa(accountId, scope);
    const input = readBlockInput(wire);
    const record: CertificateBlockRecord = {
      id: newHexId(),
      accountId,
      scope: scope ?? ACCOUNT_BLOCK_SCOPE,
      kind: input.kind,
      value: input.value,
      description: input.description,
      createdOn: isoSeconds(this.#now()),
    };
    await inAccountTransaction(this.#store, accountId, async (store) => {
      if ((await store.listCertificateBlocks(accountId, record.scope)).length >= MAX_BLOCKS_PER_SCOPE) {
        throw GW_ERR_API_VALIDATION.create(`at most ${MAX_BLOCKS_PER_SCOPE} blocked certificates per list`);
      }
      try {
        await store.createCertificateBlock(record);
      } catch (error) {
        if (error instanceof StoreConflictError) throw GW_ERR_API_CONFLICT.create(error.message);
        throw error;
      }
    });
    return record;
  }

  async removeBlock(principal: Principal, accountId: HexId, scope: Uuid | undefined, blockId: HexId): Promise<void> {
    await this.#tenancy.getAccount(principal, accountId, 'edit');
    if (scope !== undefined) await this.#requireCa(accountId, scope);
    const removed = await this.#store.deleteCertificateBlock(accountId, scope ?? ACCOUNT_BLOCK_SCOPE, blockId);
    if (!removed) throw GW_ERR_API_OBJECT_NOT_FOUND.create(`blocked certificate ${blockId}`);
  }

  /**
   * Checks `der` against the CA's bundle and the CRL in force for its issuer, then stores it. An
   * upload of the same CRL number replaces it (the operator says so); a fetched one replaces it
   * only when it is newer, so an unchanged distribution point writes nothing.
   */
  async #putCrlIfNewer(
    ca: MtlsCertificateRecord,
    der: Buffer,
    source: CrlSource,
    url: string | null,
  ): Promise<{ record: CaCrlRecord; changed: boolean }> {
    const inForce = new Map([...numbersOf(await this.#store.listCaCrls(ca.id))].map(([k, v]) => [k, v.number]));
    // A large CRL is parsed in a worker thread: the data plane shares this event loop.
    const accepted = await acceptCrlOffThread({
      der,
      cas: bundleCaCertificates(ca),
      inForce,
      now: this.#now(),
    });
    return inAccountTransaction(this.#store, ca.accountId, async (store) => {
      if ((await store.getMtlsCertificate(ca.accountId, ca.id)) === undefined) {
        throw GW_ERR_API_OBJECT_NOT_FOUND.create(`/accounts/${ca.accountId}/mtls_certificates/${ca.id}`);
      }
      const crls = await store.listCaCrls(ca.id);
      const current = numbersOf(crls).get(accepted.issuerFingerprint256);
      if (current !== undefined) {
        // Again under the lock: another upload or fetch may have stored a newer one meanwhile.
        if (accepted.crlNumber < current.number) {
          throw GW_ERR_CRL_OUTDATED.create(`CRL number ${accepted.crlNumber}, the one in force has ${current.number}`);
        }
        const same = accepted.crlNumber === current.number && accepted.thisUpdate.getTime() <= current.thisUpdateMs;
        const record = crls.find((crl) => crl.issuerFingerprint === accepted.issuerFingerprint256);
        if (source === 'fetch' && same && record !== undefined) return { record, changed: false };
      }
      const record = crlRecord(ca, accepted, source, url, this.#now());
      await store.putCaCrl(record);
      return { record, changed: true };
    });
  }

  async #state(id: Uuid): Promise<CaRevocationState> {
    const record = await this.#store.getCaRevocation(id);
    return {
      mtlsCertificateId: id,
      settings: withDefaults(record?.settings),
      record,
      crls: await this.#store.listCaCrls(id),
    };
  }

  async #requireCa(accountId: HexId, id: Uuid): Promise<MtlsCertificateRecord> {
    const record = await this.#store.getMtlsCertificate(accountId, id);
    if (record === undefined)
      throw GW_ERR_API_OBJECT_NOT_FOUND.create(`/accounts/${accountId}/mtls_certificates/${id}`);
    if (!record.ca) throw GW_ERR_API_VALIDATION.create(`mtls_certificate_id ${id} is not a CA certificate`);
    return record;
  }
}

/**
 * Reaching loopback and private networks from the gateway is the installation operator's decision
 * (a global token), not a tenant's (docs/adr/0014): an account token may neither allow it nor, while
 * it is allowed, change where CRLs are fetched from.
 */
function assertMayReachPrivateNetworks(
  principal: Principal,
  current: CaRevocationSettings,
  next: CaRevocationSettings,
): void {
  if (principal.scope.kind === 'global' || !next.allowPrivateAddresses) return;
  const allowedNow = !current.allowPrivateAddresses;
  const urlsChanged = JSON.stringify(current.crlFetch.urls) !== JSON.stringify(next.crlFetch.urls);
  if (allowedNow || urlsChanged) {
    throw GW_ERR_AUTH_FORBIDDEN.create(
      'let CRL and OCSP requests reach private addresses, nor change CRL URLs while they may (an operator token is needed)',
    );
  }
}

function numbersOf(crls: readonly CaCrlRecord[]): Map<string, { number: bigint; thisUpdateMs: number }> {
  return new Map(
    crls.map((crl) => [
      crl.issuerFingerprint,
      { number: BigInt(crl.crlNumber), thisUpdateMs: Date.parse(crl.thisUpdate) },
    ]),
  );
}

function crlRecord(
  ca: MtlsCertificateRecord,
  accepted: AcceptedCrl,
  source: CrlSource,
  url: string | null,
  now: Date,
): CaCrlRecord {
  return {
    mtlsCertificateId: ca.id,
    accountId: ca.accountId,
    issuerFingerprint: accepted.issuerFingerprint256,
    issuerSubject: accepted.issuerSubject,
    crlNumber: accepted.crlNumber.toString(),
    thisUpdate: isoSeconds(accepted.thisUpdate),
    nextUpdate: isoSeconds(accepted.nextUpdate),
    revokedSerials: [...accepted.revokedSerials],
    source,
    sourceUrl: url,
    updatedAt: isoSeconds(now),
  };
}

/** The CA certificates of an uploaded bundle (a CRL must be issued by one of them). */
export function bundleCaCertificates(record: MtlsCertificateRecord): X509Certificate[] {
  return readPemBlocksOf(record.certificatesPem, 'CERTIFICATE')
    .map((der) => new X509Certificate(der))
    .filter((certificate) => certificate.ca);
}
