/**
 * The error registry. One entry per failure; docs/reference/errors.md lists every entry and
 * `codes.test.ts` keeps the two in sync. v4 numeric ranges (ours, documented in errors.md):
 *   11000–11099 client certificate and TLS, 11100–11199 upstream, 11200–11299 request,
 *   12000–12099 configuration and command line.
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
