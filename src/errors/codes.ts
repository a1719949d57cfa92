/**
 * The error registry. One entry per failure; docs/reference/errors.md lists every entry and
 * `codes.test.ts` keeps the two in sync. v4 numeric ranges (ours, documented in errors.md):
 *   11000–11099 client certificate and TLS, 11100–11199 upstream, 11200–11299 request,
 *   12000–12099 configuration and command line, 12100–12199 management API (plus Cloudflare's own
 *   numbers where Cloudflare has one: 1000, 1489, 7000, 7003, 9106, 10000).
 */
import { defineError } from './define-error.ts';

// Client certificate (data plane). Messages never carry verification detail: that goes to the log.
export const GW_ERR_CERT_MISSING = defineError('GW_ERR_CERT_MISSING', 'A client certificate is required', 401, 11001);
export const GW_ERR_CERT_INVALID = defineError(
  'GW_ERR_CERT_INVALID',
  'The client certificate could not be verified',
  403,
  11002,
);
export const GW_ERR_CERT_REVOKED = defineError('GW_ERR_CERT_REVOKED', 'The client certificate is revoked', 403, 11003);
export const GW_ERR_CERT_NOT_ALLOWED = defineError(
  'GW_ERR_CERT_NOT_ALLOWED',
  'The client certificate %s is not allowed here',
  403,
  11004,
);

// API authentication and limits (the Tyk model). Messages follow Tyk's where it has one.
export const GW_ERR_KEY_MISSING = defineError(
  'GW_ERR_KEY_MISSING',
  'An API key is required (Authorization: Bearer <key>)',
  401,
  11301,
);
export const GW_ERR_KEY_INVALID = defineError(
  'GW_ERR_KEY_INVALID',
  'Access to this API has been disallowed',
  403,
  11302,
);
export const GW_ERR_KEY_EXPIRED = defineError('GW_ERR_KEY_EXPIRED', 'Key has expired, please renew', 401, 11303);
export const GW_ERR_KEY_CERT_MISMATCH = defineError(
  'GW_ERR_KEY_CERT_MISMATCH',
  'The key is bound to a different client certificate',
  401,
  11304,
);
// mtls_dynamic: the certificate is valid (the client is authenticated) but no key lets it in: 403,
// like any other valid certificate that is not allowed here (RFC 9110 §15.5.4).
export const GW_ERR_CERT_NO_KEY = defineError(
  'GW_ERR_CERT_NO_KEY',
  'No key for this API is bound to the presented client certificate',
  403,
  12310,
);
export const GW_ERR_ACCESS_DENIED = defineError(
  'GW_ERR_ACCESS_DENIED',
  'Access to this %s has been disallowed',
  403,
  11305,
);
export const GW_ERR_RATE_LIMITED = defineError('GW_ERR_RATE_LIMITED', 'Rate limit exceeded', 429, 11306);
export const GW_ERR_QUOTA_EXCEEDED = defineError('GW_ERR_QUOTA_EXCEEDED', 'Quota exceeded', 403, 11307);
// The shared usage counters (Redis, `serve --redis`) did not answer: requests under a rate limit or
// quota are refused (fail closed) with a status clients retry, not as an internal error.
export const GW_ERR_LIMITS_UNAVAILABLE = defineError(
  'GW_ERR_LIMITS_UNAVAILABLE',
  'Rate limits and quotas cannot be checked right now; retry later',
  503,
  11308,
);

// Upstream.
export const GW_ERR_UPSTREAM_UNAVAILABLE = defineError(
  'GW_ERR_UPSTREAM_UNAVAILABLE',
  'The upstream service is unavailable',
  502,
  11101,
);
export const GW_ERR_UPSTREAM_TIMEOUT = defineError(
  'GW_ERR_UPSTREAM_TIMEOUT',
  'The upstream service did not answer in time',
  504,
  11102,
);
export const GW_ERR_UPSTREAM_PROTOCOL = defineError(
  'GW_ERR_UPSTREAM_PROTOCOL',
  'The upstream service cannot carry this request: %s',
  502,
  11103,
);

