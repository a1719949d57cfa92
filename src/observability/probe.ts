/**
 * Probe: asks a dependency a trivial question (a one-row store read, a Redis PING) for the health
 * endpoint and the `*_up` gauges, with a time limit, and never more than one question at a time:
 * when the dependency hangs, a load balancer polling `/readyz` every second must not stack up one
 * more pending query (and one more pooled connection) per poll. A call made while an earlier
 * question is still pending waits for that one, within its own time limit.
 */
export type ProbeOutcome = 'ok' | 'failed' | 'timeout';

export class Probe {
  readonly #ask: () => Promise<unknown>;
  readonly #timeoutMs: number;
  #pending: Promise<ProbeOutcome> | undefined;

  constructor(ask: () => Promise<unknown>, timeoutMs: number) {
    this.#ask = ask;
    this.#timeoutMs = timeoutMs;
  }

  run(): Promise<ProbeOutcome> {
    const pending = (this.#pending ??= this.#askOnce());
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<ProbeOutcome>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.#timeoutMs);
    });
    return Promise.race([pending, timeout]).finally(() => clearTimeout(timer));
  }

  async #askOnce(): Promise<ProbeOutcome> {
    try {
      await this.#ask();
      return 'ok';
    } catch {
      return 'failed';
    } finally {
      this.#pending = undefined;
    }
  }
}
