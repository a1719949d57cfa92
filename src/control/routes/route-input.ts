/**
 * validateRouteInput: a route as a client (the admin API or the config file) writes it, checked
 * and normalised into what the store keeps. Pure: no store, no clock, so both callers share it.
 *
 *   hostname     lowercase, in the zone (`*.zone` wildcards allowed), via normaliseHostname
 *   path_prefix  default `/`; RFC 3986 path characters only; no dot segments, no `//`; the
 *                trailing `/` is dropped (`/api/` → `/api`) because the data plane matches on
 *                segment boundaries anyway: `/api` matches `/api` and `/api/x`, never `/apix`
 *   upstream     http://, https:// or h2c:// (parseUpstreamTarget), kept as
 *                `scheme://host[:port][/base]` with no trailing slash
 *   upstream_timeout_ms  1 ms to 24 h, or null/absent: the gateway's default (upstream-timeout-input.ts)
 */
import { GatewayError, GW_ERR_API_VALIDATION, GW_ERR_USAGE } from '../../errors/index.ts';
import { parseUpstreamTarget } from '../../config/upstream-target.ts';
import type { ZoneRecord } from '../../model/records.ts';
import { MAX_DESCRIPTION_LENGTH, type RouteInput } from '../../model/shapes/gateway-route-shape.ts';
import { MAX_PATH_PREFIX_LENGTH, MAX_UPSTREAM_LENGTH } from '../../model/shapes/shared-fields.ts';
import { normaliseHostname } from '../certificates/hostname-association-service.ts';
import { validateUpstreamTimeout } from './upstream-timeout-input.ts';

export type { RouteInput };
export { MAX_DESCRIPTION_LENGTH, MAX_PATH_PREFIX_LENGTH, MAX_UPSTREAM_LENGTH };

export interface ValidRoute {
  hostname: string;
  pathPrefix: string;
  upstreamUrl: string;
  stripPrefix: boolean;
  upstreamTimeoutMs: number | null;
  description: string;
}

/**
 * RFC 3986 §3.3: `/` and pchar = unreserved / pct-encoded / sub-delims / ":" / "@". Anything else
 * (space, `?`, `#`, `\`, non-ASCII, control characters) is refused rather than escaped, so what is
 * stored is exactly what is compared with request paths.
 */
export const PATH_CHARACTERS = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})*$/;
const UNRESERVED = /[A-Za-z0-9\-._~]/;

export function validateRouteInput(input: RouteInput, zone: ZoneRecord): ValidRoute {
  // The config file hands over whatever YAML held; the admin API's schema already checked types.
  requireType(input.hostname, 'string', 'hostname');
  requireType(input.upstream, 'string', 'upstream');
  if (input.path_prefix !== undefined) requireType(input.path_prefix, 'string', 'path_prefix');
  if (input.strip_prefix !== undefined) requireType(input.strip_prefix, 'boolean', 'strip_prefix');
  if (input.description !== undefined) requireType(input.description, 'string', 'description');
  return {
    hostname: normaliseHostname(input.hostname, zone),
    pathPrefix: normalisePathPrefix(input.path_prefix ?? '/'),
    upstreamUrl: normaliseUpstream(input.upstream),
    stripPrefix: input.strip_prefix ?? false,
    upstreamTimeoutMs: validateUpstreamTimeout(input.upstream_timeout_ms),
    description: checkDescription(input.description ?? ''),
  };
}

