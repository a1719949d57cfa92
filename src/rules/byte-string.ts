/**
 * Byte strings: the rules language compares bytes (wirefilter's strings are `[u8]`), and Node hands header values
 * over as one JS char per byte. Literals written in the expression are turned into the same form here: their
 * UTF-8 bytes, one char each. `lower`/`upper` and `wildcard` fold ASCII letters only, as Cloudflare does.
 */

/** Appends the UTF-8 bytes of the code point at `text[index]` to `out`; returns the UTF-16 units it used. */
export function pushUtf8(text: string, index: number, out: number[]): number {
  const code = text.codePointAt(index) ?? 0;
  const isLoneSurrogate = code >= 0xd800 && code <= 0xdfff;
  const point = isLoneSurrogate ? 0xfffd : code;
  if (point < 0x80) out.push(point);
  else if (point < 0x800) out.push(0xc0 | (point >> 6), 0x80 | (point & 63));
  else if (point < 0x10000) out.push(0xe0 | (point >> 12), 0x80 | ((point >> 6) & 63), 0x80 | (point & 63));
  else {
    out.push(0xf0 | (point >> 18), 0x80 | ((point >> 12) & 63), 0x80 | ((point >> 6) & 63), 0x80 | (point & 63));
  }
  return point > 0xffff ? 2 : 1;
}

export function bytesToString(bytes: readonly number[]): string {
  let text = '';
  for (let i = 0; i < bytes.length; i += 4096) text += String.fromCharCode(...bytes.slice(i, i + 4096));
  return text;
}

/** The UTF-8 byte string of `text`. */
export function toByteString(text: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < text.length;) i += pushUtf8(text, i, bytes);
  return bytesToString(bytes);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The text a byte string spells when it is valid UTF-8, else undefined (for printing). */
export function decodeUtf8(bytes: string): string | undefined {
  const buffer = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const code = bytes.charCodeAt(i);
    if (code > 255) return undefined;
    buffer[i] = code;
  }
  try {
    return utf8.decode(buffer);
  } catch {
    return undefined;
  }
}

const UPPER_ASCII = /[A-Z]/;
const LOWER_ASCII = /[a-z]/;
const NON_ASCII = /[\u0080-\uffff]/;

function mapAscii(text: string, from: number, to: number): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    out += String.fromCharCode(code >= from && code <= to ? code ^ 0x20 : code);
  }
  return out;
}

/** ASCII-only lower case; returns `text` itself (no allocation) when there is nothing to change. */
export function asciiLower(text: string): string {
  if (!UPPER_ASCII.test(text)) return text;
  return NON_ASCII.test(text) ? mapAscii(text, 65, 90) : text.toLowerCase();
}

/** ASCII-only upper case; returns `text` itself when there is nothing to change. */
export function asciiUpper(text: string): string {
  if (!LOWER_ASCII.test(text)) return text;
  return NON_ASCII.test(text) ? mapAscii(text, 97, 122) : text.toUpperCase();
}

/** ASCII case-insensitive comparison of `text[offset…]` with `lowered` (already lower case). */
export function regionEqualsIgnoreCase(text: string, offset: number, lowered: string): boolean {
  if (offset < 0 || offset + lowered.length > text.length) return false;
  for (let i = 0; i < lowered.length; i++) {
    let code = text.charCodeAt(offset + i);
    if (code >= 65 && code <= 90) code |= 0x20;
    if (code !== lowered.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * First index ≥ `from` where `lowered` occurs in `text` ignoring ASCII case, ending at or before `limit`; -1 if
 * none. Candidates are found with native indexOf on the first character (both cases), then compared.
 */
export function indexOfIgnoreCase(text: string, lowered: string, from: number, limit: number): number {
  if (lowered.length === 0) return from <= limit ? from : -1;
  const first = lowered[0] as string;
  const code = first.charCodeAt(0);
  const other = code >= 97 && code <= 122 ? String.fromCharCode(code - 32) : undefined;
  let position = from;
  while (position + lowered.length <= limit) {
    let found = text.indexOf(first, position);
    if (other !== undefined) {
      const upper = text.indexOf(other, position);
      if (upper >= 0 && (found < 0 || upper < found)) found = upper;
    }
    if (found < 0 || found + lowered.length > limit) return -1;
    if (regionEqualsIgnoreCase(text, found, lowered)) return found;
    position = found + 1;
  }
  return -1;
}
