/**
 * The SAN policy of a zone: which subject alternative names requested in a CSR the managed CA copies into the
 * client certificate it issues (docs/adr/0019-san-policy-for-issued-certificates.md). Every requested name is
 * either allowed or refused with a reason; the CA never drops one silently.
 *
 * - dNSName (RFC 5280 §4.2.1.6, RFC 1034 §3.5 preferred syntax): allowed when equal to or under one of
 *   `dnsDomains` (`*` = any name). A wildcard name is refused: a client certificate names one client.
 * - rfc822Name (RFC 5321 mailbox): allowed when its domain is equal to or under one of `emailDomains`.
 * - uniformResourceIdentifier (RFC 3986): allowed when it starts with one of `uriPrefixes` (compared as written).
 *   A prefix ends in `/` or `:`, so `spiffe://example.com/` cannot also allow `spiffe://example.com.evil/`.
 * - iPAddress: allowed when `ipAddresses` is true.
 * - otherName, directoryName, registeredID, x400Address, ediPartyName: always refused.
 *
 * Default for a zone that never set one (defaultSanPolicy): DNS names and email domains inside the zone's own
 * name, SPIFFE IDs in the trust domain named like the zone, no IP addresses.
 */

import type { RequestedSan } from './csr-san.ts';

export interface SanPolicy {
  readonly dnsDomains: readonly string[];
  readonly emailDomains: readonly string[];
  readonly uriPrefixes: readonly string[];
  readonly ipAddresses: boolean;
}

/** The policy's wire and YAML form (snake_case, like the rest of the admin API). */
export interface SanPolicyWire {
  dns_domains: string[];
  email_domains: string[];
  uri_prefixes: string[];
  ip_addresses: boolean;
}

export const ANY_DOMAIN = '*';
/** Bounds on one policy: enough for any real zone, small enough to check every CSR against quickly. */
export const MAX_POLICY_ENTRIES = 50;
const MAX_PREFIX_LENGTH = 200;
/** Bounds on one CSR's requested names (a CSR is at most 16 KiB anyway). */
export const MAX_REQUESTED_SANS = 100;
const MAX_URI_LENGTH = 2048;

export function defaultSanPolicy(zoneName: string): SanPolicy {
  return {
    dnsDomains: [zoneName],
    emailDomains: [zoneName],
    uriPrefixes: [`spiffe://${zoneName}/`],
    ipAddresses: false,
  };
}

export interface RefusedSan {
  readonly san: RequestedSan;
  readonly reason: string;
}

/** Splits the requested names into those the policy allows and those it refuses (with why). */
export function applySanPolicy(
  requested: readonly RequestedSan[],
  policy: SanPolicy,
): { allowed: RequestedSan[]; refused: RefusedSan[] } {
  const allowed: RequestedSan[] = [];
  const refused: RefusedSan[] = [];
  const seen = new Set<string>();
  for (const san of requested) {
    const key = `${san.kind}:${san.value.toLowerCase()}`;
    const reason = seen.has(key) ? 'requested twice' : refusalOf(san, policy);
    seen.add(key);
    if (reason === undefined) allowed.push(san);
    else refused.push({ san, reason });
  }
  return { allowed, refused };
}

/** One line naming every refused SAN and why, for the error message (values cut to 100 characters). */
export function describeRefusals(refused: readonly RefusedSan[]): string {
  return refused.map(({ san, reason }) => `${labelOf(san)} (${reason})`).join('; ');
}

function labelOf(san: RequestedSan): string {
  const value = san.value.length > 100 ? `${san.value.slice(0, 100)}…` : san.value;
  const printable = value.replace(/[^\x20-\x7e…]/g, '?');
  return san.kind === 'other' ? printable : `${san.kind.toUpperCase()}:${printable}`;
}

