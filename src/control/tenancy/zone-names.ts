/**
 * Zone names as claims on the DNS tree (docs/adr/0007-zone-ownership.md). A zone claims its name and
 * every hostname under it, so two zones overlap when one's name equals, contains or lies under the
 * other's. The control plane refuses overlaps across accounts unless the operator delegates them;
 * the snapshot compiler (hostname-ownership.ts) enforces the same rule on what is stored.
 */

/** How a zone name relates to another: the same name, a parent of it, or a subdomain of it. */
export type ZoneOverlap = 'same' | 'parent' | 'subdomain';

/** How `name` relates to `other` (both normalised: lowercase, no trailing dot), or undefined. */
export function overlapOf(name: string, other: string): ZoneOverlap | undefined {
  if (name === other) return 'same';
  if (other.endsWith(`.${name}`)) return 'parent';
  if (name.endsWith(`.${other}`)) return 'subdomain';
  return undefined;
}

/** `name` and each of its parent domains, most specific first: `a.b.test` → a.b.test, b.test, test. */
export function enclosingNames(name: string): string[] {
  const names: string[] = [];
  for (let rest = name; rest !== '';) {
    names.push(rest);
    const dot = rest.indexOf('.');
    rest = dot < 0 ? '' : rest.slice(dot + 1);
  }
  return names;
}

/**
 * `localhost` and every name under it (RFC 6761 §6.3): the local machine to every client, and the
 * name the gateway's own default certificate carries.
 */
const LOOPBACK_ZONE = 'localhost';

/**
 * Why a zone name belongs to the operator, or undefined. Reserved: `localhost` and its subdomains
 * (RFC 6761 §6.3), and the gateway's own hostnames (`operatorHostnames`: the host of --public-url,
 * which every issued certificate names for its CRL and OCSP URLs and the default certificate
 * carries), each with its parents and subdomains, since a zone claims everything under it.
 */
export function reservedReason(name: string, operatorHostnames: readonly string[]): string | undefined {
  if (name === LOOPBACK_ZONE || name.endsWith(`.${LOOPBACK_ZONE}`)) {
    return `${name} is the local machine (RFC 6761 §6.3)`;
  }
  for (const hostname of operatorHostnames) {
    if (overlapOf(name, hostname) !== undefined) return `${name} claims ${hostname}, a name of the gateway itself`;
  }
  return undefined;
}
