/**
 * A degenerate "certs-only" CMS SignedData (RFC 5652 §5; RFC 7030 §4.1.3 and §4.2.3): no content, no
 * signers, only certificates. The encoding is built directly (each part is a fixed shape), so every
 * byte is ours to reason about:
 *
 *   ContentInfo ::= SEQUENCE { contentType id-signedData, content [0] EXPLICIT SignedData }
 *   SignedData  ::= SEQUENCE { version 1, digestAlgorithms SET {}, encapContentInfo SEQUENCE { id-data },
 *                              certificates [0] IMPLICIT SET OF Certificate, signerInfos SET {} }
 */

const ID_SIGNED_DATA = Buffer.from('06092a864886f70d010702', 'hex'); // 1.2.840.113549.1.7.2
const ID_DATA = Buffer.from('06092a864886f70d010701', 'hex'); // 1.2.840.113549.1.7.1

function lengthOf(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, ...parts: Uint8Array[]): Buffer {
  const content = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([tag]), lengthOf(content.length), content]);
}

/** DER of a certs-only SignedData holding `certificates` (DER each), in the order given. */
export function certsOnlyPkcs7(certificates: readonly Uint8Array[]): Buffer {
  // DER orders the elements of a SET OF by their encodings (X.690 §11.6).
  const sorted = [...certificates].map((der) => Buffer.from(der)).sort((a, b) => Buffer.compare(a, b));
  const signedData = tlv(
    0x30,
    tlv(0x02, Buffer.from([1])),
    tlv(0x31),
    tlv(0x30, ID_DATA),
    tlv(0xa0, ...sorted),
    tlv(0x31),
  );
  return tlv(0x30, ID_SIGNED_DATA, tlv(0xa0, signedData));
}
