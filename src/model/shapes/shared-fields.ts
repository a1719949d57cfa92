/**
 * Field schemas several request shapes share (docs/architecture.md, "Request shapes"): ids, names,
 * the upstream of a route or an API, and its timeout. The limits are the control plane's checks'
 * (control/…-input.ts validate again, for the configuration file, which no schema guards).
 */
import { Type } from 'typebox';

/** 32 lowercase hex characters: accounts, zones, tokens, rulesets, APIs, keys, policies (cloudflare-compatibility.md §1.4). */
export const HEX_ID_PATTERN = '^[0-9a-f]{32}$';
export const HexIdSchema = Type.String({ pattern: HEX_ID_PATTERN });

export const MAX_NAME_LENGTH = 255;
export const MAX_PATH_PREFIX_LENGTH = 1024;
export const MAX_UPSTREAM_LENGTH = 2048;
/** The bounds of the command-line durations (config/duration.ts): 1 ms to 24 hours. */
export const MAX_UPSTREAM_TIMEOUT_MS = 86_400_000;

/** A hostname a route or an API answers: in the zone, or `*.` + a parent. */
export const HostnameFieldSchema = Type.String({
  minLength: 1,
  maxLength: 253,
  description: 'Hostname in the zone, or `*.` + a parent',
});

/** A path prefix (route) or listen path (API). */
export const PathPrefixFieldSchema = Type.String({
  maxLength: MAX_PATH_PREFIX_LENGTH,
  description: 'Matched on segment boundaries (`/api` matches `/api/x`, not `/apix`); default `/`',
});

/**
 * `upstream_timeout_ms` of routes and APIs (control/routes/upstream-timeout-input.ts checks it again). One
 * schema with two types rather than a union: with the API's type coercion, a union's `null` branch
 * would turn a refused `0` into null (the default) instead of a 400.
 */
export const UpstreamTimeoutSchema = Type.Unsafe<number | null>({
  type: ['integer', 'null'],
  minimum: 1,
  maximum: MAX_UPSTREAM_TIMEOUT_MS,
  description:
    'Milliseconds the upstream gets to send its response headers (and, over HTTP/1.1, each later body chunk) before the client gets 504; null or left out: the gateway default (`serve --upstream-timeout`, 30 s)',
});

/** An upstream URL: scheme, host, optional port and base path. */
export function upstreamFieldSchema(description: string) {
  return Type.String({ minLength: 1, maxLength: MAX_UPSTREAM_LENGTH, description });
}
