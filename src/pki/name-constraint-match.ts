/**
 * Name syntax and subtree matching for name constraints (RFC 5280 §4.2.1.10), one name form at a time. Pure
 * string and byte work; chain-rule-name-constraints.ts decides which names meet which constraints.
 *
 * Names are checked for syntax before they are matched: a name that is not a well-formed host name, mailbox or
 * URI cannot be placed inside or outside a subtree, so under a constraint of its form it is a violation (fail
 * closed), as x509-limbo's `nc-permits-invalid-*-san` cases expect. Comparisons are ASCII case-insensitive except
 * the local part of a mailbox (RFC 5280 §7.5).
 *
 * - dNSName: "adding zero or more labels to the left-hand side" of the constraint. A constraint with a leading
 *   period (`.example.com`), which RFC 5280 defines for URIs and mailboxes only, is read as OpenSSL and Go read
 *   it: subdomains only. An empty constraint matches every name. A wildcard leaf name `*.example.com` is the set
 *   of names one label below `example.com`: within a permitted subtree when the whole set is; excluded when an
 *   excluded subtree may hold one of them (a fail-closed approximation: any excluded subtree below the wildcard's
 *   parent counts).
 * - rfc822Name: the constraint is a mailbox (exact), a host (every mailbox on it) or `.domain` (every mailbox
 *   on a host under it).
 * - URI: the constraint applies to the host of the authority; `.domain` is hosts under it, otherwise one host.
 *   A URI without a host name (no authority, or an IP literal) is outside every URI constraint.
 * - iPAddress: 4 or 16 octets against an address and a contiguous mask of twice that length.
 */

const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;
const ATEXT = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+$/i;

/** A host name in preferred name syntax (RFC 1034 §3.5, with `_`), no trailing dot, lowercase or not. */
export function isHostName(name: string): boolean {
  if (name.length === 0 || name.length > 253) return false;
  return name
    .toLowerCase()
    .split('.')
    .every((label) => LABEL.test(label));
}

/** A dNSName of a certificate: a host name, or `*.` followed by one (a wildcard leaf name). */
export function isDnsName(name: string): boolean {
  return isHostName(name.startsWith('*.') ? name.slice(2) : name);
}

/** A dNSName constraint: empty (everything), a host name, or `.` and a host name (subdomains only). */
export function isDnsConstraint(constraint: string): boolean {
  return constraint === '' || isHostName(constraint.startsWith('.') ? constraint.slice(1) : constraint);
}

function endsWithLabels(name: string, suffix: string): boolean {
  return name.length > suffix.length && name.endsWith(`.${suffix}`);
}

/** `name` (a valid dNSName, maybe a wildcard) is wholly within the subtree of `constraint`. */
export function dnsWithin(name: string, constraint: string): boolean {
  const host = name.toLowerCase();
  const base = constraint.toLowerCase();
  if (base === '') return true;
  if (base.startsWith('.')) return endsWithLabels(host, base.slice(1));
  return host === base || endsWithLabels(host, base);
}

/** Some name that `name` stands for (itself, or one a wildcard covers) is within the subtree of `constraint`. */
export function dnsIntersects(name: string, constraint: string): boolean {
  if (dnsWithin(name, constraint)) return true;
  if (!name.startsWith('*.')) return false;
  const parent = name.slice(2).toLowerCase();
  const base = constraint.toLowerCase().replace(/^\./, '');
  return endsWithLabels(base, parent);
}

/** A mailbox `local@host`: a dot-atom local part (no quoted forms) and a host name. */
export function isMailbox(address: string): boolean {
  const at = address.indexOf('@');
  if (at <= 0 || at !== address.lastIndexOf('@')) return false;
  const local = address.slice(0, at);
  return local.split('.').every((atom) => ATEXT.test(atom)) && isHostName(address.slice(at + 1));
}

/** An rfc822Name constraint: a mailbox, a host name, or `.` and a host name. */
export function isEmailConstraint(constraint: string): boolean {
  if (constraint.includes('@')) return isMailbox(constraint);
  return isHostName(constraint.startsWith('.') ? constraint.slice(1) : constraint);
}

/** `address` (a valid mailbox) is within the subtree of `constraint` (a valid rfc822Name constraint). */
export function emailWithin(address: string, constraint: string): boolean {
  const at = address.indexOf('@');
  const local = address.slice(0, at);
  const host = address.slice(at + 1).toLowerCase();
  if (constraint.includes('@')) {
    const constraintAt = constraint.indexOf('@');
    return local === constraint.slice(0, constraintAt) && host === constraint.slice(constraintAt + 1).toLowerCase();
  }
  const base = constraint.toLowerCase();
  return base.startsWith('.') ? endsWithLabels(host, base.slice(1)) : host === base;
}

const URI_PREFIX = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i;

/** The host name of a URI's authority (userinfo and port removed), or undefined when it has none. */
export function uriHost(uri: string): string | undefined {
  const authority = URI_PREFIX.exec(uri)?.[1];
  if (authority === undefined) return undefined;
  const hostAndPort = authority.slice(authority.lastIndexOf('@') + 1);
  const host = hostAndPort.replace(/:\d*$/, '');
  return isHostName(host) ? host.toLowerCase() : undefined;
}

/** A URI constraint: a host name, or `.` and a host name. */
export function isUriConstraint(constraint: string): boolean {
  return isHostName(constraint.startsWith('.') ? constraint.slice(1) : constraint);
}

/** `host` (from uriHost) is within the subtree of `constraint` (a valid URI constraint). */
export function uriWithin(host: string, constraint: string): boolean {
  const base = constraint.toLowerCase();
  return base.startsWith('.') ? endsWithLabels(host, base.slice(1)) : host === base;
}

/** An iPAddress constraint: an IPv4 or IPv6 address and a mask of contiguous leading ones. */
export function isIpConstraint(constraint: Uint8Array): boolean {
  if (constraint.length !== 8 && constraint.length !== 32) return false;
  let seenZero = false;
  for (const byte of constraint.subarray(constraint.length / 2)) {
    for (let bit = 7; bit >= 0; bit--) {
      const one = ((byte >> bit) & 1) === 1;
      if (one && seenZero) return false;
      if (!one) seenZero = true;
    }
  }
  return true;
}

/** `address` (4 or 16 octets) is in the network `constraint` (address + mask); other families never are. */
export function ipWithin(address: Uint8Array, constraint: Uint8Array): boolean {
  if (constraint.length !== address.length * 2) return false;
  for (let i = 0; i < address.length; i++) {
    const mask = constraint[address.length + i] ?? 0;
    if (((address[i] ?? 0) & mask) !== ((constraint[i] ?? 0) & mask)) return false;
  }
  return true;
}
