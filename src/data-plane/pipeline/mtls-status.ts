/**
 * The mTLS status of a request, in the vocabulary of Cloudflare's analytics and dashboard: what the gateway
 * made of the client certificate, one word, for the refusal a client gets, the log and analytics
 * (README 'What a refused client is told').
 *
 *   absent       no certificate was presented
 *   revoked      revoked by its issuer: the managed CA, an uploaded CA's CRL or OCSP responder, a block list
 *                (cert_revoked; it may also be verified, as on Cloudflare)
 *   expired      a certificate of its path is past its notAfter
 *   notyetvalid  a certificate of its path is before its notBefore
 *   untrusted    any other reason it is not verified: no path to a CA the hostname trusts, a chain-policy rule,
 *                no clientAuth EKU, a revocation status unknown under a CA that fails closed
 *   ok           verified and not revoked
 *
 * Revoked comes first: a revoked certificate that has since expired is reported revoked, the stronger fact.
 */
import type { MtlsStatus } from '../../model/records.ts';
import type { ConnectionIdentity } from '../listeners/connection-identity.ts';

export type { MtlsStatus } from '../../model/records.ts';

export function mtlsStatusOf(
  identity: Pick<ConnectionIdentity, 'presented' | 'verified' | 'failure' | 'validFromMs' | 'expiresAtMs'>,
  verdict: { readonly certVerified: boolean; readonly certRevoked: boolean },
  nowMs: number,
): MtlsStatus {
  if (!identity.presented) return 'absent';
  if (verdict.certRevoked) return 'revoked';
  if (verdict.certVerified) return 'ok';
  return validityStatus(identity, nowMs) ?? 'untrusted';
}

/**
 * Expired or not yet valid, as OpenSSL judged at the handshake, or as the dates say now for a path verified then
 * (a connection can outlive its certificate). Undefined for anything else. OpenSSL reports the last problem it
 * found and checks dates after building the path: an out-of-date certificate of an unknown CA is `expired`, one
 * refused for another reason (no path, a purpose) with good dates is `untrusted`.
 */
export function validityStatus(
  identity: Pick<ConnectionIdentity, 'verified' | 'failure' | 'validFromMs' | 'expiresAtMs'>,
  nowMs: number,
): 'expired' | 'notyetvalid' | undefined {
  if (!identity.verified) return OPENSSL_VALIDITY_ERRORS.get(identity.failure ?? '');
  // NaN dates (unreadable) compare false both ways: not a guess at either.
  if (nowMs >= identity.expiresAtMs) return 'expired';
  if (nowMs < identity.validFromMs) return 'notyetvalid';
  return undefined;
}

/** Node's `authorizationError` codes (X509_V_ERR_* without the prefix) for a certificate of the path out of date. */
const OPENSSL_VALIDITY_ERRORS: ReadonlyMap<string, 'expired' | 'notyetvalid'> = new Map([
  ['CERT_HAS_EXPIRED', 'expired'],
  ['CERT_NOT_YET_VALID', 'notyetvalid'],
]);
