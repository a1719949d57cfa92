/**
 * Compiled `in {…}` sets. Strings go in a Set; integer and IP items become sorted, merged inclusive ranges (CIDRs
 * to bigint bounds once, at compile time) searched by bisection, so a lookup allocates nothing and costs
 * O(log n) whatever mix of values, ranges and CIDRs the set was written with.
 */
import type { SetItem } from './ast.ts';
import { parseIpLiteral, type IpAddress } from './ip-address.ts';
import { cidrBounds, classifyBareLiteral } from './literals.ts';

interface Ranges<T> {
  readonly starts: T[];
  readonly ends: T[];
}

function mergeRanges<T extends number | bigint>(pairs: [T, T][], adjacent: (end: T, start: T) => boolean): Ranges<T> {
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const starts: T[] = [];
  const ends: T[] = [];
  for (const [start, end] of pairs) {
    const last = ends.length - 1;
    const lastEnd = ends[last];
    if (lastEnd !== undefined && (start <= lastEnd || adjacent(lastEnd, start))) {
      if (end > lastEnd) ends[last] = end;
    } else {
      starts.push(start);
      ends.push(end);
    }
  }
  return { starts, ends };
}

function contains<T extends number | bigint>(ranges: Ranges<T>, value: T): boolean {
  const { starts, ends } = ranges;
  let low = 0;
  let high = starts.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    if (value < (starts[middle] as T)) high = middle - 1;
    else if (value > (ends[middle] as T)) low = middle + 1;
    else return true;
  }
  return false;
}

export function compileStringSet(items: readonly SetItem[]): (value: unknown) => boolean {
  const values = new Set(items.flatMap((item) => (item.type === 'string' ? [item.value] : [])));
  return (value) => typeof value === 'string' && values.has(value);
}

export function compileIntegerSet(items: readonly SetItem[]): (value: unknown) => boolean {
  const pairs: [number, number][] = [];
  for (const item of items) {
    if (item.type === 'int') pairs.push([item.value, item.value]);
    else if (item.type === 'int_range') pairs.push([item.from, item.to]);
  }
  const ranges = mergeRanges(pairs, (end, start) => start === end + 1);
  return (value) => typeof value === 'number' && contains(ranges, value);
}

function ip(text: string): IpAddress {
  const address = parseIpLiteral(text);
  if (address === undefined) throw new TypeError(`not an IP address in a checked AST: ${text}`);
  return address;
}

export function compileIpSet(items: readonly SetItem[]): (value: unknown) => boolean {
  const v4: [bigint, bigint][] = [];
  const v6: [bigint, bigint][] = [];
  for (const item of items) {
    let version: 4 | 6;
    let bounds: { from: bigint; to: bigint };
    if (item.type === 'ip') {
      const address = ip(item.value);
      version = address.version;
      bounds = { from: address.value, to: address.value };
    } else if (item.type === 'ip_range') {
      const from = ip(item.from);
      version = from.version;
      bounds = { from: from.value, to: ip(item.to).value };
    } else if (item.type === 'cidr') {
      const literal = classifyBareLiteral(item.value);
      if (literal.kind !== 'cidr') throw new TypeError(`not a CIDR in a checked AST: ${item.value}`);
      version = literal.address.version;
      bounds = cidrBounds(literal.address, literal.prefix);
    } else {
      continue;
    }
    (version === 4 ? v4 : v6).push([bounds.from, bounds.to]);
  }
  const adjacent = (end: bigint, start: bigint): boolean => start === end + 1n;
  const ranges4 = mergeRanges(v4, adjacent);
  const ranges6 = mergeRanges(v6, adjacent);
  return (value) => {
    const address = value as IpAddress | undefined;
    if (address === undefined) return false;
    return contains(address.version === 4 ? ranges4 : ranges6, address.value);
  };
}