// Request.
export const GW_ERR_REQUEST_INVALID = defineError('GW_ERR_REQUEST_INVALID', 'Invalid request: %s', 400, 11201);
export const GW_ERR_INTERNAL = defineError('GW_ERR_INTERNAL', 'Internal gateway error', 500, 11299);
// RFC 6585 §5: refused by the HTTP/1.1 parser before any handler saw a request (http1-client-error.ts),
// or the headers the gateway would send upstream (the client's, and the identity headers made from its
// certificate) exceed the HTTP/2 header block it can send (64 KiB): the 431 an HTTP/1.1 upstream would
// answer, and the gateway relay, for the same request.
export const GW_ERR_REQUEST_HEADERS_TOO_LARGE = defineError(
  'GW_ERR_REQUEST_HEADERS_TOO_LARGE',
  'Request header fields too large',
  431, // RFC 6585 §5
  11220,
);
export const GW_ERR_REQUEST_TIMEOUT = defineError(
  'GW_ERR_REQUEST_TIMEOUT',
  'The request was not received in time',
  408, // RFC 9110 §15.5.9
  11221,
);

// Configuration and command line.
export const GW_ERR_USAGE = defineError('GW_ERR_USAGE', 'Usage error: %s', 400, 12001, 2);
export const GW_ERR_CONFIG_FILE_UNREADABLE = defineError(
  'GW_ERR_CONFIG_FILE_UNREADABLE',
  'Cannot read %s',
  400,
  12002,
  3,
);
export const GW_ERR_CONFIG_CERT_INVALID = defineError(
  'GW_ERR_CONFIG_CERT_INVALID',
  'Invalid certificate: %s',
  400,
  12003,
  3,
);
export const GW_ERR_CONFIG_KEY_INVALID = defineError(
  'GW_ERR_CONFIG_KEY_INVALID',
  'Invalid private key: %s',
  400,
  12004,
  3,
);
export const GW_ERR_CONFIG_KEY_MISMATCH = defineError(
  'GW_ERR_CONFIG_KEY_MISMATCH',
  'The private key does not match the certificate: %s',
  400,
  12005,
  3,
);
export const GW_ERR_CONFIG_CA_INVALID = defineError(
  'GW_ERR_CONFIG_CA_INVALID',
  'Not usable as a client CA: %s',
  400,
  12006,
  3,
);
export const GW_ERR_CONFIG_CRL_INVALID = defineError('GW_ERR_CONFIG_CRL_INVALID', 'Invalid CRL: %s', 400, 12007, 3);
export const GW_ERR_LISTEN_FAILED = defineError('GW_ERR_LISTEN_FAILED', 'Cannot listen on %s', 500, 12008, 1);

