/**
 * The head of an HTTP/1.1 request to the upstream (RFC 9112 §3, §5), as one latin1 string written in
 * one socket write. Everything that goes on the wire is checked here, whatever produced it (Node's
 * parsers already refuse CR/LF, but gateway-built values and HTTP/2 clients pass through too): a
 * CR or LF in a name, value, method or target would let a client write a second request onto a
 * pooled connection (request smuggling), so such a request is refused instead.
 */
import type { HeaderMap } from '../hop-by-hop.ts';
import { isFieldValue, isToken } from './field-syntax.ts';

/** How the request body is framed on the wire (RFC 9112 §6). */
export type RequestFraming =
  /** No body; `content-length: 0` is sent for methods that define a body (RFC 9110 §8.6). */
  | { readonly kind: 'none' }
  /** A body of exactly this many bytes, announced by Content-Length. */
  | { readonly kind: 'length'; readonly length: number }
  /** A body of unknown length, sent with the chunked transfer coding (RFC 9112 §7.1). */
  | { readonly kind: 'chunked' };

/** RFC 9112 §3.2 request-target: no whitespace or control characters. */
const VALID_TARGET = /^[\x21-\x7e\x80-\xff]+$/;
/** Methods whose requests are expected to carry a body (RFC 9110 §9.3): without one they get CL: 0. */
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/**
 * Header names the writer owns: framing is decided from the body, not copied from the client, and
 * `expect` was already answered by our own server to the client (Node sends 100 Continue), so the
 * body is streamed at once rather than announced again.
 */
const WRITER_OWNED = new Set(['content-length', 'transfer-encoding', 'expect']);

export class InvalidRequestHeadError extends Error {
  constructor(what: string) {
    super(`refusing to write ${what} to the upstream`);
    this.name = 'InvalidRequestHeadError';
  }
}

/** The request head; throws InvalidRequestHeadError when a part could not be written safely. */
export function serializeRequestHead(
  method: string,
  target: string,
  headers: HeaderMap,
  framing: RequestFraming,
): string {
  if (!isToken(method)) throw new InvalidRequestHeadError('an invalid method');
  if (!VALID_TARGET.test(target)) throw new InvalidRequestHeadError('an invalid request target');
  let head = `${method} ${target} HTTP/1.1\r\n`;
  // Host first (RFC 9112 §3.2: a user agent SHOULD send it as the first field).
  const host = headers.host;
  if (typeof host === 'string') head += fieldLine('host', host);
  for (const name in headers) {
    if (WRITER_OWNED.has(name) || name === 'host') continue;
    const value = headers[name];
    if (value === undefined) continue;
    if (!isToken(name)) throw new InvalidRequestHeadError('an invalid header name');
    if (typeof value === 'string') {
      head += fieldLine(name, value);
    } else {
      for (const item of value) head += fieldLine(name, item);
    }
  }
  if (framing.kind === 'length') head += `content-length: ${framing.length}\r\n`;
  else if (framing.kind === 'chunked') head += 'transfer-encoding: chunked\r\n';
  else if (BODY_METHODS.has(method)) head += 'content-length: 0\r\n';
  return `${head}\r\n`;
}

function fieldLine(name: string, value: string): string {
  if (!isFieldValue(value)) throw new InvalidRequestHeadError(`an invalid value for header ${name}`);
  return `${name}: ${value}\r\n`;
}

/**
 * The declared Content-Length of a request body, or undefined when there is none or it is not a
 * plain decimal (the body is then sent chunked: its size is counted, not trusted).
 */
export function declaredLength(headers: HeaderMap): number | undefined {
  const value = headers['content-length'];
  if (typeof value !== 'string' || value.length === 0 || value.length > 15) return undefined;
  for (let index = 0; index < value.length; index++) {
    const code = value.charCodeAt(index);
    if (code < 0x30 || code > 0x39) return undefined;
  }
  return Number(value);
}
