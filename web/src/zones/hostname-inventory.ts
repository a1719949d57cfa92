/**
 * The hostnames of a zone, gathered from everything that names one (routes, APIs, edge
 * certificates, CA associations, the mTLS rule): the API has no list of hostnames of its own, a
 * hostname exists as the configuration that mentions it. Pure: the zones page loads the parts.
 */
import type { EdgeCertificateWire, RuleWire } from '../../../src/admin-api/wire-types.ts';

/** The ref of the one rule "Require client certificates" writes (src/control/rulesets/mtls-rule.ts). */
export const MTLS_RULE_REF = 'portcullis_mtls_rule';

export interface TrustingCa {
  /** undefined: the account's managed CA. */
  readonly id: string | undefined;
  readonly name: string;
}

export interface Enforcement {
  /** The mTLS rule covers it (its action), or undefined. */
  readonly mtlsRule: 'block' | 'log' | 'disabled' | undefined;
  /** Other custom rules whose expression names the hostname and reads the client certificate. */
  readonly otherRules: readonly string[];
}

export interface HostnameRow {
  readonly hostname: string;
  /** Where it is used: route, API, edge certificate, association. */
  readonly usedBy: readonly string[];
  readonly edgeCertificate: EdgeCertificateWire | undefined;
  readonly cas: readonly TrustingCa[];
  readonly enforcement: Enforcement;
}

export interface InventoryParts {
  readonly routes: readonly { hostname: string }[];
  readonly apis: readonly { hostname: string; name: string }[];
  readonly edgeCertificates: readonly EdgeCertificateWire[];
  readonly associations: readonly { ca: TrustingCa; hostnames: readonly string[] }[];
  readonly rules: readonly RuleWire[];
}

/**
 * The string literals of a rule expression (rules language: `"…"` with `\"`, `\\` and `\xHH`
 * escapes), decoded: the hostnames the mTLS rule lists, or that another rule compares.
 */
export function stringLiterals(expression: string): string[] {
  const found: string[] = [];
  const literal = /"((?:[^"\\]|\\.)*)"/g;
  for (const match of expression.matchAll(literal)) {
    const body = match[1] ?? '';
    found.push(
      body.replace(/\\x([0-9a-fA-F]{2})|\\(.)/g, (_all, hex: string | undefined, char: string | undefined) =>
        hex === undefined ? (char ?? '') : String.fromCharCode(parseInt(hex, 16)),
      ),
    );
  }
  return found;
}

/** A wildcard pattern of the mTLS rule (`*.api.example.com`) or an exact name covers `hostname`. */
export function coveredBy(pattern: string, hostname: string): boolean {
  const name = hostname.toLowerCase();
  const wanted = pattern.toLowerCase();
  if (wanted.startsWith('*.')) return name.endsWith(wanted.slice(1)) || name === wanted;
  return name === wanted;
}

/** Whether an edge certificate's SAN (exact or `*.` one label) serves `hostname` (RFC 6125 §6.4.3). */
export function certificateServes(host: string, hostname: string): boolean {
  const name = hostname.toLowerCase();
  const pattern = host.toLowerCase();
  if (pattern === name) return true;
  if (!pattern.startsWith('*.') || name.startsWith('*.')) return false;
  const dot = name.indexOf('.');
  return dot > 0 && name.slice(dot) === pattern.slice(1);
}

export function mtlsRuleOf(rules: readonly RuleWire[]): RuleWire | undefined {
  return rules.find((rule) => rule.ref === MTLS_RULE_REF);
}

/** Every hostname of the zone, sorted, each with its certificate, its CAs and what enforces mTLS. */
export function hostnameInventory(parts: InventoryParts): HostnameRow[] {
  const usedBy = new Map<string, Set<string>>();
  const use = (hostname: string, what: string): void => {
    const key = hostname.toLowerCase();
    const set = usedBy.get(key) ?? new Set<string>();
    set.add(what);
    usedBy.set(key, set);
  };
  for (const route of parts.routes) use(route.hostname, 'route');
  for (const api of parts.apis) use(api.hostname, `API ${api.name}`);
  for (const association of parts.associations)
    for (const hostname of association.hostnames) use(hostname, 'CA association');
  for (const certificate of parts.edgeCertificates)
    for (const host of certificate.hosts) if (!host.startsWith('*.')) use(host, 'edge certificate');
  const mtlsRule = mtlsRuleOf(parts.rules);
  const mtlsHostnames = mtlsRule === undefined ? [] : stringLiterals(mtlsRule.expression);
  for (const hostname of mtlsHostnames) use(hostname, 'mTLS rule');
  const otherRules = parts.rules.filter(
    (rule) => rule.ref !== MTLS_RULE_REF && rule.enabled && rule.expression.includes('cf.tls_client_auth'),
  );
  return [...usedBy.keys()].sort().map((hostname) => {
    const covered = mtlsHostnames.some((pattern) => coveredBy(pattern, hostname));
    return {
      hostname,
      usedBy: [...(usedBy.get(hostname) ?? [])],
      edgeCertificate: parts.edgeCertificates.find((certificate) =>
        certificate.hosts.some((host) => certificateServes(host, hostname)),
      ),
      cas: parts.associations
        .filter((association) => association.hostnames.some((name) => name.toLowerCase() === hostname))
        .map((association) => association.ca),
      enforcement: {
        mtlsRule: !covered || mtlsRule === undefined ? undefined : mtlsRule.enabled ? ruleAction(mtlsRule) : 'disabled',
        otherRules: otherRules
          .filter((rule) => stringLiterals(rule.expression).some((literal) => coveredBy(literal, hostname)))
          .map((rule) => rule.description || rule.ref || rule.id),
      },
    };
  });
}

function ruleAction(rule: RuleWire): 'block' | 'log' {
  return rule.action === 'log' ? 'log' : 'block';
}
