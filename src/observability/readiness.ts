/**
 * Readiness: whether this gateway should be sent traffic, as `GET /readyz` reports it to a load
 * balancer. Ready when each check passes:
 *  - `config`: the first snapshot is loaded, the listener is up, and the configuration is not
 *    stale (control/publish/config-freshness.ts);
 *  - `store`: the store answers a trivial read within the probe's time limit;
 *  - `redis` (with `--redis` only): the shared counters' Redis answers.
 * The report names the checks and their outcomes in fixed words, nothing else: no error text, no
 * address, nothing of any tenant, since it is served without a token.
 */
import type { Probe, ProbeOutcome } from './probe.ts';

export type ConfigOutcome = 'ok' | 'stale' | 'starting';
export type CheckOutcome = ProbeOutcome | ConfigOutcome;

export interface ReadinessReport {
  readonly ready: boolean;
  readonly checks: Readonly<Record<string, CheckOutcome>>;
}

export interface ReadinessSources {
  readonly config: () => ConfigOutcome;
  readonly store: Probe;
  /** With Redis: whether it answers now (kept current by its own heartbeat). */
  readonly redisUp?: (() => boolean) | undefined;
}

export async function checkReadiness(sources: ReadinessSources): Promise<ReadinessReport> {
  const checks: Record<string, CheckOutcome> = { config: sources.config(), store: await sources.store.run() };
  if (sources.redisUp !== undefined) checks.redis = sources.redisUp() ? 'ok' : 'failed';
  return { ready: Object.values(checks).every((outcome) => outcome === 'ok'), checks };
}
