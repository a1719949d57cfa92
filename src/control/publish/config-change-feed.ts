/**
 * ConfigChangeFeed: how gateway processes sharing one store (a PostgreSQL cluster) learn that the
 * configuration changed through another process, within a second and with no store read on the
 * request path — and keep trying until the change is in force here.
 *
 *   a successful write (API or --config) ─▶ announce: a new random token in the settings table
 *   every process, every 500 ms          ─▶ read the token; not the one whose snapshot is live here
 *                                           → rebuild the snapshot (apply)
 *
 * Random tokens rather than a counter: two processes announcing at once cannot both write "n + 1"
 * and each miss the other's change. A process primes its token BEFORE its first compile, so a
 * change landing between the two is seen at the next poll rather than lost. With SQLite (one
 * process) the poll is a cheap local read that never finds a change.
 *
 * A token counts as applied only once a rebuild that began after it was read has succeeded: a
 * rebuild that fails (a store error mid-compile) leaves the old token in place, so the change is
 * retried — after a backoff (retry-backoff.ts) rather than at every poll, so a struggling store is
 * not hit with a full compile twice a second by every gateway. A token write that fails after a
 * committed change is retried the same way, or the other gateways would never hear of the change.
 * Whether the snapshot is known to be current is tracked by ConfigFreshness (`/readyz`, metrics).
 *
 * A nudge (a Redis message from the process that announced, with `--redis`) checks at once instead
 * of at the next tick. It is only a hint: the token decides, so a lost or foreign message changes
 * nothing, and the poll still catches what no message announced.
 *
 * A change that only revoked or reactivated client certificates writes a token of its own
 * (REVOCATION_GENERATION_SETTING): a process that finds only that one changed brings its revocation
 * sets up to date (`applyRevocations`: a version read per managed CA, the changed certificates) and
 * does not recompile its snapshot, whose revocation index holds those same sets (revoked-serials-cache.ts).
 * A recompile per revocation was most of the main thread's work during a burst of revocations
 * (bench/revocation-scale.ts). Every other change writes the configuration token, whose rebuild
 * covers revocations too: a revocation token never hides a configuration change, however the two
 * interleave, because each has its own key.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { SettingsStore } from '../../store/ports.ts';
import { ConfigFreshness } from './config-freshness.ts';
import { retryDelayMs } from './retry-backoff.ts';

export const CONFIG_GENERATION_SETTING = 'config_generation';
/** Written by changes that only revoke or reactivate client certificates (see above). */
export const REVOCATION_GENERATION_SETTING = 'revocation_generation';
export const DEFAULT_CHANGE_POLL_MS = 500;
/** Past this, a gateway that cannot bring its snapshot up to date says so (`serve --config-stale-after`). */
export const DEFAULT_CONFIG_STALE_AFTER_MS = 10_000;
/** First retry after about this long (250–500 ms with jitter), doubling up to RETRY_MAX_MS. */
const RETRY_BASE_MS = 500;
const RETRY_MAX_MS = 5_000;
/** How often a hung check or a long failure is looked at for the stale bound. */
const FRESHNESS_WATCH_MS = 1_000;

/** Where announcements are also sent as a hint to the other processes (a Redis channel), if anywhere. */
export interface ChangeHint {
  publish(): Promise<void>;
}

export interface ChangeFeedOptions {
  /** Between polls of the token (default 500 ms). */
  readonly pollMs?: number | undefined;
  /** How long the snapshot may stay unconfirmed before the gateway reports itself stale (default 10 s). */
  readonly staleAfterMs?: number | undefined;
  /** For retry jitter; tests may fix it. */
  readonly random?: () => number;
  /**
   * Brings this process's revocation sets up to date, for a change that only revoked or reactivated
   * certificates; rejects when it could not. Default: the whole `apply`.
   */
  readonly applyRevocations?: () => Promise<void>;
}

export class ConfigChangeFeed {
  readonly #store: SettingsStore;
  readonly #apply: () => Promise<void>;
  readonly #applyRevocations: () => Promise<void>;
  readonly #logger: Logger;
  readonly #pollMs: number;
  readonly #random: () => number;
  readonly #freshness: ConfigFreshness;
  /** The token whose snapshot is live here (and the sequence number of the check that applied it). */
  #applied: string | undefined;
  #appliedSeq = 0;
  /** The revocation token whose changes are applied here (and the sequence number of that check). */
  #appliedRevocations: string | undefined;
  #appliedRevocationsSeq = 0;
  /** Every check and local write takes the next number: outcomes of older ones never undo newer ones. */
  #seq = 0;
  #lastFailedSeq = 0;
  #failures = 0;
  #retryAt = 0;
  #retryTimer: NodeJS.Timeout | undefined;
  /** A change was committed here but its token could not be written: write one at the next retry. */
  #announcePending = false;
  #timer: NodeJS.Timeout | undefined;
  #watch: NodeJS.Timeout | undefined;
  /** The poll in progress (its rebuild included), awaited by stop(). */
  #polling: Promise<void> | undefined;
  #pollStartedAt: number | undefined;
  /** A nudge came during a poll: poll once more after it (its read may predate the change). */
  #pollAgain = false;
  #stopped = false;
  #hint: ChangeHint | undefined;

