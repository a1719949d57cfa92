/**
 * The serial number rule for every certificate of a client's path (RFC 5280 §4.1.2.2): "The serial number MUST
 * be a positive integer ... Conforming CAs MUST NOT use serialNumber values longer than 20 octets." Octets are
 * counted without the sign-padding 00 octet (a 20-octet serial with its high bit set is 21 octets on the wire),
 * as uploaded-certificate.ts and zlint count them. OpenSSL verifies whatever serial it is given; revocation
 * lists and headers key on the serial, so a zero, negative or overlong one is refused here.
 */
import type { ChainCertificate } from './chain-certificate.ts';
import { violation, type ChainViolation } from './chain-violation.ts';

export const MAX_SERIAL_OCTETS = 20;

export function serialViolation(certificate: ChainCertificate): ChainViolation | undefined {
  const content = new Uint8Array(certificate.asn.tbsCertificate.serialNumber);
  if (content.length === 0 || (content[0] ?? 0) >= 0x80) {
    return violation('serial-negative', 'a negative serial number (RFC 5280 §4.1.2.2)');
  }
  if (content.every((byte) => byte === 0)) {
    return violation('serial-zero', 'serial number 0 (RFC 5280 §4.1.2.2: it must be positive)');
  }
  const octets = content.length > 1 && content[0] === 0 ? content.length - 1 : content.length;
  if (octets > MAX_SERIAL_OCTETS) {
    return violation('serial-too-long', `a serial number of ${octets} octets (at most 20, RFC 5280 §4.1.2.2)`);
  }
  return undefined;
}
