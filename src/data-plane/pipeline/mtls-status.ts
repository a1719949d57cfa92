/**
 * The mTLS status of a request in Cloudflare's vocabulary (the `mtls_auth.status` of its analytics:
 * ok, absent, untrusted, notyetvalid, expired, revoked), from what the data plane decided for the
 * request. Pure, per request: the identity was read once at the handshake, the decision made for
 * this request (revocation and validity are judged again per request: host-decision.ts).
 */
import type { MtlsStatus } from '../../model/records.ts';
import type { ConnectionIdentity } from '../listeners/connection-identity.ts';

export function mtlsStatusOf(
  // The leaf only as present or not: nothing of it is read here.
  identity: Pick<ConnectionIdentity, 'presented' | 'validFromMs' | 'expiresAtMs'> & {
    readonly leaf: object | undefined;
  },
  decision: { readonly certVerified: boolean; readonly certRevoked: boolean },
  nowMs: number,
): MtlsStatus {
  if (!identity.presented || identity.leaf === undefined) return 'absent';
  if (decision.certRevoked) return 'revoked';
  if (decision.certVerified) return 'ok';
  // Not verified: a date outside the validity period says why; anything else is a chain we do not trust.
  if (nowMs < identity.validFromMs) return 'notyetvalid';
  if (nowMs >= identity.expiresAtMs) return 'expired';
  return 'untrusted';
}
