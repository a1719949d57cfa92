/**
 * decideClientAuth: the per-request verdict on the connection's client certificate. Cheap by design:
 * property reads and a few map lookups, no parsing, no allocation on success.
 *
 *   no certificate               → 401 GW_ERR_CERT_MISSING
 *   expired / not yet valid      → 403 GW_ERR_CERT_EXPIRED / GW_ERR_CERT_NOT_YET_VALID (at the handshake, or again
 *                                  at `nowMs`: see validAt), what the client can fix itself (README 'What a refused client is told')
 *   chain/EKU failure            → 403 GW_ERR_CERT_INVALID
 *   its CA removed since         → 403 GW_ERR_CERT_INVALID (the client CAs were reloaded)
 *   leaf serial in the CRL       → 403 GW_ERR_CERT_REVOKED
 *   the issuer's CRL went stale  → 403 GW_ERR_CERT_INVALID (revocation status unknown: fail closed)
 *   leaf not in --allow-cert     → 403 GW_ERR_CERT_NOT_ALLOWED (the leaf only, never the chain)
 *
 * A refusal carries the reason for the log (never sent to the client).
 */
import {
  GW_ERR_CERT_EXPIRED,
  GW_ERR_CERT_NOT_YET_VALID,
  GW_ERR_CERT_INVALID,
  GW_ERR_CERT_MISSING,
  GW_ERR_CERT_NOT_ALLOWED,
  GW_ERR_CERT_REVOKED,
} from '../../errors/index.ts';
import type { RevocationIndex } from '../../pki/revocation-index.ts';
import type { X509Certificate } from 'node:crypto';
import { chainEndsAtOneOf, validAt, type ConnectionIdentity } from '../listeners/connection-identity.ts';
import type { PublicError } from './gateway-response.ts';
import { validityStatus } from './mtls-status.ts';

export interface ClientAuthPolicy {
  /** The client CAs in force: a connection verified under others must still chain to one of them. */
  readonly trustedCas: readonly X509Certificate[];
  readonly revocations: RevocationIndex;
  readonly allowedFingerprints: ReadonlySet<string> | undefined;
}

export interface ClientAuthRefusal {
  readonly error: PublicError;
  /** Why, for the log only. */
  readonly reason: string;
}

export function decideClientAuth(
  identity: ConnectionIdentity,
  policy: ClientAuthPolicy,
  nowMs: number,
): ClientAuthRefusal | undefined {
  if (!identity.presented || identity.leaf === undefined) {
    return { error: GW_ERR_CERT_MISSING, reason: 'no client certificate presented' };
  }
  const outOfDate = validityStatus(identity, nowMs);
  if (outOfDate !== undefined) {
    return {
      error: outOfDate === 'expired' ? GW_ERR_CERT_EXPIRED : GW_ERR_CERT_NOT_YET_VALID,
      reason: identity.failure ?? 'certificate no longer within its validity period (verified at the handshake)',
    };
  }
  if (!identity.verified) return { error: GW_ERR_CERT_INVALID, reason: identity.failure ?? 'not verified' };
  if (!validAt(identity, nowMs)) {
    return { error: GW_ERR_CERT_INVALID, reason: 'the validity period of its path cannot be read' };
  }
  if (
    identity.verifiedUnder !== policy.trustedCas &&
    !chainEndsAtOneOf(identity.leaf, identity.verifiedChain, policy.trustedCas)
  ) {
    return { error: GW_ERR_CERT_INVALID, reason: 'its CA is no longer trusted (client CAs reloaded)' };
  }
  const { revocations } = policy;
  if (revocations.isRevokedLookupForm(identity.issuerFingerprint256, identity.serialKey)) {
    return { error: GW_ERR_CERT_REVOKED, reason: 'serial listed in the CRL of its issuer' };
  }
  const staleSince = revocations.staleSince(identity.issuerFingerprint256, nowMs);
  if (staleSince !== undefined) {
    return {
      error: GW_ERR_CERT_INVALID,
      reason: `the CRL of the issuing CA is past its nextUpdate (${new Date(staleSince).toISOString()}): load a fresh one (--crl, then SIGHUP)`,
    };
  }
  if (policy.allowedFingerprints !== undefined && !policy.allowedFingerprints.has(identity.fingerprint256)) {
    return { error: GW_ERR_CERT_NOT_ALLOWED.create(identity.fingerprint256), reason: 'leaf not in --allow-cert' };
  }
  return undefined;
}
