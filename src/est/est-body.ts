/**
 * EST message bodies (RFC 7030 §4.2.1, with RFC 8951 §3): a CSR is sent as `application/pkcs10`,
 * base64 of the DER, lines of any length. A Content-Transfer-Encoding header is tolerated and never
 * required (RFC 8951 §3: HTTP has no such header; the body is base64 whatever it says).
 */
import { GW_ERR_EST_CONTENT_TYPE, GW_ERR_EST_REQUEST_INVALID } from '../errors/index.ts';

/** A base64 CSR of an RSA-4096 key with a full subject is under 3 KiB; this leaves room and bounds memory. */
export const MAX_EST_BODY_BYTES = 64 * 1024;

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** The media type without parameters, lowercased; '' when absent. */
export function mediaTypeOf(header: string | undefined): string {
  return (header ?? '').split(';', 1)[0]?.trim().toLowerCase() ?? '';
}

/** Throws 415 unless the request says `expected` (parameters such as charset are ignored). */
export function requireMediaType(header: string | undefined, expected: string): void {
  const given = mediaTypeOf(header);
  if (given !== expected) {
    throw GW_ERR_EST_CONTENT_TYPE.create(`${given === '' ? 'none' : given} (send ${expected}, base64 of the DER)`);
  }
}

/** Base64 text, with any whitespace between lines, to its bytes; a strict decoder (Node's is lenient). */
export function decodeBase64Body(body: Uint8Array): Buffer {
  const text = Buffer.from(body)
    .toString('latin1')
    .replace(/[\r\n\t ]+/g, '');
  if (text.length === 0) throw GW_ERR_EST_REQUEST_INVALID.create('the body is empty (send the CSR, base64 of its DER)');
  if (text.length % 4 !== 0 || !BASE64.test(text)) {
    throw GW_ERR_EST_REQUEST_INVALID.create('the body is not base64 (send the CSR as base64 of its DER)');
  }
  return Buffer.from(text, 'base64');
}

/**
 * Bytes as base64 in lines of 64 characters ending in LF: what `base64 -d` (GNU coreutils) reads;
 * it refuses the CR of CRLF lines, and device integrators pipe answers through it.
 */
export function encodeBase64Body(der: Uint8Array): string {
  const text = Buffer.from(der).toString('base64');
  return `${text.replace(/.{64}/g, '$&\n').replace(/\n$/, '')}\n`;
}
