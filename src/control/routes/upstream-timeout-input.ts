/**
 * `upstream_timeout_ms` of a route or an API: how long the upstream gets to send its response head
 * (and, on HTTP/1.1, each later body chunk) before the client gets 504. Null or left out: the
 * gateway's default (`serve --upstream-timeout`, 30 s). The bounds are those of the command-line
 * durations (config/proxy-config.ts parseDuration): 1 ms to 24 hours, whole milliseconds.
 */
import { GW_ERR_API_VALIDATION } from '../../errors/index.ts';
import { MAX_UPSTREAM_TIMEOUT_MS } from '../../model/shapes/shared-fields.ts';

export { MAX_UPSTREAM_TIMEOUT_MS };

export function validateUpstreamTimeout(value: unknown, field = 'upstream_timeout_ms'): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_UPSTREAM_TIMEOUT_MS) {
    throw GW_ERR_API_VALIDATION.create(
      `${field} must be a whole number of milliseconds from 1 to ${MAX_UPSTREAM_TIMEOUT_MS} (24 hours), or null for the gateway's default`,
    );
  }
  return value;
}
