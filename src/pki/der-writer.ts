/**
 * The few DER encodings (X.690 §10) written by hand where a list is long: a CRL's revokedCertificates
 * (RFC 5280 §5.1.2.6) has one small SEQUENCE per revoked serial, and encoding 100,000 of them through
 * @peculiar/asn1-schema took seconds of CPU per CRL, where these Buffer writes take milliseconds.
 */

/** A TLV: one-octet tag, definite-form length (X.690 §8.1.3, shortest form), contents. */
export function tlv(tag: number, contents: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([tag]), lengthOctets(contents.byteLength), contents]);
}

/** The definite-form length octets for `length` (short form under 128, else long form, X.690 §8.1.3.5). */
export function lengthOctets(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const octets: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) octets.unshift(rest % 256);
  return Buffer.from([0x80 | octets.length, ...octets]);
}

/**
 * Time ::= CHOICE { utcTime, generalTime } as RFC 5280 §4.1.2.5 wants it for validity and CRL dates: UTCTime
 * (YYMMDDHHMMSSZ) through 2049, GeneralizedTime (YYYYMMDDHHMMSSZ) from 2050, whole seconds, always Z.
 */
export function derTime(date: Date | number): Buffer {
  // A CRL's entries often share their second (a bulk revocation): one encoding per second, not per entry.
  const ms = typeof date === 'number' ? date : date.getTime();
  const second = Math.floor(ms / 1000);
  if (second === lastTime.second) return lastTime.encoded;
  const encoded = encodeTime(new Date(ms));
  lastTime = { second, encoded };
  return encoded;
}

let lastTime: { second: number; encoded: Buffer } = { second: Number.NaN, encoded: Buffer.alloc(0) };

function encodeTime(date: Date): Buffer {
  const iso = date.toISOString(); // 2026-12-07T11:20:00.000Z
  const digits = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  return date.getUTCFullYear() < 2050
    ? tlv(0x17, Buffer.from(digits.slice(2), 'latin1'))
    : tlv(0x18, Buffer.from(digits, 'latin1'));
}

/** The top-level TLVs inside one constructed TLV's contents, as [start, end) offsets into `contents`. */
export function childRanges(contents: Uint8Array): [number, number][] {
  const ranges: [number, number][] = [];
  let offset = 0;
  while (offset < contents.byteLength) {
    const first = contents[offset + 1];
    if (first === undefined) throw new Error('truncated DER');
    let length = first;
    let header = 2;
    if (first >= 0x80) {
      const count = first & 0x7f;
      length = 0;
      for (let index = 0; index < count; index += 1) length = length * 256 + (contents[offset + 2 + index] ?? 0);
      header += count;
    }
    ranges.push([offset, offset + header + length]);
    offset += header + length;
  }
  if (offset !== contents.byteLength) throw new Error('truncated DER');
  return ranges;
}

/** The contents of a TLV (after its tag and length octets). */
export function contentsOf(der: Uint8Array): Uint8Array {
  const first = der[1] ?? 0;
  const header = first < 0x80 ? 2 : 2 + (first & 0x7f);
  return der.subarray(header);
}
