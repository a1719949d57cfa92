/**
 * A tiny HPACK encoder (RFC 7541) for tests that write HTTP/2 frames by hand: every field is a
 * "literal header field without indexing — new name" (§6.2.2), with both strings as raw octets
 * (no Huffman coding, §5.2), so the decoder's dynamic table never changes and any bytes (including
 * ones a real client would never send) can be put in a name or a value.
 * test/helpers/hpack-encoder.test.ts checks that Node's own HTTP/2 server decodes what this encodes.
 */

/** A header field as octets: strings are taken as latin1, so every byte 0x00–0xff can be written. */
export type HeaderField = readonly [name: string | Buffer, value: string | Buffer];

/** An integer with an N-bit prefix (RFC 7541 §5.1); `flags` are the first octet's bits above the prefix. */
export function encodeInteger(value: number, prefixBits: number, flags = 0): Buffer {
  const limit = (1 << prefixBits) - 1;
  if (value < limit) return Buffer.from([flags | value]);
  const octets = [flags | limit];
  let rest = value - limit;
  while (rest >= 128) {
    octets.push((rest % 128) + 128);
    rest = Math.floor(rest / 128);
  }
  octets.push(rest);
  return Buffer.from(octets);
}

/** A string literal without Huffman coding (RFC 7541 §5.2: H = 0, 7-bit length prefix). */
export function encodeString(text: string | Buffer): Buffer {
  const octets = typeof text === 'string' ? Buffer.from(text, 'latin1') : text;
  return Buffer.concat([encodeInteger(octets.length, 7), octets]);
}

/** A header block of literal fields without indexing, new name (RFC 7541 §6.2.2: first octet 0000 0000). */
export function encodeHeaderBlock(fields: readonly HeaderField[]): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of fields) parts.push(Buffer.of(0x00), encodeString(name), encodeString(value));
  return Buffer.concat(parts);
}
