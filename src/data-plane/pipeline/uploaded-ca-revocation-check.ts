/**
 * checkUploadedCaRevocation: the per-request revocation status of a verified client certificate on
 * a host whose account has revocation for its uploaded CAs (docs/adr/0014), from the current
 * snapshot and the OCSP cache — never the store, never the network on the way to a verdict:
 *
 *   leaf SHA-256 or serial blocked by the account, or by its CA       → revoked
 *   the CA requires a CRL for the leaf's issuer:
 *     serial listed                                                   → revoked
 *     no CRL yet, or past its nextUpdate                              → unknown
 *   the CA checks OCSP (skipped when the CRL already failed closed):
 *     cached answer revoked / good / unusable                         → revoked / – / unknown
 *     no cached answer                                                → pending: the caller waits
 *                                                                       for this one check (bounded
 *                                                                       by the CA's OCSP timeout)
 *   unknown → the CA's fail mode decides, and the observer hears of it (metrics, log)
 *
 * Cheap when nothing applies (a map lookup or two); allocation only on the unusual paths.
 */
import type { X509Certificate } from 'node:crypto';
import type {
  AccountRevocation,
  OcspStatusSource,
  OcspVerdict,
  RevocationObserver,
  RevocationUnknownReason,
  UploadedCaRevocation,
} from '../../runtime-config/uploaded-ca-revocation.ts';
import type { ConnectionIdentity } from '../listeners/connection-identity.ts';

export type UploadedCaStatus =
  | { readonly kind: 'good' }
  | { readonly kind: 'revoked'; readonly source: 'block_list' | 'crl' | 'ocsp' }
  /** `allowed`: the CA fails open, so the request goes on as if the certificate were good. */
  | { readonly kind: 'unknown'; readonly reason: RevocationUnknownReason; readonly allowed: boolean }
  | { readonly kind: 'pending'; readonly answer: Promise<OcspVerdict> };

/** What the check may use besides the snapshot. */
export interface RevocationContext {
  readonly ocsp?: OcspStatusSource | undefined;
  readonly observer?: RevocationObserver | undefined;
  /** The answer to this request's own OCSP check, once it came (see `pending`). */
  readonly answered?: OcspVerdict | undefined;
}

const GOOD: UploadedCaStatus = Object.freeze({ kind: 'good' });
const BLOCKED: UploadedCaStatus = Object.freeze({ kind: 'revoked', source: 'block_list' });
const IN_CRL: UploadedCaStatus = Object.freeze({ kind: 'revoked', source: 'crl' });
const BY_OCSP: UploadedCaStatus = Object.freeze({ kind: 'revoked', source: 'ocsp' });

export function checkUploadedCaRevocation(
  identity: ConnectionIdentity,
  account: AccountRevocation,
  nowMs: number,
  context: RevocationContext,
): UploadedCaStatus {
  const leaf = identity.leaf;
  if (leaf === undefined) return GOOD;
  const serial = identity.serialKey;
  if (account.blockedSha256.has(identity.fingerprint256) || account.blockedSerials.has(serial)) return BLOCKED;
  const ca = uploadedCaOf(identity, account);
  if (ca === undefined) return GOOD;
  if (ca.blockedSha256.has(identity.fingerprint256) || ca.blockedSerials.has(serial)) return BLOCKED;

  let unknown: RevocationUnknownReason | undefined;
  if (ca.crlRequired) {
    const crl = ca.crls.get(identity.issuerFingerprint256);
    if (crl === undefined) {
      unknown = 'crl_missing';
      if (ca.discoverCrlUrls) context.observer?.crlMissing(ca.mtlsCertificateId, leaf);
    } else if (crl.serials.has(serial)) {
      return IN_CRL;
    } else if (nowMs >= crl.nextUpdateMs) {
      unknown = 'crl_stale';
    }
  }
  // Failing closed on the CRL already: no need to make the client wait for an OCSP answer too.
  if (ca.ocsp !== undefined && (unknown === undefined || ca.failMode === 'fail_open')) {
    const key = `${identity.issuerFingerprint256}/${identity.fingerprint256}`;
    const verdict = context.answered ?? context.ocsp?.cached(key, nowMs);
    if (verdict === undefined) {
      const issuer = issuerOf(identity, ca);
      if (context.ocsp === undefined || issuer === undefined) unknown ??= 'ocsp_failed';
      else return { kind: 'pending', answer: context.ocsp.check({ key, leaf, issuer, settings: ca.ocsp }) };
    } else if (verdict.status === 'revoked') {
      return BY_OCSP;
    } else if (verdict.status === 'unavailable') {
      unknown ??= verdict.reason;
    }
  }
  if (unknown === undefined) return GOOD;
  const allowed = ca.failMode === 'fail_open';
  context.observer?.unavailable(ca.mtlsCertificateId, unknown, allowed);
  return { kind: 'unknown', reason: unknown, allowed };
}

/** The uploaded CA of the leaf: by its issuer, else by the top of the verified path (not what else the client sent). */
function uploadedCaOf(identity: ConnectionIdentity, account: AccountRevocation): UploadedCaRevocation | undefined {
  const direct = account.forIssuer(identity.issuerFingerprint256);
  if (direct !== undefined) return direct;
  const top = identity.verifiedChain.at(-1);
  return top === undefined ? undefined : account.forChainTop(top);
}

/** The certificate that issued the leaf: on the verified path, or one of the CA's. */
function issuerOf(identity: ConnectionIdentity, ca: UploadedCaRevocation): X509Certificate | undefined {
  const wanted = identity.issuerFingerprint256;
  return (
    identity.verifiedChain.find((certificate) => certificate.fingerprint256 === wanted) ??
    ca.caCertificates.find((certificate) => certificate.fingerprint256 === wanted)
  );
}
