/**
 * ConfigFreshness: whether the snapshot this gateway serves is known to match the store's latest
 * configuration, for the operator (`/readyz`, the `portcullis_config_*` metrics, the log). Fed by
 * the change feed (config-change-feed.ts) with the outcome of each check and rebuild.
 *
 *   current  ──a check or rebuild fails──▶  retrying  ──still failing after staleAfterMs──▶  stale
 *      ▲                                        │                                             │
 *      └─────────────── a check confirms, or a rebuild succeeds ◀─────────────────────────────┘
 *
 * A check that hangs (a store that never answers) also becomes stale once it has run longer than
 * the bound. Each change of state is logged once, never each retry: during an outage of minutes the
 * log says when it began and when it ended.
 */
export type FreshnessState = 'current' | 'retrying' | 'stale';

export interface FreshnessLog {
  retrying(reason: string): void;
  stale(staleMs: number, reason: string): void;
  current(afterMs: number): void;
}

export class ConfigFreshness {
  readonly #staleAfterMs: number;
  readonly #log: FreshnessLog;
  readonly #now: () => number;
  #state: FreshnessState = 'current';
  /** When the first check that did not confirm began (undefined while current). */
  #behindSince: number | undefined;
  #reason = '';

  constructor(staleAfterMs: number, log: FreshnessLog, now: () => number = Date.now) {
    this.#staleAfterMs = staleAfterMs;
    this.#log = log;
    this.#now = now;
  }

  get state(): FreshnessState {
    return this.#state;
  }

  /** A check or rebuild that began at `startedAt` failed for `reason`. */
  failed(startedAt: number, reason: string): void {
    this.#reason = reason;
    if (this.#state !== 'current') return;
    this.#state = 'retrying';
    this.#behindSince = startedAt;
    this.#log.retrying(reason);
    this.evaluate(undefined);
  }

  /** The snapshot in force is known to match the store. */
  confirmed(): void {
    if (this.#state === 'current') return;
    const afterMs = this.#now() - (this.#behindSince ?? this.#now());
    this.#state = 'current';
    this.#behindSince = undefined;
    this.#log.current(afterMs);
  }

  /**
   * Moves to stale once the bound has passed; `checkStartedAt` is the start of a check still
   * running, if any (a hung store query counts from its start). Called every second or so.
   */
  evaluate(checkStartedAt: number | undefined): void {
    if (this.#state === 'stale') return;
    const staleMs = this.staleMs(checkStartedAt);
    if (staleMs <= this.#staleAfterMs) return;
    if (this.#behindSince === undefined) {
      this.#behindSince = checkStartedAt;
      this.#reason = 'the store has not answered a configuration check';
    }
    this.#state = 'stale';
    this.#log.stale(staleMs, this.#reason);
  }

  /** How long the snapshot has not been known to match the store (0 while current). */
  staleMs(checkStartedAt: number | undefined): number {
    const now = this.#now();
    if (this.#behindSince !== undefined) return now - this.#behindSince;
    if (checkStartedAt !== undefined && now - checkStartedAt > this.#staleAfterMs) return now - checkStartedAt;
    return 0;
  }
}
