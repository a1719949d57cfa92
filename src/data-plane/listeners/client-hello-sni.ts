/**
 * peekServerName: reads the SNI host_name (RFC 6066 §3) out of the first bytes a TLS client sends,
 * BEFORE any TLS library sees them, so that the listener can pick the hostname's TLS server.
 *
 * The ClientHello may be fragmented over several TLS records and several TCP segments
 * (hostile-input.md class 5, CVE-2026-32305: a fragmented ClientHello must not read as "no SNI"): the
 * handshake bytes of consecutive handshake records are joined until the whole message is there.
 * Anything that is not a well-formed ClientHello is `invalid` (the connection is dropped); the
 * caller caps how many bytes it waits for.
 */

export type SniPeek =
  | { readonly kind: 'need-more' }
  | { readonly kind: 'invalid' }
  | { readonly kind: 'done'; readonly servername: string | undefined };

const RECORD_HANDSHAKE = 22;
const HANDSHAKE_CLIENT_HELLO = 1;
const EXT_SERVER_NAME = 0;
const NAME_TYPE_HOST = 0;
/** RFC 8446 §5.1: a record carries at most 2^14 bytes of plaintext. */
const MAX_RECORD = 16_384;
/** A ClientHello larger than this is refused (real ones, post-quantum key shares included, are < 4 KiB). */
export const MAX_CLIENT_HELLO = 32_768; // 32 KiB

const NEED_MORE: SniPeek = Object.freeze({ kind: 'need-more' });
const INVALID: SniPeek = Object.freeze({ kind: 'invalid' });

export function peekServerName(data: Buffer): SniPeek {
  const fragments: Buffer[] = [];
  let handshakeLength = 0;
  let offset = 0;
  while (offset + 5 <= data.length) {
    if (data[offset] !== RECORD_HANDSHAKE || data[offset + 1] !== 3) return INVALID;
    const length = data.readUInt16BE(offset + 3);
    if (length === 0 || length > MAX_RECORD) return INVALID;
    if (offset + 5 + length > data.length) break;
    fragments.push(data.subarray(offset + 5, offset + 5 + length));
    handshakeLength += length;
    offset += 5 + length;
    if (handshakeLength >= 4) {
      const handshake = Buffer.concat(fragments);
      if (handshake[0] !== HANDSHAKE_CLIENT_HELLO) return INVALID;
      const bodyLength = handshake.readUIntBE(1, 3);
      if (bodyLength > MAX_CLIENT_HELLO) return INVALID;
      if (handshake.length >= 4 + bodyLength) return parseClientHello(handshake.subarray(4, 4 + bodyLength));
    }
  }
  if (data.length > MAX_CLIENT_HELLO + 1024) return INVALID;
  return NEED_MORE;
}

function parseClientHello(body: Buffer): SniPeek {
  let at = 2 + 32; // legacy_version, random
  const skip = (lengthBytes: 1 | 2): boolean => {
    if (at + lengthBytes > body.length) return false;
    const length = lengthBytes === 1 ? body.readUInt8(at) : body.readUInt16BE(at);
    at += lengthBytes + length;
    return at <= body.length;
  };
  if (!skip(1) || !skip(2) || !skip(1)) return INVALID; // session id, cipher suites, compression
  if (at === body.length) return { kind: 'done', servername: undefined }; // no extensions
  if (at + 2 > body.length) return INVALID;
  const end = at + 2 + body.readUInt16BE(at);
  if (end !== body.length) return INVALID;
  at += 2;
  let servername: string | undefined;
  let seen = false;
  while (at + 4 <= end) {
    const type = body.readUInt16BE(at);
    const length = body.readUInt16BE(at + 2);
    const extensionEnd = at + 4 + length;
    if (extensionEnd > end) return INVALID;
    if (type === EXT_SERVER_NAME) {
      if (seen) return INVALID; // RFC 8446 §4.2: no extension type twice
      seen = true;
      const name = readHostName(body.subarray(at + 4, extensionEnd));
      if (name === null) return INVALID;
      servername = name;
    }
    at = extensionEnd;
  }
  if (at !== end) return INVALID;
  return { kind: 'done', servername };
}

/** server_name_list → the host_name entry (ASCII, RFC 6066 §3); null when malformed. */
function readHostName(extension: Buffer): string | undefined | null {
  if (extension.length < 2 || extension.readUInt16BE(0) !== extension.length - 2) return null;
  let at = 2;
  let name: string | undefined;
  while (at + 3 <= extension.length) {
    const type = extension.readUInt8(at);
    const length = extension.readUInt16BE(at + 1);
    if (at + 3 + length > extension.length) return null;
    if (type === NAME_TYPE_HOST) {
      if (name !== undefined || length === 0) return null;
      const bytes = extension.subarray(at + 3, at + 3 + length);
      for (const byte of bytes) if (byte <= 0x20 || byte >= 0x7f) return null;
      name = bytes.toString('latin1');
    }
    at += 3 + length;
  }
  return at === extension.length ? name : null;
}
