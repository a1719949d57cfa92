/**
 * Refusing trailing bytes after a DER object (X.690 §8.1). asn1js parses the first TLV and ignores whatever
 * follows, so `<certificate><garbage>` would otherwise be accepted as the certificate: two different byte
 * strings with one meaning, which breaks fingerprints and lets data ride along unseen. Only the outer header is
 * read here; the schema parser validates everything inside.
 */

/** Total length (header + contents) announced by the outer SEQUENCE header, or -1 when it is not one. */
export function encodedLength(der: Uint8Array): number {
  const first = der[1];
  if (der[0] !== 0x30 || first === undefined) return -1;
  if (first < 0x80) return 2 + first;
  const count = first & 0x7f;
  // 0x80 is the BER indefinite form, which DER forbids (X.690 §10.1); more than 4 length octets is absurd here.
  if (count === 0 || count > 4 || der.byteLength < 2 + count) return -1;
  let length = 0;
  for (const byte of der.subarray(2, 2 + count)) length = length * 256 + byte;
  return 2 + count + length;
}

/** True when `der` is exactly one SEQUENCE, nothing before or after it. */
export function isSingleDerSequence(der: Uint8Array): boolean {
  return encodedLength(der) === der.byteLength;
}
