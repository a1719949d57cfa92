/**
 * GatewayKeyService: an account's keys (Tyk's sessions), each bound to a certificate, a token
 * secret, or both. Field rules are in gateway-key-input.ts; this adds what needs the store or
 * randomness:
 *  - the id is random (newHexId), never derived from the certificate;
 *  - the binding is computed from the certificate's DER, whichever way it was named; a CA is
 *    refused, and so is an uploaded certificate or client certificate that does not exist;
 *  - one key per binding in an account, and per secret across the installation (table
 *    constraints → 409). Bindings are per account so that no tenant can squat another's device
 *    certificate by binding it first: the data plane looks a presented certificate up among the
 *    keys of the API's own account only. Within an account a certificate can also not be bound by
 *    leaf to one key and by public key (spki) to another, when both are computed from the
 *    certificate itself: one certificate must find one key;
 *  - the token secret is made here, returned once by create, and only its hash is stored;
 *  - policies and the APIs of access rights belong to the same account.
 * Writes hold the account lock (as policy writes do), so a key never lists a policy being deleted.
 */
import { randomBytes } from 'node:crypto';
import { GW_ERR_API_CONFLICT, GW_ERR_API_OBJECT_NOT_FOUND, GW_ERR_API_VALIDATION } from '../../errors/index.ts';
import { StoreConflictError, type Store } from '../../store/ports.ts';
import { effectiveLimits, type EffectiveLimitsResult } from '../../policy/effective-limits.ts';
import type {
  AccountRecord,
  CertificateBinding,
  GatewayKeyRecord,
  GatewayPolicyRecord,
  HexId,
  Quota,
} from '../../model/records.ts';
import type { Principal } from '../access-policy.ts';
import {
  bindingOf,
  firstDerOf,
  fingerprintsOf,
  hashSecret,
  keySettingsInputOf,
  leafDerOf,
  SECRET_PREFIX,
  validateKeyCreate,
  validateKeySettings,
  type CertificateSource,
  type KeyCreateInput,
  type KeySettings,
  type KeySettingsInput,
  type ValidKeyCreate,
} from './gateway-key-input.ts';
import { defined } from './gateway-policy-input.ts';
import { checkAccessRights } from './gateway-policy-service.ts';
import { inAccountTransaction } from '../account-transaction.ts';
import { isoMicros, newHexId } from '../ids.ts';
import type { TenancyService } from '../tenancy/tenancy-service.ts';

/** Requests left in the key's current quota period (provided by whoever holds the counters). */
export type QuotaRemaining = (keyId: string, quota: Quota) => Promise<number>;

export interface QuotaRemainingReport {
  /** Per key, in order: requests left; null without a quota, or when the counters did not answer. */
  readonly values: (number | null)[];
  /** Set when the usage counters did not answer: their error (for the log, not for clients). */
  readonly countersUnavailable: string | undefined;
  /** Per key, in order: its effective access rights and limits, as the gateway enforces them. */
  readonly effective: EffectiveLimitsResult[];
}

export interface GatewayKeyServiceOptions {
  now?: () => Date;
  /** Absent: a key's remaining quota is reported as its whole quota. */
  quotaRemaining?: QuotaRemaining;
}

export interface CreatedKey {
  key: GatewayKeyRecord;
  /** The token secret, only here and only once; null for a certificate-only key. */
  secret: string | null;
}

const BOUND = 'a key is already bound to this certificate';

export class GatewayKeyService {
  readonly #store: Store;
  readonly #tenancy: TenancyService;
  readonly #now: () => Date;
  readonly #quotaRemaining: QuotaRemaining | undefined;

  constructor(store: Store, tenancy: TenancyService, options: GatewayKeyServiceOptions = {}) {
    this.#store = store;
    this.#tenancy = tenancy;
    this.#now = options.now ?? (() => new Date());
    this.#quotaRemaining = options.quotaRemaining;
  }

