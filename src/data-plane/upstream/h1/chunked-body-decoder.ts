/**
 * The chunked transfer coding (RFC 9112 §7.1), decoded incrementally: one decoder for both directions, the client's
 * request bodies (listeners/h1/request-parser.ts) and the upstream's response bodies (response-parser.ts), so that
 * the two parsers frame a chunked body by the same rules and refuse the same things.
 *
 *   chunked-body   = *chunk last-chunk trailer-section CRLF
 *   chunk          = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
 *   last-chunk     = 1*("0") [ chunk-ext ] CRLF
 *
 * Limits: a chunk size of at most 16 hex digits (and at most 2^53 - 1), extensions of at most 4096 bytes per line
 * (like Node's fix for CVE-2024-22019, so a chunk-size line is never buffered beyond MAX_CHUNK_LINE bytes), and a
 * trailer section no larger than the caller's head limit. Trailers are validated and dropped (§7.1.2).
 *
 * The field-line grammar is the parser's own (its head uses it too): the decoder hands it the trailer section to
 * validate, and asks it for the error to throw for each refusal, so that each side keeps its codes.
 */
import { isFieldValueChar, TCHAR } from './field-syntax.ts';

/** Why a chunked body was refused; the parser maps each to its own error. */
export type ChunkedRefusal =
  | 'bad-chunk-size' // not 1-16 hex digits, or over 2^53 - 1
  | 'bad-chunk-line' // a chunk-size line not ended by CRLF
  | 'bad-chunk-data-end' // chunk data not followed by CRLF
  | 'bad-chunk-extension' // not *( ";" token [ "=" ( token / quoted-string ) ] )
  | 'chunk-extension-too-large'
  | 'trailer-section-too-large';

export interface ChunkedBodyHandler {
  /** De-chunked body bytes; may be a subarray of the Buffer given to decode(). */
  onChunkData(chunk: Buffer): void;
  /** The body ended (last chunk and trailer section read). The decoder is ready for another body after reset(). */
  onChunkedEnd(): void;
  /**
   * Bytes [from, to) of a trailer section that starts at `sectionStart` in `buffer` have arrived: lets the parser
   * refuse a bare CR, a bare LF (or a NUL) as soon as it comes rather than when the section ends.
   */
  checkTrailerBytes(buffer: Buffer, sectionStart: number, from: number, to: number): void;
  /** The field lines of a complete trailer section (each ending with CRLF; empty for none), to validate. */
  validateTrailerFields(text: string): void;
  /** The error to throw for a refusal. */
  refusal(reason: ChunkedRefusal, detail: string): Error;
}

const MAX_CHUNK_SIZE_DIGITS = 16;
export const MAX_CHUNK_EXT_BYTES = 4096;
const MAX_CHUNK_LINE = MAX_CHUNK_SIZE_DIGITS + MAX_CHUNK_EXT_BYTES + 2;

const LF = 0x0a;
const CR = 0x0d;
const DQUOTE = 0x22;
const SEMI = 0x3b;
const EQUALS = 0x3d;
const BACKSLASH = 0x5c;
const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');

// States; typed number so that TypeScript does not narrow #state across handler callbacks.
const CHUNK_LINE = 0; // reading a chunk-size line
const CHUNK_DATA = 1; // chunk data, #remaining bytes left
const CHUNK_DATA_CR = 2; // the CR after chunk data
const CHUNK_DATA_LF = 3; // the LF after chunk data
const TRAILERS = 4; // the trailer section after the last chunk
const DONE = 5;

export class ChunkedBodyDecoder {
  readonly #handler: ChunkedBodyHandler;
  readonly #maxTrailerBytes: number;
  #state: number = DONE;
  #remaining = 0;
  // A chunk-size line or trailer section split across decode() calls; allocated on first need, then reused.
  #pending: Buffer | undefined = undefined;
  #pendingLength = 0;

  /** `maxTrailerBytes`: the trailer section's cap (the parser's head limit). */
  constructor(handler: ChunkedBodyHandler, maxTrailerBytes: number) {
    this.#handler = handler;
    this.#maxTrailerBytes = maxTrailerBytes;
  }

  /** Starts a new chunked body. */
  reset(): void {
    this.#state = CHUNK_LINE;
    this.#remaining = 0;
    this.#pendingLength = 0;
  }

