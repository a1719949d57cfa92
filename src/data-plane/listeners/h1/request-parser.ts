/**
 * A strict, incremental HTTP/1.1 REQUEST parser for the client side of the gateway (RFC 9112), the
 * counterpart of the upstream response parser (upstream/h1/response-parser.ts) and in its style.
 *
 * A client connection may pipeline requests, and the gateway relays each to an upstream over pooled
 * connections: a request framed differently from how the client meant it would be request smuggling.
 * Anything ambiguous is refused with an Http1RequestError whose `code` is the llhttp code Node's
 * parser would have reported for the same problem, so http1-client-error.ts keeps deciding the answer
 * (400 / 408 / 431 JSON, then the connection closes). Whatever we accept, llhttp accepts too and
 * frames identically (test/data-plane/h1-request-parser-llhttp.test.ts); ADR 0022 lists where we
 * refuse more.
 *
 *   request-line   method SP request-target SP HTTP-version CRLF (§3); HTTP/1.1 and HTTP/1.0 only;
 *                  a target of visible ASCII only; empty lines before it are skipped (§2.2)
 *   field lines    token ":" OWS value OWS CRLF (§5, RFC 9110 §5.5); no obs-fold (§5.2), no space
 *                  before the colon, no bare CR or LF, no NUL or other CTL
 *   framing        §6.1-6.3: Content-Length and Transfer-Encoding together refused; one Content-Length
 *                  of digits; Transfer-Encoding exactly `chunked` (HTTP/1.1 only); else no body
 *   chunked body   §7.1, decoded by upstream/h1/chunked-body-decoder.ts (shared with the response parser): hex
 *                  size, extensions capped per line, CRLF after data, trailers validated and
 *                  dropped (no framing fields in them), the trailer section capped like a head
 *   caps           the head (request line and fields) at maxHeadBytes, fields at maxHeaderCount: 431
 *
 * The parser stops at the end of each request: push() returns where it stopped, and the caller keeps
 * the rest (a pipelined request) until the answer to this one is written (RFC 9112 §9.3.2).
 */
import { METHODS, type IncomingHttpHeaders } from 'node:http';
import { ChunkedBodyDecoder, type ChunkedRefusal } from '../../upstream/h1/chunked-body-decoder.ts';
import { isFieldValueChar, TCHAR } from '../../upstream/h1/field-syntax.ts';

/** One request head, as parsed. `headers` merges repeated fields the way node:http does (mergeField). */
export interface RequestHead {
  readonly method: string;
  readonly target: string;
  /** HTTP/1.0 (else HTTP/1.1). */
  readonly http10: boolean;
  /** Names and values as sent, alternating (IncomingMessage.rawHeaders' shape). */
  readonly rawHeaders: string[];
  /** Lowercase names; repeated fields merged as node:http merges them. Null prototype. */
  readonly headers: IncomingHttpHeaders;
  /** The client allows another request on this connection (§9.3: 1.1 without `close`, 1.0 with `keep-alive`). */
  readonly keepAlive: boolean;
  /** `Expect: 100-continue` on an HTTP/1.1 request (RFC 9110 §10.1.1). */
  readonly expectContinue: boolean;
  /** The body: none, `contentLength` bytes, or chunked (its size unknown until it ends). */
  readonly body: 'none' | 'length' | 'chunked';
  readonly contentLength: number;
}

export interface RequestParserHandler {
  /** A complete request head; onRequestBody (zero or more) and onRequestEnd follow. */
  onRequestHead(head: RequestHead): void;
  /** Body bytes (de-chunked); may be a subarray of the Buffer given to push(). */
  onRequestBody(chunk: Buffer): void;
  /** The request is complete; push() returns right after it. */
  onRequestEnd(): void;
}