  async create(principal: Principal, accountId: HexId, input: KeyCreateInput): Promise<CreatedKey> {
    const account = await this.#tenancy.getAccount(principal, accountId, 'edit');
    const now = this.#now();
    const valid = validateKeyCreate(input, now);
    return inAccountTransaction(this.#store, account.id, async (store) => {
      await checkSettings(store, account, valid.settings);
      const binding = await this.#binding(store, account, valid, now);
      const secret = valid.token ? SECRET_PREFIX + randomBytes(32).toString('base64url') : null;
      const created = isoMicros(now);
      const record: GatewayKeyRecord = {
        id: newHexId(),
        accountId: account.id,
        ...valid.settings,
        certificateBinding: binding,
        secretHash: secret === null ? null : hashSecret(secret),
        createdOn: created,
        modifiedOn: created,
      };
      try {
        await store.createKey(record);
      } catch (error) {
        if (!(error instanceof StoreConflictError)) throw error;
        // Only a binding can collide in practice: 256 random bits do not.
        throw GW_ERR_API_CONFLICT.create(binding === null ? 'a key with this secret exists; retry' : BOUND);
      }
      return { key: record, secret };
    });
  }

  async list(principal: Principal, accountId: HexId): Promise<GatewayKeyRecord[]> {
    const account = await this.#tenancy.getAccount(principal, accountId, 'read');
    return this.#store.listKeys(account.id);
  }

  async get(principal: Principal, accountId: HexId, id: HexId): Promise<GatewayKeyRecord> {
    const account = await this.#tenancy.getAccount(principal, accountId, 'read');
    return requireKey(this.#store, account.id, id);
  }

  /** PUT: replaces every setting (omitted ones take their defaults); the binding and secret stay. */
  async update(principal: Principal, accountId: HexId, id: HexId, input: KeySettingsInput): Promise<GatewayKeyRecord> {
    const account = await this.#tenancy.getAccount(principal, accountId, 'edit');
    return this.#replace(account, id, () => input);
  }

  /** PATCH: the settings given replace the stored ones (lists as a whole); the binding and secret stay. */
  async patch(principal: Principal, accountId: HexId, id: HexId, patch: KeySettingsInput): Promise<GatewayKeyRecord> {
    const account = await this.#tenancy.getAccount(principal, accountId, 'edit');
    return this.#replace(account, id, (current) => ({ ...keySettingsInputOf(current), ...defined(patch) }));
  }

  /** Deletes the key and returns it as it was. */
  async delete(principal: Principal, accountId: HexId, id: HexId): Promise<GatewayKeyRecord> {
    const account = await this.#tenancy.getAccount(principal, accountId, 'edit');
    return inAccountTransaction(this.#store, account.id, async (store) => {
      const current = await requireKey(store, account.id, id);
      await store.deleteKey(account.id, id);
      return current;
    });
  }

  /**
   * Requests left in each key's effective quota (its own, or its policies': policy/effective-limits.ts):
   * null without a quota, 0 when a policy it lists is missing or inactive (the key is refused). When
   * the usage counters (Redis) do not answer, the keys they were asked about get null and
   * `countersUnavailable` says why: a key change must not fail after it is committed (its secret
   * would be lost), and keys must stay listable while the counters are down.
   */
  async quotaRemaining(keys: readonly GatewayKeyRecord[]): Promise<QuotaRemainingReport> {
    const policies = new Map<HexId, GatewayPolicyRecord>();
    for (const accountId of new Set(keys.filter((key) => key.policyIds.length > 0).map((key) => key.accountId))) {
      for (const policy of await this.#store.listPolicies(accountId)) policies.set(policy.id, policy);
    }
    let countersUnavailable: string | undefined;
    const effectiveOfKeys = keys.map((key) => ({ key, effective: effectiveLimits(key, policies) }));
    const values = await Promise.all(
      effectiveOfKeys.map(async ({ key, effective }) => {
        if (effective.kind !== 'ok') return 0;
        const quota = effective.limits.quota;
        if (quota === null) return null;
        if (this.#quotaRemaining === undefined) return quota.max;
        try {
          return await this.#quotaRemaining(key.id, quota);
        } catch (error) {
          countersUnavailable ??= (error as Error).message;
          return null;
        }
      }),
    );
    return { values, countersUnavailable, effective: effectiveOfKeys.map(({ effective }) => effective) };
  }

  #replace(
    account: AccountRecord,
    id: HexId,
    inputOf: (current: GatewayKeyRecord) => KeySettingsInput,
  ): Promise<GatewayKeyRecord> {
    return inAccountTransaction(this.#store, account.id, async (store) => {
      const current = await requireKey(store, account.id, id);
      const now = this.#now();
      const settings = validateKeySettings(inputOf(current), now, current.expiresOn);
      await checkSettings(store, account, settings);
      const record: GatewayKeyRecord = { ...current, ...settings, modifiedOn: isoMicros(now) };
      await store.updateKey(record);
      return record;
    });
  }

  /** The binding of a new key, after checking that no key holds this certificate already. */
  async #binding(
    store: Store,
    account: AccountRecord,
    valid: ValidKeyCreate,
    now: Date,
  ): Promise<CertificateBinding | null> {
    const source = valid.certificate;
    if (source === null) return null;
    if (source.kind === 'sha256') {
      const binding: CertificateBinding = { kind: 'leaf_sha256', value: source.value };
      await refuseBound(store, account, binding, BOUND);
      return binding;
    }
    const der = await derOf(store, account, source);
    const binding = bindingOf(der, valid.bindTo, now, 'certificate');
    const { leaf, spki } = fingerprintsOf(der, 'certificate');
    await refuseBound(store, account, binding, BOUND);
    // The other kind of binding of the same certificate would make it find two keys.
    const other: CertificateBinding =
      binding.kind === 'leaf_sha256' ? { kind: 'spki_sha256', value: spki } : { kind: 'leaf_sha256', value: leaf };
    await refuseBound(
      store,
      account,
      other,
      other.kind === 'spki_sha256'
        ? 'a key is already bound to the public key of this certificate (bind_to spki)'
        : 'a key is already bound to this exact certificate (bind_to leaf)',
    );
    return binding;
  }
}

