/**
 * ConfigChangeFeed: how gateway processes sharing one store (a PostgreSQL cluster) learn that the
 * configuration changed through another process, within a second and with no store read on the
 * request path.
 *
 *   a successful write (API or --config) ─▶ announce(): a new random token in the settings table
 *   every process, every 500 ms          ─▶ read the token; different from the last one it saw or
 *                                           wrote → recompile its snapshot
 *
 * Random tokens rather than a counter: two processes announcing at once cannot both write "n + 1"
 * and each miss the other's change. A process primes its token BEFORE its first compile, so a
 * change landing between the two is seen at the next poll rather than lost. With SQLite (one
 * process) the poll is a cheap local read that never finds a change.
 *
 * A nudge (a Redis message from the process that announced, with `--redis`) checks at once instead
 * of at the next tick. It is only a hint: the token decides, so a lost or foreign message changes
 * nothing, and the poll still catches what no message announced.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { SettingsStore } from '../store/ports.ts';

export const CONFIG_GENERATION_SETTING = 'config_generation';
const DEFAULT_POLL_MS = 500;
/** Poll failures (store down) are logged at most this often. */
const FAILURE_LOG_INTERVAL_MS = 60_000;

/** Where announcements are also sent as a hint to the other processes (a Redis channel), if anywhere. */
export interface ChangeHint {
  publish(): Promise<void>;
}

export class ConfigChangeFeed {
  readonly #store: SettingsStore;
  readonly #onRemoteChange: () => Promise<void>;
  readonly #logger: Logger;
  readonly #pollMs: number;
  #lastSeen: string | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** The poll in progress (its recompile included), awaited by stop(). */
  #polling: Promise<void> | undefined;
  /** A nudge came during a poll: poll once more after it (its read may predate the change). */
  #pollAgain = false;
  #stopped = false;
  #lastFailureLog = 0;
  #hint: ChangeHint | undefined;

  constructor(store: SettingsStore, onRemoteChange: () => Promise<void>, logger: Logger, pollMs = DEFAULT_POLL_MS) {
    this.#store = store;
    this.#onRemoteChange = onRemoteChange;
    this.#logger = logger;
    this.#pollMs = pollMs;
  }

  /** From now on, every announcement is also published to `hint` (after the token is written). */
  hintTo(hint: ChangeHint): void {
    this.#hint = hint;
  }

  /** Remembers the current token; call before compiling the first snapshot. */
  async prime(): Promise<void> {
    this.#lastSeen = await this.#store.getSetting(CONFIG_GENERATION_SETTING);
  }

  /** Tells the other processes that this one changed the configuration (after the write committed). */
  async announce(): Promise<void> {
    const token = randomBytes(16).toString('hex');
    this.#lastSeen = token;
    await this.#store.putSetting(CONFIG_GENERATION_SETTING, token);
    // Only a hint: when it is lost, the others' poll finds the change anyway, so a failed publish is
    // logged and never fails the write that is being announced.
    await this.#hint?.publish().catch((error: unknown) => {
      this.#logger.warn({ err: (error as Error).message }, 'could not publish the change hint; the poll will carry it');
    });
  }

  start(): void {
    this.#timer = setInterval(() => this.#startPoll(), this.#pollMs);
    this.#timer.unref();
  }

  /** Another process says it changed the configuration: check now rather than at the next tick. */
  nudge(): void {
    if (this.#stopped || this.#timer === undefined) return;
    if (this.#polling === undefined) this.#startPoll();
    else this.#pollAgain = true;
  }

  /** Stops polling and waits for a poll in progress, so nothing touches the store after this. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
    // #stopped keeps a queued nudge from starting another poll once this one ends.
    await this.#polling;
  }

  #startPoll(): void {
    // A slow store: never pile up reads.
    this.#polling ??= this.#poll().finally(() => {
      this.#polling = undefined;
      if (this.#pollAgain && !this.#stopped) {
        this.#pollAgain = false;
        this.#startPoll();
      }
    });
  }

  async #poll(): Promise<void> {
    try {
      const token = await this.#store.getSetting(CONFIG_GENERATION_SETTING);
      if (token === this.#lastSeen) return;
      this.#lastSeen = token;
      await this.#onRemoteChange();
    } catch (error) {
      const now = Date.now();
      if (now - this.#lastFailureLog >= FAILURE_LOG_INTERVAL_MS) {
        this.#lastFailureLog = now;
        this.#logger.error({ err: (error as Error).message }, 'cannot check the store for configuration changes');
      }
    }
  }
}
