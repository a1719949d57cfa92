/**
 * TLS settings of every Portcullis listener.
 *  - TLS 1.2 and 1.3 only; TLS 1.2 restricted to ECDHE + AEAD suites (Mozilla "intermediate", no DHE).
 *    TLS 1.3 suites are listed explicitly: Node disables TLS 1.3 when `ciphers` names none.
 *  - Client certificates are requested, and verified by OpenSSL against the listener's CAs only, but
 *    the handshake is completed on failure (`rejectUnauthorized: false`) so that the request gets a
 *    clear JSON 401/403 (docs/architecture.md, "A request's path"); no request reaches an upstream without a verified certificate.
 *  - Client-initiated renegotiation is refused (SSL_OP_NO_RENEGOTIATION; CVE-2009-3555, CVE-2021-3449).
 *  - The session-id context is derived from the trust material, so a session made under one set of
 *    CAs never resumes under another (hostile-input.md class 4; Node's default is derived from argv).
 *  - Session tickets (RFC 5077, RFC 8446 §4.6.1) are on unless `sessionTickets: false`. Off means
 *    SSL_OP_NO_TICKET: no stateless tickets, hence no resumption (Node keeps no server session
 *    cache, and cannot look up TLS 1.3 stateful tickets), in exchange for cheaper full handshakes
 *    (OpenSSL 3.0 serializes and re-parses the session, client certificate included, for each of
 *    the two tickets it sends) and for client certificates too large for a ticket: OpenSSL refuses
 *    to build a ticket over 65,280 bytes and ends the connection with an internal-error alert
 *    (hostile-input.md class 8), so certificates over ~64 KB can only connect with tickets off.
 */
import { constants, createHash } from 'node:crypto';
import type { TlsOptions } from 'node:tls';

export const TLS_CIPHERS = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

export const ALPN_PROTOCOLS = ['h2', 'http/1.1'];

export interface TlsServerMaterial {
  readonly certPem: string;
  readonly keyPem: string;
  readonly clientCaPems: readonly string[];
}

/** A handshake that has not finished after this long is dropped (slow-handshake floods). */
export const HANDSHAKE_TIMEOUT_MS = 10_000; // 10 seconds

export interface TlsSessionSettings {
  /** Stateless session tickets (resumption); default true. */
  readonly sessionTickets?: boolean;
  /**
   * With several workers: the secret every TLS server derives its ticket keys from
   * (session-ticket-keys.ts), so that a session resumes on any worker; absent, each server's keys are
   * its own random ones.
   */
  readonly ticketSecret?: Buffer | undefined;
}

export function buildTlsServerOptions(material: TlsServerMaterial, session: TlsSessionSettings = {}): TlsOptions {
  const ticketOption = session.sessionTickets === false ? constants.SSL_OP_NO_TICKET : 0;
  return {
    cert: material.certPem,
    key: material.keyPem,
    ca: [...material.clientCaPems],
    requestCert: true,
    rejectUnauthorized: false,
    minVersion: 'TLSv1.2',
    maxVersion: 'TLSv1.3',
    ciphers: TLS_CIPHERS,
    honorCipherOrder: true,
    ALPNProtocols: ALPN_PROTOCOLS,
    secureOptions: constants.SSL_OP_NO_RENEGOTIATION | ticketOption,
    sessionIdContext: trustContextId(material),
    handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
  };
}

/**
 * The reason a connection failed while being set up, for metrics and logs: the error's code, except
 * for a session ticket OpenSSL could not build (a client certificate too large for a ticket, see the
 * header), which gets its own reason so operators can tell it apart from other internal errors. It
 * comes as a handshake failure on TLS 1.2, and as a socket error just after the handshake on TLS 1.3.
 */
export function handshakeFailureReason(error: NodeJS.ErrnoException): string {
  if (error.message.includes('construct_stateless_ticket')) return SESSION_TICKET_TOO_LARGE;
  return error.code ?? 'UNKNOWN';
}

export const SESSION_TICKET_TOO_LARGE = 'ERR_SESSION_TICKET_TOO_LARGE';

/** 32 hex chars (SSL_MAX_SID_CTX_LENGTH is 32 bytes) identifying the trust configuration. */
export function trustContextId(material: TlsServerMaterial): string {
  const hash = createHash('sha256');
  hash.update(material.certPem);
  for (const pem of material.clientCaPems) hash.update(pem);
  return hash.digest('hex').slice(0, 32);
}
