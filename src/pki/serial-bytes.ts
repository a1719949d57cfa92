/**
 * Serial numbers (RFC 5280 §4.1.2.2) between their text and DER forms. The text form used by the managed CA, its
 * CRLs and its OCSP responder (and by Cloudflare's `serial_number` of client certificates) is lowercase hex of
 * the INTEGER's content octets without the sign-padding 00 byte: `3bb94ff1…`. serial.ts's normaliseSerial is the
 * data plane's form (uppercase, leading zero digits dropped); convert with care between the two.
 */

const HEX = /^(?:[0-9a-f]{2})+$/;

/** Content octets of a positive INTEGER for a hex serial (any case, colons allowed). Throws unless 1–20 octets. */
export function serialToBytes(serialHex: string): Uint8Array {
  const hex = serialHex.replaceAll(':', '').toLowerCase();
  const even = hex.length % 2 === 1 ? '0' + hex : hex;
  if (!HEX.test(even)) throw new Error(`serial ${JSON.stringify(serialHex)} is not hexadecimal`);
  let bytes = Buffer.from(even, 'hex');
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  bytes = bytes.subarray(start);
  if (bytes.length === 1 && bytes[0] === 0) throw new Error('serial 0 is not a valid serial number');
  const magnitude = bytes.length;
  if (magnitude > 20) throw new Error(`serial of ${magnitude} octets (at most 20, RFC 5280 §4.1.2.2)`);
  // A set high bit would make the INTEGER negative: DER adds a 00 octet in front (X.690 §8.3.2).
  return (bytes[0] ?? 0) >= 0x80 ? new Uint8Array([0, ...bytes]) : new Uint8Array(bytes);
}

/** Lowercase hex of an INTEGER's content octets, without the sign-padding 00 octet. */
export function serialFromBytes(content: ArrayBuffer | Uint8Array): string {
  const bytes = content instanceof Uint8Array ? content : new Uint8Array(content);
  const start = bytes.length > 1 && bytes[0] === 0 ? 1 : 0;
  return Buffer.from(bytes.subarray(start)).toString('hex');
}