function refusalOf(san: RequestedSan, policy: SanPolicy): string | undefined {
  switch (san.kind) {
    case 'dns': {
      const problem = dnsNameProblem(san.value);
      if (problem !== undefined) return problem;
      return inDomains(san.value, policy.dnsDomains) ? undefined : `not under ${domainsText(policy.dnsDomains)}`;
    }
    case 'email': {
      const at = san.value.lastIndexOf('@');
      const local = san.value.slice(0, at);
      const domain = san.value.slice(at + 1);
      if (at <= 0 || local.includes('@') || !/^[\x21-\x7e]+$/.test(local)) return 'not a mailbox (local@domain)';
      if (dnsNameProblem(domain) !== undefined) return 'its domain is not a DNS name';
      return inDomains(domain, policy.emailDomains) ? undefined : `not under ${domainsText(policy.emailDomains)}`;
    }
    case 'uri': {
      if (san.value.length > MAX_URI_LENGTH) return `longer than ${MAX_URI_LENGTH} characters`;
      if (!/^[A-Za-z][A-Za-z0-9+.-]*:[\x21-\x7e]+$/.test(san.value)) return 'not an absolute URI (RFC 3986 §4.3)';
      if (policy.uriPrefixes.some((prefix) => san.value.startsWith(prefix))) return undefined;
      return policy.uriPrefixes.length === 0
        ? 'the zone allows no URIs'
        : `does not start with ${policy.uriPrefixes.join(' or ')}`;
    }
    case 'ip':
      return policy.ipAddresses ? undefined : 'the zone allows no IP addresses';
    case 'other':
      return 'the managed CA issues DNS, email, URI and IP names only';
  }
}

function domainsText(domains: readonly string[]): string {
  return domains.length === 0 ? 'any domain the zone allows (none)' : domains.join(', ');
}

function inDomains(name: string, domains: readonly string[]): boolean {
  const lower = name.toLowerCase();
  return domains.some((domain) => domain === ANY_DOMAIN || lower === domain || lower.endsWith(`.${domain}`));
}

/** RFC 1034 §3.5 preferred name syntax (digits may lead a label, RFC 1123 §2.1), 253 characters at most. */
export function dnsNameProblem(name: string): string | undefined {
  if (name.startsWith('*.')) return 'a wildcard name (a client certificate names one client)';
  if (name.length === 0 || name.length > 253) return 'not a DNS name (1 to 253 characters)';
  const labels = name.split('.');
  if (labels.some((label) => !/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(label))) {
    return 'not a DNS name (letters, digits and hyphens in dot-separated labels)';
  }
  return undefined;
}

/** Checks a policy in its wire form (a PATCH body, a YAML value). Throws an Error naming the first problem. */
export function readSanPolicy(wire: unknown): SanPolicy {
  if (typeof wire !== 'object' || wire === null || Array.isArray(wire)) throw new Error('the SAN policy is an object');
  const known = new Set(['dns_domains', 'email_domains', 'uri_prefixes', 'ip_addresses']);
  const fields = wire as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    if (!known.has(key))
      throw new Error(`unknown SAN policy field "${key.slice(0, 40)}"; known: ${[...known].join(', ')}`);
  }
  const ip = fields.ip_addresses ?? false;
  if (typeof ip !== 'boolean') throw new Error('ip_addresses is true or false');
  return {
    dnsDomains: readDomains(fields.dns_domains, 'dns_domains'),
    emailDomains: readDomains(fields.email_domains, 'email_domains'),
    uriPrefixes: readList(fields.uri_prefixes, 'uri_prefixes').map(checkPrefix),
    ipAddresses: ip,
  };
}

export function sanPolicyWire(policy: SanPolicy): SanPolicyWire {
  return {
    dns_domains: [...policy.dnsDomains],
    email_domains: [...policy.emailDomains],
    uri_prefixes: [...policy.uriPrefixes],
    ip_addresses: policy.ipAddresses,
  };
}

function readList(value: unknown, field: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
    throw new Error(`${field} is a list of strings`);
  }
  if (value.length > MAX_POLICY_ENTRIES) throw new Error(`${field} has more than ${MAX_POLICY_ENTRIES} entries`);
  return value as string[];
}

function readDomains(value: unknown, field: string): string[] {
  const domains = readList(value, field).map((domain) => domain.trim().toLowerCase().replace(/\.$/, ''));
  for (const domain of domains) {
    if (domain !== ANY_DOMAIN && dnsNameProblem(domain) !== undefined) {
      throw new Error(`${field}: "${domain.slice(0, 80)}" is not a domain name (or * for any)`);
    }
  }
  return [...new Set(domains)];
}

function checkPrefix(prefix: string): string {
  if (prefix.length > MAX_PREFIX_LENGTH || !/^[A-Za-z][A-Za-z0-9+.-]*:[\x21-\x7e]*$/.test(prefix)) {
    throw new Error(`uri_prefixes: "${prefix.slice(0, 80)}" does not start with a URI scheme (like spiffe://)`);
  }
  if (!prefix.endsWith('/') && !prefix.endsWith(':')) {
    throw new Error(
      `uri_prefixes: "${prefix.slice(0, 80)}" must end in / or : (so that it cannot match a longer authority or name)`,
    );
  }
  return prefix;
}
