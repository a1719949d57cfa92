/**
 * The PEM text of an mTLS certificate upload (`certificates` of POST /accounts/{id}/mtls_certificates), read
 * strictly before any certificate is parsed (hostile-input.md "Malformed PEM", "Oversized or abusive input").
 *
 * Accepted: CERTIFICATE blocks (RFC 7468 §5), `\n` or `\r\n`, a leading UTF-8 BOM, explanatory text between
 * blocks (RFC 7468 §5.2). Refused, with a reason that never repeats the input: more than 64 KiB or 10 blocks,
 * NUL and other control characters or U+FFFD (what undecodable bytes become), a private key or a certificate
 * request anywhere in the text, PKCS #7, and every failure pem.ts reports (mismatched labels, bad base64,
 * missing END lines, DER or PKCS #12 instead of PEM).
 */
import { readPemBlocks } from './pem.ts';

/** Largest `certificates` text: ten RSA-8192 certificates are under 40 KiB. */
export const MAX_UPLOAD_PEM_LENGTH = 64 * 1024;
/** Most certificates in one upload: a root, a few intermediates, cross-signs. Thousands are an abuse. */
export const MAX_UPLOAD_CERTIFICATES = 10;

/** The DER of each CERTIFICATE block, in order. Throws an Error with the reason. */
export function readUploadPem(text: string): Buffer[] {
  if (typeof text !== 'string' || text.trim() === '') throw new Error('no certificate given');
  if (text.length > MAX_UPLOAD_PEM_LENGTH)
    throw new Error(`certificates is larger than ${MAX_UPLOAD_PEM_LENGTH / 1024} KiB`);
  // Checked before the text is parsed at all, so a malformed key block is refused as a key, never echoed.
  if (/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(text)) {
    throw new Error('private keys must not be sent in certificates');
  }
  if (/-----BEGIN (NEW )?CERTIFICATE REQUEST-----/.test(text)) {
    throw new Error('certificate requests (CSRs) must not be sent in certificates: send the signed certificate');
  }
  if (text.includes('\0')) throw new Error('contains NUL bytes (binary data where PEM was expected)');
  if (hasControlCharacters(text)) throw new Error('contains control characters or bytes that are not UTF-8');
  const blockCount = text.split('-----BEGIN ').length - 1;
  if (blockCount > MAX_UPLOAD_CERTIFICATES) {
    throw new Error(
      `more than ${MAX_UPLOAD_CERTIFICATES} PEM blocks (at most ${MAX_UPLOAD_CERTIFICATES} certificates)`,
    );
  }
  const blocks = readPemBlocks(text);
  for (const block of blocks) {
    if (block.label === 'PKCS7' || block.label === 'CMS') {
      throw new Error(`${block.label} is not accepted: send each certificate as a CERTIFICATE PEM block`);
    }
    if (block.label !== 'CERTIFICATE')
      throw new Error(`expected CERTIFICATE blocks, found ${block.label.slice(0, 40)}`);
  }
  return blocks.map((block) => block.der);
}

/** Control characters other than tab, CR and LF, or U+FFFD (what undecodable bytes become). */
function hasControlCharacters(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || c === 0x7f || c === 0xfffd) return true;
  }
  return false;
}
