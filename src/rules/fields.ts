/**
 * The field schema: every field an expression may name, its type, how a compiled rule reads it from a
 * RuleContext, and the example and description docs/reference/rules-language.md shows (a test keeps the two in
 * sync). Names and formats are Cloudflare's (cloudflare-compatibility.md §7.1, §7.2), so expressions written for
 * Cloudflare's custom rules work here unchanged. A name not listed here is a GW_ERR_RULE_UNKNOWN_NAME error.
 */
import type { RuleContext } from './rule-context.ts';
import { arrayOf, BOOL, INT, IP, mapOf, STRING, type RuleType } from './types.ts';

export interface FieldDefinition {
  readonly name: string;
  readonly type: RuleType;
  /** Reads the field. Created once at load; must not allocate. */
  readonly read: (context: RuleContext) => unknown;
  readonly description: string;
  /** An expression using the field, as users would write it. */
  readonly example: string;
  /** Map keys are lowercase (header names): a key with an upper-case letter could never match. */
  readonly lowercaseKeys?: boolean;
}

type Reader = (context: RuleContext) => unknown;

const definitions: FieldDefinition[] = [];

function field(
  name: string,
  type: RuleType,
  read: Reader,
  description: string,
  example: string,
  lowercaseKeys = false,
): void {
  definitions.push(Object.freeze({ name, type, read, description, example, lowercaseKeys }));
}

// HTTP request (per request).
field(
  'http.host',
  STRING,
  (c) => c.request.host,
  'The Host header (HTTP/2: `:authority`).',
  'http.host eq "www.example.org"',
);
field(
  'http.request.method',
  STRING,
  (c) => c.request.method,
  'The method, upper case.',
  'http.request.method in {"POST" "PUT"}',
);
field(
  'http.request.uri',
  STRING,
  (c) => c.request.uri,
  'Path and query of the request target, not decoded.',
  'http.request.uri eq "/articles/index?section=539061"',
);
field(
  'http.request.uri.path',
  STRING,
  (c) => c.request.path,
  'Path of the request target, not decoded.',
  'http.request.uri.path wildcard "/api/*"',
);
field(
  'http.request.uri.query',
  STRING,
  (c) => c.request.query,
  'Query string without the `?`, not decoded; `""` when none.',
  'http.request.uri.query contains "debug=1"',
);
field(
  'http.request.full_uri',
  STRING,
  (c) => c.request.fullUri,
  'Scheme, host, path and query (no fragment).',
  'http.request.full_uri wildcard "https://example.com/a/*"',
);
field(
  'http.request.version',
  STRING,
  (c) => c.request.version,
  'HTTP version: `HTTP/1.0`, `HTTP/1.1`, `HTTP/2`.',
  'http.request.version eq "HTTP/1.0"',
);
field(
  'http.request.headers',
  mapOf(arrayOf(STRING)),
  (c) => c.request.headers,
  'Request headers: lowercase names to every value in order, not decoded.',
  'any(http.request.headers["accept"][*] contains "json")',
  true,
);
field(
  'http.request.headers.names',
  arrayOf(STRING),
  (c) => c.request.headerNames,
  'Header names as sent (original case), one per occurrence.',
  'any(lower(http.request.headers.names[*])[*] == "x-debug")',
);
field(
  'http.request.headers.values',
  arrayOf(STRING),
  (c) => c.request.headerValues,
  'Header values in the order of `http.request.headers.names`.',
  'any(http.request.headers.values[*] contains "<script")',
);
field(
  'http.request.headers.truncated',
  BOOL,
  (c) => c.request.headersTruncated,
  'True when some headers were not made available to the rules.',
  'http.request.headers.truncated',
);
field(
  'http.user_agent',
  STRING,
  (c) => c.request.userAgent,
  'The User-Agent header; `""` when absent.',
  'http.user_agent contains "curl/"',
);
field(
  'http.cookie',
  STRING,
  (c) => c.request.cookie,
  'The Cookie header; `""` when absent.',
  'http.cookie contains "session="',
);
field('http.referer', STRING, (c) => c.request.referer, 'The Referer header; `""` when absent.', 'http.referer eq ""');
field(
  'http.x_forwarded_for',
  STRING,
  (c) => c.request.xForwardedFor,
  'The X-Forwarded-For header as received; `""` when absent.',
  'http.x_forwarded_for ne ""',
);

