/**
 * buildUpstreamHeaders: the request headers the upstream receives.
 *  - hop-by-hop and connection-listed headers removed (RFC 9110 §7.6.1);
 *  - every client-sent identity header removed, whatever we forward (docs/architecture.md, "A request's path"; Envoy SANITIZE);
 *  - X-Forwarded-For appended with the client address, X-Forwarded-Proto/Host set by us;
 *  - the verified identity headers of the connection added.
 * Called once per request: one pass over the client's headers, no regexes.
 */
import { isClientIdentityHeader } from '../pipeline/identity-headers.ts';
import { connectionListedNames, isHopByHop, type HeaderMap, type HeaderValue } from './hop-by-hop.ts';

export interface UpstreamHeaderContext {
  readonly clientAddress: string;
  /** Host (HTTP/1.1) or :authority (HTTP/2) as the client sent it. */
  readonly host: string;
  /** Identity headers to set (lowercase names), already built for this connection. */
  readonly identityHeaders: Readonly<Record<string, string>>;
  /** Keep `te: trailers` (needed by gRPC over an HTTP/2 upstream, RFC 9113 §8.2.2). */
  readonly keepTeTrailers: boolean;
}

export function buildUpstreamHeaders(
  incoming: Readonly<Record<string, HeaderValue | undefined>>,
  context: UpstreamHeaderContext,
): HeaderMap {
  const listed = connectionListedNames(incoming.connection);
  const out: HeaderMap = {};
  let forwardedFor: HeaderValue | undefined;
  for (const name in incoming) {
    const value = incoming[name];
    if (value === undefined || name.charCodeAt(0) === 0x3a /* ':' pseudo-header */) continue;
    if (isHopByHop(name) || listed?.has(name) === true) {
      if (name === 'te' && context.keepTeTrailers && value === 'trailers') out.te = value;
      continue;
    }
    if (name.charCodeAt(0) === 0x78 /* 'x' */ && name.startsWith('x-forwarded-')) {
      if (name === 'x-forwarded-for') forwardedFor = value;
      if (name !== 'x-forwarded-client-cert') continue;
    }
    if (isClientIdentityHeader(name)) continue;
    out[name] = value;
  }
  const previous = Array.isArray(forwardedFor) ? forwardedFor.join(', ') : forwardedFor;
  out['x-forwarded-for'] =
    previous === undefined || previous === '' ? context.clientAddress : `${previous}, ${context.clientAddress}`;
  out['x-forwarded-proto'] = 'https';
  out['x-forwarded-host'] = context.host;
  Object.assign(out, context.identityHeaders);
  return out;
}
