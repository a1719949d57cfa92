/**
 * GatewayPublisher: compiles the gateway snapshot from the store and swaps it into the holder the
 * data plane reads. Recompiles are serialized and coalesced: a change that arrives while one runs
 * is folded into the next run. A compile that fails keeps the previous snapshot (never a partial one).
 */
import type { Logger } from 'pino';
import { SnapshotHolder } from '../runtime-config/gateway-snapshot.ts';
import { compileGatewaySnapshot, type SnapshotCompilerDeps } from './gateway-snapshot-compiler.ts';

export class GatewayPublisher {
  readonly #deps: SnapshotCompilerDeps;
  readonly #logger: Logger;
  #holder: SnapshotHolder | undefined;
  #running: Promise<void> | undefined;
  #again = false;

  constructor(deps: SnapshotCompilerDeps, logger: Logger) {
    this.#deps = {
      onProblem: (problem) =>
        logger.error(problem, 'stored configuration does not compile: it fails closed until fixed'),
      ...deps,
    };
    this.#logger = logger;
  }

  /** Compiles the first snapshot; fails when the store cannot be compiled (nothing to serve). */
  async start(): Promise<SnapshotHolder> {
    this.#holder = new SnapshotHolder(await compileGatewaySnapshot(this.#deps));
    return this.#holder;
  }

  /** Recompiles and swaps; resolves when a snapshot that includes every change so far is live. */
  republish(): Promise<void> {
    if (this.#running !== undefined) {
      this.#again = true;
      return this.#running;
    }
    this.#running = this.#loop().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #loop(): Promise<void> {
    let again = true;
    while (again) {
      this.#again = false;
      try {
        const next = await compileGatewaySnapshot(this.#deps);
        this.#holder?.swap(next);
      } catch (error) {
        this.#logger.error({ err: (error as Error).message }, 'gateway snapshot not updated: compile failed');
      }
      again = this.#changedMeanwhile();
    }
  }

  /** Set by republish() calls that arrived during the compile that just finished. */
  #changedMeanwhile(): boolean {
    return this.#again;
  }
}
