/**
 * IP addresses as the rules engine sees them: a version and a bigint, so a CIDR or range is two bigints and a
 * set lookup is a comparison (Hono's `ipRestriction` compiles CIDRs the same way). Parses strictly (no leading
 * zeros in IPv4 octets: `010.0.0.1` is ambiguous between octal and decimal), prints IPv6 per RFC 5952.
 */

export interface IpAddress {
  readonly version: 4 | 6;
  readonly value: bigint;
}

const HEX_GROUP = /^[0-9A-Fa-f]{1,4}$/;
const DIGIT_0 = 0x30;
const DOT = 0x2e;

/**
 * A dotted quad, scanned by hand (no split, no regex: the data plane parses each connection's address): four
 * octets of one to three digits, no leading zero (`010` is ambiguous between octal and decimal), each ≤ 255.
 */
export function parseIpv4(text: string): bigint | undefined {
  const length = text.length;
  if (length < 7 || length > 15) return undefined;
  let value = 0;
  let octets = 0;
  let i = 0;
  while (octets < 4) {
    const start = i;
    let octet = 0;
    while (i < length) {
      const digit = text.charCodeAt(i) - DIGIT_0;
      if (digit < 0 || digit > 9) break;
      octet = octet * 10 + digit;
      i++;
    }
    const digits = i - start;
    if (digits === 0 || digits > 3 || octet > 255 || (digits > 1 && text.charCodeAt(start) === DIGIT_0))
      return undefined;
    value = value * 256 + octet;
    octets++;
    if (octets < 4) {
      if (text.charCodeAt(i) !== DOT) return undefined;
      i++;
    }
  }
  return i === length ? BigInt(value) : undefined;
}

function parseGroups(text: string, allowIpv4Tail: boolean): number[] | undefined {
  if (text === '') return [];
  const parts = text.split(':');
  const groups: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] ?? '';
    if (allowIpv4Tail && i === parts.length - 1 && part.includes('.')) {
      const v4 = parseIpv4(part);
      if (v4 === undefined) return undefined;
      groups.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
    } else if (HEX_GROUP.test(part)) {
      groups.push(parseInt(part, 16));
    } else {
      return undefined;
    }
  }
  return groups;
}

export function parseIpv6(text: string): bigint | undefined {
  if (text.length < 2 || text.length > 45) return undefined;
  const gap = text.indexOf('::');
  if (gap !== text.lastIndexOf('::')) return undefined;
  let groups: number[];
  if (gap < 0) {
    const all = parseGroups(text, true);
    if (all?.length !== 8) return undefined;
    groups = all;
  } else {
    const head = parseGroups(text.slice(0, gap), false);
    const tail = parseGroups(text.slice(gap + 2), true);
    if (head === undefined || tail === undefined || head.length + tail.length > 7) return undefined;
    groups = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  }
  let value = 0n;
  for (const group of groups) value = (value << 16n) | BigInt(group);
  return value;
}

/** Either version; undefined when `text` is neither. */
export function parseIpLiteral(text: string): IpAddress | undefined {
  const v4 = parseIpv4(text);
  if (v4 !== undefined) return { version: 4, value: v4 };
  const v6 = parseIpv6(text);
  return v6 === undefined ? undefined : { version: 6, value: v6 };
}

/**
 * For the data plane: a socket's `remoteAddress` as the rules see it (`ip.src`). A zone id (`%eth0`) is
 * dropped and an IPv4-mapped IPv6 address (`::ffff:192.0.2.1`, dual-stack sockets) becomes IPv4, so IPv4 rules
 * match IPv4 clients whichever socket they came in on. Call it once per connection.
 */
export function parseIpAddress(text: string): IpAddress | undefined {
  const zone = text.indexOf('%');
  const address = parseIpLiteral(zone < 0 ? text : text.slice(0, zone));
  if (address?.version === 6 && address.value >> 32n === 0xffffn) {
    return { version: 4, value: address.value & 0xffffffffn };
  }
  return address;
}

export function formatIpv4(value: bigint): string {
  const n = Number(value);
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** RFC 5952: lowercase, no leading zeros, the longest run (≥ 2) of zero groups as `::`, leftmost on a tie. */
export function formatIpv6(value: bigint): string {
  if (value >> 32n === 0xffffn) {
    return `::ffff:${formatIpv4(value & 0xffffffffn)}`;
  }
  const groups: number[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) groups.push(Number((value >> shift) & 0xffffn));
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

export function formatIp(address: IpAddress): string {
  return address.version === 4 ? formatIpv4(address.value) : formatIpv6(address.value);
}

export function addressBits(version: 4 | 6): number {
  return version === 4 ? 32 : 128;
}