// Management API (v4 envelope). Authentication numbers follow Cloudflare's where it has one.
export const GW_ERR_AUTH_MISSING = defineError(
  'GW_ERR_AUTH_MISSING',
  'Missing Authorization header (Authorization: Bearer <token>)',
  401,
  9106,
);
export const GW_ERR_AUTH_INVALID = defineError('GW_ERR_AUTH_INVALID', 'Invalid API Token', 401, 1000);
export const GW_ERR_AUTH_FORBIDDEN = defineError(
  'GW_ERR_AUTH_FORBIDDEN',
  'Authentication error: the token may not %s',
  403,
  10000,
);
export const GW_ERR_API_ROUTE_NOT_FOUND = defineError('GW_ERR_API_ROUTE_NOT_FOUND', 'No route for that URI', 404, 7000);
export const GW_ERR_API_OBJECT_NOT_FOUND = defineError(
  'GW_ERR_API_OBJECT_NOT_FOUND',
  'Could not route to %s, perhaps your object identifier is invalid?',
  404,
  7003,
);
export const GW_ERR_API_VALIDATION = defineError('GW_ERR_API_VALIDATION', 'Invalid request: %s', 400, 12101);
export const GW_ERR_API_BODY_TOO_LARGE = defineError(
  'GW_ERR_API_BODY_TOO_LARGE',
  'Request body is larger than %s',
  413,
  12102,
);
export const GW_ERR_API_UNSUPPORTED_MEDIA = defineError(
  'GW_ERR_API_UNSUPPORTED_MEDIA',
  'Request body must be application/json',
  415,
  12103,
);
export const GW_ERR_CERT_UPLOAD_INVALID = defineError(
  'GW_ERR_CERT_UPLOAD_INVALID',
  'Invalid certificate: %s',
  400,
  12110,
);
export const GW_ERR_CA_QUOTA_EXCEEDED = defineError(
  'GW_ERR_CA_QUOTA_EXCEEDED',
  'Hit maximum CA cert allocation.',
  400,
  1489,
);
export const GW_ERR_CERT_IN_USE = defineError(
  'GW_ERR_CERT_IN_USE',
  'Certificate is in use by one or more services: %s',
  400,
  12111,
);
export const GW_ERR_CSR_INVALID = defineError('GW_ERR_CSR_INVALID', 'Invalid CSR: %s', 400, 12112);
export const GW_ERR_CLIENT_CERT_STATE = defineError(
  'GW_ERR_CLIENT_CERT_STATE',
  'Invalid status transition: %s',
  400,
  12113,
);
export const GW_ERR_HOSTNAME_NOT_IN_ZONE = defineError(
  'GW_ERR_HOSTNAME_NOT_IN_ZONE',
  'Hostname does not belong to this zone: %s',
  400,
  12114,
);
export const GW_ERR_ZONE_EXISTS = defineError(
  'GW_ERR_ZONE_EXISTS',
  'A zone with this name already exists: %s',
  400,
  12115,
);
export const GW_ERR_CLIENT_CERT_QUOTA = defineError(
  'GW_ERR_CLIENT_CERT_QUOTA',
  'Hit maximum client certificates for this zone (%s)',
  400,
  12116,
);
// An uploaded CA that breaks a client-chain rule applying to CAs (pki/client-chain-policy.ts, docs/adr/0008):
// one code per kind of rule, the rule itself (`weak-rsa-key`, …) first in the message.
export const GW_ERR_CA_WEAK_KEY = defineError('GW_ERR_CA_WEAK_KEY', 'CA certificate refused, weak key: %s', 400, 12140);
export const GW_ERR_CA_SERIAL_INVALID = defineError(
  'GW_ERR_CA_SERIAL_INVALID',
  'CA certificate refused, invalid serial number: %s',
  400,
  12141,
);
export const GW_ERR_CA_DUPLICATE_EXTENSION = defineError(
  'GW_ERR_CA_DUPLICATE_EXTENSION',
  'CA certificate refused, duplicate extension: %s',
  400,
  12142,
);
export const GW_ERR_CA_UNKNOWN_CRITICAL_EXTENSION = defineError(
  'GW_ERR_CA_UNKNOWN_CRITICAL_EXTENSION',
  'CA certificate refused, unknown critical extension: %s',
  400,
  12143,
);
export const GW_ERR_CA_MALFORMED_EXTENSION = defineError(
  'GW_ERR_CA_MALFORMED_EXTENSION',
  'CA certificate refused, malformed extension: %s',
  400,
  12144,
);
export const GW_ERR_CA_NAME_CONSTRAINTS_INVALID = defineError(
  'GW_ERR_CA_NAME_CONSTRAINTS_INVALID',
  'CA certificate refused, unusable name constraints: %s',
  400,
  12145,
);
export const GW_ERR_CA_BASIC_CONSTRAINTS_NOT_CRITICAL = defineError(
  'GW_ERR_CA_BASIC_CONSTRAINTS_NOT_CRITICAL',
  'CA certificate refused, root basicConstraints not critical: %s',
  400,
  12146,
);
export const GW_ERR_CA_KEY_IDENTIFIER_MISSING = defineError(
  'GW_ERR_CA_KEY_IDENTIFIER_MISSING',
  'CA certificate refused, key identifier missing: %s',
  400,
  12147,
);
// Zone names are claims across accounts (docs/adr/0007-zone-ownership.md): an overlap with another
// account's zone needs the operator's delegation, and reserved names are the operator's alone.
export const GW_ERR_ZONE_CLAIMED = defineError(
  'GW_ERR_ZONE_CLAIMED',
  'The zone name overlaps a zone of another account: %s',
  409,
  12130,
);
export const GW_ERR_ZONE_RESERVED = defineError(
  'GW_ERR_ZONE_RESERVED',
  'The zone name is reserved for the operator: %s',
  403,
  12131,
);
// DELETE /zones/{id} refuses while the zone serves anything or has live client certificates.
export const GW_ERR_ZONE_IN_USE = defineError('GW_ERR_ZONE_IN_USE', 'The zone is in use: %s', 409, 12132);
// A write that collides with existing state (duplicate route, ruleset changed meanwhile).
export const GW_ERR_API_CONFLICT = defineError('GW_ERR_API_CONFLICT', 'Conflict: %s', 409, 12117);

