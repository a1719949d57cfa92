/**
 * buildPkcs12: a PKCS #12 file (RFC 7292) holding one certificate and its private key, protected by a
 * passphrase, for mobile apps and browsers that import client identities only in that form.
 *
 * - The key: PKCS #8 EncryptedPrivateKeyInfo (RFC 5958 §3) made by OpenSSL through node:crypto, PBES2 with
 *   PBKDF2-HMAC-SHA256 and AES-256-CBC (RFC 8018 §6.2), in a pkcs8ShroudedKeyBag (RFC 7292 §4.2.2).
 * - The certificate: a certBag (§4.2.3) of an x509Certificate; public, so not encrypted again.
 * - Both bags carry the same localKeyId (the certificate's SHA-256) and the friendly name, so importers pair
 *   them; each SafeContents sits in a `data` ContentInfo (§4.1).
 * - Integrity: the password MAC of §5 with HMAC-SHA256, its key from the §B.2 KDF (ID 3), 2048 iterations
 *   (OpenSSL's default) and a 16-byte random salt. The passphrase is encoded as a BMPString with a trailing NUL
 *   (§B.1). OpenSSL 3 (`openssl pkcs12`), macOS, iOS and Android read this profile.
 */
import { createHash, createHmac, createPrivateKey, randomBytes, X509Certificate } from 'node:crypto';

const ITERATIONS = 2048;
const OID = {
  data: '1.2.840.113549.1.7.1',
  keyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  friendlyName: '1.2.840.113549.1.9.20',
  localKeyId: '1.2.840.113549.1.9.21',
  sha256: '2.16.840.1.101.3.4.2.1',
};

export interface Pkcs12Input {
  readonly certificatePem: string;
  readonly privateKeyPem: string;
  readonly passphrase: string;
  /** Shown by importers (the key chain's label). */
  readonly friendlyName: string;
}

export function buildPkcs12(input: Pkcs12Input): Buffer {
  if (input.passphrase.length === 0) throw new Error('a PKCS #12 file needs a passphrase');
  const certificate = new X509Certificate(input.certificatePem);
  const key = createPrivateKey(input.privateKeyPem);
  if (!certificate.checkPrivateKey(key)) throw new Error('the private key does not belong to the certificate');
  const shroudedKey = key.export({
    type: 'pkcs8',
    format: 'der',
    cipher: 'aes-256-cbc',
    passphrase: input.passphrase,
  });
  const localKeyId = createHash('sha256').update(certificate.raw).digest();
  const attributes = set(
    seq(oid(OID.friendlyName), set(tlv(0x1e, Buffer.from(input.friendlyName, 'utf16le').swap16()))),
    seq(oid(OID.localKeyId), set(octets(localKeyId))),
  );
  const certBag = seq(
    oid(OID.certBag),
    explicit0(seq(oid(OID.x509Certificate), explicit0(octets(certificate.raw)))),
    attributes,
  );
  const keyBag = seq(oid(OID.keyBag), explicit0(shroudedKey), attributes);
  const authenticatedSafe = seq(dataContentInfo(seq(certBag)), dataContentInfo(seq(keyBag)));
  const salt = randomBytes(16);
  const macKey = pkcs12Kdf(input.passphrase, salt, 3, ITERATIONS, 32);
  const mac = createHmac('sha256', macKey).update(authenticatedSafe).digest();
  const macData = seq(seq(seq(oid(OID.sha256), tlv(0x05)), octets(mac)), octets(salt), integer(ITERATIONS));
  return seq(integer(3), dataContentInfo(authenticatedSafe), macData);
}

/** RFC 7292 §B.2 with SHA-256 (u = 32, v = 64 bytes); the password as a NUL-terminated BMPString (§B.1). */
export function pkcs12Kdf(password: string, salt: Buffer, id: number, iterations: number, length: number): Buffer {
  const u = 32;
  const v = 64;
  const passwordBytes = Buffer.concat([Buffer.from(password, 'utf16le').swap16(), Buffer.alloc(2)]);
  const fill = (bytes: Buffer): Buffer => {
    if (bytes.length === 0) return Buffer.alloc(0);
    const out = Buffer.alloc(v * Math.ceil(bytes.length / v));
    for (let i = 0; i < out.length; i++) out[i] = bytes[i % bytes.length] ?? 0;
    return out;
  };
  const diversifier = Buffer.alloc(v, id);
  const block = Buffer.concat([fill(salt), fill(passwordBytes)]);
  const output: Buffer[] = [];
  for (let produced = 0; produced < length; produced += u) {
    let a = createHash('sha256').update(diversifier).update(block).digest();
    for (let r = 1; r < iterations; r++) a = createHash('sha256').update(a).digest();
    output.push(a);
    const b = fill(a);
    // I_j = (I_j + B + 1) mod 2^(8v), for each v-byte block of I.
    for (let j = 0; j < block.length; j += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        const sum = (block[j + k] ?? 0) + (b[k] ?? 0) + carry;
        block[j + k] = sum & 0xff;
        carry = sum >> 8;
      }
    }
  }
  return Buffer.concat(output).subarray(0, length);
}

// --- DER (X.690 §8), just what the structures above need -----------------------------------------------------

function tlv(tag: number, ...parts: Uint8Array[]): Buffer {
  const body = Buffer.concat(parts);
  const n = body.length;
  const length =
    n < 0x80
      ? [n]
      : n < 0x100
        ? [0x81, n]
        : n < 0x10000
          ? [0x82, n >> 8, n & 0xff]
          : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
  return Buffer.concat([Buffer.from([tag, ...length]), body]);
}
const seq = (...parts: Uint8Array[]): Buffer => tlv(0x30, ...parts);
const set = (...parts: Uint8Array[]): Buffer => tlv(0x31, ...parts);
const octets = (bytes: Uint8Array): Buffer => tlv(0x04, bytes);
const explicit0 = (inner: Uint8Array): Buffer => tlv(0xa0, inner);
const dataContentInfo = (content: Uint8Array): Buffer => seq(oid(OID.data), explicit0(octets(content)));

function integer(value: number): Buffer {
  const bytes: number[] = [];
  for (let rest = value; rest > 0 || bytes.length === 0; rest = Math.floor(rest / 256)) bytes.unshift(rest & 0xff);
  if ((bytes[0] ?? 0) & 0x80) bytes.unshift(0);
  return tlv(0x02, Buffer.from(bytes));
}

function oid(text: string): Buffer {
  const [first = 0, second = 0, ...rest] = text.split('.').map(Number);
  const bytes = [first * 40 + second];
  for (const arc of rest) {
    const chunk = [arc & 0x7f];
    for (let value = arc >> 7; value > 0; value >>= 7) chunk.unshift((value & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return tlv(0x06, Buffer.from(bytes));
}
