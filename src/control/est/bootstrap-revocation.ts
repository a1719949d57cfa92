/**
 * bootstrapRevocationStatus: whether a device's bootstrap certificate (its IDevID) is revoked, by the
 * revocation its manufacturer CA has as an uploaded CA (docs/adr/0014), read from the store at
 * enrollment time — EST requests read the store; the data plane's per-request check reads the
 * snapshot instead, with the same rules:
 *
 *   leaf SHA-256 or serial on the account's or the CA's block list      → revoked
 *   a CRL is required (fetching on, or one uploaded) for the leaf's issuer:
 *     serial listed → revoked; none yet, or past its nextUpdate          → unknown
 *   OCSP on: the responder's answer (shared cache of the gateway)      → revoked / unknown
 *
 * Only the leaf is checked, as in the data plane. What `unknown` leads to is the caller's decision.
 */
import type { X509Certificate } from 'node:crypto';
import { serialForLookup } from '../../pki/serial.ts';
import { ACCOUNT_BLOCK_SCOPE } from '../../store/ca-revocation-records.ts';
import type { OcspStatusSource } from '../../runtime-config/uploaded-ca-revocation.ts';
import type { Store } from '../../store/ports.ts';
import { withDefaults } from '../revocation/ca-revocation-input.ts';

export type BootstrapRevocationStatus =
  | { readonly kind: 'good' }
  | { readonly kind: 'revoked'; readonly source: 'block_list' | 'crl' | 'ocsp' }
  | { readonly kind: 'unknown'; readonly reason: 'crl_missing' | 'crl_stale' | 'ocsp_unknown' | 'ocsp_failed' };

export interface BootstrapRevocationQuestion {
  readonly store: Store;
  /** Undefined: OCSP cannot be asked here, so a CA that requires it gives `unknown`. */
  readonly ocsp: OcspStatusSource | undefined;
  readonly accountId: string;
  /** The uploaded CA (mtls_certificates id) the leaf chains to. */
  readonly caId: string;
  readonly leaf: X509Certificate;
  /** The certificate that signed the leaf: an intermediate the device sent, or the CA's own. */
  readonly issuer: X509Certificate;
  readonly nowMs: number;
}

const GOOD = { kind: 'good' } as const;

export async function bootstrapRevocationStatus(
  question: BootstrapRevocationQuestion,
): Promise<BootstrapRevocationStatus> {
  const { store, accountId, caId, leaf, issuer } = question;
  const [stored, crls, caBlocks, accountBlocks] = await Promise.all([
    store.getCaRevocation(caId),
    store.listCaCrls(caId),
    store.listCertificateBlocks(accountId, caId),
    store.listCertificateBlocks(accountId, ACCOUNT_BLOCK_SCOPE),
  ]);
  const sha256 = leaf.fingerprint256.replaceAll(':', '').toLowerCase();
  const serial = serialForLookup(leaf.serialNumber);
  const blocked = [...caBlocks, ...accountBlocks].some(
    (block) =>
      (block.kind === 'sha256' && block.value === sha256) || (block.kind === 'serial' && block.value === serial),
  );
  if (blocked) return { kind: 'revoked', source: 'block_list' };
  const settings = withDefaults(stored?.settings);
  let unknown: 'crl_missing' | 'crl_stale' | undefined;
  if (settings.crlFetch.enabled || crls.length > 0) {
    const crl = crls.find((candidate) => candidate.issuerFingerprint === issuer.fingerprint256);
    if (crl === undefined) unknown = 'crl_missing';
    else if (crl.revokedSerials.includes(serial)) return { kind: 'revoked', source: 'crl' };
    else if (question.nowMs >= Date.parse(crl.nextUpdate)) unknown = 'crl_stale';
  }
  if (unknown !== undefined) return { kind: 'unknown', reason: unknown };
  if (!settings.ocsp.enabled) return GOOD;
  if (question.ocsp === undefined) return { kind: 'unknown', reason: 'ocsp_failed' };
  const verdict = await question.ocsp.check({
    key: `${issuer.fingerprint256}/${sha256}`,
    leaf,
    issuer,
    settings: {
      timeoutMs: settings.ocsp.timeoutMs,
      nonce: settings.ocsp.nonce,
      maxCacheMs: settings.ocsp.maxCacheSeconds * 1000,
      allowPrivateAddresses: settings.allowPrivateAddresses,
    },
  });
  if (verdict.status === 'revoked') return { kind: 'revoked', source: 'ocsp' };
  if (verdict.status === 'unavailable') return { kind: 'unknown', reason: verdict.reason };
  return GOOD;
}
