/**
 * What the gateway targets hand to their child process (gateway-server.ts): the job, the ready line
 * it prints, and the 20-rule ruleset of issue 5's benchmark. Shared by the parent (app/serve.ts) and
 * the child, so neither side guesses the other's format.
 */
import type { DynamicPart } from '../config.ts';

/** One gateway target's set-up, written as JSON to the work dir. */
export interface GatewayJob {
  /** The hostname the load goes to (SNI and Host): the bench client and probe use `localhost`. */
  hostname: string;
  serverCertFile: string;
  serverKeyFile: string;
  /** The client CA (the bench CA), trusted by every host with client auth 'optional'. */
  caFile: string;
  /** Serial of the bench client's certificate, which must not be among the revoked ones. */
  clientSerialHex: string;
  /** JSON HostCertificates (bench-pki.ts) of the other hostnames; null for one host. */
  otherHostsFile: string | null;
  /** Random revoked serials of the bench CA, in every host's revocation index. */
  revokedSerials: number;
  /** Compile BENCH_RULES + the mTLS rule into the zone's custom rules. */
  rules: boolean;
  /**
   * Issue 6: route `/` is an mtls_dynamic API; the bench client's certificate (`clientSha256`) has
   * a key with a rate limit it never reaches; analytics (recorder to a SQLite store in `workDir`)
   * and metrics are on.
   */
  dynamicMtls: boolean;
  /** Diagnosis (BENCH_DYNAMIC_WITHOUT): parts of the dynamic-mTLS set-up left out. */
  dynamicWithout: DynamicPart[];
  clientSha256: string;
  workDir: string;
  upstreamPort: number;
  identity: 'xfcc' | 'none';
  sessionTickets: boolean;
}

/** The child's ready line: `{"port":N,"figures":{...}}` on stdout. */
export interface GatewayReady {
  port: number;
  /** Set-up figures by name (ms, MiB, counts), shown in the report's start-up table. */
  figures: Record<string, number>;
}

/** The issue 5 mTLS rule (src/control/rulesets/mtls-rule.ts writes the same text): refuses unverified or revoked clients. */
export function mtlsRule(hostname: string): string {
  return `(http.host in {"${hostname}"} and (not cf.tls_client_auth.cert_verified or cf.tls_client_auth.cert_revoked))`;
}

/**
 * 19 realistic `block` rules that the bench request (GET /bench from 127.0.0.1, Host localhost,
 * User-Agent portcullis-bench, TLS 1.3, a verified and unrevoked client certificate) does NOT
 * match, so every request evaluates all of them: paths, a regex, user agents, IP lists, headers,
 * cookies, query, TLS and client-certificate fields. A rule that matched would turn the probe's
 * 200 into a 403, so a mistake here cannot go unnoticed.
 */
export const BENCH_RULES: readonly string[] = [
  'http.request.uri.path matches "^/(wp-admin|wp-login[.]php|xmlrpc[.]php|[.]env|[.]git/)"',
  'starts_with(http.request.uri.path, "/internal/") and not ip.src in {10.0.0.0/8}',
  'http.request.uri.path wildcard "/admin/*" and not cf.tls_client_auth.cert_subject_dn contains "OU=Admins"',
  'http.request.method in {"TRACE" "TRACK" "CONNECT"}',
  'http.request.method in {"POST" "PUT" "PATCH"} and not any(http.request.headers["content-type"][*] contains "json")',
  'http.user_agent eq ""',
  'lower(http.user_agent) contains "sqlmap" or lower(http.user_agent) contains "nikto"',
  'http.user_agent in {"masscan/1.3" "zgrab/0.x" "python-requests/2.31.0"}',
  'ip.src in {192.0.2.0/24 198.51.100.0/24 203.0.113.0/24 2001:db8::/32}',
  'ip.src in {45.155.205.0/24 185.220.100.0/22 91.240.118.0/24 141.98.11.0/24 5.188.206.0/24}',
  'any(http.request.headers["x-api-key"][*] in {"revoked-key-1" "revoked-key-2" "revoked-key-3"})',
  'any(lower(http.request.headers.names[*])[*] == "x-debug")',
  'http.cookie contains "debug=1"',
  'len(http.request.uri.query) > 2048',
  'lower(http.request.uri.query) contains "union select"',
  'http.referer ne "" and not http.referer wildcard "https://*.example.com/*"',
  'cf.tls_version in {"TLSv1" "TLSv1.1"}',
  'cf.tls_client_auth.cert_verified and cf.tls_client_auth.cert_subject_dn contains "OU=Contractors"',
  'cf.tls_client_auth.cert_serial in {"00AA" "00BB" "527E0F20A20EA2A4146C78390F34CE7AF0878CA5"}',
];
