/**
 * decideHostRequest: the per-request verdict of the multi-host data plane (docs/architecture.md, "A request's path"), from the
 * connection's identity (parsed once) and the CURRENT snapshot (so a swap takes effect at the next
 * request on an open keep-alive connection or HTTP/2 session).
 *
 *   Host / :authority not served by the connection's policy   → 421 GW_ERR_MISDIRECTED_REQUEST
 *     (default policy, other hostname, HTTP/2 coalescing, hostname removed since the handshake)
 *   cert_verified: OpenSSL verified against the policy's CAs at the handshake, the path met the
 *     client-chain policy, the certificates are still within their validity period (validAt), and —
 *     when the host's trust set changed since — the chain still ends at a CA the host trusts now, with
 *     the compatibility it was judged under (a CA switched from legacy to strict no longer vouches for
 *     a path judged legacy: the client connects again and is judged strict)
 *   cert_revoked: leaf serial revoked by its issuer in the current snapshot, or — for the account's
 *     uploaded CAs — blocked, listed in the CA's CRL, or revoked by its OCSP responder
 *     (uploaded-ca-revocation-check.ts); a status that cannot be established makes the certificate
 *     unverified when its CA fails closed (`revocationUnknown`), and changes nothing when it fails open
 *   clientAuth 'require': missing → 401, unverified → 403 (expired and not yet valid with their own codes),
 *     revoked → 403
 *   mtlsStatus: the one word for all of it (mtls-status.ts), for the answer, the log and analytics
 *
 * A certificate whose OCSP status is not cached yet gets a decision with `pending`: the caller waits
 * for that one check and decides again with the answer (RevocationContext.answered).
 */
import type { X509Certificate } from 'node:crypto';
import { GW_ERR_MISDIRECTED_REQUEST } from '../../errors/index.ts';
import {
  GW_ERR_CERT_EXPIRED,
  GW_ERR_CERT_NOT_YET_VALID,
  GW_ERR_CERT_INVALID,
  GW_ERR_CERT_MISSING,
  GW_ERR_CERT_REVOCATION_UNKNOWN,
  GW_ERR_CERT_REVOKED,
} from '../../errors/index.ts';
import type { GatewaySnapshot, HostPolicy } from '../../runtime-config/gateway-snapshot.ts';
import { chainEndsAtOneOf, validAt, type ConnectionIdentity } from '../listeners/connection-identity.ts';
import type { PublicError } from './gateway-response.ts';
import type { OcspVerdict } from '../../runtime-config/uploaded-ca-revocation.ts';
import { checkUploadedCaRevocation, type RevocationContext } from './uploaded-ca-revocation-check.ts';
import { mtlsStatusOf, type MtlsStatus } from './mtls-status.ts';
import { canonicalHostname } from '../../model/hostname.ts';

export interface HostDecision {
  /** The current policy of the connection's hostname; undefined when refused with 421. */
  readonly policy: HostPolicy | undefined;
  readonly certPresented: boolean;
  readonly certVerified: boolean;
  readonly certRevoked: boolean;
  /** What came of the client certificate, in Cloudflare's words; undefined when refused with 421. */
  readonly mtlsStatus?: MtlsStatus;
  /** Verified, but its uploaded CA fails closed and its revocation status is unknown (so not verified). */
  readonly revocationUnknown?: boolean;
  /** The certificate's OCSP check, to wait for before deciding again (then nothing else is decided). */
  readonly pending?: Promise<OcspVerdict>;
  /** The refusal to answer with, if any. */
  readonly error: PublicError | undefined;
}

const NO_REVOCATION_CONTEXT: RevocationContext = Object.freeze({});

