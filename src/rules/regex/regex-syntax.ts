/**
 * Regex syntax: parses the Rust `regex` crate's syntax (what Cloudflare's `matches` uses) into a small tree over
 * bytes, and refuses what a linear-time engine cannot do: look-around and backreferences, exactly as Rust's crate
 * does. Supported: literals and escapes (`\n \t \xHH \x{…} \u…`, escaped punctuation), `.`, classes with ranges,
 * negation, nesting and `[:alpha:]`-style names, `\d \w \s` (ASCII), anchors `^ $ \A \z \b \B`, groups
 * (capturing, `(?:…)`, named), flags `i m s U u` (`(?i)` and `(?i:…)`), alternation, and the quantifiers
 * `* + ? {n} {n,} {n,m}` with or without the lazy `?` (laziness does not change whether a pattern matches).
 *
 * The engine matches bytes: a non-ASCII character in a pattern matches its UTF-8 bytes, `.` and classes match
 * one byte, `(?i)` folds ASCII letters only. Non-ASCII characters inside a class are refused (a class is one byte).
 */
import { MAX_REGEX_NESTING, MAX_REGEX_REPEAT } from '../limits.ts';
import { DIGIT, isAsciiPunctuation, POSIX, SPACE, utf8Bytes, WORD } from './byte-classes.ts';
import {
  addAll,
  addByte,
  addRange,
  byteSetOf,
  complement,
  emptyByteSet,
  foldAsciiCase,
  type ByteSet,
} from './byte-set.ts';

export type Assertion = 'text_start' | 'text_end' | 'line_start' | 'line_end' | 'word_boundary' | 'not_word_boundary';

export type RegexNode =
  | { readonly kind: 'empty' }
  | { readonly kind: 'bytes'; readonly set: ByteSet }
  | { readonly kind: 'concat'; readonly items: readonly RegexNode[] }
  | { readonly kind: 'alternate'; readonly items: readonly RegexNode[] }
  /** `max` is -1 when unbounded. */
  | { readonly kind: 'repeat'; readonly item: RegexNode; readonly min: number; readonly max: number }
  | { readonly kind: 'assert'; readonly assertion: Assertion };

/** A refused pattern; `offset` indexes the pattern text. */
export class RegexSyntaxError extends Error {
  readonly offset: number;
  readonly length: number;

  constructor(offset: number, reason: string, length = 1) {
    super(reason);
    this.offset = offset;
    this.length = length;
  }
}

interface Flags {
  caseInsensitive: boolean;
  multiLine: boolean;
  dotAll: boolean;
}

type Escape =
  | { readonly kind: 'set'; readonly set: ByteSet }
  | { readonly kind: 'assert'; readonly assertion: Assertion }
  | { readonly kind: 'char'; readonly code: number };

const EMPTY: RegexNode = Object.freeze({ kind: 'empty' });
const LINEAR = '(patterns run in linear time)';

class RegexParser {
  readonly #pattern: string;
  #at = 0;
  #flags: Flags = { caseInsensitive: false, multiLine: false, dotAll: false };

  constructor(pattern: string) {
    this.#pattern = pattern;
  }

  parse(): RegexNode {
    const node = this.#alternation(0);
    if (this.#at < this.#pattern.length) throw new RegexSyntaxError(this.#at, 'unopened group: ")" without "("');
    return node;
  }

  #peek(offset = 0): string {
    return this.#pattern[this.#at + offset] ?? '';
  }

