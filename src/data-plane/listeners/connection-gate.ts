/**
 * ConnectionGate: counts the listener's open connections, in total and per client, and says which
 * cap (if any) a new one would exceed. The listener asks at TCP accept, before a byte of the
 * ClientHello is read, and closes the excess there: a flood costs no TLS handshake and no memory
 * beyond the socket it already was (docs/adr/0012).
 *
 * A client is its IPv4 address, or the /64 prefix of its IPv6 address: one IPv6 host is normally
 * handed a whole /64 (RFC 4291 §2.5.4 interface identifiers), so counting single addresses there
 * would let one client open 2^64 "clients". IPv4-mapped IPv6 addresses count as the IPv4 address.
 */
import net from 'node:net';
import type { ConnectionLimits } from '../../config/connection-limits.ts';

export type ConnectionRefusal = 'max_connections' | 'max_connections_per_client';

export class ConnectionGate {
  readonly #limits: ConnectionLimits;
  readonly #perClient = new Map<string, number>();
  #open = 0;

  constructor(limits: ConnectionLimits) {
    this.#limits = limits;
  }

  get openConnections(): number {
    return this.#open;
  }

  /** Counts the connection in, or returns the cap it would exceed. `release(client)` exactly once per admitted one. */
  admit(client: string): ConnectionRefusal | undefined {
    const { maxConnections, maxConnectionsPerClient } = this.#limits;
    if (maxConnections > 0 && this.#open >= maxConnections) return 'max_connections';
    const fromClient = this.#perClient.get(client) ?? 0;
    if (maxConnectionsPerClient > 0 && fromClient >= maxConnectionsPerClient) return 'max_connections_per_client';
    this.#open++;
    this.#perClient.set(client, fromClient + 1);
    return undefined;
  }

  release(client: string): void {
    this.#open--;
    const left = (this.#perClient.get(client) ?? 1) - 1;
    if (left > 0) this.#perClient.set(client, left);
    else this.#perClient.delete(client);
  }
}

const IPV4_MAPPED = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/** What counts as one client: `remoteAddress` itself for IPv4, its /64 for IPv6 (see the header). */
export function clientOf(remoteAddress: string): string {
  if (net.isIPv6(remoteAddress)) {
    const mapped = IPV4_MAPPED.exec(remoteAddress);
    return mapped?.[1] ?? ipv6Prefix64(remoteAddress);
  }
  return remoteAddress;
}

/** `2001:db8:1:2:…` → `2001:db8:1:2::/64`, whatever the notation (`::` compression, a zone id). */
function ipv6Prefix64(address: string): string {
  const zone = address.indexOf('%');
  const bare = zone < 0 ? address : address.slice(0, zone);
  const [head = '', tail] = bare.split('::');
  const groups = (text: string): string[] => (text === '' ? [] : text.split(':'));
  // An embedded IPv4 address (RFC 4291 §2.2, form 3) fills the last two groups.
  const width = (list: string[]): number => list.reduce((sum, group) => sum + (group.includes('.') ? 2 : 1), 0);
  const first = groups(head);
  const last = tail === undefined ? [] : groups(tail);
  const zeros = tail === undefined ? [] : Array.from({ length: 8 - width(first) - width(last) }, () => '0');
  const full = [...first, ...zeros, ...last];
  return `${full
    .slice(0, 4)
    .map((group) => Number.parseInt(group, 16).toString(16))
    .join(':')}::/64`;
}