  /** `apply` rebuilds this process's snapshot from the store; it rejects when it could not. */
  constructor(store: SettingsStore, apply: () => Promise<void>, logger: Logger, options: ChangeFeedOptions = {}) {
    this.#store = store;
    this.#apply = apply;
    this.#applyRevocations = options.applyRevocations ?? apply;
    this.#logger = logger;
    this.#pollMs = options.pollMs ?? DEFAULT_CHANGE_POLL_MS;
    this.#random = options.random ?? Math.random;
    this.#freshness = new ConfigFreshness(options.staleAfterMs ?? DEFAULT_CONFIG_STALE_AFTER_MS, {
      retrying: (reason) => logger.warn({ err: reason }, 'configuration not brought up to date: retrying with backoff'),
      stale: (staleMs, reason) =>
        logger.error(
          { err: reason, staleSeconds: Math.round(staleMs / 1000) },
          'configuration stale: changes made through other gateways may not be enforced here (readyz fails)',
        ),
      current: (afterMs) =>
        logger.info({ afterSeconds: Math.round(afterMs / 100) / 10 }, 'configuration up to date again'),
    });
  }

  /** From now on, every announcement is also published to `hint` (after the token is written). */
  hintTo(hint: ChangeHint): void {
    this.#hint = hint;
  }

  /** Remembers the current token; call before compiling the first snapshot. */
  async prime(): Promise<void> {
    this.#applied = await this.#store.getSetting(CONFIG_GENERATION_SETTING);
    this.#appliedRevocations = await this.#store.getSetting(REVOCATION_GENERATION_SETTING);
    this.#appliedSeq = ++this.#seq;
    this.#appliedRevocationsSeq = this.#appliedSeq;
  }

  /** Tells the other processes that this one changed the configuration (after the write committed). */
  async announce(): Promise<void> {
    await this.#writeToken();
  }

  /**
   * After a write committed here: announces it, then brings this process's snapshot up to date with
   * `applyHere`. Never rejects: the write is committed whatever happens next, and what failed (the
   * token write, the rebuild) is retried in the background and shows in the freshness state.
   */
  async announceAndApply(applyHere: () => Promise<void>): Promise<void> {
    await this.#announceAndApply(CONFIG_GENERATION_SETTING, applyHere);
  }

  /**
   * announceAndApply for a change that only revoked or reactivated client certificates: the other
   * processes bring their revocation sets up to date without recompiling their snapshots. `applyHere`
   * does the same here (often nothing: the service that revoked has already updated this process's sets).
   */
  async announceRevocationsAndApply(applyHere: () => Promise<void>): Promise<void> {
    await this.#announceAndApply(REVOCATION_GENERATION_SETTING, applyHere);
  }

  async #announceAndApply(setting: string, applyHere: () => Promise<void>): Promise<void> {
    const seq = ++this.#seq;
    const startedAt = Date.now();
    let token: string | undefined;
    try {
      token = await this.#writeToken(setting);
    } catch (error) {
      // The retry writes the configuration token: a full rebuild elsewhere covers a revocation too.
      this.#announcePending = true;
      this.#failed(seq, startedAt, `cannot announce a change to the other gateways: ${messageOf(error)}`);
    }
    try {
      await applyHere();
    } catch (error) {
      this.#failed(seq, startedAt, `snapshot rebuild failed: ${messageOf(error)}`);
      return;
    }
    if (token === undefined) return;
    if (setting === CONFIG_GENERATION_SETTING) {
      this.#markApplied(token, seq);
    } else {
      this.#markRevocationsApplied(token, seq);
      this.#succeeded(seq);
    }
  }

  start(): void {
    this.#timer = setInterval(() => this.#startPoll(), this.#pollMs);
    this.#timer.unref();
    this.#watch = setInterval(() => this.#freshness.evaluate(this.#pollStartedAt), FRESHNESS_WATCH_MS);
    this.#watch.unref();
  }

  /** Another process says it changed the configuration: check now rather than at the next tick. */
  nudge(): void {
    if (this.#stopped || this.#timer === undefined) return;
    if (this.#polling === undefined) this.#startPoll();
    else this.#pollAgain = true;
  }

  /** Stops polling and retrying, and waits for a poll in progress, so nothing touches the store after this. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    clearInterval(this.#watch);
    clearTimeout(this.#retryTimer);
    this.#timer = undefined;
    // #stopped keeps a queued nudge or retry from starting another poll once this one ends.
    await this.#polling;
  }

  /** Whether the snapshot in force is known to match the store (not stale past the bound). */
  isFresh(): boolean {
    this.#freshness.evaluate(this.#pollStartedAt);
    return this.#freshness.state !== 'stale';
  }

  /** Seconds the snapshot has not been known to match the store: 0 while it is current. */
  staleSeconds(): number {
    return this.#freshness.staleMs(this.#pollStartedAt) / 1000;
  }

  #startPoll(): void {
    if (this.#stopped) return;
    // A slow store: never pile up reads.
    this.#polling ??= this.#poll().finally(() => {
      this.#polling = undefined;
      this.#pollStartedAt = undefined;
      if (this.#pollAgain && !this.#stopped) {
        this.#pollAgain = false;
        this.#startPoll();
      }
    });
  }

  async #poll(): Promise<void> {
    const startedAt = Date.now();
    this.#pollStartedAt = startedAt;
    const backingOff = startedAt < this.#retryAt;
    if (this.#announcePending) {
      if (backingOff) return;
      try {
        await this.#writeToken();
        this.#announcePending = false;
      } catch (error) {
        this.#failed(++this.#seq, startedAt, `cannot announce a change to the other gateways: ${messageOf(error)}`);
        return;
      }
    }
    const seq = ++this.#seq;
    let token: string | undefined;
    let revocations: string | undefined;
    try {
      token = await this.#store.getSetting(CONFIG_GENERATION_SETTING);
      // Read second: a full rebuild that begins after both reads covers the revocations this token announced.
      revocations = await this.#store.getSetting(REVOCATION_GENERATION_SETTING);
    } catch (error) {
      this.#failed(seq, startedAt, `cannot read the configuration generation: ${messageOf(error)}`);
      return;
    }
    const configChanged = token !== this.#applied;
    if (!configChanged && revocations === this.#appliedRevocations) {
      this.#succeeded(seq);
      return;
    }
    // A change, but the last rebuild failed moments ago: the retry timer comes back to it.
    if (backingOff) return;
    try {
      await (configChanged ? this.#apply() : this.#applyRevocations());
    } catch (error) {
      this.#failed(seq, startedAt, `snapshot rebuild failed: ${messageOf(error)}`);
      return;
    }
    this.#markRevocationsApplied(revocations, seq);
    if (configChanged) this.#markApplied(token, seq);
    else this.#succeeded(seq);
  }

  /** Writes a new token (of the configuration, or of revocations) and publishes the hint; the token written. */
  async #writeToken(setting = CONFIG_GENERATION_SETTING): Promise<string> {
    const token = randomBytes(16).toString('hex');
    await this.#store.putSetting(setting, token);
    // Only a hint: when it is lost, the others' poll finds the change anyway, so a failed publish is
    // logged and never fails the write that is being announced.
    await this.#hint?.publish().catch((error: unknown) => {
      this.#logger.warn({ err: (error as Error).message }, 'could not publish the change hint; the poll will carry it');
    });
    return token;
  }

  /** A rebuild that began after `token` was read or written (check `seq`) is live. */
  #markApplied(token: string | undefined, seq: number): void {
    if (seq > this.#appliedSeq) {
      this.#applied = token;
      this.#appliedSeq = seq;
    }
    this.#succeeded(seq);
  }

  /** Revocations announced by `token` are applied here by a check that began after it was read (`seq`). */
  #markRevocationsApplied(token: string | undefined, seq: number): void {
    if (seq <= this.#appliedRevocationsSeq) return;
    this.#appliedRevocations = token;
    this.#appliedRevocationsSeq = seq;
  }

  #succeeded(seq: number): void {
    // A failure of a later check still stands (its change may be newer than what this one saw).
    if (seq <= this.#lastFailedSeq || this.#announcePending) return;
    this.#failures = 0;
    this.#retryAt = 0;
    clearTimeout(this.#retryTimer);
    this.#freshness.confirmed();
  }

  #failed(seq: number, startedAt: number, reason: string): void {
    // A later check already succeeded: what this one failed to do is done.
    if (seq < this.#appliedSeq && !this.#announcePending) return;
    this.#lastFailedSeq = Math.max(this.#lastFailedSeq, seq);
    this.#failures += 1;
    this.#freshness.failed(startedAt, reason);
    const delay = retryDelayMs(this.#failures, RETRY_BASE_MS, RETRY_MAX_MS, this.#random);
    this.#retryAt = Date.now() + delay;
    clearTimeout(this.#retryTimer);
    if (this.#stopped) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryAt = 0;
      if (this.#polling === undefined) this.#startPoll();
      else this.#pollAgain = true;
    }, delay);
    this.#retryTimer.unref();
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