/** `field` names the input in messages (`listen_path` for APIs). */
export function normalisePathPrefix(prefix: string, field = 'path_prefix'): string {
  const shown = JSON.stringify(prefix.slice(0, 80));
  if (prefix.length > MAX_PATH_PREFIX_LENGTH) {
    throw GW_ERR_API_VALIDATION.create(`${field} is longer than ${MAX_PATH_PREFIX_LENGTH} characters`);
  }
  if (!prefix.startsWith('/')) throw GW_ERR_API_VALIDATION.create(`${field} ${shown} must start with "/"`);
  if (prefix.includes('?') || prefix.includes('#')) {
    throw GW_ERR_API_VALIDATION.create(`${field} ${shown} must not contain "?" or "#" (it matches paths only)`);
  }
  if (!PATH_CHARACTERS.test(prefix)) {
    throw GW_ERR_API_VALIDATION.create(
      `${field} ${shown} may hold only RFC 3986 path characters (percent-encode anything else)`,
    );
  }
  const canonical = canonicalPercentEncoding(prefix);
  // %2F would hide a segment boundary inside a segment, and %00 ends strings in some upstreams:
  // both are classic ways to make the gateway and the upstream disagree about a path.
  if (/%2F|%00/.test(canonical)) {
    throw GW_ERR_API_VALIDATION.create(`${field} ${shown} must not contain an encoded "/" or NUL`);
  }
  if (canonical.includes('//')) throw GW_ERR_API_VALIDATION.create(`${field} ${shown} must not contain "//"`);
  const trimmed = canonical.length > 1 && canonical.endsWith('/') ? canonical.slice(0, -1) : canonical;
  if (trimmed.split('/').some((segment) => segment === '.' || segment === '..')) {
    throw GW_ERR_API_VALIDATION.create(`${field} ${shown} must not contain "." or ".." segments`);
  }
  return trimmed;
}

/**
 * RFC 3986 §6.2.2.1-2: percent-encoded unreserved characters are decoded (`%7E` → `~`, so that
 * `%2E%2E` is seen as the `..` segment it is) and the remaining escapes are written in uppercase.
 */
export function canonicalPercentEncoding(path: string): string {
  return path.replace(/%([0-9A-Fa-f]{2})/g, (_escape, hex: string) => {
    const character = String.fromCharCode(Number.parseInt(hex, 16));
    return UNRESERVED.test(character) ? character : `%${hex.toUpperCase()}`;
  });
}

/** `field` names the input in messages (`upstream_url` for APIs). */
export function normaliseUpstream(upstream: string, field = 'upstream'): string {
  const text = upstream.trim();
  if (text.length > MAX_UPSTREAM_LENGTH) {
    throw GW_ERR_API_VALIDATION.create(`${field} is longer than ${MAX_UPSTREAM_LENGTH} characters`);
  }
  let basePath: string;
  try {
    ({ basePath } = parseUpstreamTarget(text));
  } catch (error) {
    if (error instanceof GatewayError && error.code === GW_ERR_USAGE.code) {
      throw GW_ERR_API_VALIDATION.create(reworded(error.message, field));
    }
    throw error;
  }
  // parseUpstreamTarget accepted it, so it is a URL. `origin` is "null" for h2c (not a scheme the
  // WHATWG URL standard knows), so the normal form is put together by hand.
  const url = new URL(text);
  const port = url.port === '' ? '' : `:${url.port}`;
  return `${url.protocol.toLowerCase()}//${url.hostname.toLowerCase()}${port}${basePath}`;
}

/** parseUpstreamTarget speaks to the command line (`Usage error: --upstream ...`); here it is a field. */
function reworded(message: string, field: string): string {
  const usagePrefix = GW_ERR_USAGE.message.replace('%s', '');
  const detail = message.startsWith(usagePrefix) ? message.slice(usagePrefix.length) : message;
  return detail.replace(/^--upstream\b/, field);
}

function checkDescription(description: string): string {
  // Counted in code points, as the admin API's JSON schema (ajv) counts maxLength.
  if (Array.from(description).length > MAX_DESCRIPTION_LENGTH) {
    throw GW_ERR_API_VALIDATION.create(`description is longer than ${MAX_DESCRIPTION_LENGTH} characters`);
  }
  return description;
}

function requireType(value: unknown, type: 'string' | 'boolean', field: string): void {
  if (typeof value !== type) throw GW_ERR_API_VALIDATION.create(`${field} must be a ${type}`);
}
