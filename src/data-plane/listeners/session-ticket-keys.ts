/**
 * Session ticket keys shared by the workers of `serve --workers N` / `proxy --workers N`
 * (docs/adr/0018-workers.md): the primary makes one 48-byte secret, and every TLS server of every
 * worker derives its ticket keys (Node's `ticketKeys`: 16 bytes name, 16 HMAC, 16 AES) from it and
 * from the server's own context with HKDF (RFC 5869). A ticket issued by one worker is therefore
 * accepted by the same TLS server of another worker, while a server of another trust set (another
 * hostname policy, other client CAs) derives other keys, cannot decrypt it and makes a full
 * handshake: the isolation of sni-router.ts holds across workers as within one. The session-id
 * context of those servers is the same across workers too (clientTrustContext below), or OpenSSL
 * would refuse to resume a session made under another worker's context.
 */
import { createHash, hkdfSync } from 'node:crypto';
import type { HostPolicy } from '../../runtime-config/gateway-snapshot.ts';

export const TICKET_SECRET_BYTES = 48;

export function deriveTicketKeys(secret: Buffer, context: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), `portcullis session tickets\0${context}`, 48));
}

/**
 * The session context of a hostname policy shared by every worker: the hostname and its client
 * trust (client-auth mode, client CAs and which of them are legacy), what a resumed session skips
 * checking. Not the server certificate: each worker issues its own edge certificate for a hostname
 * without an uploaded one, so the policy's trustId differs between workers.
 */
export function clientTrustContext(policy: HostPolicy): string {
  const hash = createHash('sha256').update(`${policy.hostname}|${policy.clientAuth}`);
  for (const fingerprint of [...policy.trustedCaFingerprints].sort()) {
    hash.update(`|${fingerprint}${policy.legacyCaFingerprints.has(fingerprint) ? ':legacy' : ''}`);
  }
  return hash.digest('hex').slice(0, 32);
}
