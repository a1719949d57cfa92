/** Duration options of the commands (`--upstream-timeout 30s`, …). */
import { GW_ERR_USAGE } from '../errors/index.ts';

/** Durations: `500ms`, `30s`, `2m`, or a bare number of milliseconds. */
export function parseDuration(text: string, option: string): number {
  const match = /^(\d+)(ms|s|m)?$/.exec(text.trim());
  if (match === null) throw GW_ERR_USAGE.create(`${option} takes a duration like 500ms, 30s or 2m; got "${text}"`);
  const value = Number(match[1]);
  const unit = match[2] ?? 'ms';
  const ms = unit === 'm' ? value * 60_000 : unit === 's' ? value * 1000 : value;
  if (ms <= 0 || ms > 86_400_000) throw GW_ERR_USAGE.create(`${option} must be between 1ms and 24h`);
  return ms;
}