/** The llhttp codes a refusal is reported with (http1-client-error.ts maps them to answers). */
export type Http1RequestErrorCode =
  | 'HPE_INVALID_METHOD'
  | 'HPE_INVALID_URL'
  | 'HPE_INVALID_VERSION'
  | 'HPE_INVALID_HEADER_TOKEN'
  | 'HPE_INVALID_CONTENT_LENGTH'
  | 'HPE_UNEXPECTED_CONTENT_LENGTH'
  | 'HPE_INVALID_TRANSFER_ENCODING'
  | 'HPE_INVALID_CHUNK_SIZE'
  | 'HPE_CHUNK_EXTENSIONS_OVERFLOW'
  | 'HPE_HEADER_OVERFLOW'
  | 'HPE_CR_EXPECTED'
  | 'HPE_LF_EXPECTED';

export class Http1RequestError extends Error {
  readonly code: Http1RequestErrorCode;

  constructor(code: Http1RequestErrorCode, detail: string) {
    // A client can make us throw at will: skip the stack capture, it says nothing about the client.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(`HTTP/1.1 request refused (${code}): ${detail}`);
    Error.stackTraceLimit = limit;
    this.name = 'Http1RequestError';
    this.code = code;
  }
}

export interface RequestParserLimits {
  /** Request line and field lines together (node:http's default maxHeaderSize); also caps the trailer section. */
  readonly maxHeadBytes: number;
  readonly maxHeaderCount: number;
}

export const DEFAULT_REQUEST_LIMITS: RequestParserLimits = { maxHeadBytes: 16 * 1024, maxHeaderCount: 200 };

const MAX_CONTENT_LENGTH_DIGITS = 15; // < 2^53, so Number() is exact

const HTAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const COLON = 0x3a;
const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');

// States; typed number so that TypeScript does not narrow #state across handler callbacks.
const HEAD = 0; // before or inside a request head
const BODY_LENGTH = 1;
const CHUNKED = 2; // a chunked body, read by #chunked (upstream/h1/chunked-body-decoder.ts)
const DEAD = 3;

const KNOWN_METHODS = new Set(METHODS);

/** Fields node:http keeps only the first of (IncomingMessage#_addHeaderLine): repeats are dropped. */
const FIRST_ONLY = new Set([
  'content-type',
  'content-length',
  'user-agent',
  'referer',
  'host',
  'authorization',
  'proxy-authorization',
  'if-modified-since',
  'if-unmodified-since',
  'from',
  'location',
  'max-forwards',
  'retry-after',
  'etag',
  'last-modified',
  'server',
  'age',
  'expires',
]);

export class Http1RequestParser {
  readonly #handler: RequestParserHandler;
  readonly #maxHeadBytes: number;
  readonly #maxHeaderCount: number;
  #state: number = HEAD;
  #failure: unknown = undefined;
  #remaining = 0;
  // Bytes of a head split across pushes; allocated on first need, then reused.
  #pending: Buffer | undefined = undefined;
  #pendingLength = 0;
  /** A CR ended the last read between requests: an LF now completes an empty line to skip. */
  #emptyLineCr = false;
  readonly #chunked: ChunkedBodyDecoder;

