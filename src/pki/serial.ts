/**
 * Every text form of a certificate serial number (RFC 5280 §4.1.2.2: a positive INTEGER of at most 20 octets) and
 * the conversions between them. No other module converts a serial: each surface converts at its edge with one of
 * these functions.
 *
 * | form      | example (INTEGER 00 8a 0b) | function                         | used by, and why                                  |
 * | --------- | -------------------------- | -------------------------------- | ------------------------------------------------- |
 * | wire      | `8a0b`                     | serialFromBytes, serialToWire    | the managed CA's records, its CRL and OCSP        |
 * |           |                            |                                  | responder, the admin API's `serial_number` of     |
 * |           |                            |                                  | client certificates and expiring certificates,    |
 * |           |                            |                                  | `cert inspect` (Cloudflare's form: lowercase hex  |
 * |           |                            |                                  | of the content octets, sign-padding 00 dropped)   |
 * | lookup    | `8A0B` (`0A0B` → `A0B`)    | serialForLookup                  | revocation sets (CRL entries, blocked serials,    |
 * |           |                            |                                  | the snapshot's revoked serials) matched against   |
 * |           |                            |                                  | node:tls's `serialNumber`: the integer's value,   |
 * |           |                            |                                  | so any way of writing it (colons, case, leading   |
 * |           |                            |                                  | zeros, as openssl prints it) finds the same entry |
 * |           |                            |                                  | (also certificate-issuer.ts's `serialHex`)        |
 * | fields    | `8A0B` (`0A0B` stays)      | serialFieldFromBytes             | the rules fields and identity headers of a client |
 * |           |                            |                                  | certificate (uppercase whole octets, as OpenSSL   |
 * |           |                            |                                  | and Cloudflare's `cert_serial` print it)          |
 * | decimal   | `35339`                    | serialToDecimal                  | `serial_number` of uploaded mTLS certificates     |
 * |           |                            |                                  | (Cloudflare reports uploaded ones in decimal)     |
 * | bytes     | `00 8a 0b`                 | serialToBytes, writeSerialBytes  | the DER INTEGER the managed CA writes (CRL)       |
 */

const HEX = /^(?:[0-9a-f]{2})+$/;

/** Lookup form: uppercase hex, no colons, leading zero digits dropped; equal texts mean equal integers. */
export function serialForLookup(hex: string): string {
  const plain = hex.replaceAll(':', '').toUpperCase();
  let start = 0;
  while (start < plain.length - 1 && plain.charCodeAt(start) === 0x30) start++;
  return plain.slice(start);
}

/**
 * Wire form of a serial printed in whole octets (node:crypto's `X509Certificate.serialNumber`, openssl's
 * `serial=`, colons allowed): lowercase, no colons. The digits are kept as written, so a search by a typed serial
 * matches the stored text exactly.
 */
export function serialToWire(wholeOctetsHex: string): string {
  return wholeOctetsHex.replaceAll(':', '').toLowerCase();
}

/** Wire form of an INTEGER's content octets: lowercase hex without the sign-padding 00 octet. */
export function serialFromBytes(content: ArrayBuffer | Uint8Array): string {
  const bytes = asBytes(content);
  const start = bytes.length > 1 && bytes[0] === 0 ? 1 : 0;
  return Buffer.from(bytes.subarray(start)).toString('hex');
}

/**
 * Fields form of an INTEGER's content octets: uppercase hex, leading zero octets (the DER sign padding) dropped,
 * one kept for zero. A (non-conforming) negative serial is printed as its two's-complement octets.
 */
export function serialFieldFromBytes(content: ArrayBuffer | Uint8Array): string {
  const bytes = asBytes(content);
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  return Buffer.from(bytes.subarray(start)).toString('hex').toUpperCase();
}

/** Decimal form of a hex serial (wire or lookup form; no colons). */
export function serialToDecimal(hex: string): string {
  return BigInt(`0x${hex}`).toString(10);
}

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

/**
 * serialToBytes written straight into `out` at `offset` (room for 21 octets needed), same octets and same errors;
 * returns how many it wrote. For a CRL of 100,000 entries, where a regular expression and a Buffer per serial
 * were most of the encoding time.
 */
export function writeSerialBytes(serialHex: string, out: Uint8Array, offset: number): number {
  const hex = serialHex.includes(':') ? serialHex.replaceAll(':', '') : serialHex;
  for (let index = 0; index < hex.length; index++) {
    if (nibble(hex.charCodeAt(index)) < 0) throw new Error(`serial ${JSON.stringify(serialHex)} is not hexadecimal`);
  }
  if (hex.length === 0) throw new Error(`serial ${JSON.stringify(serialHex)} is not hexadecimal`);
  let start = 0;
  while (start < hex.length - 1 && hex.charCodeAt(start) === 0x30) start++;
  const digits = hex.length - start;
  const magnitude = (digits + 1) >> 1;
  if (magnitude === 1 && nibble(hex.charCodeAt(start)) === 0) throw new Error('serial 0 is not a valid serial number');
  if (magnitude > 20) throw new Error(`serial of ${magnitude} octets (at most 20, RFC 5280 §4.1.2.2)`);
  // An odd count of digits: the first octet has one.
  const first =
    digits % 2 === 1
      ? nibble(hex.charCodeAt(start))
      : nibble(hex.charCodeAt(start)) * 16 + nibble(hex.charCodeAt(start + 1));
  let at = offset;
  // A set high bit would make the INTEGER negative: DER adds a 00 octet in front (X.690 §8.3.2).
  if (first >= 0x80) out[at++] = 0;
  out[at++] = first;
  for (let index = start + (digits % 2 === 1 ? 1 : 2); index < hex.length; index += 2) {
    out[at++] = nibble(hex.charCodeAt(index)) * 16 + nibble(hex.charCodeAt(index + 1));
  }
  return at - offset;
}

/** The value of one hex digit's character code; -1 for any other character. */
function nibble(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x61 && code <= 0x66) return code - 0x57;
  if (code >= 0x41 && code <= 0x46) return code - 0x37;
  return -1;
}

function asBytes(content: ArrayBuffer | Uint8Array): Uint8Array {
  return content instanceof Uint8Array ? content : new Uint8Array(content);
}
