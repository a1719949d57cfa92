/**
 * The health of `portcullis serve`, assembled for the composition root (app/serve.ts): what
 * `GET /readyz` reports (observability/readiness.ts) and the gauges that say the same to
 * Prometheus — `portcullis_store_up` and `portcullis_config_stale_seconds` /
 * `portcullis_config_applied_timestamp_seconds`, and with workers `portcullis_workers_listening`
 * (`portcullis_redis_up` is wired with the counters).
 * `serving()` once the gateway listener accepts connections: until then `/readyz` says `starting`.
 */
import type { SettingsStore } from '../store/ports.ts';
import { CONFIG_GENERATION_SETTING } from '../control/publish/config-change-feed.ts';
import type { GatewayMetrics } from '../observability/metrics.ts';
import { Probe } from '../observability/probe.ts';
import { checkReadiness, type ReadinessReport } from '../observability/readiness.ts';
import type { HealthSource } from '../admin-api/routes/health.ts';

/** A store read slower than this counts as no answer: a load balancer's check must not hang on it. */
const STORE_PROBE_TIMEOUT_MS = 1_000;

export interface GatewayHealthSources {
  readonly store: SettingsStore;
  readonly config: { isFresh(): boolean; staleSeconds(): number };
  readonly snapshot: { readonly appliedAt: number | undefined };
  /** With `--redis`. */
  readonly redisUp: (() => boolean) | undefined;
  /** With `--workers` above 1: the workers that listen (docs/adr/0018-workers.md). */
  readonly workers?: WorkersListening | undefined;
}

export interface WorkersListening {
  listening(): number;
  readonly wanted: number;
}

export class GatewayHealth implements HealthSource {
  readonly #sources: GatewayHealthSources;
  // The read the change feed makes twice a second anyway: one indexed row.
  readonly #storeProbe: Probe;
  #serving = false;

  constructor(sources: GatewayHealthSources) {
    this.#sources = sources;
    this.#storeProbe = new Probe(() => sources.store.getSetting(CONFIG_GENERATION_SETTING), STORE_PROBE_TIMEOUT_MS);
  }

  /** The gateway listener is up (the first snapshot was loaded before it). */
  serving(): void {
    this.#serving = true;
  }

  readiness(): Promise<ReadinessReport> {
    const { config, redisUp, workers } = this.#sources;
    return checkReadiness({
      config: () => (!this.#serving ? 'starting' : config.isFresh() ? 'ok' : 'stale'),
      store: this.#storeProbe,
      redisUp,
      workers,
    });
  }

  /** Registers the store and configuration gauges. */
  watchIn(metrics: GatewayMetrics): void {
    metrics.watchStore(async () => (await this.#storeProbe.run()) === 'ok');
    const { config, snapshot } = this.#sources;
    metrics.watchConfig({ staleSeconds: () => config.staleSeconds(), appliedAt: () => snapshot.appliedAt });
    const { workers } = this.#sources;
    if (workers !== undefined) metrics.watchWorkers(workers);
  }
}
