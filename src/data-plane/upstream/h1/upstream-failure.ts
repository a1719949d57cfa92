/**
 * Why an exchange with an HTTP/1.1 upstream failed, and the answer the client gets for it: a
 * timeout is 504, everything else 502 (RFC 9110 §15.6.3, §15.6.5). The detail never reaches the
 * client.
 */
import { GW_ERR_UPSTREAM_TIMEOUT, GW_ERR_UPSTREAM_UNAVAILABLE } from '../../../errors/index.ts';
import type { PublicError } from '../../pipeline/gateway-response.ts';

export type UpstreamFailure =
  /** No connection within the connect timeout. */
  | 'connect-timeout'
  /** No response head, or no body bytes, within the upstream timeout. */
  | 'response-timeout'
  /** The connection failed or closed before the response was complete. */
  | 'connection-lost'
  /** The upstream's response broke HTTP/1.1 (see Http1ParseError). */
  | 'protocol'
  /** The request could not be written safely, or its body broke its declared length. */
  | 'bad-request'
  /** The pool is closing. */
  | 'closed';

export function publicErrorFor(failure: UpstreamFailure): PublicError {
  return failure === 'connect-timeout' || failure === 'response-timeout'
    ? GW_ERR_UPSTREAM_TIMEOUT
    : GW_ERR_UPSTREAM_UNAVAILABLE;
}
