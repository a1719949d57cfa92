/**
 * LogThrottle: at most one log line per key per interval, the next line saying how many occurrences
 * were left out meanwhile. One hostile client can repeat the same failure thousands of times a
 * second; the log must show that it happens (and how often) without being flooded by it. The exact
 * count is the metric's job (`portcullis_internal_errors_total`); the log is for the first look.
 *
 * Keys are a fixed set (the guard's stages), so the map never grows with traffic. No timer: an
 * occurrence is decided when it happens, from the clock.
 */
export class LogThrottle {
  readonly #intervalMs: number;
  readonly #now: () => number;
  readonly #keys = new Map<string, { loggedAt: number; suppressed: number }>();

  constructor(intervalMs = 1_000, now: () => number = Date.now) {
    this.#intervalMs = intervalMs;
    this.#now = now;
  }

  /**
   * Whether this occurrence of `key` gets a log line: undefined when it must be left out, otherwise
   * the number of occurrences left out since the last line (0 for the first).
   */
  admit(key: string): number | undefined {
    const now = this.#now();
    const entry = this.#keys.get(key);
    if (entry === undefined) {
      this.#keys.set(key, { loggedAt: now, suppressed: 0 });
      return 0;
    }
    if (now - entry.loggedAt < this.#intervalMs) {
      entry.suppressed++;
      return undefined;
    }
    const suppressed = entry.suppressed;
    entry.loggedAt = now;
    entry.suppressed = 0;
    return suppressed;
  }
}