// Gateway routing (data plane of `portcullis serve`).
export const GW_ERR_ROUTE_NOT_FOUND = defineError(
  'GW_ERR_ROUTE_NOT_FOUND',
  'No route for this host and path',
  404,
  11202,
);
// RFC 9110 §15.5.20: the connection (its SNI policy) cannot serve this Host / :authority.
export const GW_ERR_MISDIRECTED_REQUEST = defineError(
  'GW_ERR_MISDIRECTED_REQUEST',
  'This connection cannot serve the requested host',
  421,
  11204,
);
// Custom rules (http_request_firewall_custom): a `block` rule without a custom response.
export const GW_ERR_RULE_BLOCKED = defineError(
  'GW_ERR_RULE_BLOCKED',
  'The request was blocked by a custom rule',
  403,
  11205,
);
export const GW_ERR_METHOD_NOT_ALLOWED = defineError(
  'GW_ERR_METHOD_NOT_ALLOWED',
  'Method not allowed here',
  405,
  11203,
);
export const GW_ERR_CONFIG_MASTER_KEY = defineError(
  'GW_ERR_CONFIG_MASTER_KEY',
  'Master key refused: %s',
  400,
  12009,
  3,
);
// `serve --config`: the declarative file is refused as a whole (nothing of it is applied).
export const GW_ERR_CONFIG_INVALID = defineError('GW_ERR_CONFIG_INVALID', 'Configuration refused: %s', 400, 12011, 3);
// The store (SQLite or PostgreSQL) failing, at start (exit 1) or under the admin API (503 with
// Retry-After). store/store-failure.ts decides which failure is which; anything else stays a 500.
export const GW_ERR_STORE_UNAVAILABLE = defineError(
  'GW_ERR_STORE_UNAVAILABLE',
  'The store is unavailable: %s',
  503,
  12010,
  1,
);
export const GW_ERR_STORE_NO_SPACE = defineError(
  'GW_ERR_STORE_NO_SPACE',
  'The store is out of disk space (or its disk failed): %s',
  503,
  12020,
  1,
);
// The connection was lost after a change was sent: it may have been applied, so the client is told
// to look before trying again (never a blind retry of a write).
export const GW_ERR_STORE_OUTCOME_UNKNOWN = defineError(
  'GW_ERR_STORE_OUTCOME_UNKNOWN',
  'The connection to the store was lost while this change was being saved; it may have been applied: check before retrying',
  503,
  12021,
);
// `serve` could not write a file of its data dir (master.key, admin-token, edge-ca.pem): a full
// disk, a read-only or foreign-owned directory. Nothing half-written is left behind.
export const GW_ERR_DATA_DIR_WRITE_FAILED = defineError(
  'GW_ERR_DATA_DIR_WRITE_FAILED',
  'Cannot write to the data dir: %s',
  500,
  12023,
  1,
);
export const GW_ERR_REDIS_UNAVAILABLE = defineError(
  'GW_ERR_REDIS_UNAVAILABLE',
  'Cannot use Redis (--redis) at %s',
  503,
  12022,
  1,
);

// Rules language (src/rules): `%s` is `(line:col): reason`, as wirefilter words it.
export const GW_ERR_RULE_SYNTAX = defineError('GW_ERR_RULE_SYNTAX', 'Filter parsing error %s', 400, 12120);
export const GW_ERR_RULE_UNKNOWN_NAME = defineError('GW_ERR_RULE_UNKNOWN_NAME', 'Filter parsing error %s', 400, 12121);
export const GW_ERR_RULE_TYPE = defineError('GW_ERR_RULE_TYPE', 'Filter parsing error %s', 400, 12122);
export const GW_ERR_RULE_REGEX = defineError('GW_ERR_RULE_REGEX', 'Filter parsing error %s', 400, 12123);
export const GW_ERR_RULE_LIMIT = defineError('GW_ERR_RULE_LIMIT', 'Filter parsing error %s', 400, 12124);

