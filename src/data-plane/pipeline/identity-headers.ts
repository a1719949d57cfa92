/**
 * Identity headers: the names a client could use to spoof a certificate identity (always stripped from the
 * request, docs/architecture.md, "A request's path"), and the verified identity the gateway sends upstream instead, in three formats:
 *
 * - `xfcc`: Envoy's `x-forwarded-client-cert`
 *   (https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_conn_man/headers#x-forwarded-client-cert),
 *   `Hash=<sha256>;Subject="<RFC 4514 DN>";URI=<uri>;DNS=<dns>`. Only for a verified, unrevoked certificate.
 * - `rfc9440`: RFC 9440 `Client-Cert` / `Client-Cert-Chain` (Structured-Field byte sequences). Only for a
 *   verified, unrevoked certificate, as in Cloudflare's recommended transform rules
 *   (cloudflare-compatibility.md §8.2).
 * - `cf`: Cloudflare's managed transform `cf-cert-*` headers (cloudflare-compatibility.md §8.1), always including
 *   `cf-cert-presented` / `-verified` / `-revoked`.
 *
 * Security posture (hostile-input.md class 3): values come only from DER-parsed fields, with strict escaping. Every
 * value is printable ASCII (0x20-0x7E), checked once more before it is emitted; a value that fails the check is
 * dropped rather than sent. In XFCC, URI and DNS values have every byte that is a control character, a space, DEL
 * or non-ASCII (as UTF-8) percent-encoded (`%0D`, `%C3%A9`): it is the escaping URIs already use, and none of those
 * bytes can appear in a valid URI or DNS name, so the encoded form cannot collide with a real one. A value that
 * then contains `,` `;` `=` `"` or `\` is double-quoted with `"` and `\` backslash-escaped; Subject is always
 * quoted.
 */
import { Buffer } from 'node:buffer';
import type { CertificateFields } from '../../pki/certificate-fields.ts';

import type { IdentityFormat } from '../../config/identity-formats.ts';

export type IdentityHeaderFormat = IdentityFormat;
export { IDENTITY_FORMATS as IDENTITY_HEADER_FORMATS } from '../../config/identity-formats.ts';

/** Cloudflare leaves `cert_chain_rfc9440` empty when the chain's DER totals more than 16 KiB. */
export const RFC9440_MAX_CHAIN_BYTES = 16 * 1024;

// ---------------------------------------------------------------------------------------------------------------
// Client-sent identity headers.

/**
 * Name prefixes (with `-`; `_` matches too) of headers that carry a client-certificate identity somewhere. Each
 * entry also matches longer names (`client-cert` covers `client-cert-chain`). Kept specific: `x-client-id` or
 * `x-client-ip` are ordinary application headers and must pass.
 */
const IDENTITY_HEADER_PREFIXES: readonly string[] = [
  'x-forwarded-client-cert', // Envoy XFCC
  'client-cert', // RFC 9440 Client-Cert, Client-Cert-Chain
  'cf-cert-', // Cloudflare managed transform
  'cf-client-cert-', // Cloudflare Access certificate forwarding
  'x-ssl-client-', // nginx / HAProxy conventions (X-SSL-Client-Verify, -DN, -Cert)
  'x-ssl-cert', // nginx convention (X-SSL-Cert)
  'x-client-cert', // X-Client-Cert, X-Client-Certificate
  'x-client-verify', // nginx convention ($ssl_client_verify)
  'x-client-dn', // nginx convention ($ssl_client_s_dn)
  'ssl-client-', // Apache mod_ssl variables forwarded as headers (SSL_CLIENT_S_DN, ...)
  'x-forwarded-tls-client-cert', // Traefik passTLSClientCert (and -info)
  'x-amzn-mtls-clientcert', // AWS ALB mTLS
  'x-arr-clientcert', // Azure App Service / ARR
];

/** Prefixes grouped by first character, so most names are rejected with one table look-up. */
const PREFIXES_BY_FIRST_CHAR: readonly (readonly string[] | undefined)[] = (() => {
  const table: string[][] = [];
  for (const prefix of IDENTITY_HEADER_PREFIXES) (table[prefix.charCodeAt(0)] ??= []).push(prefix);
  return Array.from({ length: 128 }, (_, c) => table[c]);
})();

const SHORTEST_PREFIX = Math.min(...IDENTITY_HEADER_PREFIXES.map((prefix) => prefix.length));

/**
 * isClientIdentityHeader: true for any header a client could use to spoof a certificate identity, including
 * `_` spellings (`x_forwarded_client_cert`, `cf_cert_subject_dn`) that some upstream servers fold into `-`.
 * Takes the lowercase name, as Node delivers it.
 *
 * @example
 * isClientIdentityHeader('cf-cert-subject-dn'); // true
 * isClientIdentityHeader('x-forwarded-for'); // false
 */
export function isClientIdentityHeader(lowercaseName: string): boolean {
  if (lowercaseName.length < SHORTEST_PREFIX) return false;
  const prefixes = PREFIXES_BY_FIRST_CHAR[lowercaseName.charCodeAt(0)];
  if (prefixes === undefined) return false;
  for (const prefix of prefixes) {
    if (startsWithFolded(lowercaseName, prefix)) return true;
  }
  return false;
}

