/**
 * Session ticket keys shared by the workers of `serve --workers N` / `proxy --workers N`
 * (docs/adr/0018-workers.md): the primary makes one 48-byte secret, and every TLS server of every
 * worker derives its ticket keys (Node's `ticketKeys`: 16 bytes name, 16 HMAC, 16 AES) from it and
 * from the server's own context with HKDF (RFC 5869). A ticket issued by one worker is therefore
 * accepted by the same TLS server of another worker, while a server of another trust set (another
 * hostname policy, other client CAs) derives other keys, cannot decrypt it and makes a full
 * handshake: the isolation of sni-router.ts holds across workers as within one.
 */
import { hkdfSync } from 'node:crypto';

export const TICKET_SECRET_BYTES = 48;

export function deriveTicketKeys(secret: Buffer, context: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), `portcullis session tickets\0${context}`, 48));
}
