/**
 * RuleContext: what a compiled rule reads from one request. The data plane implements it; the engine only
 * reads. It is split by lifetime so nothing is rebuilt per request that does not change per request:
 *
 *   RuleContext ─┬─ request     per request (host, URI, method, headers…)
 *                ├─ connection  per connection (client IP, TLS version, port)
 *                └─ clientAuth  per connection (the client certificate: cf.tls_client_auth.*)
 *
 * Compiled rules read a property only when the expression needs it, so implementations should use lazy,
 * memoised getters for anything that costs to compute (header arrays, the full URI). Reading a field must
 * not allocate on the evaluation path beyond what the getter itself chooses to cache.
 *
 * Strings are byte strings: one JS char per byte (0–255), which is what Node gives for header values and the
 * request target. Absent headers read as `""` (Cloudflare's default for String fields).
 */
import type { IpAddress } from './ip-address.ts';

export interface RuleContext {
  readonly request: RequestFields;
  readonly connection: ConnectionFields;
  readonly clientAuth: ClientAuthFields;
}

/**
 * Header map: keys are lowercase header names, values every occurrence in order (Node's `req.headersDistinct`
 * has exactly this shape). Only own properties are read.
 */
export type HeaderMap = Readonly<Record<string, readonly string[] | undefined>>;

export interface RequestFields {
  /** `http.host`: the Host header (or `:authority`), e.g. `www.example.org`. */
  readonly host: string;
  /** `http.request.method`: uppercase, `GET`. */
  readonly method: string;
  /** `http.request.uri`: path and query, `/articles/index?section=539061`. */
  readonly uri: string;
  /** `http.request.uri.path`: `/articles/index`. */
  readonly path: string;
  /** `http.request.uri.query`: without the `?`, `section=539061`. */
  readonly query: string;
  /** `http.request.full_uri`: `https://www.example.org/articles/index?section=539061` (no fragment). */
  readonly fullUri: string;
  /** `http.request.version`: `HTTP/1.1`, `HTTP/2`. */
  readonly version: string;
  /** `http.request.headers`. */
  readonly headers: HeaderMap;
  /**
   * Optional: `headers[name]` (name lowercase) without building the map, which `http.request.headers["x"]` — a
   * rule's usual way to read a header — then never needs. Must give exactly what `headers[name]` gives.
   */
  header?(name: string): readonly string[] | undefined;
  /** `http.request.headers.names`: names as sent (original case), in order, one per occurrence. */
  readonly headerNames: readonly string[];
  /** `http.request.headers.values`: values in the same order as `headerNames`. */
  readonly headerValues: readonly string[];
  /** `http.request.headers.truncated`: true when headers were dropped before the rules saw them. */
  readonly headersTruncated: boolean;
  /** `http.user_agent`, `http.cookie`, `http.referer`, `http.x_forwarded_for`: raw header values or `""`. */
  readonly userAgent: string;
  readonly cookie: string;
  readonly referer: string;
  readonly xForwardedFor: string;
}

export interface ConnectionFields {
  /** `ip.src`: the client address (IPv4-mapped IPv6 given as IPv4). Undefined reads as missing (never matches). */
  readonly sourceIp: IpAddress | undefined;
  /** `ssl`: the connection to the gateway is TLS. */
  readonly ssl: boolean;
  /** `cf.tls_version`: `TLSv1.3`; `""` without TLS. */
  readonly tlsVersion: string;
  /** `cf.tls_cipher`: OpenSSL name, `TLS_AES_128_GCM_SHA256`; `""` without TLS. */
  readonly tlsCipher: string;
  /** `cf.edge.server_port`: the port the client connected to, 1–65535. */
  readonly serverPort: number;
}

/** `cf.tls_client_auth.*` (cloudflare-compatibility.md §7.1); formats as there. */
export interface ClientAuthFields {
  readonly certPresented: boolean;
  readonly certVerified: boolean;
  readonly certRevoked: boolean;
  readonly certIssuerDn: string;
  readonly certSubjectDn: string;
  readonly certIssuerDnRfc2253: string;
  readonly certSubjectDnRfc2253: string;
  readonly certIssuerDnLegacy: string;
  readonly certSubjectDnLegacy: string;
  readonly certSerial: string;
  readonly certIssuerSerial: string;
  readonly certFingerprintSha256: string;
  readonly certFingerprintSha1: string;
  readonly certNotBefore: string;
  readonly certNotAfter: string;
  readonly certSki: string;
  readonly certIssuerSki: string;
  readonly certRfc9440: string;
  readonly certRfc9440TooLarge: boolean;
  readonly certChainRfc9440: string;
  readonly certChainRfc9440TooLarge: boolean;
}

/** The §7.1 defaults, for a connection without a client certificate. Share it; it is frozen. */
export const NO_CLIENT_CERTIFICATE: ClientAuthFields = Object.freeze({
  certPresented: false,
  certVerified: false,
  certRevoked: false,
  certIssuerDn: '',
  certSubjectDn: '',
  certIssuerDnRfc2253: '',
  certSubjectDnRfc2253: '',
  certIssuerDnLegacy: '',
  certSubjectDnLegacy: '',
  certSerial: '',
  certIssuerSerial: '',
  certFingerprintSha256: '',
  certFingerprintSha1: '',
  certNotBefore: '',
  certNotAfter: '',
  certSki: '',
  certIssuerSki: '',
  certRfc9440: '',
  certRfc9440TooLarge: false,
  certChainRfc9440: '',
  certChainRfc9440TooLarge: false,
});