/** Host header / :authority → lowercase hostname without port or trailing dot; "" when unusable. */
export function authorityHost(authority: string | undefined): string {
  if (authority === undefined || authority === '') return '';
  let host = authority;
  if (host.startsWith('[')) return ''; // IP literals are never a configured hostname
  const colon = host.lastIndexOf(':');
  if (colon >= 0) {
    if (!/^\d{1,5}$/.test(host.slice(colon + 1))) return '';
    host = host.slice(0, colon);
  }
  return canonicalHostname(host);
}

/**
 * `requestedHost`: the Host / :authority as authorityHost() makes it (the handler has it already for
 * the rules and the route, so it is not worked out twice).
 */
export function decideHostRequest(
  identity: ConnectionIdentity,
  requestedHost: string,
  snapshot: GatewaySnapshot,
  nowMs: number,
  revocation: RevocationContext = NO_REVOCATION_CONTEXT,
): HostDecision {
  const accepted = identity.accepted?.policy;
  const leaf = identity.presented ? identity.leaf : undefined;
  const certPresented = leaf !== undefined;
  // The connection's policy must still exist, unchanged in kind, and own the requested host.
  const current = accepted === undefined || accepted.isDefault ? undefined : snapshot.lookup(accepted.hostname);
  // The usual request names the connection's own hostname: the same look-up, made once.
  const requested = requestedHost === accepted?.hostname ? current : snapshot.lookup(requestedHost);
  if (current === undefined || requested !== current || current.hostname !== accepted?.hostname) {
    return {
      policy: undefined,
      certPresented,
      certVerified: false,
      certRevoked: false,
      error: GW_ERR_MISDIRECTED_REQUEST,
    };
  }
  let certVerified =
    leaf !== undefined &&
    identity.verified &&
    validAt(identity, nowMs) &&
    stillTrusted(leaf, identity, accepted, current);
  let certRevoked =
    leaf !== undefined && current.revocations.isRevokedLookupForm(identity.issuerFingerprint256, identity.serialKey);
  let revocationUnknown = false;
  if (certVerified && !certRevoked && current.caRevocation !== undefined) {
    const status = checkUploadedCaRevocation(identity, current.caRevocation, nowMs, revocation);
    if (status.kind === 'pending') {
      return { policy: current, certPresented, certVerified, certRevoked, pending: status.answer, error: undefined };
    }
    if (status.kind === 'revoked') certRevoked = true;
    else if (status.kind === 'unknown' && !status.allowed) {
      certVerified = false;
      revocationUnknown = true;
    }
  }
  const mtlsStatus = mtlsStatusOf(identity, { certVerified, certRevoked }, nowMs);
  let error: PublicError | undefined;
  if (current.clientAuth === 'require') {
    if (!certPresented) error = GW_ERR_CERT_MISSING;
    else if (revocationUnknown) error = GW_ERR_CERT_REVOCATION_UNKNOWN;
    else if (mtlsStatus === 'expired') error = GW_ERR_CERT_EXPIRED;
    else if (mtlsStatus === 'notyetvalid') error = GW_ERR_CERT_NOT_YET_VALID;
    else if (!certVerified) error = GW_ERR_CERT_INVALID;
    else if (certRevoked) error = GW_ERR_CERT_REVOKED;
  }
  return revocationUnknown
    ? { policy: current, certPresented, certVerified, certRevoked, mtlsStatus, revocationUnknown, error }
    : { policy: current, certPresented, certVerified, certRevoked, mtlsStatus, error };
}

/** Trust unchanged since the handshake, or the chain ends at a CA the host trusts now, as leniently. */
function stillTrusted(
  leaf: X509Certificate,
  identity: ConnectionIdentity,
  accepted: HostPolicy,
  current: HostPolicy,
): boolean {
  if (accepted.trustId === current.trustId) return true;
  const cas =
    identity.compatibility === 'legacy'
      ? current.trustedCas.filter((ca) => current.legacyCaFingerprints.has(ca.fingerprint256))
      : current.trustedCas;
  return chainEndsAtOneOf(leaf, identity.verifiedChain, cas);
}
