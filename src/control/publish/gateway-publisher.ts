/**
 * GatewayPublisher: compiles the gateway snapshot from the store and swaps it into the holder the
 * data plane reads. Recompiles are serialized and coalesced: a change that arrives while one runs
 * is folded into the next run. A compile that fails keeps the previous snapshot (never a partial one)
 * and rejects, so that the caller (config-change-feed.ts) retries it rather than taking the change
 * for applied; the caller also logs it, once per outage rather than per attempt.
 */
import type { Logger } from 'pino';
import { SnapshotHolder } from '../../runtime-config/gateway-snapshot.ts';
import { compileGatewaySnapshot, type SnapshotCompilerDeps } from './gateway-snapshot-compiler.ts';
import { RevokedSerialsCache } from './revoked-serials-cache.ts';
import { ParsedCertificates } from './parsed-certificates.ts';

export class GatewayPublisher {
  readonly #deps: SnapshotCompilerDeps;
  #holder: SnapshotHolder | undefined;
  /** When the snapshot in force was swapped in (ms since the epoch). */
  #appliedAt: number | undefined;
  #running: Promise<void> | undefined;
  #again = false;

  constructor(deps: SnapshotCompilerDeps, logger: Logger) {
    this.#deps = {
      onProblem: (problem) =>
        logger.error(problem, 'stored configuration does not compile: it fails closed until fixed'),
      revokedSerials: new RevokedSerialsCache(),
      certificates: new ParsedCertificates(),
      ...deps,
    };
  }

  /** Compiles the first snapshot; fails when the store cannot be compiled (nothing to serve). */
  async start(): Promise<SnapshotHolder> {
    this.#holder = new SnapshotHolder(await compileGatewaySnapshot(this.#deps));
    this.#appliedAt = Date.now();
    return this.#holder;
  }

  /** When the snapshot in force was swapped in (ms since the epoch); undefined before start. */
  get appliedAt(): number | undefined {
    return this.#appliedAt;
  }

  /**
   * Recompiles and swaps; resolves when a snapshot that includes every change so far is live, and
   * rejects when the last compile failed (the previous snapshot stays in force).
   */
  republish(): Promise<void> {
    if (this.#running !== undefined) {
      this.#again = true;
      return this.#running;
    }
    this.#running = this.#loop();
    return this.#running;
  }

  async #loop(): Promise<void> {
    let failure: { error: unknown } | undefined;
    let again = true;
    while (again) {
      this.#again = false;
      try {
        const next = await compileGatewaySnapshot(this.#deps);
        this.#holder?.swap(next);
        this.#appliedAt = Date.now();
        failure = undefined;
      } catch (error) {
        // Only the last run decides: a later one that succeeded includes what this one missed.
        failure = { error };
      }
      again = this.#changedMeanwhile();
    }
    // Cleared in the same synchronous step as the last check above (not in a later .finally()), so
    // a republish() that comes after that check starts a new run instead of joining this finished
    // one, which would answer it with a snapshot that predates its change.
    this.#running = undefined;
    if (failure !== undefined) throw failure.error;
  }

  /** Set by republish() calls that arrived during the compile that just finished. */
  #changedMeanwhile(): boolean {
    return this.#again;
  }
}
