/**
 * outboundAddressProblem: whether the gateway may connect to an address to fetch a CRL or ask an
 * OCSP responder (docs/adr/0014, server-side request forgery). The URLs come from certificates and
 * from operators, and the gateway runs inside networks that trust it, so by default only public
 * unicast addresses are reached:
 *
 *   always refused   unspecified, link-local (169.254/16 and fe80::/10: cloud metadata services
 *                    live there), multicast, broadcast and reserved, documentation and benchmark
 *                    ranges, 6to4 and Teredo (they embed another address), IETF special ranges
 *   refused unless   loopback (127/8, ::1), private (10/8, 172.16/12, 192.168/16, fc00::/7),
 *   the CA allows    shared address space (100.64/10, RFC 6598)
 *   private ranges
 *
 * IPv4-mapped IPv6 addresses are judged as the IPv4 address they carry (parseIpAddress), and NAT64
 * addresses (64:ff9b::/96) likewise. Pure.
 */
import { parseIpAddress } from '../../rules/index.ts';

interface Range {
  readonly base: bigint;
  readonly bits: number;
  readonly kind: 'reserved' | 'private' | 'loopback';
}

const v4 = (text: string, bits: number, kind: Range['kind']): Range => {
  const parsed = parseIpAddress(text);
  if (parsed?.version !== 4) throw new Error(`bad range ${text}`);
  return { base: parsed.value, bits, kind };
};
const v6 = (text: string, bits: number, kind: Range['kind']): Range => {
  const parsed = parseIpAddress(text);
  if (parsed?.version !== 6) throw new Error(`bad range ${text}`);
  return { base: parsed.value, bits, kind };
};

const V4_RANGES: readonly Range[] = [
  v4('0.0.0.0', 8, 'reserved'),
  v4('10.0.0.0', 8, 'private'),
  v4('100.64.0.0', 10, 'private'),
  v4('127.0.0.0', 8, 'loopback'),
  v4('169.254.0.0', 16, 'reserved'),
  v4('172.16.0.0', 12, 'private'),
  v4('192.0.0.0', 24, 'reserved'),
  v4('192.0.2.0', 24, 'reserved'),
  v4('192.88.99.0', 24, 'reserved'),
  v4('192.168.0.0', 16, 'private'),
  v4('198.18.0.0', 15, 'reserved'),
  v4('198.51.100.0', 24, 'reserved'),
  v4('203.0.113.0', 24, 'reserved'),
  v4('224.0.0.0', 4, 'reserved'),
  v4('240.0.0.0', 4, 'reserved'),
];

const V6_RANGES: readonly Range[] = [
  v6('::', 128, 'reserved'),
  v6('::1', 128, 'loopback'),
  v6('100::', 64, 'reserved'),
  v6('2001::', 23, 'reserved'),
  v6('2001:db8::', 32, 'reserved'),
  v6('2002::', 16, 'reserved'),
  v6('fc00::', 7, 'private'),
  v6('fe80::', 10, 'reserved'),
  v6('ff00::', 8, 'reserved'),
];

const NAT64 = v6('64:ff9b::', 96, 'reserved');

function inRange(value: bigint, width: number, range: Range): boolean {
  const shift = BigInt(width - range.bits);
  return value >> shift === range.base >> shift;
}

/** Why the gateway must not connect to `address`; undefined when it may. */
export function outboundAddressProblem(address: string, allowPrivateAddresses: boolean): string | undefined {
  const parsed = parseIpAddress(address);
  if (parsed === undefined) return 'not an IP address';
  let { version, value } = parsed;
  if (version === 6 && inRange(value, 128, NAT64)) {
    version = 4;
    value &= 0xffffffffn;
  }
  const ranges = version === 4 ? V4_RANGES : V6_RANGES;
  const range = ranges.find((candidate) => inRange(value, version === 4 ? 32 : 128, candidate));
  if (range === undefined) return undefined;
  if (range.kind === 'reserved') return 'a reserved, link-local or multicast address';
  if (allowPrivateAddresses) return undefined;
  return range.kind === 'loopback'
    ? 'a loopback address (allow_private_addresses is off)'
    : 'a private address (allow_private_addresses is off)';
}
