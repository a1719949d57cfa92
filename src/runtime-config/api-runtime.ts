/**
 * The compiled Tyk model the data plane reads per request, built once per snapshot:
 *
 *   ApiRuntime   an API's authentication: mode, static allowlist (leaf SHA-256 set), API-wide limit
 *   KeyRuntime   a key's binding, state and effective limits (policies already applied)
 *   KeyIndex     (account, presented leaf SHA-256 / SPKI SHA-256) / token secret hash → key, O(1)
 *
 * Keys are found only through these indexes: by a certificate the client PRESENTED and proved
 * possession of in the handshake, or by a secret it sent. A key id is never an input. Certificate
 * bindings are unique per account, not across the installation (two tenants may each bind the same
 * device certificate), so a certificate is looked up among the keys of one account: the API's.
 */
import type { CompiledAccessRights } from '../policy/access-rights.ts';
import type { ApiAuthMode, CertificateBinding, Quota, RateLimit } from '../model/records.ts';

export interface ApiRuntime {
  readonly id: string;
  readonly zoneId: string;
  readonly accountId: string;
  readonly name: string;
  readonly authMode: ApiAuthMode;
  /** `mtls_static`: a token key is required as well. */
  readonly tokenRequired: boolean;
  /** `mtls_static`: lowercase hex SHA-256 of the allowed leaf certificates. */
  readonly allowedLeafSha256: ReadonlySet<string>;
  /** Over all clients of the API; null = none. */
  readonly rateLimit: RateLimit | null;
}

export interface KeyLimits {
  readonly access: CompiledAccessRights;
  readonly rateLimit: RateLimit | null;
  readonly quota: Quota | null;
}

export interface KeyRuntime {
  readonly id: string;
  readonly accountId: string;
  readonly alias: string;
  readonly binding: CertificateBinding | null;
  readonly active: boolean;
  /** Epoch ms; null = never expires. */
  readonly expiresAtMs: number | null;
  /** Undefined when a policy of the key is missing or inactive: the key then gets no access (fail closed). */
  readonly limits: KeyLimits | undefined;
}

/** One account's certificate-bound keys. */
interface AccountBindings {
  readonly byLeaf: Map<string, KeyRuntime>;
  readonly bySpki: Map<string, KeyRuntime>;
}

export class KeyIndex {
  readonly #byAccount = new Map<string, AccountBindings>();
  readonly #bySecretHash = new Map<string, KeyRuntime>();

  /** `secretHashes` maps a token key's secret hash to the key (token keys only). */
  constructor(keys: readonly KeyRuntime[] = [], secretHashes: ReadonlyMap<string, KeyRuntime> = new Map()) {
    for (const key of keys) {
      if (key.binding === null) continue;
      let bindings = this.#byAccount.get(key.accountId);
      if (bindings === undefined) {
        bindings = { byLeaf: new Map(), bySpki: new Map() };
        this.#byAccount.set(key.accountId, bindings);
      }
      (key.binding.kind === 'leaf_sha256' ? bindings.byLeaf : bindings.bySpki).set(key.binding.value, key);
    }
    for (const [hash, key] of secretHashes) this.#bySecretHash.set(hash, key);
  }

  /**
   * The key of `accountId` bound to this certificate: by its exact leaf first, then by its public
   * key. Another account's key for the same certificate is never returned.
   */
  byCertificate(accountId: string, leafSha256: string, spkiSha256: () => string): KeyRuntime | undefined {
    const bindings = this.#byAccount.get(accountId);
    if (bindings === undefined) return undefined;
    const exact = bindings.byLeaf.get(leafSha256);
    if (exact !== undefined || bindings.bySpki.size === 0) return exact;
    return bindings.bySpki.get(spkiSha256());
  }

  bySecretHash(secretHash: string): KeyRuntime | undefined {
    return this.#bySecretHash.get(secretHash);
  }
}

/** Whether a presented certificate is the one the key is bound to. */
export function bindingMatches(binding: CertificateBinding, leafSha256: string, spkiSha256: () => string): boolean {
  return binding.kind === 'leaf_sha256' ? binding.value === leafSha256 : binding.value === spkiSha256();
}
