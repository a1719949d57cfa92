/**
 * decideClientAuth: the per-request verdict on the connection's client certificate. Cheap by design:
 * property reads and two set lookups, no parsing, no allocation on success.
 *
 *   no certificate               → 401 GW_ERR_CERT_MISSING
 *   chain/EKU/validity failure   → 403 GW_ERR_CERT_INVALID (validity again at `nowMs`: see validAt)
 *   leaf serial in the CRL       → 403 GW_ERR_CERT_REVOKED
 *   leaf not in --allow-cert     → 403 GW_ERR_CERT_NOT_ALLOWED (the leaf only, never the chain)
 */
import {
  GW_ERR_CERT_INVALID,
  GW_ERR_CERT_MISSING,
  GW_ERR_CERT_NOT_ALLOWED,
  GW_ERR_CERT_REVOKED,
} from '../errors/index.ts';
import type { RevocationIndex } from '../pki/revocation-index.ts';
import { validAt, type ConnectionIdentity } from './connection-identity.ts';
import type { PublicError } from './gateway-response.ts';

export interface ClientAuthPolicy {
  readonly revocations: RevocationIndex;
  readonly allowedFingerprints: ReadonlySet<string> | undefined;
}

export function decideClientAuth(
  identity: ConnectionIdentity,
  policy: ClientAuthPolicy,
  nowMs: number,
): PublicError | undefined {
  if (!identity.presented || identity.leaf === undefined) return GW_ERR_CERT_MISSING;
  if (!identity.verified || !validAt(identity, nowMs)) return GW_ERR_CERT_INVALID;
  if (policy.revocations.isRevoked(identity.issuerFingerprint256, identity.leaf.serialNumber)) {
    return GW_ERR_CERT_REVOKED;
  }
  if (policy.allowedFingerprints !== undefined && !policy.allowedFingerprints.has(identity.fingerprint256)) {
    return GW_ERR_CERT_NOT_ALLOWED.create(identity.fingerprint256);
  }
  return undefined;
}