/** `name.startsWith(prefix)` where `_` in name matches `-` in prefix. The first characters are known equal. */
function startsWithFolded(name: string, prefix: string): boolean {
  if (name.length < prefix.length) return false;
  for (let i = 1; i < prefix.length; i++) {
    const expected = prefix.charCodeAt(i);
    const actual = name.charCodeAt(i);
    if (actual !== expected && !(expected === 0x2d /* - */ && actual === 0x5f) /* _ */) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------------------------
// Headers sent upstream.

export interface IdentityForHeaders {
  presented: boolean;
  verified: boolean;
  revoked: boolean;
  /** undefined when no certificate was presented. */
  fields: CertificateFields | undefined;
  /** Intermediates as received, leaf excluded. */
  chainDer: readonly Uint8Array[];
}

/**
 * buildIdentityHeaders: headers (lowercase names to values) to send upstream for this identity, for the formats
 * asked. The result depends only on the identity (so it can be memoised while `revoked` stays the same), never
 * on the request.
 */
export function buildIdentityHeaders(
  identity: IdentityForHeaders,
  formats: readonly IdentityHeaderFormat[],
): Record<string, string> {
  const headers: Record<string, string> = {};
  const fields = identity.fields;
  const trusted = identity.verified && !identity.revoked && fields !== undefined;
  for (const format of formats) {
    if (format === 'cf') addCloudflareHeaders(headers, identity);
    else if (!trusted) continue;
    else if (format === 'xfcc') set(headers, 'x-forwarded-client-cert', xfcc(fields));
    else addRfc9440Headers(headers, fields, identity.chainDer);
  }
  return headers;
}

function addCloudflareHeaders(headers: Record<string, string>, identity: IdentityForHeaders): void {
  headers['cf-cert-presented'] = String(identity.presented);
  headers['cf-cert-verified'] = String(identity.verified);
  headers['cf-cert-revoked'] = String(identity.revoked);
  const fields = identity.fields;
  if (fields === undefined) return;
  set(headers, 'cf-cert-issuer-dn', fields.issuerDn);
  set(headers, 'cf-cert-subject-dn', fields.subjectDn);
  set(headers, 'cf-cert-issuer-dn-rfc2253', fields.issuerDn);
  set(headers, 'cf-cert-subject-dn-rfc2253', fields.subjectDn);
  set(headers, 'cf-cert-issuer-dn-legacy', fields.issuerDnLegacy);
  set(headers, 'cf-cert-subject-dn-legacy', fields.subjectDnLegacy);
  set(headers, 'cf-cert-serial', fields.serial);
  set(headers, 'cf-cert-issuer-serial', fields.issuerSerial);
  set(headers, 'cf-cert-sha256', fields.fingerprintSha256);
  set(headers, 'cf-cert-sha1', fields.fingerprintSha1);
  // The spellings Cloudflare's docs used until 2026 (cloudflare-docs #31107); sent too for older origins.
  set(headers, 'cf-cert-fingerprint-sha256', fields.fingerprintSha256);
  set(headers, 'cf-cert-fingerprint-sha1', fields.fingerprintSha1);
  set(headers, 'cf-cert-not-before', fields.notBefore);
  set(headers, 'cf-cert-not-after', fields.notAfter);
  set(headers, 'cf-cert-ski', fields.ski);
  set(headers, 'cf-cert-issuer-ski', fields.issuerSki);
}

function addRfc9440Headers(
  headers: Record<string, string>,
  fields: CertificateFields,
  chainDer: readonly Uint8Array[],
): void {
  if (!fields.rfc9440TooLarge) set(headers, 'client-cert', fields.rfc9440);
  if (chainDer.length === 0) return;
  let total = 0;
  for (const der of chainDer) total += der.byteLength;
  if (total > RFC9440_MAX_CHAIN_BYTES) return;
  set(headers, 'client-cert-chain', chainDer.map(byteSequence).join(', '));
}

/** RFC 8941 §3.3.5 Byte Sequence: `:` base64 `:`. */
function byteSequence(der: Uint8Array): string {
  return ':' + Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64') + ':';
}

function xfcc(fields: CertificateFields): string {
  let value = `Hash=${fields.fingerprintSha256};Subject="${backslashEscape(fields.subjectDn)}"`;
  for (const uri of fields.uris) value += ';URI=' + xfccValue(percentEncodeUnsafe(uri));
  for (const dns of fields.dnsNames) value += ';DNS=' + xfccValue(percentEncodeUnsafe(dns));
  return value;
}

/** Quotes a value that holds an XFCC delimiter (`,` `;` `=`) or a quoting character (`"` `\`). */
function xfccValue(value: string): string {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x2c || c === 0x3b || c === 0x3d || c === 0x22 || c === 0x5c) return `"${backslashEscape(value)}"`;
  }
  return value;
}

function backslashEscape(value: string): string {
  let out = '';
  let runStart = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c !== 0x22 && c !== 0x5c) continue;
    out += value.slice(runStart, i) + '\\' + value.charAt(i);
    runStart = i + 1;
  }
  return runStart === 0 ? value : out + value.slice(runStart);
}

/** Percent-encodes the UTF-8 bytes of every character outside 0x21-0x7E. */
function percentEncodeUnsafe(value: string): string {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) return percentEncodeFrom(value, i);
  }
  return value;
}

function percentEncodeFrom(value: string, start: number): string {
  let out = value.slice(0, start);
  const rest = Buffer.from(value.slice(start), 'utf8'); // lone surrogates become U+FFFD
  for (const byte of rest) {
    out +=
      byte <= 0x20 || byte >= 0x7f
        ? '%' + (byte < 16 ? '0' : '') + byte.toString(16).toUpperCase()
        : String.fromCharCode(byte);
  }
  return out;
}

/** Sets a header when the value is non-empty and printable ASCII; anything else is never emitted. */
function set(headers: Record<string, string>, name: string, value: string): void {
  if (value === '' || !isPrintableAscii(value)) return;
  headers[name] = value;
}

function isPrintableAscii(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}