  /** Some bytes of the body are still expected. */
  get decoding(): boolean {
    return this.#state !== DONE;
  }

  /**
   * Decodes data[i..] up to the end of the body: returns the index after its last byte (onChunkedEnd has run), or
   * data.length. Throws the handler's refusal on any violation; the caller must not decode with it again until reset().
   */
  decode(data: Buffer, i: number): number {
    const length = data.length;
    while (i < length) {
      switch (this.#state) {
        case CHUNK_LINE:
          i = this.#readChunkLine(data, i);
          break;
        case CHUNK_DATA: {
          const end = i + Math.min(this.#remaining, length - i);
          this.#remaining -= end - i;
          if (this.#remaining === 0) this.#state = CHUNK_DATA_CR;
          this.#handler.onChunkData(i === 0 && end === length ? data : data.subarray(i, end));
          i = end;
          break;
        }
        case CHUNK_DATA_CR:
        case CHUNK_DATA_LF: {
          // §7.1: chunk data is followed by exactly CRLF.
          const cr = this.#state === CHUNK_DATA_CR;
          if (data[i] !== (cr ? CR : LF)) throw this.#refuse('bad-chunk-data-end', 'chunk data not followed by CRLF');
          this.#state = cr ? CHUNK_DATA_LF : CHUNK_LINE;
          i += 1;
          break;
        }
        case TRAILERS: {
          const next = this.#readTrailers(data, i);
          if (!this.decoding) return next;
          i = next;
          break;
        }
        default:
          return i; // DONE: the bytes are not this body's
      }
    }
    return length;
  }

  #refuse(reason: ChunkedRefusal, detail: string): Error {
    this.#state = DONE;
    return this.#handler.refusal(reason, detail);
  }

  #end(): void {
    this.#state = DONE;
    this.#handler.onChunkedEnd();
  }

