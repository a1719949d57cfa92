/**
 * The limits on EST enrollment attempts (`portcullis serve --est-…`, docs/adr/0016): a count per
 * window, written `<count>/<duration>` (`120/1m`). Counted in the gateway's usage counters, so a
 * cluster with Redis counts them once for every gateway.
 *
 *   attempts per address   every simpleenroll / simplereenroll from one client address
 *   failures per address   refused credentials (wrong, used-up or expired secret; revoked bootstrap
 *                          certificate) from one client address
 *   failures per secret    refused credentials naming one bootstrap secret id, from any address
 *
 * The defaults let a factory line behind one NAT enroll two devices a second, and make guessing a
 * secret cost 10 tries per 10 minutes however many addresses the guesser has.
 */
import { GW_ERR_USAGE } from '../errors/index.ts';
import { parseDuration } from './duration.ts';

export interface CountPerWindow {
  readonly count: number;
  /** Whole seconds (the counters' windows are). */
  readonly seconds: number;
}

export interface EstLimits {
  readonly attemptsPerAddress: CountPerWindow;
  readonly failuresPerAddress: CountPerWindow;
  readonly failuresPerSecret: CountPerWindow;
}

export const DEFAULT_EST_LIMITS: EstLimits = {
  attemptsPerAddress: { count: 120, seconds: 60 },
  failuresPerAddress: { count: 20, seconds: 600 },
  failuresPerSecret: { count: 10, seconds: 600 },
};

export interface EstLimitsInput {
  estAttemptsPerAddress?: string;
  estFailuresPerAddress?: string;
  estFailuresPerSecret?: string;
}

export const EST_LIMIT_OPTIONS = [
  ['--est-attempts-per-address <count/duration>', 'EST enroll attempts allowed per client address', '120/1m'],
  [
    '--est-failures-per-address <count/duration>',
    'EST enrollments with refused credentials per client address',
    '20/10m',
  ],
  [
    '--est-failures-per-secret <count/duration>',
    'EST enrollments with refused credentials per bootstrap secret',
    '10/10m',
  ],
] as const;

export function parseEstLimits(input: EstLimitsInput): EstLimits {
  return {
    attemptsPerAddress: parseCountPerWindow(
      input.estAttemptsPerAddress,
      '--est-attempts-per-address',
      DEFAULT_EST_LIMITS.attemptsPerAddress,
    ),
    failuresPerAddress: parseCountPerWindow(
      input.estFailuresPerAddress,
      '--est-failures-per-address',
      DEFAULT_EST_LIMITS.failuresPerAddress,
    ),
    failuresPerSecret: parseCountPerWindow(
      input.estFailuresPerSecret,
      '--est-failures-per-secret',
      DEFAULT_EST_LIMITS.failuresPerSecret,
    ),
  };
}

/** `120/1m` → 120 per 60 s; the window is rounded up to whole seconds. */
export function parseCountPerWindow(
  text: string | undefined,
  option: string,
  fallback: CountPerWindow,
): CountPerWindow {
  if (text === undefined) return fallback;
  const match = /^(\d{1,7})\/(.+)$/.exec(text.trim());
  if (match === null || Number(match[1]) < 1) {
    throw GW_ERR_USAGE.create(
      `${option} takes <count>/<duration> with a count of at least 1, like 120/1m; got "${text}"`,
    );
  }
  const windowMs = parseDuration(match[2] ?? '', option);
  return { count: Number(match[1]), seconds: Math.max(1, Math.ceil(windowMs / 1000)) };
}
