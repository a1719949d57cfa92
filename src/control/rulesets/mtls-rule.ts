/**
 * The "mTLS rule" (API Shield's "Create mTLS rule", cloudflare-compatibility.md §6.4): one custom rule that
 * refuses requests to the given hostnames unless the client certificate verified — and, by default, is not
 * revoked, the docs' recommended hardening (a revoked certificate still verifies; only the rule refuses it).
 * Pure: the service checks that the hostnames are in the zone; this only writes the expression.
 *
 * @example
 *   mtlsRuleExpression(['b.example.com', 'a.example.com'])
 *   // (http.host in {"a.example.com" "b.example.com"} and (not cf.tls_client_auth.cert_verified or cf.tls_client_auth.cert_revoked))
 */
import { GW_ERR_API_VALIDATION } from '../../errors/index.ts';

export { MTLS_RULE_REF } from '../../model/records.ts';
export const MTLS_RULE_DESCRIPTION = 'mTLS rule';

export interface MtlsRuleOptions {
  /** Also refuse verified but revoked certificates (default true). */
  checkRevoked?: boolean;
}

/**
 * A string literal of the rules language that denotes exactly `text`'s UTF-8 bytes: `"` and `\` escaped, and
 * every byte outside printable ASCII as `\xHH`, so no input can end the literal or add a line.
 */
export function quoteRuleString(text: string): string {
  let out = '"';
  for (const byte of Buffer.from(text, 'utf8')) {
    if (byte === 0x22 || byte === 0x5c) out += `\\${String.fromCharCode(byte)}`;
    else if (byte >= 0x20 && byte < 0x7f) out += String.fromCharCode(byte);
    else out += `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  return `${out}"`;
}

/**
 * A `wildcard` pattern for a wildcard hostname (`*.api.example.com`): the leading `*` stays a wildcard, any other
 * `*` or `\` is escaped to stand for itself. `wildcard` ignores case and its `*` also spans dots, so the rule
 * covers at least every name the TLS wildcard covers (a rule that refuses may cover more, never less).
 */
function wildcardPattern(hostname: string): string {
  return `*${hostname.slice(1).replace(/[\\*]/g, (char) => `\\${char}`)}`;
}

/** The hostnames test: exact names in one set, wildcard names (`*.` prefix) each with `wildcard`. */
function hostTest(hostnames: readonly string[]): string {
  const unique = [...new Set(hostnames)].sort();
  const exact = unique.filter((hostname) => !hostname.startsWith('*.'));
  const wildcards = unique.filter((hostname) => hostname.startsWith('*.'));
  const tests = [
    ...(exact.length === 0 ? [] : [`http.host in {${exact.map(quoteRuleString).join(' ')}}`]),
    ...wildcards.map((hostname) => `http.host wildcard ${quoteRuleString(wildcardPattern(hostname))}`),
  ];
  return tests.length === 1 ? (tests[0] ?? '') : `(${tests.join(' or ')})`;
}

/**
 * mtlsRuleExpression: the expression of the mTLS rule for these hostnames (sorted, deduplicated). Throws on an
 * empty list: a rule for no hostname would be `http.host in {}`, which matches nothing and protects nothing.
 */
export function mtlsRuleExpression(hostnames: readonly string[], options: MtlsRuleOptions = {}): string {
  if (hostnames.length === 0) throw GW_ERR_API_VALIDATION.create('/hostnames: at least one hostname is required');
  const unverified =
    options.checkRevoked === false
      ? 'not cf.tls_client_auth.cert_verified'
      : '(not cf.tls_client_auth.cert_verified or cf.tls_client_auth.cert_revoked)';
  return `(${hostTest(hostnames)} and ${unverified})`;
}
