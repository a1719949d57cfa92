/**
 * WorkerPool: the primary of `serve --workers N` and `proxy --workers N` (docs/adr/0018-workers.md).
 * Forks N workers with node:cluster (each runs the same command line and takes the worker's part),
 * which share the gateway port; replaces a worker that dies; stops them all on request.
 *
 *   start()   forks N, resolves with the gateway address once every worker listens; rejects with
 *             the exit code of a worker that ends before it listens (a refused start, as in one process)
 *   a death   logged with its exit code or signal, and a new worker forked after a backoff: at once
 *             for a worker that had served a while, doubling from RESTART_BASE_MS for workers that die
 *             before listening or within EARLY_DEATH_MS of it; after MAX_EARLY_DEATHS of those in a row
 *             the pool gives up (`onGiveUp`: the command exits 1) rather than spin, unless another worker
 *             still serves: then it keeps trying every SERVING_RETRY_MS (a store outage must not end the
 *             workers that serve from their snapshot)
 *   stop()    SIGTERM to every worker (each drains as one process does), waits for them all, and
 *             SIGKILLs what is still there after the drain time and a margin
 */
import cluster, { type Worker } from 'node:cluster';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { IpcPort } from '../store/ipc/ipc-port.ts';
import { workerPort } from './cluster-port.ts';

export const WORKER_LISTENING = 'worker-listening';
/**
 * A worker that dies before it listens, or sooner than this after it listened, died "at start". Counted from its
 * listening, not from its fork: how long a start takes (loading the code, opening the store, the first snapshot)
 * depends on the machine and its load, and a worker that never served died at start however long it tried.
 */
const EARLY_DEATH_MS = 10_000;
const MAX_EARLY_DEATHS = 5;
const RESTART_BASE_MS = 200;
const RESTART_MAX_MS = 5_000;
/**
 * Replacements keep dying at start while other workers serve (the store down, say: a replacement cannot open it,
 * the workers that run serve from their snapshot, docs/adr/0009): try again this often, without end. Ending the
 * command would take down the workers that still serve; a fork every 30 s costs one start's CPU.
 */
const SERVING_RETRY_MS = 30_000;
/** After the drain time, how long workers get to exit before they are killed. */
const STOP_MARGIN_MS = 5_000;

export interface WorkerPoolOptions {
  readonly count: number;
  readonly logger: Logger;
  /** Added to each worker's environment (the shared session-ticket secret). */
  readonly env: Record<string, string>;
  /** Wires a new worker's channel (counters, hints, metrics); returns what undoes it when it is gone. */
  readonly attach: (port: IpcPort, worker: Worker) => () => void;
  /** Workers keep dying at start: the pool stopped replacing them. */
  readonly onGiveUp: () => void;
}

/** A start refused in a worker: its exit code is the command's. */
export class WorkerStartError extends Error {
  constructor(readonly exitCode: number) {
    super(`a worker exited with code ${exitCode} before it listened`);
  }
}

export class WorkerPool {
  readonly #options: WorkerPoolOptions;
  readonly #workers = new Map<number, Worker>();
  /** The ids of the workers that listen now (each loaded its first snapshot before it did). */
  readonly #listening = new Set<number>();
  #stopping = false;
  #earlyDeaths = 0;
  readonly #restartTimers = new Set<NodeJS.Timeout>();

  constructor(options: WorkerPoolOptions) {
    this.#options = options;
  }

