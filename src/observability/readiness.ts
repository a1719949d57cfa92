/**
 * Readiness: whether this gateway should be sent traffic, as `GET /readyz` reports it to a load
 * balancer. Ready when each check passes:
 *  - `config`: the first snapshot is loaded, the listener is up, and the configuration is not
 *    stale (control/publish/config-freshness.ts);
 *  - `store`: the store answers a trivial read within the probe's time limit;
 *  - `redis` (with `--redis` only): the shared counters' Redis answers;
 *  - `workers` (with `--workers` above 1 only, docs/adr/0018-workers.md): how many of the workers
 *    listen, each having loaded its first snapshot before it did. `ok`: all of them; `degraded`:
 *    some, while the others are replaced — still ready, since node:cluster hands connections only to
 *    the workers that listen; `down`: none, so the gateway port refuses connections — not ready.
 * The report names the checks and their outcomes in fixed words, nothing else: no error text, no
 * address, nothing of any tenant, since it is served without a token.
 */
import type { Probe, ProbeOutcome } from './probe.ts';

export type ConfigOutcome = 'ok' | 'stale' | 'starting';
export type WorkersOutcome = 'ok' | 'degraded' | 'down';
export type CheckOutcome = ProbeOutcome | ConfigOutcome | WorkersOutcome;

/** Outcomes that leave the gateway ready although not everything is `ok`. */
const READY_ANYWAY: ReadonlySet<CheckOutcome> = new Set(['degraded']);

export interface ReadinessReport {
  readonly ready: boolean;
  readonly checks: Readonly<Record<string, CheckOutcome>>;
}

export interface ReadinessSources {
  readonly config: () => ConfigOutcome;
  readonly store: Probe;
  /** With Redis: whether it answers now (kept current by its own heartbeat). */
  readonly redisUp?: (() => boolean) | undefined;
  /** With workers: how many listen, of how many there should be. */
  readonly workers?: { listening(): number; readonly wanted: number } | undefined;
}

export function workersOutcome(listening: number, wanted: number): WorkersOutcome {
  if (listening >= wanted) return 'ok';
  return listening === 0 ? 'down' : 'degraded';
}

export async function checkReadiness(sources: ReadinessSources): Promise<ReadinessReport> {
  const checks: Record<string, CheckOutcome> = { config: sources.config(), store: await sources.store.run() };
  if (sources.redisUp !== undefined) checks.redis = sources.redisUp() ? 'ok' : 'failed';
  const { workers } = sources;
  if (workers !== undefined) checks.workers = workersOutcome(workers.listening(), workers.wanted);
  return {
    ready: Object.values(checks).every((outcome) => outcome === 'ok' || READY_ANYWAY.has(outcome)),
    checks,
  };
}
