/**
 * AnalyticsRecorder: the AnalyticsSink of `portcullis serve`. The data plane hands it one record
 * per request; it only pushes onto a bounded buffer (a full buffer drops and counts the record:
 * analytics must never slow a request down or grow memory without bound). Off the request path:
 *
 *   record() ──push──▶ buffer (≤ bufferLimit, the batch being written included) ──every
 *   flushInterval, or at batchSize──▶ one batch at a time (flushes never overlap), which the store
 *   rolls up into one row per second and dimensions, each request's detail kept (docs/adr/0004)
 *
 *   retention: at start, then every retentionInterval, deletes records older than `retentionMs`.
 *
 * The store being down (store/store-failure.ts: unavailable, or out of space) is an outage to ride
 * out, not a reason to lose records: the batch goes back to the head of the buffer and the next
 * tick tries again (no write is attempted between ticks meanwhile), so the requests of a PostgreSQL
 * restart are written once it is back. The buffer stays bounded: what does not fit is dropped and
 * counted as `store_unavailable` (docs/adr/0009 says why the bound is a count, and this one). A
 * batch the store refuses for any other reason (or whose write may have been applied: outcome
 * unknown) is logged and counted as dropped (write_failed), never retried: a retry could count the
 * requests twice. Losses are logged at most once a minute. `close()` stops the timers and writes
 * what is left (call it after the listener has drained, before the store closes); what the store
 * still refuses then is dropped and counted.
 */
import type { Logger } from 'pino';
import type { AnalyticsSink } from '../../runtime-config/analytics-sink.ts';
import type { AnalyticsStore } from '../../store/ports.ts';
import type { AnalyticsRecord } from '../../model/records.ts';
import { classifyStoreFailure } from '../../store/store-failure.ts';

/**
 * Records, written or waiting: a few MB at typical record sizes. It holds a store outage of a few
 * seconds (a PostgreSQL restart) at a few thousand requests per second per gateway, or minutes at a
 * few dozen (docs/adr/0009).
 */
export const DEFAULT_ANALYTICS_BUFFER_LIMIT = 10_000; // records
export const DEFAULT_ANALYTICS_BATCH_SIZE = 500; // records
export const DEFAULT_ANALYTICS_FLUSH_INTERVAL_MS = 1000; // 1 second
export const DEFAULT_ANALYTICS_RETENTION_MS = 30 * 86_400_000; // 30 days
export const DEFAULT_ANALYTICS_RETENTION_INTERVAL_MS = 3_600_000; // 1 hour
const WARNING_INTERVAL_MS = 60_000; // at most one "dropped" (or "store down") warning per minute

/**
 * buffer_full: the recorder was behind a working store; store_unavailable: the buffer filled while
 * the store was down; write_failed: the store refused a batch, which is not retried.
 */
export type AnalyticsDropReason = 'buffer_full' | 'store_unavailable' | 'write_failed';

export interface AnalyticsRecorderOptions {
  store: AnalyticsStore;
  logger: Logger;
  /** Told of every loss (e.g. GatewayMetrics.analyticsDropped). */
  onDrop?: (reason: AnalyticsDropReason, count: number) => void;
  bufferLimit?: number;
  batchSize?: number;
  flushIntervalMs?: number;
  /** Records older than this are deleted; 0 keeps them forever. */
  retentionMs?: number;
  retentionIntervalMs?: number;
  now?: () => number;
}