  /** The workers alive now. */
  workers(): Worker[] {
    return [...this.#workers.values()];
  }

  /** How many workers serve the gateway port now (/readyz, docs/adr/0018-workers.md). */
  listening(): number {
    return this.#listening.size;
  }

  get wanted(): number {
    return this.#options.count;
  }

  start(): Promise<AddressInfo> {
    cluster.setupPrimary({ silent: false });
    const listening = Array.from({ length: this.#options.count }, () => this.#fork(true));
    return Promise.all(listening).then(([first]) => {
      if (first === undefined) throw new Error('a worker pool of no workers');
      return first;
    });
  }

  /** Sends `SIGTERM` to every worker and waits until all have exited (killed after the deadline). */
  async stop(drainMs: number): Promise<void> {
    this.#stopping = true;
    for (const timer of this.#restartTimers) clearTimeout(timer);
    const exits = this.workers().map(
      (worker) =>
        new Promise<void>((resolve) => {
          if (worker.isDead()) {
            resolve();
            return;
          }
          worker.once('exit', () => resolve());
          worker.process.kill('SIGTERM');
        }),
    );
    const killer = setTimeout(() => {
      const stuck = this.workers().filter((worker) => !worker.isDead());
      // Said, not silent: a worker that outlives its drain is a bug to find (its requests were cut).
      this.#options.logger.error(
        { workers: stuck.map((worker) => worker.id), afterMs: drainMs + STOP_MARGIN_MS },
        'workers still running after the drain: killed',
      );
      for (const worker of stuck) worker.process.kill('SIGKILL');
    }, drainMs + STOP_MARGIN_MS);
    await Promise.all(exits);
    clearTimeout(killer);
  }

  /** Forks one worker; resolves once it listens, rejects if it dies first (only awaited at start). */
  #fork(atStart: boolean): Promise<AddressInfo> {
    const { logger } = this.#options;
    const worker = cluster.fork(this.#options.env);
    this.#workers.set(worker.id, worker);
    // A send to a worker that just died must not end the primary.
    worker.on('error', (error: Error) =>
      logger.warn({ worker: worker.id, err: error.message }, 'worker channel error'),
    );
    const port = workerPort(worker);
    const detach = this.#options.attach(port, worker);
    return new Promise<AddressInfo>((resolve, reject) => {
      let listenedAt: number | undefined;
      const stopListening = port.onMessage((message) => {
        if (message.portcullis !== WORKER_LISTENING || listenedAt !== undefined) return;
        listenedAt = Date.now();
        this.#listening.add(worker.id);
        stopListening();
        if (!atStart) logger.info({ worker: worker.id, pid: worker.process.pid }, 'worker started');
        resolve(message.address as AddressInfo);
      });
      worker.once('exit', (code: number | null, signal: string | null) => {
        stopListening();
        detach();
        this.#workers.delete(worker.id);
        this.#listening.delete(worker.id);
        if (this.#stopping) return;
        if (atStart && listenedAt === undefined) {
          this.#stopping = true;
          reject(new WorkerStartError(code ?? 1));
          return;
        }
        const servedMs = listenedAt === undefined ? 0 : Date.now() - listenedAt;
        this.#replace(worker, code, signal, servedMs < EARLY_DEATH_MS);
      });
    });
  }

  #replace(dead: Worker, code: number | null, signal: string | null, diedAtStart: boolean): void {
    const { logger } = this.#options;
    this.#earlyDeaths = diedAtStart ? this.#earlyDeaths + 1 : 0;
    const crashLoop = this.#earlyDeaths >= MAX_EARLY_DEATHS;
    if (crashLoop && this.#listening.size === 0) {
      logger.fatal(
        { worker: dead.id, exitCode: code, signal, deaths: this.#earlyDeaths },
        'workers keep dying within seconds of starting: giving up',
      );
      this.#options.onGiveUp();
      return;
    }
    if (crashLoop && this.#earlyDeaths === MAX_EARLY_DEATHS)
      logger.error(
        { deaths: this.#earlyDeaths, serving: this.#listening.size, retryInMs: SERVING_RETRY_MS },
        'workers keep dying within seconds of starting; the others still serve: trying again every 30 s',
      );
    const delayMs = crashLoop
      ? SERVING_RETRY_MS
      : this.#earlyDeaths === 0
        ? 0
        : Math.min(RESTART_MAX_MS, RESTART_BASE_MS * 2 ** (this.#earlyDeaths - 1));
    logger.error(
      { worker: dead.id, pid: dead.process.pid, exitCode: code, signal, restartInMs: delayMs },
      'worker died: starting another',
    );
    const timer = setTimeout(() => {
      this.#restartTimers.delete(timer);
      if (this.#stopping) return;
      this.#fork(false).catch(() => undefined); // its death is handled like any other
    }, delayMs);
    this.#restartTimers.add(timer);
  }
}
