/**
 * The TLS channel binding of an EST request (RFC 7030 §3.5): a client that wants its CSR tied to the
 * TLS connection it sends it on puts the connection's binding value, base64, in the CSR's
 * challengePassword. Over TLS 1.2 that value is tls-unique (RFC 5929 §3: the first Finished message
 * of the handshake); TLS 1.3 has no tls-unique, so tls-exporter (RFC 9266: 32 bytes exported with
 * the label "EXPORTER-Channel-Binding") is accepted in its place, on either version.
 */
import { timingSafeEqual } from 'node:crypto';

export interface ChannelBindings {
  /** TLS 1.2 only: the first Finished message of the handshake. */
  readonly tlsUnique?: Uint8Array | undefined;
  /** RFC 9266 tls-exporter value. */
  readonly tlsExporter?: Uint8Array | undefined;
}

export const TLS_EXPORTER_LABEL = 'EXPORTER-Channel-Binding';
export const TLS_EXPORTER_LENGTH = 32;

/** Whether the challengePassword is the base64 of one of this connection's binding values. */
export function channelBindingMatches(challengePassword: string, bindings: ChannelBindings): boolean {
  const given = Buffer.from(challengePassword.trim(), 'utf8');
  return [bindings.tlsUnique, bindings.tlsExporter].some((value) => {
    if (value === undefined || value.length === 0) return false;
    const expected = Buffer.from(Buffer.from(value).toString('base64'), 'utf8');
    return expected.length === given.length && timingSafeEqual(expected, given);
  });
}
