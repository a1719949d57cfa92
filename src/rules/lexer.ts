/**
 * Lexer: turns expression text into tokens on demand. The rules language is lexed in context, as wirefilter
 * does: after `matches` the parser asks for a regex literal (whose escapes differ from strings'), after other
 * operators for a string or a bare literal (`443`, `10.0.0.0/8`, `2001:db8::..2001:db8::ff`). So this is a
 * cursor with a `peek`/`next` for the expression grammar and `readString`/`readRegex`/`readBareLiteral` for
 * values. Malformed strings throw RuleError here; everything else is the parser's to judge.
 *
 * Whitespace is space, tab, CR and LF (wirefilter has no tab; accepting it is harmless).
 */
import { pushUtf8, bytesToString } from './byte-string.ts';
import { RuleError, describeFound, quote } from './rule-error.ts';
import type { Span } from './type-check.ts';

export type TokenKind = 'word' | 'literal' | 'string' | 'symbol' | 'invalid' | 'end';

export interface Token {
  readonly kind: TokenKind;
  /** Source text of the token (for `string`, just its opening: `"` or `r#`). */
  readonly text: string;
  readonly start: number;
  readonly end: number;
}

/** A string or regex literal: its value and, per value index, the source offset it came from. */
export interface LiteralToken {
  readonly value: string;
  /** `offsets[i]` is where value char i was written; `offsets[value.length]` is the closing quote. */
  readonly offsets: readonly number[];
  readonly start: number;
  readonly end: number;
}

const TWO_CHAR_SYMBOLS = new Set(['==', '!=', '<=', '>=', '&&', '||', '^^']);
const ONE_CHAR_SYMBOLS = new Set(['(', ')', '{', '}', '[', ']', ',', '*', '$', '~', '!', '<', '>', '=', '&', '|', '^']);
const MAX_RAW_HASHES = 255;

function isSpace(code: number): boolean {
  return code === 32 || code === 9 || code === 10 || code === 13;
}

function isWordStart(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95;
}

function isWordPart(code: number): boolean {
  return isWordStart(code) || (code >= 48 && code <= 57) || code === 46;
}

