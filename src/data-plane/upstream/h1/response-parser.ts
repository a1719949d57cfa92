/**
 * A strict, incremental HTTP/1.1 response parser for pooled upstream connections (RFC 9112).
 *
 * A keep-alive connection carries the exchanges of many clients one after another, so a response framed differently
 * from how the upstream meant it would hand one client the bytes of another (response splitting / desync). Hence:
 * anything ambiguous is rejected with an Http1ParseError and the caller discards the connection. Everything we accept
 * is also accepted, and framed identically, by Node's llhttp (test/upstream-h1/h1-response-parser-llhttp.test.ts checks it).
 *
 * Back-to-back responses: when a response ends inside a push(), onResponseEnd runs with the parser already idle. If
 * the handler calls expect() from onResponseEnd, the rest of that buffer is parsed as the next response; otherwise any
 * remaining byte throws 'unexpected-data' (after onResponseEnd returned, so the finished response stands).
 * After a head with keepAlive false (HTTP/1.0, a close token, a close-delimited body) the connection is finished:
 * expect() throws a plain Error (a caller bug), and a byte after an interim head of that kind is 'unexpected-data'.
 */
import { ChunkedBodyDecoder, type ChunkedRefusal } from './chunked-body-decoder.ts';
import { isFieldValueChar, TCHAR } from './field-syntax.ts';
import { isHopByHop } from '../hop-by-hop.ts';

export type ResponseHeaders = Record<string, string | string[]>;

export interface ResponseParserHandler {
  /**
   * A complete response head. Interim 1xx heads (100, 102, 103) are reported too (status < 200) and the parser
   * then expects the next head; a final head (>= 200) is followed by zero or more onResponseBody calls and one
   * onResponseEnd. `keepAlive`: the connection may carry another exchange after this response (HTTP/1.1 without a
   * `close` token in Connection, and a body framed by length or chunked; always false for HTTP/1.0 and for
   * close-delimited bodies). `keepAliveHintMs`: the `timeout=N` parameter of a Keep-Alive header, in ms, or -1.
   * `fieldLines`: the head's end-to-end field lines exactly as received and validated, for a relay that writes them
   * on as bytes: each ending with CRLF, latin1-decoded (one char per byte), in their order, without the status line,
   * the final empty line and the lines of hop-by-hop fields (hop-by-hop.ts; the names Connection lists are the
   * relay's to drop, relayed-field-lines.ts).
   */
  onResponseHead(
    status: number,
    headers: ResponseHeaders,
    keepAlive: boolean,
    keepAliveHintMs: number,
    fieldLines: string,
  ): void;
  /** Body bytes (de-chunked). `chunk` may be a subarray of the Buffer passed to push(). */
  onResponseBody(chunk: Buffer): void;
  /** The final response is complete (trailers of a chunked body are parsed, validated and dropped). */
  onResponseEnd(): void;
}

export type Http1ParseErrorReason =
  | 'bad-status-line'
  | 'bad-header'
  | 'head-too-large'
  | 'too-many-headers'
  | 'obs-fold'
  | 'bad-content-length'
  | 'conflicting-framing'
  | 'unsupported-transfer-coding'
  | 'bad-chunk'
  | 'chunk-extension-too-large'
  | 'switching-protocols'
  | 'unexpected-data'
  | 'truncated';

export class Http1ParseError extends Error {
  readonly reason: Http1ParseErrorReason;

  constructor(reason: Http1ParseErrorReason, detail: string) {
    // A hostile upstream can make us throw at will: skip the stack capture, it says nothing about the peer.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(`upstream HTTP/1.1 response rejected (${reason}): ${detail}`);
    Error.stackTraceLimit = limit;
    this.name = 'Http1ParseError';
    this.reason = reason;
  }
}

export interface ResponseParserLimits {
  readonly maxHeadBytes: number; // status line + all header lines (also bounds the trailer section)
  readonly maxHeaderCount: number;
}

const DEFAULT_LIMITS: ResponseParserLimits = { maxHeadBytes: 16 * 1024, maxHeaderCount: 200 };

const MAX_CONTENT_LENGTH_DIGITS = 15; // < 2^53, so Number() is exact

const HTAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const COLON = 0x3a;
const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');

// States. `#state` is typed number so that TypeScript does not narrow it across handler callbacks, which may call
// expect() and change it.
const IDLE = 0; // no exchange expected: any byte is a violation
const HEAD = 1; // reading a status line and header section (also after an interim 1xx head)
const BODY_LENGTH = 2; // Content-Length body, #remaining bytes left
const BODY_CLOSE = 3; // close-delimited body, ended by finish()
const CHUNKED = 4; // a chunked body, read by #chunked (chunked-body-decoder.ts)
const DEAD = 5; // a violation was thrown: every call throws it again

export class Http1ResponseParser {
  readonly #handler: ResponseParserHandler;
  readonly #maxHeadBytes: number;
  readonly #maxHeaderCount: number;
  #state: number = IDLE;
  #failure: unknown = undefined;
  #headRequest = false;
  // A head said the connection ends after its message (keepAlive false): no later byte or exchange is acceptable.
  #closing = false;
  #connectRequest = false;
  #remaining = 0;
  // Bytes of a head split across pushes; allocated on first need, then reused.
  #pending: Buffer | undefined = undefined;
  #pendingLength = 0;
  readonly #chunked: ChunkedBodyDecoder;

  constructor(handler: ResponseParserHandler, limits?: Partial<ResponseParserLimits>) {
    this.#handler = handler;
    this.#maxHeadBytes = limits?.maxHeadBytes ?? DEFAULT_LIMITS.maxHeadBytes;
    this.#maxHeaderCount = limits?.maxHeaderCount ?? DEFAULT_LIMITS.maxHeaderCount;
    this.#chunked = new ChunkedBodyDecoder(
      {
        onChunkData: (chunk) => this.#handler.onResponseBody(chunk),
        onChunkedEnd: () => this.#end(),
        checkTrailerBytes: checkTrailerLineEnds,
        validateTrailerFields: (text) => {
          this.#parseFields(text, 0, text.length, undefined);
        },
        refusal: chunkedRefusal,
      },
      this.#maxHeadBytes, // the trailer section is capped like a head
    );
  }

  /** True between expect() and onResponseEnd(). */
  get busy(): boolean {
    return this.#state !== IDLE && this.#state !== DEAD;
  }

  /** Prepares for the response to a request with this method (HEAD: the response has no body, RFC 9112 §6.3). */
  expect(requestMethod: string): void {
    if (this.#state === DEAD) throw this.#failure;
    if (this.#state !== IDLE) throw new Error('expect() called while a response is still in progress');
    if (this.#closing)
      throw new Error('expect() after a response with keepAlive false: the connection is not reusable');
    // Methods are case-sensitive (RFC 9110 §9.1).
    this.#headRequest = requestMethod === 'HEAD';
    this.#connectRequest = requestMethod === 'CONNECT';
    this.#state = HEAD;
  }

  /** Feeds bytes read from the socket. Throws Http1ParseError on any violation; the parser is then dead. */
  push(data: Buffer): void {
    if (this.#state === DEAD) throw this.#failure;
    try {
      this.#consume(data);
    } catch (error) {
      // Also when the handler threw: our state may be half-updated, so the connection must not be reused.
      this.#state = DEAD;
      this.#failure = error;
      throw error;
    }
  }

  /** The upstream closed the connection: ends a close-delimited body, or throws 'truncated' if a response is incomplete. */
  finish(): void {
    const state = this.#state;
    if (state === DEAD) throw this.#failure;
    if (state === IDLE) return;
    if (state === BODY_CLOSE) {
      this.#state = IDLE;
      this.#handler.onResponseEnd();
      return;
    }
    this.#state = DEAD;
    this.#failure = new Http1ParseError(
      'truncated',
      state === HEAD ? 'connection closed before a complete response head' : 'connection closed inside the body',
    );
    throw this.#failure;
  }

  #consume(data: Buffer): void {
    const length = data.length;
    let i = 0;
    while (i < length) {
      switch (this.#state) {
        case HEAD:
          i = this.#readHead(data, i);
          break;
        case BODY_LENGTH: {
          const end = i + Math.min(this.#remaining, length - i);
          this.#remaining -= end - i;
          this.#handler.onResponseBody(i === 0 && end === length ? data : data.subarray(i, end));
          i = end;
          if (this.#remaining === 0) this.#end();
          break;
        }
        case BODY_CLOSE:
          this.#handler.onResponseBody(i === 0 ? data : data.subarray(i));
          i = length;
          break;
        case CHUNKED:
          i = this.#chunked.decode(data, i);
          break;
        default:
          throw fail('unexpected-data', 'bytes received while no response was expected');
      }
    }
  }

  #end(): void {
    // Idle before the callback, so that onResponseEnd may expect() the next exchange.
    this.#state = IDLE;
    this.#handler.onResponseEnd();
  }

  /** Finds the end of the head (CRLFCRLF) without ever holding more than maxHeadBytes. Returns the next index. */
  #readHead(data: Buffer, i: number): number {
    // Like llhttp (HPE_CLOSED_CONNECTION): after an interim head with keepAlive false nothing may follow.
    if (this.#closing) throw fail('unexpected-data', 'data after a head that closes the connection');
    const max = this.#maxHeadBytes;
    if (this.#pendingLength === 0) {
      // Common case: the whole head is in this buffer; parse it in place.
      const e = data.indexOf(CRLFCRLF, i);
      if (e !== -1 && e + 4 - i <= max) {
        this.#parseHead(data, i, e + 4);
        return e + 4;
      }
      if (e !== -1 || data.length - i >= max) throw headTooLarge('head');
    }
    const before = this.#pendingLength;
    const taken = this.#stash(data, i, max);
    const pending = this.#pending ?? Buffer.alloc(0);
    // Fail early on a peer that does not speak HTTP/1.x at all, instead of waiting for maxHeadBytes.
    if (!startsLikeStatusLine(pending, this.#pendingLength)) throw fail('bad-status-line', 'not an HTTP/1.x response');
    checkLineEnds(pending, before, this.#pendingLength);
    const e = pending.subarray(0, this.#pendingLength).indexOf(CRLFCRLF, Math.max(0, before - 3));
    if (e === -1) {
      if (this.#pendingLength >= max) throw headTooLarge('head');
      return i + taken;
    }
    this.#pendingLength = 0;
    this.#parseHead(pending, 0, e + 4);
    return i + (e + 4 - before);
  }

  /** Appends data[i..] to the pending buffer, holding at most `max` bytes. Returns how many bytes were taken. */
  #stash(data: Buffer, i: number, max: number): number {
    this.#pending ??= Buffer.allocUnsafe(this.#maxHeadBytes);
    const taken = Math.min(max - this.#pendingLength, data.length - i);
    data.copy(this.#pending, this.#pendingLength, i, i + taken);
    this.#pendingLength += taken;
    return taken;
  }

  #parseHead(buffer: Buffer, start: number, end: number): void {
    // One latin1 decode; every octet maps to one char code, so obs-text survives and checks are charCode loops.
    const text = buffer.toString('latin1', start, end);
    const http10 = parseStatusLinePrefix(text);
    const status = (text.charCodeAt(9) - 0x30) * 100 + (text.charCodeAt(10) - 0x30) * 10 + text.charCodeAt(11) - 0x30;
    let p = 12;
    if (text.charCodeAt(p) === SP) {
      // reason-phrase = 1*( HTAB / SP / VCHAR / obs-text ) (RFC 9112 §4)
      p += 1;
      while (isFieldValueChar(text.charCodeAt(p))) p += 1;
    }
    if (text.charCodeAt(p) !== CR || text.charCodeAt(p + 1) !== LF) throw fail('bad-status-line', 'bad status line');
    const headers = Object.create(null) as ResponseHeaders; // null prototype: "__proto__" is a valid field name
    const fieldLines = this.#parseFields(text, p + 2, text.length - 2, headers);
    this.#frame(status, http10, headers, fieldLines);
  }

  /** Message body framing, RFC 9112 §6.3, in its order. Sets the next state, then reports the head. */
  #frame(status: number, http10: boolean, headers: ResponseHeaders, fieldLines: string): void {
    if (status === 101) throw fail('switching-protocols', '101 Switching Protocols was never requested');
    // A 2xx to CONNECT turns the connection into a tunnel (RFC 9110 §9.3.6); we never tunnel to an upstream.
    if (this.#connectRequest && status >= 200 && status < 300) throw fail('switching-protocols', 'CONNECT tunnel');
    const contentLength = headers['content-length'];
    const transferEncoding = headers['transfer-encoding'];
    const length = contentLength === undefined ? -1 : parseContentLength(contentLength);
    if (transferEncoding !== undefined) {
      // §6.3 item 3: a sender of both may be attempting request smuggling or response splitting.
      if (contentLength !== undefined) throw fail('conflicting-framing', 'both Transfer-Encoding and Content-Length');
      // §6.1: a 1.0 recipient does not understand chunked, so an HTTP/1.0 message using it is not trustworthy.
      if (http10) throw fail('unsupported-transfer-coding', 'Transfer-Encoding in an HTTP/1.0 response');
    }
    // Proxy-Connection too: llhttp honours its close token, and we must never reuse a connection it would not.
    const keepAlive = !http10 && !hasCloseToken(headers.connection) && !hasCloseToken(headers['proxy-connection']);
    if (!keepAlive) this.#closing = true;
    const hintMs = keepAliveHintMs(headers['keep-alive']);
    const handler = this.#handler;
    if (status < 200) {
      // Interim response: no body, the final head follows (RFC 9110 §15.2). #state stays HEAD.
      handler.onResponseHead(status, headers, keepAlive, hintMs, fieldLines);
    } else if (this.#headRequest || status === 204 || status === 304) {
      // §6.3 item 1: no body whatever the framing fields say (they describe the would-be GET response).
      handler.onResponseHead(status, headers, keepAlive, hintMs, fieldLines);
      this.#end();
    } else if (transferEncoding !== undefined) {
      // §6.3 item 4: chunked must be the final coding; we decode no other, so it must be the only one.
      if (!isExactlyChunked(transferEncoding)) throw fail('unsupported-transfer-coding', 'only chunked is supported');
      this.#state = CHUNKED;
      this.#chunked.reset();
      handler.onResponseHead(status, headers, keepAlive, hintMs, fieldLines);
    } else if (length >= 0) {
      this.#state = BODY_LENGTH;
      this.#remaining = length;
      handler.onResponseHead(status, headers, keepAlive, hintMs, fieldLines);
      if (length === 0) this.#end();
    } else {
      // §6.3 item 8: the body runs until the connection closes, so the connection cannot be reused.
      this.#closing = true;
      this.#state = BODY_CLOSE;
      handler.onResponseHead(status, headers, false, hintMs, fieldLines);
    }
  }

  /**
   * Field lines (RFC 9112 §5) in text[p, stop), each ending with CRLF. Stores them in `headers` (lowercase names,
   * repeated names as arrays in order) and returns the end-to-end ones as they came (onResponseHead's fieldLines),
   * or, for trailers (headers undefined), only validates them.
   */
  #parseFields(text: string, p: number, stop: number, headers: ResponseHeaders | undefined): string {
    let count = 0;
    // The end-to-end lines (onResponseHead's fieldLines): slices of `text` (V8 shares its characters), the runs
    // between hop-by-hop lines; `relayFrom` is where the run not yet appended to `relay` starts.
    const start = p;
    let relay = '';
    let relayFrom = p;
    while (p < stop) {
      count += 1;
      if (count > this.#maxHeaderCount) throw fail('too-many-headers', `more than ${this.#maxHeaderCount} fields`);
      let c = text.charCodeAt(p);
      if (c === SP || c === HTAB) throw fail('obs-fold', 'line folding (RFC 9112 §5.2)');
      const nameStart = p;
      let upper = false;
      while (TCHAR[c] === 1) {
        if (c <= 0x5a && c >= 0x41) upper = true;
        p += 1;
        c = text.charCodeAt(p);
      }
      // No whitespace between name and colon (§5.1), no empty name, no CTL, no bare CR/LF.
      if (c !== COLON || p === nameStart) throw fail('bad-header', 'invalid field name');
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
        if (!isFieldValueChar(c)) throw fail('bad-header', 'invalid character in field value');
        p += 1;
        if (c !== SP && c !== HTAB) valueEnd = p;
        c = text.charCodeAt(p);
      }
      if (text.charCodeAt(p + 1) !== LF) throw fail('bad-header', 'bare CR in field line');
      const raw = text.slice(nameStart, nameEnd);
      const name = upper ? raw.toLowerCase() : raw;
      if (valueEnd !== p && isFramingField(name) && text.lastIndexOf('\t', p) >= valueEnd) {
        // llhttp ends these values at a trailing SP but not at a trailing HTAB ("5\t" is invalid, "chunked\t" is not
        // chunked): reject rather than frame the body unlike it.
        throw framingFieldError(name, 'trailing HTAB');
      }
      p += 2;
      if (headers === undefined) {
        // RFC 9110 §6.5.1: framing fields are not allowed in trailers (and llhttp rejects a Content-Length there).
        if (isFramingField(name)) throw fail('conflicting-framing', `${name} in the trailer section`);
        continue;
      }
      if (isHopByHop(name)) {
        relay += text.slice(relayFrom, nameStart);
        relayFrom = p;
      }
      const value = text.slice(valueStart, valueEnd);
      const previous = headers[name];
      if (previous === undefined) headers[name] = value;
      else if (typeof previous === 'string') headers[name] = [previous, value];
      else previous.push(value);
    }
    return relayFrom === start ? text.slice(start, stop) : relay + text.slice(relayFrom, stop);
  }
}

function fail(reason: Http1ParseErrorReason, detail: string): Http1ParseError {
  return new Http1ParseError(reason, detail);
}

function isFramingField(lowercaseName: string): boolean {
  return lowercaseName === 'content-length' || lowercaseName === 'transfer-encoding';
}

function framingFieldError(lowercaseName: string, detail: string): Http1ParseError {
  return lowercaseName === 'content-length'
    ? fail('bad-content-length', detail)
    : fail('unsupported-transfer-coding', detail);
}

function headTooLarge(what: string): Http1ParseError {
  return fail('head-too-large', `${what} exceeds the size limit`);
}

/** A chunked body's refusals, as this parser has always reported them. */
function chunkedRefusal(reason: ChunkedRefusal, detail: string): Http1ParseError {
  if (reason === 'chunk-extension-too-large') return fail('chunk-extension-too-large', detail);
  if (reason === 'trailer-section-too-large') return headTooLarge('trailer section');
  return fail('bad-chunk', detail);
}

/** A bare CR or LF in a trailer section, refused as it arrives. */
function checkTrailerLineEnds(buffer: Buffer, sectionStart: number, from: number, to: number): void {
  for (let k = from; k < to; k += 1) {
    const c = buffer[k];
    const previous = k > sectionStart ? buffer[k - 1] : undefined;
    if ((c === LF && previous !== CR) || (previous === CR && c !== LF))
      throw fail('bad-header', 'line not ended by CRLF');
  }
}

/**
 * In a head or trailer section being buffered across pushes, rejects a bare LF or bare CR among the bytes added at
 * [from, to) as soon as it arrives, rather than when CRLFCRLF finally shows up (or never does).
 */
function checkLineEnds(pending: Buffer, from: number, to: number): void {
  for (let k = from; k < to; k += 1) {
    const c = pending[k];
    const previous = k > 0 ? pending[k - 1] : undefined;
    if ((c === LF && previous !== CR) || (previous === CR && c !== LF)) {
      // Only on failure: was it inside the status line (before the first CRLF)?
      const inStatusLine = pending.subarray(0, k).indexOf('\r\n', 0, 'latin1') === -1;
      throw fail(inStatusLine ? 'bad-status-line' : 'bad-header', 'line not ended by CRLF');
    }
  }
}

/** The first bytes of a head so far could still be `HTTP/1.1 ` or `HTTP/1.0 `. */
function startsLikeStatusLine(buffer: Buffer, length: number): boolean {
  const prefix = 'HTTP/1.';
  const n = Math.min(length, 9);
  for (let k = 0; k < n; k += 1) {
    const c = buffer[k];
    if (k < 7 ? c !== prefix.charCodeAt(k) : k === 7 ? c !== 0x30 && c !== 0x31 : c !== SP) return false;
  }
  return true;
}

/** HTTP-version SP 3DIGIT (RFC 9112 §2.3, §4): exactly HTTP/1.1 or HTTP/1.0, status 100-599. Returns "is 1.0". */
function parseStatusLinePrefix(text: string): boolean {
  if (!text.startsWith('HTTP/1.') || text.charCodeAt(8) !== SP) throw fail('bad-status-line', 'bad HTTP version');
  const minor = text.charCodeAt(7);
  if (minor !== 0x30 && minor !== 0x31) throw fail('bad-status-line', 'unsupported HTTP version');
  const d0 = text.charCodeAt(9);
  if (d0 < 0x31 || d0 > 0x35 || !isDigit(text.charCodeAt(10)) || !isDigit(text.charCodeAt(11))) {
    throw fail('bad-status-line', 'status code must be three digits from 100 to 599');
  }
  return minor === 0x30;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** Content-Length = 1*DIGIT; a list or repeated field is accepted only if all values are identical (RFC 9110 §8.6). */
function parseContentLength(value: string | string[]): number {
  // RFC 9110 §8.6 lets a recipient accept identical repeated values; llhttp refuses any repetition, and so do we:
  // one field, one value, so the two parsers never disagree.
  if (typeof value !== 'string') throw fail('bad-content-length', 'repeated Content-Length');
  const digits = trimOws(value);
  if (digits.length === 0 || digits.length > MAX_CONTENT_LENGTH_DIGITS) {
    throw fail('bad-content-length', 'Content-Length must be 1 to 15 digits');
  }
  for (let k = 0; k < digits.length; k += 1) {
    if (!isDigit(digits.charCodeAt(k))) throw fail('bad-content-length', 'Content-Length must be digits only');
  }
  return Number(digits);
}

/** The Transfer-Encoding list (all fields, comma-joined) is exactly one element, `chunked` in any case. */
function isExactlyChunked(value: string | string[]): boolean {
  const text = typeof value === 'string' ? value : value.join(',');
  return text.indexOf(',') === -1 && trimOws(text).toLowerCase() === 'chunked';
}

/** RFC 9112 §9.3: `close` in Connection means this is the last response on the connection. */
function hasCloseToken(value: string | string[] | undefined): boolean {
  if (value === undefined) return false;
  // One token, the common case: no list to split.
  if (typeof value === 'string' && value.indexOf(',') === -1) return trimOws(value).toLowerCase() === 'close';
  const text = typeof value === 'string' ? value : value.join(',');
  for (const element of text.split(',')) {
    if (trimOws(element).toLowerCase() === 'close') return true;
  }
  return false;
}

/** `timeout=N` of Keep-Alive (RFC 2068 §19.7.1.1, not standardised since): the upstream's idle timeout, in ms. */
function keepAliveHintMs(value: string | string[] | undefined): number {
  if (value === undefined) return -1;
  const text = typeof value === 'string' ? value : value.join(',');
  for (const element of text.split(',')) {
    const eq = element.indexOf('=');
    if (eq === -1 || trimOws(element.slice(0, eq)).toLowerCase() !== 'timeout') continue;
    const seconds = trimOws(element.slice(eq + 1));
    if (seconds.length === 0 || seconds.length > 9) return -1;
    for (let k = 0; k < seconds.length; k += 1) if (!isDigit(seconds.charCodeAt(k))) return -1;
    return Number(seconds) * 1000;
  }
  return -1;
}

/**
 * Strips OWS (SP / HTAB) only. String.prototype.trim() would also strip U+00A0, which here is obs-text: trimming it
 * would read `chunked\xA0` as `chunked`, where llhttp would not, and that is a desync.
 */
function trimOws(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && isOws(text.charCodeAt(start))) start += 1;
  while (end > start && isOws(text.charCodeAt(end - 1))) end -= 1;
  return start === 0 && end === text.length ? text : text.slice(start, end);
}

function isOws(c: number): boolean {
  return c === SP || c === HTAB;
}
