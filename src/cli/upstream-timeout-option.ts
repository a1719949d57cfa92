/**
 * `--upstream-timeout` of `route create` and `api create|update`: a duration (`500ms`, `30s`, `2m`)
 * sent as the route's or API's `upstream_timeout_ms`, or `default` for the gateway's own
 * (`serve --upstream-timeout`). The admin API checks the range again (1 ms to 24 h).
 */
import { InvalidArgumentError } from 'commander';
import { parseDuration } from '../config/duration.ts';

export const UPSTREAM_TIMEOUT_HELP =
  "time for the upstream to answer, e.g. 5s (default: the gateway's --upstream-timeout)";

export function parseUpstreamTimeoutOption(text: string): number | null {
  if (text === 'default') return null;
  try {
    return parseDuration(text, '--upstream-timeout');
  } catch {
    throw new InvalidArgumentError('takes a duration like 500ms, 30s or 2m (1ms to 24h), or default');
  }
}
