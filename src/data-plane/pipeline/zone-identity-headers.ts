/**
 * The identity headers a zone forwards upstream for one connection's client certificate, built
 * once per connection and kept while the zone's formats and the request's verdict (verified,
 * revoked — both can change between requests on one connection) stay the same.
 */
import type { IdentityFormat } from '../../config/identity-formats.ts';
import type { ConnectionIdentity } from '../listeners/connection-identity.ts';
import type { HostDecision } from './host-decision.ts';
import { buildIdentityHeaders } from './identity-headers.ts';

/** Zones without a managed-headers setting forward x-forwarded-client-cert (the `proxy` default). */
export const DEFAULT_FORMATS: readonly IdentityFormat[] = Object.freeze(['xfcc']);
const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

/** Upstream identity headers of one connection, for one (formats, verified, revoked) combination. */
interface IdentityHeadersMemo {
  readonly formats: readonly IdentityFormat[];
  readonly verified: boolean;
  readonly revoked: boolean;
  readonly headers: Readonly<Record<string, string>>;
}

/** Built once per connection and kept while the zone's formats and the request verdict stay the same. */
export function identityHeadersOf(
  identity: ConnectionIdentity,
  formats: readonly IdentityFormat[],
  decision: HostDecision,
): Readonly<Record<string, string>> {
  if (formats.length === 0) return NO_HEADERS;
  const memo = identity.memo as IdentityHeadersMemo | undefined;
  if (
    memo !== undefined &&
    memo.formats === formats &&
    memo.verified === decision.certVerified &&
    memo.revoked === decision.certRevoked
  ) {
    return memo.headers;
  }
  const headers = buildIdentityHeaders(
    {
      presented: decision.certPresented,
      verified: decision.certVerified,
      revoked: decision.certRevoked,
      fields: identity.fields(),
      chainDer: identity.chain.map((cert) => cert.raw),
    },
    formats,
  );
  const next: IdentityHeadersMemo = {
    formats,
    verified: decision.certVerified,
    revoked: decision.certRevoked,
    headers,
  };
  identity.memo = next;
  return headers;
}