async function requireKey(store: Store, accountId: HexId, id: HexId): Promise<GatewayKeyRecord> {
  const record = await store.getKey(accountId, id);
  if (record === undefined) throw GW_ERR_API_OBJECT_NOT_FOUND.create(`/accounts/${accountId}/gateway/keys/${id}`);
  return record;
}

/** Policies and the APIs of access rights exist in the account. */
async function checkSettings(store: Store, account: AccountRecord, settings: KeySettings): Promise<void> {
  for (const [index, policyId] of settings.policyIds.entries()) {
    if ((await store.getPolicy(account.id, policyId)) === undefined) {
      throw GW_ERR_API_VALIDATION.create(`policy_ids[${index}]: policy ${policyId} does not exist in this account`);
    }
  }
  await checkAccessRights(store, account.id, settings.accessRights);
}

/** 409 naming the key of this account that holds `binding`; other accounts' keys never count. */
async function refuseBound(
  store: Store,
  account: AccountRecord,
  binding: CertificateBinding,
  message: string,
): Promise<void> {
  const holder = await store.getKeyByBinding(account.id, binding);
  if (holder === undefined) return;
  throw GW_ERR_API_CONFLICT.create(`${message} (key ${holder.id})`);
}

/** The DER of the certificate a key is to be bound to. */
async function derOf(
  store: Store,
  account: AccountRecord,
  source: Exclude<CertificateSource, { kind: 'sha256' }>,
): Promise<Buffer> {
  switch (source.kind) {
    case 'pem':
      return leafDerOf(source.pem, 'certificate.pem');
    case 'mtls_certificate': {
      const record = await store.getMtlsCertificate(account.id, source.id);
      if (record === undefined) {
        throw GW_ERR_API_VALIDATION.create(`certificate: mTLS certificate ${source.id} does not exist in this account`);
      }
      if (record.ca) {
        throw GW_ERR_API_VALIDATION.create(
          `certificate: mTLS certificate ${source.id} is a CA; a key is bound to a client's leaf certificate`,
        );
      }
      return firstDerOf(record.certificatesPem, 'mtls_certificates.certificates_pem');
    }
    case 'client_certificate': {
      for (const zone of await store.listZones({ accountIds: [account.id] })) {
        const record = await store.getClientCertificate(zone.id, source.id);
        if (record !== undefined) return firstDerOf(record.certificatePem, 'client_certificates.certificate_pem');
      }
      throw GW_ERR_API_VALIDATION.create(
        `certificate: client certificate ${source.id} does not exist in any zone of this account`,
      );
    }
  }
}
