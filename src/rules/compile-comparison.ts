/**
 * Compiles the right side of a comparison into a test of one value, `(value) => boolean`, with everything
 * derived from the literal prepared here, once: regexes to linear-time matchers, wildcards to segment matchers,
 * sets to a Set or to merged bigint ranges, IP literals to bigints. A missing value (`undefined`) fails every
 * test, `ne` included (wirefilter's rule: any comparison with a missing value is false).
 */
import type { Comparison } from './ast.ts';
import type { IpAddress } from './ip-address.ts';
import { parseIpLiteral } from './ip-address.ts';
import { indexOfIgnoreCase, regionEqualsIgnoreCase } from './byte-string.ts';
import { compileRegex } from './regex/compile-regex.ts';
import { compileIntegerSet, compileIpSet, compileStringSet } from './value-sets.ts';
import { compileWildcard } from './wildcard.ts';

export type ValueTest = (value: unknown) => boolean;

function compileOrdering(operator: Comparison['operator'], literal: string | number): ValueTest {
  const kind = typeof literal;
  switch (operator) {
    case 'lt':
      return (value) => typeof value === kind && (value as typeof literal) < literal;
    case 'le':
      return (value) => typeof value === kind && (value as typeof literal) <= literal;
    case 'gt':
      return (value) => typeof value === kind && (value as typeof literal) > literal;
    default:
      return (value) => typeof value === kind && (value as typeof literal) >= literal;
  }
}

function compileIpEquality(text: string, equal: boolean): ValueTest {
  const literal = parseIpLiteral(text);
  if (literal === undefined) throw new TypeError(`not an IP address in a checked AST: ${text}`);
  const { version, value: bits } = literal;
  return equal
    ? (value) => value !== undefined && (value as IpAddress).version === version && (value as IpAddress).value === bits
    : (value) =>
        value !== undefined && ((value as IpAddress).version !== version || (value as IpAddress).value !== bits);
}

export function compileTest(comparison: Comparison): ValueTest {
  const { operator, right } = comparison;
  switch (right.type) {
    case 'regex': {
      const matcher = compileRegex(right.pattern);
      return (value) => typeof value === 'string' && matcher.test(value);
    }
    case 'set': {
      const first = right.items[0]?.type;
      if (first === 'string') return compileStringSet(right.items);
      if (first === 'int' || first === 'int_range') return compileIntegerSet(right.items);
      return compileIpSet(right.items);
    }
    case 'ip':
      return compileIpEquality(right.value, operator === 'eq');
    case 'string':
    case 'int': {
      const literal = right.value;
      switch (operator) {
        case 'eq':
          return (value) => value === literal;
        case 'ne':
          return (value) => typeof value === typeof literal && value !== literal;
        case 'contains':
          return (value) => typeof value === 'string' && value.includes(literal as string);
        case 'wildcard':
        case 'strict wildcard': {
          const matches = compileWildcard(literal as string, operator === 'strict wildcard');
          return (value) => typeof value === 'string' && matches(value);
        }
        default:
          return compileOrdering(operator, literal);
      }
    }
    default:
      throw new TypeError(`unexpected operand ${(right as { type: string }).type} in a checked AST`);
  }
}

const UPPER_ASCII = /[A-Z]/;

/**
 * `lower(x) eq "…"`, `ne`, `contains`, the most common WAF idiom, as an ASCII case-insensitive test of `x`
 * itself, so no lowered copy is made per request. Only when the literal has no upper-case ASCII letter (then
 * the two are the same test: lower() folds exactly the letters this comparison ignores); undefined otherwise.
 */
export function compileFoldedTest(comparison: Comparison): ValueTest | undefined {
  const { operator, right } = comparison;
  if (right.type !== 'string' || UPPER_ASCII.test(right.value)) return undefined;
  const literal = right.value;
  switch (operator) {
    case 'eq':
      return (value) =>
        typeof value === 'string' && value.length === literal.length && regionEqualsIgnoreCase(value, 0, literal);
    case 'ne':
      return (value) =>
        typeof value === 'string' && (value.length !== literal.length || !regionEqualsIgnoreCase(value, 0, literal));
    case 'contains':
      return (value) => typeof value === 'string' && indexOfIgnoreCase(value, literal, 0, value.length) >= 0;
    default:
      return undefined;
  }
}