/** Characters of a bare literal: integers, ranges, IPv4/IPv6 addresses, CIDRs. */
function isBareLiteralPart(code: number): boolean {
  return isWordPart(code) || code === 58 || code === 47 || code === 45;
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

export class Lexer {
  readonly source: string;
  #position = 0;

  constructor(source: string) {
    this.source = source;
  }

  /** Offset of the next token (after whitespace). */
  get position(): number {
    this.#skipSpace();
    return this.#position;
  }

  #skipSpace(): void {
    while (this.#position < this.source.length && isSpace(this.source.charCodeAt(this.#position))) this.#position++;
  }

  #fail(reason: string, position: number, length = 1): never {
    throw new RuleError('GW_ERR_RULE_SYNTAX', reason, this.source, position, length);
  }

  peek(): Token {
    this.#skipSpace();
    const source = this.source;
    const start = this.#position;
    if (start >= source.length) return { kind: 'end', text: '', start, end: start };
    const code = source.charCodeAt(start);
    const next = source.charCodeAt(start + 1);
    if (code === 34 || (code === 114 && (next === 34 || next === 35))) {
      return { kind: 'string', text: code === 34 ? '"' : source.slice(start, start + 2), start, end: start + 1 };
    }
    if (isWordStart(code)) {
      let end = start + 1;
      while (end < source.length && isWordPart(source.charCodeAt(end))) end++;
      return { kind: 'word', text: source.slice(start, end), start, end };
    }
    if (isDigit(code) || (code === 45 && isDigit(next)) || (code === 58 && next === 58)) {
      let end = start + 1;
      while (end < source.length && isBareLiteralPart(source.charCodeAt(end))) end++;
      return { kind: 'literal', text: source.slice(start, end), start, end };
    }
    const two = source.slice(start, start + 2);
    if (TWO_CHAR_SYMBOLS.has(two)) return { kind: 'symbol', text: two, start, end: start + 2 };
    const one = source[start] ?? '';
    if (ONE_CHAR_SYMBOLS.has(one)) return { kind: 'symbol', text: one, start, end: start + 1 };
    const length = code >= 0xd800 && code <= 0xdbff && start + 1 < source.length ? 2 : 1;
    return { kind: 'invalid', text: source.slice(start, start + length), start, end: start + length };
  }

  next(): Token {
    const token = this.peek();
    this.#position = token.end;
    return token;
  }

  /** A bare literal (`443`, `-5`, `0x1F`, `8000..8009`, `192.0.2.0/24`, `2001:db8::1`); empty text if none. */
  readBareLiteral(): Token {
    this.#skipSpace();
    const start = this.#position;
    let end = start;
    while (end < this.source.length && isBareLiteralPart(this.source.charCodeAt(end))) end++;
    this.#position = end;
    return { kind: 'literal', text: this.source.slice(start, end), start, end };
  }

  /** A quoted (`"…"`, escapes `\" \\ \xHH \NNN`) or raw (`r"…"`, `r#"…"#`) string, as a byte string. */
  readString(): LiteralToken {
    this.#skipSpace();
    const start = this.#position;
    if (this.source.charCodeAt(start) === 114) return this.#readRaw(start, true);
    const bytes: number[] = [];
    const offsets: number[] = [];
    let i = start + 1;
    for (;;) {
      if (i >= this.source.length) this.#unterminated(start);
      const code = this.source.charCodeAt(i);
      if (code === 34) break;
      if (code !== 92) {
        const before = bytes.length;
        const used = pushUtf8(this.source, i, bytes);
        for (let k = before; k < bytes.length; k++) offsets.push(i);
        i += used;
        continue;
      }
      const escape = this.#readEscape(i, start);
      bytes.push(escape.byte);
      offsets.push(i);
      i = escape.next;
    }
    offsets.push(i);
    this.#position = i + 1;
    return { value: bytesToString(bytes), offsets, start, end: i + 1 };
  }

  #readEscape(at: number, stringStart: number): { byte: number; next: number } {
    const source = this.source;
    if (at + 1 >= source.length) this.#unterminated(stringStart);
    const kind = source[at + 1] ?? '';
    if (kind === '"' || kind === '\\') return { byte: kind.charCodeAt(0), next: at + 2 };
    if (kind === 'x') {
      const hex = source.slice(at + 2, at + 4);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) {
        const shown = `\\x${/^[0-9A-Fa-f]?/.exec(hex)?.[0] ?? ''}`;
        this.#fail(`invalid escape ${quote(shown)}: \\x takes two hex digits`, at, shown.length);
      }
      return { byte: parseInt(hex, 16), next: at + 4 };
    }
    if (kind >= '0' && kind <= '7') {
      const octal = source.slice(at + 1, at + 4);
      if (!/^[0-7]{3}$/.test(octal)) {
        const shown = `\\${/^[0-7]*/.exec(octal)?.[0] ?? ''}`;
        this.#fail(`invalid escape ${quote(shown)}: octal escapes take three digits`, at, shown.length);
      }
      const value = parseInt(octal, 8);
      if (value > 255) this.#fail(`invalid escape "\\${octal}": octal escapes go up to \\377`, at, 4);
      return { byte: value, next: at + 4 };
    }
    const shown = source.slice(at, at + 1 + (kind.length > 0 ? kind.length : 0));
    return this.#fail(
      `invalid escape ${quote(shown)} in a string: use \\", \\\\, \\xHH or \\NNN (octal)`,
      at,
      shown.length,
    );
  }

  #unterminated(start: number): never {
    return this.#fail('unterminated string: expected a closing ", found end of input', start);
  }

  /** `r"…"` / `r#"…"#`: no escapes; ends at `"` followed by as many `#` as it opened with. */
  #readRaw(start: number, asBytes: boolean): LiteralToken {
    const source = this.source;
    let i = start + 1;
    while (source.charCodeAt(i) === 35) i++;
    const hashes = i - start - 1;
    if (hashes > MAX_RAW_HASHES) this.#fail(`a raw string takes at most ${MAX_RAW_HASHES} "#"`, start, hashes + 1);
    if (source.charCodeAt(i) !== 34) {
      this.#fail(`expected " to open the raw string, found ${describeFound(source.slice(i, i + 1))}`, i);
    }
    const closing = '"' + '#'.repeat(hashes);
    const close = source.indexOf(closing, i + 1);
    if (close < 0) {
      this.#fail(`unterminated raw string: no closing ${closing} before the end of input`, start);
    }
    this.#position = close + closing.length;
    const text = source.slice(i + 1, close);
    const offsets: number[] = [];
    if (!asBytes) {
      for (let k = 0; k < text.length; k++) offsets.push(i + 1 + k);
      offsets.push(close);
      return { value: text, offsets, start, end: this.#position };
    }
    const bytes: number[] = [];
    for (let k = 0; k < text.length;) {
      const before = bytes.length;
      const used = pushUtf8(text, k, bytes);
      for (let b = before; b < bytes.length; b++) offsets.push(i + 1 + k);
      k += used;
    }
    offsets.push(close);
    return { value: bytesToString(bytes), offsets, start, end: this.#position };
  }

  /**
   * A regex after `matches`/`~`, quoted or raw, as text (not bytes). Quoted form, as wirefilter lexes it: outside
   * a character class `\"` is a quote and every other `\c` reaches the regex with its backslash; inside `[…]` an
   * unescaped `"` does not end the string and `\"` keeps its backslash.
   */
  readRegex(): LiteralToken {
    this.#skipSpace();
    const start = this.#position;
    if (this.source.charCodeAt(start) === 114) return this.#readRaw(start, false);
    const source = this.source;
    let pattern = '';
    const offsets: number[] = [];
    let inClass = false;
    let i = start + 1;
    for (;;) {
      if (i >= source.length) {
        if (!inClass) this.#unterminated(start);
        this.#fail('unterminated regex: a " inside [...] does not end it, close the class with ]', start);
      }
      const char = source[i] ?? '';
      if (char === '"' && !inClass) break;
      if (char === '\\') {
        if (i + 1 >= source.length) this.#unterminated(start);
        const escaped = source[i + 1] ?? '';
        if (escaped === '"' && !inClass) {
          pattern += '"';
          offsets.push(i);
        } else {
          pattern += char + escaped;
          offsets.push(i, i + 1);
        }
        i += 2;
        continue;
      }
      if (char === '[') inClass = true;
      else if (char === ']') inClass = false;
      pattern += char;
      offsets.push(i);
      i++;
    }
    offsets.push(i);
    this.#position = i + 1;
    return { value: pattern, offsets, start, end: i + 1 };
  }
}

/** The span a token covers (at least one character, for a caret). */
export function spanOf(token: Token): Span {
  return { start: token.start, end: Math.max(token.end, token.start + 1) };
}

/** A token as the "found …" part of a reason. */
export function found(token: Token): string {
  if (token.kind === 'end') return 'end of input';
  if (token.kind === 'string') return 'a string';
  return describeFound(token.text);
}

export function isSymbol(token: Token, text: string): boolean {
  return token.kind === 'symbol' && token.text === text;
}

export function isWord(token: Token, text: string): boolean {
  return token.kind === 'word' && token.text === text;
}