  constructor(handler: RequestParserHandler, limits?: Partial<RequestParserLimits>) {
    this.#handler = handler;
    this.#maxHeadBytes = limits?.maxHeadBytes ?? DEFAULT_REQUEST_LIMITS.maxHeadBytes;
    this.#maxHeaderCount = limits?.maxHeaderCount ?? DEFAULT_REQUEST_LIMITS.maxHeaderCount;
    this.#chunked = new ChunkedBodyDecoder(
      {
        onChunkData: (chunk) => this.#handler.onRequestBody(chunk),
        onChunkedEnd: () => this.#end(),
        checkTrailerBytes: (buffer, sectionStart, from, to) => this.#checkLineEnds(buffer, sectionStart, from, to),
        validateTrailerFields: (text) => this.#parseFields(text, 0, text.length, undefined, undefined),
        refusal: chunkedRefusal,
      },
      this.#maxHeadBytes, // the trailer section is capped like a head
    );
  }

  /** Some bytes of a request head are buffered (a head is being received: the headers timeout runs). */
  get inHead(): boolean {
    return this.#state === HEAD && this.#pendingLength > 0;
  }

  /** Between a head and the end of its body. */
  get inBody(): boolean {
    return this.#state !== HEAD && this.#state !== DEAD;
  }

  /**
   * Parses data[start..] up to the end of the next request: returns the index after it (the caller
   * keeps the rest), or data.length. Throws Http1RequestError on any violation; the parser is then dead.
   */
  push(data: Buffer, start = 0): number {
    if (this.#state === DEAD) throw this.#failure;
    try {
      return this.#consume(data, start);
    } catch (error) {
      // Also when the handler threw: our state may be half-updated, so nothing more is parsed.
      this.#state = DEAD;
      this.#failure = error;
      throw error;
    }
  }

  #consume(data: Buffer, start: number): number {
    const length = data.length;
    let i = start;
    while (i < length) {
      switch (this.#state) {
        case HEAD: {
          const next = this.#readHead(data, i);
          if (next < 0) return -next - 1; // a bodiless request ended: stop after it
          i = next;
          break;
        }
        case BODY_LENGTH: {
          const end = i + Math.min(this.#remaining, length - i);
          this.#remaining -= end - i;
          this.#handler.onRequestBody(i === 0 && end === length ? data : data.subarray(i, end));
          i = end;
          if (this.#remaining === 0) {
            this.#end();
            return i;
          }
          break;
        }
        case CHUNKED: {
          const next = this.#chunked.decode(data, i);
          if (this.#betweenRequests()) return next;
          i = next;
          break;
        }
        default:
          throw fail('HPE_INVALID_METHOD', 'unreachable parser state');
      }
    }
    return length;
  }

  #betweenRequests(): boolean {
    return this.#state === HEAD;
  }

  #end(): void {
    this.#state = HEAD;
    this.#handler.onRequestEnd();
  }

  /**
   * Finds the end of the head (CRLFCRLF) without ever holding more than maxHeadBytes. Returns the next
   * index, or -(index + 1) when the request (a bodiless one) ended there.
   */
  #readHead(data: Buffer, i: number): number {
    const max = this.#maxHeadBytes;
    if (this.#pendingLength === 0) {
      // RFC 9112 §2.2: at least one empty line before a request-line SHOULD be ignored (some clients
      // send CRLF after a POST body).
      if (this.#emptyLineCr) {
        if (data[i] !== LF) throw fail('HPE_LF_EXPECTED', 'bare CR');
        this.#emptyLineCr = false;
        i += 1;
        if (i === data.length) return i;
      }
      while (i + 1 < data.length && data[i] === CR && data[i + 1] === LF) i += 2;
      if (i === data.length) return i;
      if (i + 1 === data.length && data[i] === CR) {
        this.#emptyLineCr = true; // an empty line split across reads: its LF comes next
        return data.length;
      }
      // Common case: the whole head is in this buffer; parse it in place.
      const e = data.indexOf(CRLFCRLF, i);
      if (e !== -1 && e + 4 - i <= max) {
        this.#checkLineEnds(data, i, i, e + 2);
        const ended = this.#parseHead(data.toString('latin1', i, e + 4));
        return ended ? -(e + 4) - 1 : e + 4;
      }
      if (e !== -1 || data.length - i >= max) throw headTooLarge();
    }
    const before = this.#pendingLength;
    const taken = this.#stash(data, i, max);
    const pending = this.#pending ?? Buffer.alloc(0);
    const e = pending.subarray(0, this.#pendingLength).indexOf(CRLFCRLF, Math.max(0, before - 3));
    // Fail early on bytes that cannot be a request head, rather than when CRLFCRLF finally comes (or never);
    // bytes after the head are the next message's.
    this.#checkLineEnds(pending, 0, before, e === -1 ? this.#pendingLength : e + 4);
    if (e === -1) {
      if (this.#pendingLength >= max) throw headTooLarge();
      return i + taken;
    }
    this.#pendingLength = 0;
    const ended = this.#parseHead(pending.toString('latin1', 0, e + 4));
    const next = i + (e + 4 - before);
    return ended ? -next - 1 : next;
  }

  /** Appends data[i..] to the pending buffer, holding at most `max` bytes. Returns how many bytes were taken. */
  #stash(data: Buffer, i: number, max: number): number {
    this.#pending ??= Buffer.allocUnsafe(this.#maxHeadBytes);
    const taken = Math.min(max - this.#pendingLength, data.length - i);
    data.copy(this.#pending, this.#pendingLength, i, i + taken);
    this.#pendingLength += taken;
    return taken;
  }

  /**
   * Rejects a bare LF, a bare CR or a NUL among bytes [from, to) of a head that began at `headStart`, as soon
   * as they arrive (a CR at `to - 1` may still be followed by its LF).
   */
  #checkLineEnds(buffer: Buffer, headStart: number, from: number, to: number): void {
    for (let k = from; k < to; k += 1) {
      const c = buffer[k];
      const previous = k > headStart ? buffer[k - 1] : undefined;
      if (previous === CR && c !== LF) throw fail('HPE_LF_EXPECTED', 'bare CR');
      if (c === LF && previous !== CR) throw fail('HPE_CR_EXPECTED', 'line not ended by CRLF');
      if (c === 0) throw fail('HPE_INVALID_HEADER_TOKEN', 'NUL in the request head');
    }
  }

  /** Parses a whole head (ending with CRLFCRLF); returns whether the request ended with it (no body). */
  #parseHead(text: string): boolean {
    const lineEnd = text.indexOf('\r\n');
    const firstSpace = text.indexOf(' ');
    if (firstSpace <= 0 || firstSpace > lineEnd) throw fail('HPE_INVALID_METHOD', 'invalid method');
    for (let p = 0; p < firstSpace; p += 1) {
      if (TCHAR[text.charCodeAt(p)] !== 1) throw fail('HPE_INVALID_METHOD', 'invalid method');
    }
    const method = text.slice(0, firstSpace);
    // llhttp knows a fixed list of methods (node:http's METHODS) and refuses any other token: so do we, so
    // that the gateway refuses what it refused before and never accepts what a Node upstream would not.
    if (!KNOWN_METHODS.has(method)) throw fail('HPE_INVALID_METHOD', 'unknown method');
    const secondSpace = text.indexOf(' ', firstSpace + 1);
    if (secondSpace === -1 || secondSpace > lineEnd || secondSpace === firstSpace + 1) {
      throw fail('HPE_INVALID_URL', 'invalid request target');
    }
    // request-target (§3.2): visible ASCII only; the handlers accept origin-form alone (request-authority.ts).
    for (let p = firstSpace + 1; p < secondSpace; p += 1) {
      const c = text.charCodeAt(p);
      if (c <= SP || c >= 0x7f) throw fail('HPE_INVALID_URL', 'invalid request target');
    }
    const target = text.slice(firstSpace + 1, secondSpace);
    const version = text.slice(secondSpace + 1, lineEnd);
    if (version !== 'HTTP/1.1' && version !== 'HTTP/1.0') throw fail('HPE_INVALID_VERSION', 'unsupported version');
    const http10 = version === 'HTTP/1.0';
    const rawHeaders: string[] = [];
    const headers = Object.create(null) as Record<string, string | string[]>;
    this.#parseFields(text, lineEnd + 2, text.length - 2, rawHeaders, headers);
    return this.#frame(method, target, http10, rawHeaders, headers);
  }

  /** Message body framing, RFC 9112 §6.3 for requests (items 3, 4, 5 and 7). Reports the head. */
  #frame(method: string, target: string, http10: boolean, rawHeaders: string[], headers: IncomingHttpHeaders): boolean {
    const contentLength = headers['content-length'];
    const transferEncoding = headers['transfer-encoding'];
    let body: RequestHead['body'] = 'none';
    let length = 0;
    if (transferEncoding !== undefined) {
      // §6.3 item 3: a sender of both may be attempting request smuggling; §6.1: HTTP/1.0 has no chunked.
      if (contentLength !== undefined || http10) {
        throw fail('HPE_INVALID_TRANSFER_ENCODING', 'Transfer-Encoding with Content-Length or in HTTP/1.0');
      }
      // §6.3 item 4: chunked must be the final coding; we decode no other, so it must be the only one.
      if (!isExactlyChunked(transferEncoding)) throw fail('HPE_INVALID_TRANSFER_ENCODING', 'only chunked is accepted');
      body = 'chunked';
    } else if (contentLength !== undefined) {
      length = parseContentLength(contentLength);
      if (length > 0) body = 'length';
    }
    const connection = headers.connection;
    const keepAlive = http10 ? hasToken(connection, 'keep-alive') : !hasToken(connection, 'close');
    const expect = headers.expect;
    const expectContinue = !http10 && typeof expect === 'string' && expect.toLowerCase() === '100-continue';
    const head: RequestHead = {
      method,
      target,
      http10,
      rawHeaders,
      headers,
      keepAlive,
      expectContinue,
      body,
      contentLength: length,
    };
    if (body === 'chunked') {
      this.#state = CHUNKED;
      this.#chunked.reset();
    } else if (body === 'length') {
      this.#state = BODY_LENGTH;
      this.#remaining = length;
    }
    this.#handler.onRequestHead(head);
    if (body !== 'none') return false;
    this.#end();
    return true;
  }

  /**
   * Field lines in text[p, stop), each ending with CRLF. Stores them in rawHeaders and headers, or, for
   * trailers (headers undefined), only validates them.
   */
  #parseFields(
    text: string,
    p: number,
    stop: number,
    rawHeaders: string[] | undefined,
    headers: Record<string, string | string[]> | undefined,
  ): void {
    let count = 0;
    while (p < stop) {
      count += 1;
      if (count > this.#maxHeaderCount) throw fail('HPE_HEADER_OVERFLOW', `more than ${this.#maxHeaderCount} fields`);
      let c = text.charCodeAt(p);
      if (c === SP || c === HTAB) throw fail('HPE_INVALID_HEADER_TOKEN', 'line folding (RFC 9112 §5.2)');
      const nameStart = p;
      let upper = false;
      while (TCHAR[c] === 1) {
        if (c <= 0x5a && c >= 0x41) upper = true;
        p += 1;
        c = text.charCodeAt(p);
      }
      // No whitespace between name and colon (§5.1), no empty name, no CTL.
      if (c !== COLON || p === nameStart) throw fail('HPE_INVALID_HEADER_TOKEN', 'invalid field name');
      const nameEnd = p;
      p += 1;
      c = text.charCodeAt(p);
      while (c === SP || c === HTAB) {
        p += 1;
        c = text.charCodeAt(p);
      }
      const valueStart = p;
      let valueEnd = p;
      while (c !== CR) {
        if (!isFieldValueChar(c)) throw fail('HPE_INVALID_HEADER_TOKEN', 'invalid character in field value');
        p += 1;
        if (c !== SP && c !== HTAB) valueEnd = p;
        c = text.charCodeAt(p);
      }
      const raw = text.slice(nameStart, nameEnd);
      const name = upper ? raw.toLowerCase() : raw;
      if (valueEnd !== p && isFramingField(name) && text.lastIndexOf('\t', p) >= valueEnd) {
        // llhttp ends these values at a trailing SP but not at a trailing HTAB: refuse rather than frame unlike it.
        throw fail(framingCode(name), 'trailing HTAB in a framing field');
      }
      p += 2;
      if (headers === undefined || rawHeaders === undefined) {
        // RFC 9110 §6.5.1: framing fields are not allowed in trailers (llhttp refuses a Content-Length there).
        if (isFramingField(name)) throw fail(framingCode(name), `${name} in the trailer section`);
        continue;
      }
      const value = text.slice(valueStart, valueEnd);
      rawHeaders.push(raw, value);
      const previous = headers[name];
      if (previous === undefined) {
        headers[name] = name === 'set-cookie' ? [value] : value;
        continue;
      }
      // Repeated framing fields are never merged: two Content-Length (even equal) or two Transfer-Encoding.
      if (name === 'content-length') throw fail('HPE_UNEXPECTED_CONTENT_LENGTH', 'more than one Content-Length');
      if (name === 'transfer-encoding') {
        throw fail('HPE_INVALID_TRANSFER_ENCODING', 'more than one Transfer-Encoding field');
      }
      if (FIRST_ONLY.has(name)) continue;
      if (typeof previous !== 'string') previous.push(value);
      else headers[name] = `${previous}${name === 'cookie' ? '; ' : ', '}${value}`;
    }
  }
}