// The operator dashboard's sessions (src/admin-api/dashboard, docs/adr/0013-dashboard-sessions-and-csrf.md).
export const GW_ERR_DASHBOARD_SIGNIN_THROTTLED = defineError(
  'GW_ERR_DASHBOARD_SIGNIN_THROTTLED',
  'Too many failed sign-ins from this address: try again in %s seconds',
  429,
  12180,
);
export const GW_ERR_DASHBOARD_SESSION = defineError(
  'GW_ERR_DASHBOARD_SESSION',
  'Not signed in, or the session has expired: sign in again',
  401,
  12181,
);
// A state-changing request on a session cookie without the session's CSRF token (X-CSRF-Token).
export const GW_ERR_DASHBOARD_CSRF = defineError(
  'GW_ERR_DASHBOARD_CSRF',
  'Missing or wrong CSRF token: reload the dashboard and try again',
  403,
  12182,
);
// Revocation for the operators' own (uploaded) CAs: CRLs, OCSP and block lists (docs/adr/0014).
export const GW_ERR_CERT_REVOCATION_UNKNOWN = defineError(
  'GW_ERR_CERT_REVOCATION_UNKNOWN',
  'The revocation status of the client certificate cannot be established',
  403,
  11040,
);
export const GW_ERR_CRL_INVALID = defineError('GW_ERR_CRL_INVALID', 'Invalid CRL: %s', 400, 12060);
export const GW_ERR_CRL_WRONG_SIGNER = defineError(
  'GW_ERR_CRL_WRONG_SIGNER',
  'The CRL is not signed by this CA: %s',
  400,
  12061,
);
export const GW_ERR_CRL_STALE = defineError('GW_ERR_CRL_STALE', 'The CRL is stale: %s', 400, 12062);
export const GW_ERR_CRL_OUTDATED = defineError(
  'GW_ERR_CRL_OUTDATED',
  'The CRL is older than the one in force: %s',
  400,
  12063,
);
export const GW_ERR_REVOCATION_URL_REFUSED = defineError(
  'GW_ERR_REVOCATION_URL_REFUSED',
  'Revocation URL refused: %s',
  400,
  12064,
);