export class AnalyticsRecorder implements AnalyticsSink {
  readonly #store: AnalyticsStore;
  readonly #logger: Logger;
  readonly #onDrop: (reason: AnalyticsDropReason, count: number) => void;
  readonly #bufferLimit: number;
  readonly #batchSize: number;
  readonly #flushIntervalMs: number;
  readonly #retentionMs: number;
  readonly #retentionIntervalMs: number;
  readonly #now: () => number;
  #buffer: AnalyticsRecord[] = [];
  /** Records taken from the buffer by the batch being written (they count against the bound). */
  #inFlight = 0;
  /** The last write failed because the store is down: wait for the timer, keep what is buffered. */
  #storeDown = false;
  #lastStoreDownLog = -Infinity;
  #closed = false;
  #timers: NodeJS.Timeout[] = [];
  /** The batch writer in progress, if any (one at a time). */
  #writing: Promise<void> | undefined;
  #kickScheduled = false;
  #retention: Promise<void> | undefined;
  #droppedTotal = 0;
  /** Losses since the last warning, which says how many (at most one warning per minute). */
  readonly #droppedSinceWarning: Record<AnalyticsDropReason, number> = {
    buffer_full: 0,
    store_unavailable: 0,
    write_failed: 0,
  };
  #lastFailure: string | undefined;
  #lastWarning = -Infinity;

  constructor(options: AnalyticsRecorderOptions) {
    this.#store = options.store;
    this.#logger = options.logger.child({ component: 'analytics' });
    this.#onDrop = options.onDrop ?? (() => undefined);
    this.#bufferLimit = options.bufferLimit ?? DEFAULT_ANALYTICS_BUFFER_LIMIT;
    this.#batchSize = Math.min(options.batchSize ?? DEFAULT_ANALYTICS_BATCH_SIZE, this.#bufferLimit);
    this.#flushIntervalMs = options.flushIntervalMs ?? DEFAULT_ANALYTICS_FLUSH_INTERVAL_MS;
    this.#retentionMs = options.retentionMs ?? DEFAULT_ANALYTICS_RETENTION_MS;
    this.#retentionIntervalMs = options.retentionIntervalMs ?? DEFAULT_ANALYTICS_RETENTION_INTERVAL_MS;
    this.#now = options.now ?? Date.now;
  }

  /** Starts the flush timer and the retention job (retention runs once now). */
  start(): void {
    if (this.#closed || this.#timers.length > 0) return;
    const flushTimer = setInterval(() => void this.#write(true), this.#flushIntervalMs);
    flushTimer.unref();
    this.#timers.push(flushTimer);
    if (this.#retentionMs > 0) {
      void this.applyRetention();
      const retentionTimer = setInterval(() => void this.applyRetention(), this.#retentionIntervalMs);
      retentionTimer.unref();
      this.#timers.push(retentionTimer);
    }
  }

  /** The hot path: push, or drop and count. Returns at once, never throws. */
  record(entry: AnalyticsRecord): void {
    if (this.#closed) return;
    if (this.#buffer.length + this.#inFlight >= this.#bufferLimit) {
      this.#drop(this.#storeDown ? 'store_unavailable' : 'buffer_full', 1);
      return;
    }
    this.#buffer.push(entry);
    const kick = !this.#storeDown && this.#writing === undefined && !this.#kickScheduled;
    if (kick && this.#buffer.length >= this.#batchSize) {
      // A full batch is written soon, but never from inside the request that filled it.
      this.#kickScheduled = true;
      setImmediate(() => {
        this.#kickScheduled = false;
        void this.#write(false);
      });
    }
  }

  /** Records waiting to be written. */
  get buffered(): number {
    return this.#buffer.length;
  }

  /** Records lost since start (buffer full, store down too long, or batch refused). */
  get dropped(): number {
    return this.#droppedTotal;
  }

  /** Writes everything recorded before this call. Never rejects. */
  async flush(): Promise<void> {
    while (this.#writing !== undefined) await this.#writing;
    await this.#write(true);
  }

  /** Stops the timers, writes what is left and waits for a retention run in progress. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers = [];
    await this.flush();
    // The store is still down: nothing will write these any more.
    if (this.#buffer.length > 0) {
      const left = this.#buffer.length;
      this.#buffer = [];
      this.#lastWarning = -Infinity; // the last word on it, whatever was logged before
      this.#drop('store_unavailable', left);
    }
    await this.#retention;
  }

  /** Deletes records older than the retention period; returns how many (0 on failure, logged). */
  async applyRetention(): Promise<number> {
    if (this.#retentionMs <= 0) return 0;
    if (this.#retention !== undefined) {
      await this.#retention;
      return 0;
    }
    let deleted = 0;
    const run = (async () => {
      const cutoff = new Date(this.#now() - this.#retentionMs).toISOString();
      try {
        deleted = await this.#store.deleteAnalyticsBefore(cutoff);
        if (deleted > 0) this.#logger.info({ deleted, before: cutoff }, 'analytics retention: old records deleted');
      } catch (error) {
        this.#logger.error({ err: (error as Error).message }, 'analytics retention failed');
      }
    })();
    this.#retention = run;
    try {
      await run;
    } finally {
      this.#retention = undefined;
    }
    return deleted;
  }

  /**
   * Starts the batch writer unless one runs (then joins it). `all`: down to an empty buffer;
   * otherwise only full batches, the rest waiting for the timer.
   */
  #write(all: boolean): Promise<void> {
    if (this.#writing !== undefined) return this.#writing;
    const writing = this.#writeBatches(all).finally(() => {
      if (this.#writing === writing) this.#writing = undefined;
    });
    this.#writing = writing;
    return writing;
  }

  async #writeBatches(all: boolean): Promise<void> {
    while (this.#buffer.length >= (all ? 1 : this.#batchSize)) {
      const batch = this.#take();
      this.#inFlight = batch.length;
      try {
        await this.#store.appendAnalytics(batch);
        if (this.#storeDown) this.#storeBack();
      } catch (error) {
        const failure = classifyStoreFailure(error);
        if (failure === 'unavailable' || failure === 'no_space') {
          // Not written: back to the head of the buffer, in order, for the next tick.
          this.#buffer = batch.concat(this.#buffer);
          this.#storeIsDown((error as Error).message);
          return;
        }
        this.#drop('write_failed', batch.length, (error as Error).message);
      } finally {
        this.#inFlight = 0;
      }
    }
  }

  #storeIsDown(reason: string): void {
    this.#storeDown = true;
    const now = this.#now();
    if (now - this.#lastStoreDownLog < WARNING_INTERVAL_MS) return;
    this.#lastStoreDownLog = now;
    this.#logger.warn(
      { buffered: this.#buffer.length, bufferLimit: this.#bufferLimit, err: reason },
      'analytics: the store is unavailable; records are kept and written when it is back',
    );
  }

  #storeBack(): void {
    this.#storeDown = false;
    this.#lastStoreDownLog = -Infinity;
    this.#logger.info({ buffered: this.#buffer.length }, 'analytics: the store is back; writing the records kept');
  }

  #take(): AnalyticsRecord[] {
    if (this.#buffer.length <= this.#batchSize) {
      const batch = this.#buffer;
      this.#buffer = [];
      return batch;
    }
    return this.#buffer.splice(0, this.#batchSize);
  }

  #drop(reason: AnalyticsDropReason, count: number, detail?: string): void {
    this.#droppedTotal += count;
    this.#droppedSinceWarning[reason] += count;
    if (detail !== undefined) this.#lastFailure = detail;
    try {
      this.#onDrop(reason, count);
    } catch {
      // A metrics callback must not turn a drop into a failed request.
    }
    const now = this.#now();
    if (now - this.#lastWarning < WARNING_INTERVAL_MS) return;
    this.#lastWarning = now;
    const dropped = this.#droppedSinceWarning;
    this.#logger.warn(
      { dropped: { ...dropped }, bufferLimit: this.#bufferLimit, err: this.#lastFailure },
      'analytics records dropped',
    );
    dropped.buffer_full = 0;
    dropped.store_unavailable = 0;
    dropped.write_failed = 0;
    this.#lastFailure = undefined;
  }
}