  #alternation(depth: number): RegexNode {
    const branches = [this.#concat(depth)];
    while (this.#peek() === '|') {
      this.#at++;
      branches.push(this.#concat(depth));
    }
    return branches.length === 1 ? (branches[0] ?? EMPTY) : { kind: 'alternate', items: branches };
  }

  #concat(depth: number): RegexNode {
    const items: RegexNode[] = [];
    while (this.#at < this.#pattern.length && this.#peek() !== '|' && this.#peek() !== ')') {
      const start = this.#at;
      const atom = this.#atom(depth);
      if (atom === undefined) {
        if (this.#isQuantifier()) throw new RegexSyntaxError(this.#at, `nothing to repeat before "${this.#peek()}"`);
        continue;
      }
      items.push(this.#quantified(atom, start));
    }
    return items.length === 1 ? (items[0] ?? EMPTY) : items.length === 0 ? EMPTY : { kind: 'concat', items };
  }

  #isQuantifier(): boolean {
    const char = this.#peek();
    return char === '*' || char === '+' || char === '?' || char === '{';
  }

  #quantified(atom: RegexNode, start: number): RegexNode {
    if (!this.#isQuantifier()) return atom;
    const char = this.#peek();
    let min: number;
    let max: number;
    if (char === '{') {
      [min, max] = this.#counted();
    } else {
      this.#at++;
      [min, max] = char === '*' ? [0, -1] : char === '+' ? [1, -1] : [0, 1];
    }
    if (this.#peek() === '?') this.#at++;
    if (this.#isQuantifier()) {
      const repeated = this.#pattern.slice(start, this.#at);
      throw new RegexSyntaxError(this.#at, `a quantifier cannot follow another: wrap "${repeated}" in a group`);
    }
    return { kind: 'repeat', item: atom, min, max };
  }

  #counted(): [number, number] {
    const open = this.#at;
    const match = /^\{(\d+)(,(\d*))?\}/.exec(this.#pattern.slice(open));
    if (match === null) throw new RegexSyntaxError(open, 'invalid repetition: expected {n}, {n,} or {n,m}');
    this.#at += match[0].length;
    const min = Number(match[1]);
    const max = match[2] === undefined ? min : match[3] === '' ? -1 : Number(match[3]);
    const largest = Math.max(min, max);
    if (largest > MAX_REGEX_REPEAT) {
      throw new RegexSyntaxError(open, `repetition count ${largest} is above ${MAX_REGEX_REPEAT}`, match[0].length);
    }
    if (max !== -1 && max < min) {
      throw new RegexSyntaxError(
        open,
        `invalid repetition ${match[0]}: the minimum is above the maximum`,
        match[0].length,
      );
    }
    return [min, max];
  }

  /** One atom, or undefined for a flag group like `(?i)` that matches nothing itself. */
  #atom(depth: number): RegexNode | undefined {
    const char = this.#peek();
    switch (char) {
      case '(':
        return this.#group(depth + 1);
      case '[': {
        const set = this.#class(depth + 1);
        return { kind: 'bytes', set };
      }
      case '.': {
        this.#at++;
        const set = this.#flags.dotAll ? complement(emptyByteSet()) : complement(byteSetOf(10));
        return { kind: 'bytes', set };
      }
      case '^':
        this.#at++;
        return { kind: 'assert', assertion: this.#flags.multiLine ? 'line_start' : 'text_start' };
      case '$':
        this.#at++;
        return { kind: 'assert', assertion: this.#flags.multiLine ? 'line_end' : 'text_end' };
      case '\\': {
        const escape = this.#escape(false);
        if (escape.kind === 'set') return { kind: 'bytes', set: escape.set };
        if (escape.kind === 'assert') return { kind: 'assert', assertion: escape.assertion };
        return this.#literal(escape.code);
      }
      case '*':
      case '+':
      case '?':
      case '{':
        throw new RegexSyntaxError(this.#at, `nothing to repeat before "${char}"`);
      default: {
        const code = this.#pattern.codePointAt(this.#at) ?? 0;
        this.#at += code > 0xffff ? 2 : 1;
        return this.#literal(code);
      }
    }
  }

  #literal(code: number): RegexNode {
    const bytes = utf8Bytes(code);
    const items = bytes.map((byte): RegexNode => {
      const set = byteSetOf(byte);
      if (this.#flags.caseInsensitive && byte < 128) foldAsciiCase(set);
      return { kind: 'bytes', set };
    });
    return items.length === 1 ? (items[0] ?? EMPTY) : { kind: 'concat', items };
  }

  #checkDepth(depth: number, at: number): void {
    if (depth > MAX_REGEX_NESTING)
      throw new RegexSyntaxError(at, `groups and classes nested more than ${MAX_REGEX_NESTING} deep`);
  }

  #group(depth: number): RegexNode | undefined {
    const open = this.#at;
    this.#checkDepth(depth, open);
    this.#at++;
    const saved = { ...this.#flags };
    if (this.#peek() === '?') {
      this.#at++;
      const kind = this.#peek();
      const after = this.#peek(1);
      if (kind === '=' || kind === '!' || (kind === '<' && (after === '=' || after === '!'))) {
        throw new RegexSyntaxError(open, `look-around is not supported ${LINEAR}`, 3);
      }
      if (kind === 'P' && after === '=')
        throw new RegexSyntaxError(open, `backreferences are not supported ${LINEAR}`, 4);
      if (kind === '<' || (kind === 'P' && after === '<')) {
        this.#groupName(open);
      } else if (this.#groupFlags(open)) {
        return undefined;
      }
    }
    const body = this.#alternation(depth);
    if (this.#peek() !== ')') throw new RegexSyntaxError(open, 'unclosed group: expected ")"');
    this.#at++;
    this.#flags = saved;
    return body;
  }

  #groupName(open: number): void {
    const match = /^P?<([A-Za-z_][A-Za-z0-9_]*)>/.exec(this.#pattern.slice(this.#at));
    if (match === null) throw new RegexSyntaxError(open, 'invalid group name: expected (?<name>…) or (?P<name>…)');
    this.#at += match[0].length;
  }

  /** Reads `(?flags)` (returns true: a flag change, no group) or `(?flags:` (returns false: a group follows). */
  #groupFlags(open: number): boolean {
    let negate = false;
    for (;;) {
      const char = this.#peek();
      const at = this.#at;
      this.#at++;
      switch (char) {
        case ':':
          return false;
        case ')':
          return true;
        case '-':
          if (negate) throw new RegexSyntaxError(at, 'flag negation "-" given twice');
          negate = true;
          break;
        case 'i':
          this.#flags.caseInsensitive = !negate;
          break;
        case 'm':
          this.#flags.multiLine = !negate;
          break;
        case 's':
          this.#flags.dotAll = !negate;
          break;
        case 'U':
        case 'u':
          break;
        case '':
          throw new RegexSyntaxError(open, 'unclosed group: expected ")"');
        default:
          throw new RegexSyntaxError(at, `unsupported flag "${char}": use i, m, s, U or u`);
      }
    }
  }

  #escape(inClass: boolean): Escape {
    const start = this.#at;
    this.#at++;
    const char = this.#peek();
    const code = char.charCodeAt(0);
    if (char === '') throw new RegexSyntaxError(start, 'trailing backslash');
    this.#at++;
    switch (char) {
      case 'd':
        return { kind: 'set', set: DIGIT };
      case 'D':
        return { kind: 'set', set: complement(DIGIT) };
      case 'w':
        return { kind: 'set', set: WORD };
      case 'W':
        return { kind: 'set', set: complement(WORD) };
      case 's':
        return { kind: 'set', set: SPACE };
      case 'S':
        return { kind: 'set', set: complement(SPACE) };
      case 'n':
        return { kind: 'char', code: 10 };
      case 't':
        return { kind: 'char', code: 9 };
      case 'r':
        return { kind: 'char', code: 13 };
      case 'f':
        return { kind: 'char', code: 12 };
      case 'v':
        return { kind: 'char', code: 11 };
      case 'a':
        return { kind: 'char', code: 7 };
      case 'x':
        return { kind: 'char', code: this.#hexEscape(start, 2) };
      case 'u':
        return { kind: 'char', code: this.#hexEscape(start, 4) };
      case 'U':
        return { kind: 'char', code: this.#hexEscape(start, 8) };
      case 'b':
      case 'B':
      case 'A':
      case 'z':
        if (inClass) throw new RegexSyntaxError(start, `\\${char} is not allowed in a class`, 2);
        return {
          kind: 'assert',
          assertion:
            char === 'b'
              ? 'word_boundary'
              : char === 'B'
                ? 'not_word_boundary'
                : char === 'A'
                  ? 'text_start'
                  : 'text_end',
        };
      case 'p':
      case 'P':
        throw new RegexSyntaxError(start, 'Unicode classes (\\p, \\P) are not supported', 2);
      case 'k':
        throw new RegexSyntaxError(start, `backreferences are not supported ${LINEAR}`, 2);
      case '<':
      case '>':
        throw new RegexSyntaxError(start, `\\${char} is not supported: use \\b`, 2);
      default:
        break;
    }
    if (code >= 49 && code <= 57) throw new RegexSyntaxError(start, `backreferences are not supported ${LINEAR}`, 2);
    if (code === 48) throw new RegexSyntaxError(start, 'octal escapes are not supported: use \\x00', 2);
    if (isAsciiPunctuation(code) || code === 32) return { kind: 'char', code };
    throw new RegexSyntaxError(start, `unknown escape "${this.#pattern.slice(start, this.#at)}"`, 2);
  }

  #hexEscape(start: number, digits: number): number {
    const rest = this.#pattern.slice(this.#at);
    const match = rest.startsWith('{')
      ? /^\{([0-9A-Fa-f]{1,8})\}/.exec(rest)
      : new RegExp(`^[0-9A-Fa-f]{${digits}}`).exec(rest);
    if (match === null) throw new RegexSyntaxError(start, `invalid escape: expected ${digits} hex digits or {hex}`, 2);
    this.#at += match[0].length;
    const code = parseInt(match[1] ?? match[0], 16);
    if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) {
      throw new RegexSyntaxError(start, `invalid escape: U+${code.toString(16).toUpperCase()} is not a character`, 2);
    }
    return code;
  }

  #class(depth: number): ByteSet {
    const open = this.#at;
    this.#checkDepth(depth, open);
    this.#at++;
    const negated = this.#peek() === '^';
    if (negated) this.#at++;
    const set = emptyByteSet();
    let first = true;
    for (;;) {
      const char = this.#peek();
      if (char === '') throw new RegexSyntaxError(open, 'unclosed character class: expected "]"');
      if (char === ']' && !first) {
        this.#at++;
        break;
      }
      first = false;
      if (char === '[') {
        addAll(set, this.#peek(1) === ':' ? this.#posixClass() : this.#class(depth + 1));
        continue;
      }
      const pair = char + this.#peek(1);
      if (pair === '&&' || pair === '--' || pair === '~~') {
        throw new RegexSyntaxError(this.#at, `class set operations (${pair}) are not supported`, 2);
      }
      this.#classItem(set);
    }
    if (this.#flags.caseInsensitive) foldAsciiCase(set);
    return negated ? complement(set) : set;
  }

  #classItem(set: ByteSet): void {
    const start = this.#at;
    const low = this.#classAtom();
    if (typeof low !== 'number') {
      addAll(set, low);
      return;
    }
    if (this.#peek() === '-' && this.#peek(1) !== ']' && this.#peek(1) !== '') {
      this.#at++;
      const high = this.#classAtom();
      if (typeof high !== 'number' || high < low) {
        throw new RegexSyntaxError(start, 'invalid class range', this.#at - start);
      }
      addRange(set, low, high);
      return;
    }
    addByte(set, low);
  }

  /** A byte, or a set for `\d`-style escapes. */
  #classAtom(): number | ByteSet {
    const start = this.#at;
    let code: number;
    if (this.#peek() === '\\') {
      const escape = this.#escape(true);
      if (escape.kind === 'set') return escape.set;
      if (escape.kind === 'assert') throw new RegexSyntaxError(start, 'assertions are not allowed in a class');
      code = escape.code;
    } else {
      code = this.#pattern.codePointAt(this.#at) ?? 0;
      this.#at += code > 0xffff ? 2 : 1;
    }
    if (code > 127) {
      throw new RegexSyntaxError(start, 'non-ASCII characters in a class are not supported (a class matches one byte)');
    }
    return code;
  }

  #posixClass(): ByteSet {
    const start = this.#at;
    const match = /^\[:(\^?)([a-z]+):\]/.exec(this.#pattern.slice(start));
    const ranges = match === null ? undefined : POSIX[match[2] ?? ''];
    if (match === null || ranges === undefined) {
      throw new RegexSyntaxError(start, 'invalid class name: expected [:alpha:], [:digit:], …', 2);
    }
    this.#at += match[0].length;
    const set = emptyByteSet();
    for (const [from, to] of ranges) addRange(set, from, to);
    return match[1] === '^' ? complement(set) : set;
  }
}

/** Parses a pattern; throws RegexSyntaxError. The caller enforces the length limit. */
export function parseRegex(pattern: string): RegexNode {
  return new RegexParser(pattern).parse();
}
