/**
 * validateApiInput: an API (Tyk's API definition) as a client writes it, checked and normalised
 * into what the store keeps. Pure: no store, no clock. Whether allowlisted certificates exist (and
 * are leaves) is the service's check, since it needs the store.
 *
 *   name               1..255 characters, trimmed
 *   hostname           in the zone, as for routes (normaliseHostname)
 *   listen_path        as a route's path_prefix (default `/`, segment boundaries, no trailing `/`)
 *   upstream_url       as a route's upstream (http://, https://, h2c://); protocol `grpc` needs
 *                      h2c:// or https://: gRPC runs over HTTP/2 and the gateway speaks HTTP/1.1 to
 *                      an http:// upstream, so it could not carry it (refused, not downgraded)
 *   auth.mode          keyless | mtls_static | mtls_dynamic | token
 *   auth.token_required       mtls_static only: a token key is needed as well as the certificate
 *   auth.allowed_certificates mtls_static only, and then 1..1000 entries, each exactly one of
 *                      { mtls_certificate_id } (a leaf uploaded to the account),
 *                      { client_certificate_id } (issued in the zone) or { sha256 } (64 hex,
 *                      colons allowed, kept lowercase without colons); duplicates are merged
 *   rate_limit         { rate, per } or null, over all clients of the API
 *   upstream_timeout_ms 1 ms to 24 h, or null/absent: the gateway's default (upstream-timeout-input.ts)
 */
import { GW_ERR_API_VALIDATION } from '../../errors/index.ts';
import {
  API_AUTH_MODES,
  type AllowedCertificate,
  type ApiAuthMode,
  type ApiDefinitionRecord,
  type ZoneRecord,
} from '../../model/records.ts';
import { normaliseHostname } from '../certificates/hostname-association-service.ts';
import { normalisePathPrefix, normaliseUpstream } from '../routes/route-input.ts';
import {
  MAX_ALLOWED_CERTIFICATES,
  type AllowedCertificateInput,
  type ApiAuthInput,
  type ApiInput,
} from '../../model/shapes/gateway-api-shape.ts';
import { checkBoolean, checkName, validateRateLimit } from './gateway-policy-input.ts';
import { validateUpstreamTimeout } from '../routes/upstream-timeout-input.ts';

export type { AllowedCertificateInput, ApiAuthInput, ApiInput };
export { MAX_ALLOWED_CERTIFICATES };

/** An API as the store keeps it, without id, zone and times. */
export type ValidApi = Omit<ApiDefinitionRecord, 'id' | 'zoneId' | 'createdOn' | 'modifiedOn'>;

export const API_PROTOCOLS = ['http', 'grpc'] as const;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SHA256_WITH_COLONS = /^[0-9a-f]{2}(?::[0-9a-f]{2}){31}$/;
const SHA256_PLAIN = /^[0-9a-f]{64}$/;

export function validateApiInput(input: ApiInput, zone: ZoneRecord): ValidApi {
  requireString(input.hostname, 'hostname');
  requireString(input.upstream_url, 'upstream_url');
  if (input.listen_path !== undefined) requireString(input.listen_path, 'listen_path');
  const protocol = input.protocol ?? 'http';
  if (!(API_PROTOCOLS as readonly unknown[]).includes(protocol)) {
    throw GW_ERR_API_VALIDATION.create(`protocol must be one of ${API_PROTOCOLS.join(', ')}`);
  }
  const upstreamUrl = normaliseUpstream(input.upstream_url, 'upstream_url');
  if (protocol === 'grpc' && upstreamUrl.startsWith('http://')) {
    throw GW_ERR_API_VALIDATION.create(
      'protocol grpc needs an h2c:// or https:// upstream_url: gRPC runs over HTTP/2, and the gateway speaks HTTP/1.1 to http:// upstreams',
    );
  }
  return {
    name: checkName(input.name, 'name', 1),
    hostname: normaliseHostname(input.hostname, zone),
    listenPath: normalisePathPrefix(input.listen_path ?? '/', 'listen_path'),
    upstreamUrl,
    stripListenPath: checkBoolean(input.strip_listen_path ?? false, 'strip_listen_path'),
    upstreamTimeoutMs: validateUpstreamTimeout(input.upstream_timeout_ms),
    protocol: protocol as ValidApi['protocol'],
    active: checkBoolean(input.active ?? true, 'active'),
    ...validateAuth(input.auth),
    rateLimit: validateRateLimit(input.rate_limit ?? null, 'rate_limit'),
  };
}

/** The input form of a stored API (PATCH merges a body into it); validating it again changes nothing. */
export function apiInputOf(api: ValidApi): ApiInput {
  return {
    name: api.name,
    hostname: api.hostname,
    listen_path: api.listenPath,
    upstream_url: api.upstreamUrl,
    strip_listen_path: api.stripListenPath,
    upstream_timeout_ms: api.upstreamTimeoutMs,
    protocol: api.protocol,
    active: api.active,
    auth: {
      mode: api.authMode,
      token_required: api.tokenRequired,
      allowed_certificates: api.allowedCertificates.map(allowedInputOf),
    },
    rate_limit: api.rateLimit,
  };
}

