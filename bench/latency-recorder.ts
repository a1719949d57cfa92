/**
 * Latency samples of one measured window, kept exactly up to a fixed cap and by reservoir
 * sampling past it, so memory stays bounded however fast the target is.
 */

export interface LatencySummary {
  /** Milliseconds. */
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
  samples: number;
}

export class LatencyRecorder {
  readonly #samples: Float64Array;
  #count = 0;
  #seen = 0;
  #max = 0;
  #sum = 0;

  constructor(capacity = 4_000_000) {
    this.#samples = new Float64Array(capacity);
  }

  record(ms: number): void {
    this.#seen++;
    this.#sum += ms;
    if (ms > this.#max) this.#max = ms;
    if (this.#count < this.#samples.length) {
      this.#samples[this.#count++] = ms;
      return;
    }
    const slot = Math.floor(Math.random() * this.#seen);
    if (slot < this.#samples.length) this.#samples[slot] = ms;
  }

  summary(): LatencySummary {
    const sorted = this.#samples.slice(0, this.#count).sort();
    const at = (q: number): number =>
      sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
    return {
      p50: at(0.5),
      p90: at(0.9),
      p99: at(0.99),
      max: this.#seen === 0 ? NaN : this.#max,
      mean: this.#seen === 0 ? NaN : this.#sum / this.#seen,
      samples: this.#seen,
    };
  }
}