  #pendingBuffer(): Buffer {
    this.#pending ??= Buffer.allocUnsafe(Math.max(this.#maxTrailerBytes + 2, MAX_CHUNK_LINE));
    return this.#pending;
  }

  /** Appends data[i..] to the pending buffer, holding at most `max` bytes. Returns how many bytes were taken. */
  #stash(data: Buffer, i: number, max: number): number {
    const pending = this.#pendingBuffer();
    const taken = Math.min(max - this.#pendingLength, data.length - i);
    data.copy(pending, this.#pendingLength, i, i + taken);
    this.#pendingLength += taken;
    return taken;
  }

  /** chunk-size [ chunk-ext ] CRLF, buffered only up to MAX_CHUNK_LINE bytes. */
  #readChunkLine(data: Buffer, i: number): number {
    if (this.#pendingLength === 0) {
      const lf = data.indexOf(LF, i);
      if (lf !== -1 && lf < i + MAX_CHUNK_LINE) {
        this.#parseChunkLine(data, i, lf);
        return lf + 1;
      }
      if (lf !== -1 || data.length - i >= MAX_CHUNK_LINE) throw this.#chunkLineTooLong(data, i);
    }
    const before = this.#pendingLength;
    const taken = this.#stash(data, i, MAX_CHUNK_LINE);
    const pending = this.#pendingBuffer();
    const lf = pending.subarray(0, this.#pendingLength).indexOf(LF, before);
    if (lf === -1) {
      if (this.#pendingLength >= MAX_CHUNK_LINE) throw this.#chunkLineTooLong(pending, 0);
      return i + taken;
    }
    this.#pendingLength = 0;
    this.#parseChunkLine(pending, 0, lf);
    return i + (lf + 1 - before);
  }

  #parseChunkLine(line: Buffer, start: number, lf: number): void {
    const cr = lf - 1;
    if (cr < start || line[cr] !== CR) throw this.#refuse('bad-chunk-line', 'chunk-size line not ended by CRLF');
    let p = start;
    let size = 0;
    for (let digit = hexValue(line[p]); p < cr && digit >= 0; digit = hexValue(line[p])) {
      size = size * 16 + digit;
      p += 1;
    }
    if (p === start || p - start > MAX_CHUNK_SIZE_DIGITS || size > Number.MAX_SAFE_INTEGER) {
      throw this.#refuse('bad-chunk-size', 'invalid chunk size');
    }
    if (cr - p > MAX_CHUNK_EXT_BYTES) {
      throw this.#refuse('chunk-extension-too-large', `over ${MAX_CHUNK_EXT_BYTES} bytes`);
    }
    if (!isValidChunkExtensionList(line, p, cr)) throw this.#refuse('bad-chunk-extension', 'invalid chunk extension');
    if (size === 0) {
      this.#state = TRAILERS;
    } else {
      this.#state = CHUNK_DATA;
      this.#remaining = size;
    }
  }

  /** A chunk-size line without LF within MAX_CHUNK_LINE bytes: blame the size if it is bad, else the extensions. */
  #chunkLineTooLong(line: Buffer, start: number): Error {
    let p = start;
    while (hexValue(line[p]) >= 0) p += 1;
    const digits = p - start;
    if (digits === 0 || digits > MAX_CHUNK_SIZE_DIGITS || line[p] !== SEMI) {
      return this.#refuse('bad-chunk-size', 'invalid chunk size');
    }
    return this.#refuse('chunk-extension-too-large', `over ${MAX_CHUNK_EXT_BYTES} bytes`);
  }

  /** trailer-section CRLF after the last chunk (§7.1.2): validated like a header section, then dropped. */
  #readTrailers(data: Buffer, i: number): number {
    const max = this.#maxTrailerBytes;
    const handler = this.#handler;
    if (this.#pendingLength === 0) {
      if (data.length - i >= 2 && data[i] === CR && data[i + 1] === LF) {
        this.#end(); // no trailers: the common case
        return i + 2;
      }
      const e = data.indexOf(CRLFCRLF, i);
      if (e !== -1 && e + 4 - i <= max) {
        handler.checkTrailerBytes(data, i, i, e + 2);
        handler.validateTrailerFields(data.toString('latin1', i, e + 2));
        this.#end();
        return e + 4;
      }
      if (e !== -1 || data.length - i >= max) throw this.#trailerTooLarge();
      // Slow path: prefix the CRLF that ended the last-chunk line, so that an empty section is also "CRLFCRLF".
      const pending = this.#pendingBuffer();
      pending[0] = CR;
      pending[1] = LF;
      this.#pendingLength = 2;
    }
    const before = this.#pendingLength;
    const taken = this.#stash(data, i, max + 2);
    const pending = this.#pendingBuffer();
    const e = pending.subarray(0, this.#pendingLength).indexOf(CRLFCRLF, Math.max(0, before - 3));
    // Only the section's own bytes: what follows CRLFCRLF is the next message's.
    handler.checkTrailerBytes(pending, 0, before, e === -1 ? this.#pendingLength : e + 4);
    if (e === -1) {
      if (this.#pendingLength >= max + 2) throw this.#trailerTooLarge();
      return i + taken;
    }
    this.#pendingLength = 0;
    handler.validateTrailerFields(pending.toString('latin1', 2, e + 2));
    this.#end();
    return i + (e + 4 - before);
  }

  #trailerTooLarge(): Error {
    return this.#refuse('trailer-section-too-large', 'trailer section exceeds the size limit');
  }
}

function hexValue(c: number | undefined): number {
  if (c === undefined) return -1;
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const lower = c | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
}

/**
 * *( ";" token [ "=" ( token / quoted-string ) ] ) in line[p, end). Stricter than RFC 9112 §7.1.1, which also allows
 * BWS around ";" and "=": llhttp refuses that whitespace, and we accept nothing it would not.
 */
function isValidChunkExtensionList(line: Buffer, p: number, end: number): boolean {
  while (p < end) {
    if (line[p] !== SEMI) return false;
    p += 1;
    const nameStart = p;
    while (p < end && TCHAR[line[p] ?? 0] === 1) p += 1;
    if (p === nameStart) return false;
    if (p === end || line[p] !== EQUALS) continue;
    p += 1;
    if (line[p] !== DQUOTE) {
      const valueStart = p;
      while (p < end && TCHAR[line[p] ?? 0] === 1) p += 1;
      if (p === valueStart) return false;
      continue;
    }
    // quoted-string (RFC 9110 §5.6.4)
    p += 1;
    for (;;) {
      if (p >= end) return false;
      const c = line[p] ?? 0;
      p += 1;
      if (c === DQUOTE) break;
      if (c === BACKSLASH) {
        if (p >= end || !isFieldValueChar(line[p] ?? 0)) return false;
        p += 1;
      } else if (!isFieldValueChar(c)) {
        return false;
      }
    }
  }
  return true;
}