function fail(code: Http1RequestErrorCode, detail: string): Http1RequestError {
  return new Http1RequestError(code, detail);
}

function headTooLarge(): Http1RequestError {
  return fail('HPE_HEADER_OVERFLOW', 'request head over the size limit');
}

/** A chunked body's refusals, with the llhttp codes Node's parser reports for them. */
function chunkedRefusal(reason: ChunkedRefusal, detail: string): Http1RequestError {
  if (reason === 'chunk-extension-too-large') return fail('HPE_CHUNK_EXTENSIONS_OVERFLOW', detail);
  if (reason === 'trailer-section-too-large') return headTooLarge();
  return fail('HPE_INVALID_CHUNK_SIZE', detail);
}

function isFramingField(lowercaseName: string): boolean {
  return lowercaseName === 'content-length' || lowercaseName === 'transfer-encoding';
}

function framingCode(lowercaseName: string): Http1RequestErrorCode {
  return lowercaseName === 'content-length' ? 'HPE_INVALID_CONTENT_LENGTH' : 'HPE_INVALID_TRANSFER_ENCODING';
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** Content-Length = 1*DIGIT (RFC 9110 §8.6); a repeated field was already refused. */
function parseContentLength(value: string | string[]): number {
  const digits = typeof value === 'string' ? value : '';
  if (digits.length === 0 || digits.length > MAX_CONTENT_LENGTH_DIGITS) {
    throw fail('HPE_INVALID_CONTENT_LENGTH', 'Content-Length must be 1 to 15 digits');
  }
  for (let k = 0; k < digits.length; k += 1) {
    if (!isDigit(digits.charCodeAt(k))) throw fail('HPE_INVALID_CONTENT_LENGTH', 'Content-Length must be digits');
  }
  return Number(digits);
}

/** The Transfer-Encoding value (one field, already trimmed of OWS) is exactly `chunked`, in any case. */
function isExactlyChunked(value: string | string[]): boolean {
  return typeof value === 'string' && value.length === 7 && value.toLowerCase() === 'chunked';
}

/** Whether a Connection value lists `token` (RFC 9110 §7.6.1; compared case-insensitively). */
function hasToken(value: string | string[] | undefined, token: string): boolean {
  if (value === undefined) return false;
  const text = typeof value === 'string' ? value : value.join(',');
  if (text.length === token.length) return text.toLowerCase() === token;
  for (const element of text.split(',')) {
    if (trimOws(element).toLowerCase() === token) return true;
  }
  return false;
}

/** Strips OWS (SP / HTAB) only: String.prototype.trim() would also strip U+00A0, which here is obs-text. */
function trimOws(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && (text.charCodeAt(start) === SP || text.charCodeAt(start) === HTAB)) start += 1;
  while (end > start && (text.charCodeAt(end - 1) === SP || text.charCodeAt(end - 1) === HTAB)) end -= 1;
  return start === 0 && end === text.length ? text : text.slice(start, end);
}