export function allowedInputOf(entry: AllowedCertificate): AllowedCertificateInput {
  switch (entry.kind) {
    case 'mtls_certificate':
      return { mtls_certificate_id: entry.id };
    case 'client_certificate':
      return { client_certificate_id: entry.id };
    case 'sha256':
      return { sha256: entry.value };
  }
}

/**
 * A SHA-256 fingerprint as people copy it (`AB:CD:…` from openssl, or 64 hex in any case), as
 * lowercase hex without colons.
 *
 * @example normaliseSha256Fingerprint('AB:CD:…', 'sha256') // 'abcd…'
 */
export function normaliseSha256Fingerprint(value: unknown, field: string): string {
  if (typeof value !== 'string') throw GW_ERR_API_VALIDATION.create(`${field} must be a string`);
  const lower = value.trim().toLowerCase();
  if (SHA256_PLAIN.test(lower)) return lower;
  if (SHA256_WITH_COLONS.test(lower)) return lower.replaceAll(':', '');
  throw GW_ERR_API_VALIDATION.create(
    `${field} must be a SHA-256 fingerprint: 64 hex characters, optionally in colon-separated pairs`,
  );
}

type ValidAuth = Pick<ValidApi, 'authMode' | 'tokenRequired' | 'allowedCertificates'>;

function validateAuth(input: unknown): ValidAuth {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw GW_ERR_API_VALIDATION.create('auth must be an object with a mode');
  }
  const auth = input as Partial<Record<keyof ApiAuthInput, unknown>>;
  const mode = auth.mode;
  if (typeof mode !== 'string' || !(API_AUTH_MODES as readonly string[]).includes(mode)) {
    throw GW_ERR_API_VALIDATION.create(`auth.mode must be one of ${API_AUTH_MODES.join(', ')}`);
  }
  const authMode = mode as ApiAuthMode;
  const tokenRequired = checkBoolean(auth.token_required ?? false, 'auth.token_required');
  if (tokenRequired && authMode !== 'mtls_static') {
    throw GW_ERR_API_VALIDATION.create(
      `auth.token_required applies to mode mtls_static only (mode ${authMode} decides by ${authMode === 'token' ? 'the token alone' : 'its own rule'})`,
    );
  }
  const entries = auth.allowed_certificates ?? [];
  if (!Array.isArray(entries)) throw GW_ERR_API_VALIDATION.create('auth.allowed_certificates must be an array');
  if (authMode !== 'mtls_static') {
    if (entries.length > 0) {
      throw GW_ERR_API_VALIDATION.create('auth.allowed_certificates applies to mode mtls_static only');
    }
    return { authMode, tokenRequired, allowedCertificates: [] };
  }
  if (entries.length === 0) {
    throw GW_ERR_API_VALIDATION.create(
      'mode mtls_static needs at least one entry in auth.allowed_certificates (an empty allowlist would admit no one)',
    );
  }
  if (entries.length > MAX_ALLOWED_CERTIFICATES) {
    throw GW_ERR_API_VALIDATION.create(
      `auth.allowed_certificates has more than ${MAX_ALLOWED_CERTIFICATES} entries (use mtls_dynamic keys for larger fleets)`,
    );
  }
  const unique = new Map<string, AllowedCertificate>();
  entries.forEach((entry: unknown, index) => {
    const allowed = validateAllowed(entry, `auth.allowed_certificates[${index}]`);
    unique.set(JSON.stringify(allowed), allowed);
  });
  return { authMode, tokenRequired, allowedCertificates: [...unique.values()] };
}

function validateAllowed(input: unknown, field: string): AllowedCertificate {
  const entry = (typeof input === 'object' && input !== null && !Array.isArray(input) ? input : {}) as Record<
    string,
    unknown
  >;
  const given = (['mtls_certificate_id', 'client_certificate_id', 'sha256'] as const).filter(
    (name) => entry[name] !== undefined,
  );
  const [name] = given;
  if (name === undefined || given.length !== 1) {
    throw GW_ERR_API_VALIDATION.create(
      `${field} must have exactly one of mtls_certificate_id, client_certificate_id or sha256`,
    );
  }
  if (name === 'sha256') return { kind: 'sha256', value: normaliseSha256Fingerprint(entry.sha256, `${field}.sha256`) };
  const id = entry[name];
  const lower = typeof id === 'string' ? id.toLowerCase() : '';
  if (!UUID.test(lower)) throw GW_ERR_API_VALIDATION.create(`${field}.${name} must be a certificate id (a UUID)`);
  return name === 'mtls_certificate_id'
    ? { kind: 'mtls_certificate', id: lower }
    : { kind: 'client_certificate', id: lower };
}

function requireString(value: unknown, field: string): void {
  if (typeof value !== 'string') throw GW_ERR_API_VALIDATION.create(`${field} must be a string`);
}
