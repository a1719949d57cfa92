/**
 * SignInThrottle: failed dashboard sign-ins counted per client address in a fixed window. Past the
 * limit, every sign-in from that address is refused until the window ends, a right token included
 * (otherwise guessing would go on, only slower). Counted in this process: each node of a cluster
 * counts its own (docs/adr/0013). The table is bounded: when full, the oldest window is dropped.
 */
export interface SignInThrottleOptions {
  /** Failures allowed per window. */
  readonly maxFailures: number;
  readonly windowMs: number;
  /** Addresses tracked at once. */
  readonly maxAddresses?: number;
  readonly now?: () => number;
}

interface Window {
  startMs: number;
  failures: number;
}

export class SignInThrottle {
  readonly #options: Required<SignInThrottleOptions>;
  readonly #windows = new Map<string, Window>();

  constructor(options: SignInThrottleOptions) {
    this.#options = { maxAddresses: 10_000, now: Date.now, ...options };
  }

  /** Milliseconds until this address may try again; 0 when it may now. */
  retryAfterMs(address: string): number {
    const window = this.#current(address);
    if (window === undefined || window.failures < this.#options.maxFailures) return 0;
    return Math.max(1, window.startMs + this.#options.windowMs - this.#options.now());
  }

  failed(address: string): void {
    let window = this.#current(address);
    if (window === undefined) {
      if (this.#windows.size >= this.#options.maxAddresses) {
        const oldest = this.#windows.keys().next().value;
        if (oldest !== undefined) this.#windows.delete(oldest);
      }
      window = { startMs: this.#options.now(), failures: 0 };
      this.#windows.set(address, window);
    }
    window.failures += 1;
  }

  #current(address: string): Window | undefined {
    const window = this.#windows.get(address);
    if (window === undefined) return undefined;
    if (this.#options.now() - window.startMs >= this.#options.windowMs) {
      this.#windows.delete(address);
      return undefined;
    }
    return window;
  }
}
