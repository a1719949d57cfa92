/**
 * ChangeAnnouncer: tells the other gateways of a cluster that a write committed here (through
 * ConfigChangeFeed.announce), without ever failing that write's answer. The announcement is a store
 * write of its own; when the store fails just after the change committed, answering the client with
 * an error would have it repeat a change that was applied. So a failed announcement is logged once
 * and tried again every second in the background until the store takes it (one retry pending at a
 * time: a later change's announcement covers the earlier ones).
 */
import type { Logger } from 'pino';

const RETRY_MS = 1000;

export class ChangeAnnouncer {
  readonly #announce: () => Promise<void>;
  readonly #logger: Logger;
  readonly #retryMs: number;
  #retry: NodeJS.Timeout | undefined;
  #failing = false;
  #stopped = false;

  constructor(announce: () => Promise<void>, logger: Logger, retryMs = RETRY_MS) {
    this.#announce = announce;
    this.#logger = logger;
    this.#retryMs = retryMs;
  }

  /** Announces now; on failure, keeps trying in the background. Never rejects. */
  async announce(): Promise<void> {
    if (this.#stopped) return;
    clearTimeout(this.#retry);
    this.#retry = undefined;
    try {
      await this.#announce();
      if (this.#failing) this.#logger.info('change announced to the other gateways, now that the store takes it');
      this.#failing = false;
    } catch (error) {
      if (!this.#failing) {
        this.#logger.warn(
          { err: (error as Error).message },
          'could not tell the other gateways about a change (the change itself is saved); retrying every second',
        );
      }
      this.#failing = true;
      // Stopped meanwhile: the retry finds #stopped and does nothing.
      this.#retry = setTimeout(() => void this.announce(), this.#retryMs);
      this.#retry.unref();
    }
  }

  /** Whether an announcement is waiting to be retried. */
  get pending(): boolean {
    return this.#retry !== undefined;
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#retry);
    this.#retry = undefined;
  }
}