// Connection (per connection).
field(
  'ip.src',
  IP,
  (c) => c.connection.sourceIp,
  'Client IP address (an IPv4 client on a dual-stack socket is IPv4).',
  'ip.src in {192.0.2.0/24 2001:db8::/32}',
);
field('ssl', BOOL, (c) => c.connection.ssl, 'The client connected over TLS.', 'not ssl');
field(
  'cf.tls_version',
  STRING,
  (c) => c.connection.tlsVersion,
  'TLS version: `TLSv1.2`, `TLSv1.3`; `""` without TLS.',
  'cf.tls_version eq "TLSv1.2"',
);
field(
  'cf.tls_cipher',
  STRING,
  (c) => c.connection.tlsCipher,
  'Cipher suite, OpenSSL name: `TLS_AES_128_GCM_SHA256`.',
  'cf.tls_cipher eq "TLS_AES_128_GCM_SHA256"',
);
field(
  'cf.edge.server_port',
  INT,
  (c) => c.connection.serverPort,
  'Port the client connected to (1–65535).',
  'cf.edge.server_port in {443 8443..8449}',
);

// Client certificate (per connection; cloudflare-compatibility.md §7.1). Defaults apply without a certificate.
const ca = 'cf.tls_client_auth.';
field(
  `${ca}cert_presented`,
  BOOL,
  (c) => c.clientAuth.certPresented,
  'The client presented a certificate (valid or not). Default `false`.',
  `not ${ca}cert_presented`,
);
field(
  `${ca}cert_verified`,
  BOOL,
  (c) => c.clientAuth.certVerified,
  'A certificate was presented and is valid (also true when valid but revoked). Default `false`.',
  `not ${ca}cert_verified`,
);
field(
  `${ca}cert_revoked`,
  BOOL,
  (c) => c.clientAuth.certRevoked,
  'The certificate is valid but revoked (then `cert_verified` is true too). Default `false`.',
  `${ca}cert_revoked`,
);
field(
  `${ca}cert_issuer_dn`,
  STRING,
  (c) => c.clientAuth.certIssuerDn,
  'Issuer DN, RFC 2253 order, no spaces: `CN=Access Testing CA,OU=TX,O=Access Testing,L=Austin,ST=Texas,C=US`.',
  `${ca}cert_issuer_dn eq "CN=Access Testing CA,OU=TX,O=Access Testing,L=Austin,ST=Texas,C=US"`,
);
field(
  `${ca}cert_subject_dn`,
  STRING,
  (c) => c.clientAuth.certSubjectDn,
  'Subject DN, RFC 2253 order: `CN=James Royal,OU=Access Admins,O=Access,L=Austin,ST=Texas,C=US`.',
  `${ca}cert_subject_dn contains "OU=Access Admins"`,
);
field(
  `${ca}cert_issuer_dn_rfc2253`,
  STRING,
  (c) => c.clientAuth.certIssuerDnRfc2253,
  'Issuer DN in RFC 2253 form.',
  `${ca}cert_issuer_dn_rfc2253 eq "CN=Access Testing CA,OU=TX,O=Access Testing,L=Austin,ST=Texas,C=US"`,
);
field(
  `${ca}cert_subject_dn_rfc2253`,
  STRING,
  (c) => c.clientAuth.certSubjectDnRfc2253,
  'Subject DN in RFC 2253 form.',
  `${ca}cert_subject_dn_rfc2253 wildcard "CN=*,OU=Access Admins,*"`,
);
field(
  `${ca}cert_issuer_dn_legacy`,
  STRING,
  (c) => c.clientAuth.certIssuerDnLegacy,
  'Issuer DN, OpenSSL "oneline" form, root first: `/C=US/ST=Texas/L=Austin/O=Access Testing/OU=TX/CN=Access Testing CA`.',
  `ends_with(${ca}cert_issuer_dn_legacy, "/CN=Access Testing CA")`,
);
field(
  `${ca}cert_subject_dn_legacy`,
  STRING,
  (c) => c.clientAuth.certSubjectDnLegacy,
  'Subject DN, OpenSSL "oneline" form: `/C=US/ST=Texas/L=Austin/O=Access/OU=Access Admins/CN=James Royal`.',
  `starts_with(${ca}cert_subject_dn_legacy, "/C=US/")`,
);
field(
  `${ca}cert_serial`,
  STRING,
  (c) => c.clientAuth.certSerial,
  'Serial number, upper-case hex without colons: `527E0F20A20EA2A4146C78390F34CE7AF0878CA4`.',
  `${ca}cert_serial ne "527E0F20A20EA2A4146C78390F34CE7AF0878CA4"`,
);
field(
  `${ca}cert_issuer_serial`,
  STRING,
  (c) => c.clientAuth.certIssuerSerial,
  'Serial number of the direct issuer: `2688201DBA77402EA87118876F2E1B24CF8B0395`.',
  `${ca}cert_issuer_serial eq "2688201DBA77402EA87118876F2E1B24CF8B0395"`,
);
field(
  `${ca}cert_fingerprint_sha256`,
  STRING,
  (c) => c.clientAuth.certFingerprintSha256,
  'SHA-256 of the certificate DER, lower-case hex.',
  `${ca}cert_fingerprint_sha256 in {"af363dc85bc942a892d3cee9796190fdb36d89cd588a4f1cb17c74a943439714"}`,
);
field(
  `${ca}cert_fingerprint_sha1`,
  STRING,
  (c) => c.clientAuth.certFingerprintSha1,
  'SHA-1 of the certificate DER, lower-case hex.',
  `${ca}cert_fingerprint_sha1 eq "933ad5282c560ae3f482a43ecd73bc9de878a190"`,
);
field(
  `${ca}cert_not_before`,
  STRING,
  (c) => c.clientAuth.certNotBefore,
  'Start of validity: `Mar 21 13:35:00 2022 GMT` (a one-digit day is padded with a space).',
  `${ca}cert_not_before matches r"20(2[4-9]|3[0-9]) GMT$"`,
);
field(
  `${ca}cert_not_after`,
  STRING,
  (c) => c.clientAuth.certNotAfter,
  'End of validity: `Mar 21 13:35:00 2023 GMT`.',
  `ends_with(${ca}cert_not_after, "2023 GMT")`,
);
field(
  `${ca}cert_ski`,
  STRING,
  (c) => c.clientAuth.certSki,
  'Subject key identifier, upper-case hex: `27846FAE6EAC4A8DAD9101B519CF1EB460242831`.',
  `${ca}cert_ski eq "27846FAE6EAC4A8DAD9101B519CF1EB460242831"`,
);
field(
  `${ca}cert_issuer_ski`,
  STRING,
  (c) => c.clientAuth.certIssuerSki,
  'Subject key identifier of the direct issuer, upper-case hex.',
  `not (${ca}cert_verified and ${ca}cert_issuer_ski eq "A5AC554235DBA6D963B9CDE0185CFAD6E3F55E9F")`,
);
field(
  `${ca}cert_rfc9440`,
  STRING,
  (c) => c.clientAuth.certRfc9440,
  'The leaf as an RFC 9440 `Client-Cert` value `:<base64 DER>:`; `""` when none or over 10 KiB.',
  `${ca}cert_rfc9440 ne ""`,
);
field(
  `${ca}cert_rfc9440_too_large`,
  BOOL,
  (c) => c.clientAuth.certRfc9440TooLarge,
  'The leaf is over 10 KiB, so `cert_rfc9440` is empty.',
  `${ca}cert_rfc9440_too_large`,
);
field(
  `${ca}cert_chain_rfc9440`,
  STRING,
  (c) => c.clientAuth.certChainRfc9440,
  'Intermediates as sent, as an RFC 9440 `Client-Cert-Chain` list (`:…:, :…:`); `""` when none or over 16 KiB.',
  `${ca}cert_chain_rfc9440 ne ""`,
);
field(
  `${ca}cert_chain_rfc9440_too_large`,
  BOOL,
  (c) => c.clientAuth.certChainRfc9440TooLarge,
  'The chain is over 16 KiB, so `cert_chain_rfc9440` is empty.',
  `not ${ca}cert_chain_rfc9440_too_large`,
);

export const FIELDS: ReadonlyMap<string, FieldDefinition> = new Map(definitions.map((d) => [d.name, d]));

export function findField(name: string): FieldDefinition | undefined {
  return FIELDS.get(name);
}
