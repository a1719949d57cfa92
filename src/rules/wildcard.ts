/**
 * `wildcard` and `strict wildcard`: the whole value must match a pattern where `*` is zero or more bytes, `\*` a
 * literal star and `\\` a literal backslash; `**` is invalid (Cloudflare's rules). `wildcard` ignores ASCII case,
 * `strict wildcard` does not. A pattern compiles to its literal segments; matching checks the first as a prefix,
 * the last as a suffix and finds the middle ones left to right, which is exact for `*`-only globs, linear in the
 * value per segment, and allocates nothing.
 */
import { asciiLower, indexOfIgnoreCase, regionEqualsIgnoreCase } from './byte-string.ts';

export class WildcardError extends Error {
  /** Offset in the pattern. */
  readonly offset: number;

  constructor(offset: number, reason: string) {
    super(reason);
    this.offset = offset;
  }
}

/** The literal segments between stars (`"a*b"` → `["a", "b"]`); throws WildcardError. */
export function parseWildcard(pattern: string): string[] {
  const segments: string[] = [];
  let current = '';
  let previousWasStar = false;
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i] ?? '';
    if (char === '*') {
      if (previousWasStar) throw new WildcardError(i - 1, '"**" is not allowed in a wildcard pattern');
      segments.push(current);
      current = '';
      previousWasStar = true;
      continue;
    }
    previousWasStar = false;
    if (char === '\\') {
      const next = pattern[i + 1];
      if (next !== '*' && next !== '\\') {
        const shown = `"${pattern.slice(i, i + 2)}"`;
        throw new WildcardError(i, `invalid escape ${shown} in a wildcard pattern: use \\* or \\\\`);
      }
      current += next;
      i++;
      continue;
    }
    current += char;
  }
  segments.push(current);
  return segments;
}

export type WildcardMatcher = (value: string) => boolean;

export function compileWildcard(pattern: string, strict: boolean): WildcardMatcher {
  const segments = parseWildcard(pattern).map((s) => (strict ? s : asciiLower(s)));
  const first = segments[0] ?? '';
  const last = segments[segments.length - 1] ?? '';
  const middle = segments.slice(1, -1);
  if (segments.length === 1) {
    return strict
      ? (value) => value === first
      : (value) => value.length === first.length && regionEqualsIgnoreCase(value, 0, first);
  }
  const fixed = first.length + last.length;
  if (strict) {
    return (value) => {
      if (value.length < fixed || !value.startsWith(first) || !value.endsWith(last)) return false;
      const limit = value.length - last.length;
      let position = first.length;
      for (const segment of middle) {
        const found = value.indexOf(segment, position);
        if (found < 0 || found + segment.length > limit) return false;
        position = found + segment.length;
      }
      return true;
    };
  }
  return (value) => {
    if (value.length < fixed) return false;
    const limit = value.length - last.length;
    if (!regionEqualsIgnoreCase(value, 0, first) || !regionEqualsIgnoreCase(value, limit, last)) return false;
    let position = first.length;
    for (const segment of middle) {
      const found = indexOfIgnoreCase(value, segment, position, limit);
      if (found < 0) return false;
      position = found + segment.length;
    }
    return true;
  };
}