// EST enrollment on the gateway listener (RFC 7030, docs/adr/0016). Messages never carry a secret.
export const GW_ERR_EST_NOT_FOUND = defineError('GW_ERR_EST_NOT_FOUND', 'No EST service here: %s', 404, 11050);
export const GW_ERR_EST_AUTH_REQUIRED = defineError(
  'GW_ERR_EST_AUTH_REQUIRED',
  'Enrollment needs a bootstrap secret (HTTP Basic) or a bootstrap certificate: %s',
  401,
  11051,
);
export const GW_ERR_EST_AUTH_FAILED = defineError(
  'GW_ERR_EST_AUTH_FAILED',
  'The enrollment credentials were refused: %s',
  401,
  11052,
);
export const GW_ERR_EST_REENROLL_REFUSED = defineError(
  'GW_ERR_EST_REENROLL_REFUSED',
  'Re-enrollment needs the current, valid, unrevoked certificate of this profile over TLS: %s',
  403,
  11053,
);
export const GW_ERR_EST_CONTENT_TYPE = defineError(
  'GW_ERR_EST_CONTENT_TYPE',
  'Unsupported content type: %s',
  415,
  11054,
);
export const GW_ERR_EST_BODY_TOO_LARGE = defineError(
  'GW_ERR_EST_BODY_TOO_LARGE',
  'The request body is larger than %s',
  413,
  11055,
);
export const GW_ERR_EST_REQUEST_INVALID = defineError(
  'GW_ERR_EST_REQUEST_INVALID',
  'Invalid EST request: %s',
  400,
  11056,
);
export const GW_ERR_EST_CSR_REFUSED = defineError(
  'GW_ERR_EST_CSR_REFUSED',
  'The CSR does not meet the enrollment profile: %s',
  400,
  11057,
);
export const GW_ERR_EST_CHANNEL_BINDING = defineError(
  'GW_ERR_EST_CHANNEL_BINDING',
  'The challengePassword does not match this TLS connection (RFC 7030 §3.5)',
  400,
  11058,
);
export const GW_ERR_EST_REJECTED = defineError(
  'GW_ERR_EST_REJECTED',
  'The enrollment request was rejected by the operator',
  403,
  11059,
);
export const GW_ERR_EST_BOOTSTRAP_REVOKED = defineError(
  'GW_ERR_EST_BOOTSTRAP_REVOKED',
  'The bootstrap certificate is revoked: %s',
  403,
  11075,
);
export const GW_ERR_EST_BOOTSTRAP_REVOCATION_UNKNOWN = defineError(
  'GW_ERR_EST_BOOTSTRAP_REVOCATION_UNKNOWN',
  "The bootstrap certificate's revocation status cannot be established (%s): retry later",
  403,
  11076,
);
export const GW_ERR_EST_RATE_LIMITED = defineError(
  'GW_ERR_EST_RATE_LIMITED',
  'Too many enrollment attempts %s: retry after the seconds in Retry-After',
  429,
  11077,
);
// EST management (admin API).
export const GW_ERR_EST_APPROVAL_STATE = defineError(
  'GW_ERR_EST_APPROVAL_STATE',
  'The enrollment request cannot be decided: %s',
  409,
  12200,
);
export const GW_ERR_BULK_REVOCATION_FILTER = defineError(
  'GW_ERR_BULK_REVOCATION_FILTER',
  'A bulk revocation needs at least one criterion (tag, profile_id, ca_id, issued_before): %s',
  400,
  12201,
);
// SAN policy of issued certificates (docs/adr/0019).
export const GW_ERR_CSR_SAN_NOT_ALLOWED = defineError(
  'GW_ERR_CSR_SAN_NOT_ALLOWED',
  "The CSR requests subject alternative names the zone's SAN policy does not allow: %s",
  400,
  12270,
);
// A warning, never an error answer: in the `messages` of a successful certificate issue, and logged at start.
export const GW_ERR_PUBLIC_URL_LOOPBACK = defineError(
  'GW_ERR_PUBLIC_URL_LOOPBACK',
  'Certificates name %s for their CRL and OCSP URLs, which only this machine can reach: start serve with --public-url set to the address clients use',
  200,
  12271,
);
// Which way a client certificate failed (README 'What a refused client is told'): the answers of a hostname that requires one.
export const GW_ERR_CERT_EXPIRED = defineError('GW_ERR_CERT_EXPIRED', 'The client certificate has expired', 403, 11060);
export const GW_ERR_CERT_NOT_YET_VALID = defineError(
  'GW_ERR_CERT_NOT_YET_VALID',
  'The client certificate is not valid yet',
  403,
  11061,
);
// The developer portal (docs/adr/0017): its own listener, sessions and sign-up; 12230–12269.
export const GW_ERR_PORTAL_SESSION = defineError(
  'GW_ERR_PORTAL_SESSION',
  'Not signed in, or the session has expired: sign in again',
  401,
  12230,
);
// A state-changing portal request without the session's CSRF token (X-CSRF-Token).
export const GW_ERR_PORTAL_CSRF = defineError(
  'GW_ERR_PORTAL_CSRF',
  'Missing or wrong CSRF token: reload the page and try again',
  403,
  12231,
);
// Wrong email or password: one message for both, so that sign-in does not tell which emails exist.
export const GW_ERR_PORTAL_SIGNIN_FAILED = defineError(
  'GW_ERR_PORTAL_SIGNIN_FAILED',
  'Wrong email or password',
  401,
  12232,
);
export const GW_ERR_PORTAL_SIGNIN_LOCKED = defineError(
  'GW_ERR_PORTAL_SIGNIN_LOCKED',
  'Too many failed sign-ins: sign-in is locked, try again in %s seconds',
  429,
  12233,
);
export const GW_ERR_PORTAL_SIGNUP_CLOSED = defineError(
  'GW_ERR_PORTAL_SIGNUP_CLOSED',
  'Sign-up is by invitation only: ask the operator for an invitation link',
  403,
  12234,
);
export const GW_ERR_PORTAL_DEVELOPER_INACTIVE = defineError(
  'GW_ERR_PORTAL_DEVELOPER_INACTIVE',
  'This developer account is %s',
  403,
  12235,
);
export const GW_ERR_PORTAL_LINK_INVALID = defineError(
  'GW_ERR_PORTAL_LINK_INVALID',
  'This invitation or password reset link is unknown, used or expired: ask the operator for a new one',
  400,
  12236,
);
export const GW_ERR_PORTAL_PASSWORD_WEAK = defineError(
  'GW_ERR_PORTAL_PASSWORD_WEAK',
  'The password must have %s',
  400,
  12237,
);
export const GW_ERR_PORTAL_CREDENTIAL_REFUSED = defineError(
  'GW_ERR_PORTAL_CREDENTIAL_REFUSED',
  'The certificate was refused: %s',
  400,
  12238,
);
// Unknown and another developer's objects get the same answer: ids tell nothing about others.
export const GW_ERR_PORTAL_NOT_FOUND = defineError('GW_ERR_PORTAL_NOT_FOUND', 'No such %s', 404, 12239);
export const GW_ERR_PORTAL_REQUEST_STATE = defineError(
  'GW_ERR_PORTAL_REQUEST_STATE',
  'The access request is %s',
  409,
  12240,
);
export const GW_ERR_PORTAL_EMAIL_TAKEN = defineError(
  'GW_ERR_PORTAL_EMAIL_TAKEN',
  'A developer with this email exists: sign in, or ask the operator for a password reset link',
  409,
  12241,
);
export const GW_ERR_PORTAL_SIGNUP_THROTTLED = defineError(
  'GW_ERR_PORTAL_SIGNUP_THROTTLED',
  'Too many sign-ups from this address: try again in %s seconds',
  429,
  12242,
);
