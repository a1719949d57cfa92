/**
 * CrlThread: one long-lived worker thread that generates and signs the managed CAs' long CRLs
 * (pki/crl-generator.ts), off the event loop the data plane shares (docs/adr/0021).
 *
 * The thread keeps each CA's revoked list between CRLs. The first CRL of a CA sends its whole list; later ones send
 * only what changed since (`noteChange`, fed by the revoked-serials cache in the same synchronous step as its map
 * changes). Packing 100,000 entries for every CRL cost tens of milliseconds of the main thread per revocation, and
 * a new thread per CRL cost most of a second and grew the RSS with each one (bench/revocation-scale.ts).
 *
 * The thread does not keep the process alive (unref) and starts again when it dies: what it held is forgotten, so
 * the next CRL of every CA sends its whole list again.
 */
import { Worker } from 'node:worker_threads';
import type { CaKeyPair } from '../../pki/ca-signer.ts';
import { startWorker, workerModule } from '../worker-thread.ts';

const WORKER = workerModule('crl-thread-worker', import.meta.url);

export interface CrlThreadJob {
  readonly caId: string;
  readonly ca: CaKeyPair;
  readonly crlNumber: number | bigint;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
}

/** What crosses to the thread: the entries as one string of serials and one array of times (NaN: removed). */
export interface CrlThreadRequest extends Omit<CrlThreadJob, 'thisUpdate' | 'nextUpdate'> {
  readonly id: number;
  /** `serials` is the CA's whole list (replacing what the thread holds), else the changes since the last CRL. */
  readonly whole: boolean;
  readonly serials: string;
  readonly revokedAtMs: Float64Array;
  readonly thisUpdateMs: number;
  readonly nextUpdateMs: number;
}

export type CrlThreadAnswer =
  { readonly id: number; readonly der: Uint8Array } | { readonly id: number; readonly error: string };

interface Waiting {
  readonly caId: string;
  resolve(der: Uint8Array): void;
  reject(error: Error): void;
}

export class CrlThread {
  /** The worker's module: the one beside this file, unless told (a test of the bundled build). */
  readonly #module: URL;
  #worker: Worker | undefined;
  #nextId = 1;
  readonly #waiting = new Map<number, Waiting>();
  /** CAs whose whole list the running thread holds. */
  readonly #holds = new Set<string>();
  /** Per held CA, the changes the thread has not been sent yet: serial → revocation time, NaN when removed. */
  readonly #pending = new Map<string, Map<string, number>>();

  constructor(module: URL = WORKER) {
    this.#module = module;
  }

  /** A serial added (`revokedAtMs`) or removed (undefined) since the CA's list was read. */
  noteChange(caId: string, serial: string, revokedAtMs: number | undefined): void {
    if (!this.#holds.has(caId)) return; // its next CRL sends the whole list
    let changes = this.#pending.get(caId);
    if (changes === undefined) this.#pending.set(caId, (changes = new Map<string, number>()));
    changes.set(serial, revokedAtMs ?? Number.NaN);
  }

  /** The thread no longer needs to follow this CA (its CRL is generated elsewhere): the next one sends it whole. */
  forget(caId: string): void {
    this.#holds.delete(caId);
    this.#pending.delete(caId);
  }

  /**
   * The CA's CRL (DER) over `revokedAtMs`, the CA's current list (serial → revocation time, ms): sent whole the
   * first time, else only the changes noted since. Sent in the same synchronous step as it is read, so the thread
   * and the map agree.
   */
  generate(job: CrlThreadJob, revokedAtMs: ReadonlyMap<string, number>): Promise<Uint8Array> {
    const worker = this.#running();
    const whole = !this.#holds.has(job.caId);
    const { serials, times } = pack(whole ? revokedAtMs : (this.#pending.get(job.caId) ?? new Map<string, number>()));
    this.#holds.add(job.caId);
    this.#pending.delete(job.caId);
    const id = this.#nextId++;
    const request: CrlThreadRequest = {
      id,
      caId: job.caId,
      ca: job.ca,
      crlNumber: job.crlNumber,
      whole,
      serials,
      revokedAtMs: times,
      thisUpdateMs: job.thisUpdate.getTime(),
      nextUpdateMs: job.nextUpdate.getTime(),
    };
    return new Promise<Uint8Array>((resolve, reject) => {
      this.#waiting.set(id, { caId: job.caId, resolve, reject });
      worker.ref(); // an answer is awaited
      worker.postMessage(request, [times.buffer as ArrayBuffer]);
    });
  }

  /** Ends the thread; CRLs still awaited are refused. */
  async close(): Promise<void> {
    const worker = this.#worker;
    this.#lost(new Error('the CRL thread was closed'));
    await worker?.terminate();
  }

  #running(): Worker {
    if (this.#worker !== undefined) return this.#worker;
    const worker = startWorker(this.#module, undefined);
    worker.on('message', (answer: CrlThreadAnswer) => this.#answered(answer));
    worker.on('error', (error) => {
      if (this.#worker === worker) this.#lost(error);
    });
    worker.on('exit', (code) => {
      if (this.#worker === worker) this.#lost(new Error(`the CRL thread exited (${code})`));
    });
    worker.unref();
    this.#worker = worker;
    return worker;
  }

  #answered(answer: CrlThreadAnswer): void {
    const waiting = this.#waiting.get(answer.id);
    if (waiting === undefined) return;
    this.#waiting.delete(answer.id);
    if (this.#waiting.size === 0) this.#worker?.unref();
    if ('der' in answer) {
      waiting.resolve(answer.der);
    } else {
      // What the thread holds of this CA is not certain after a failure: send it whole next time.
      this.forget(waiting.caId);
      waiting.reject(new Error(answer.error));
    }
  }

  /** The thread died or was closed: nothing it held is known any more. */
  #lost(error: Error): void {
    this.#worker = undefined;
    this.#holds.clear();
    this.#pending.clear();
    const waiting = [...this.#waiting.values()];
    this.#waiting.clear();
    for (const job of waiting) job.reject(error);
  }
}

/**
 * Structured clone copies one string and one Float64Array (transferred) in one piece each; 100,000 entry objects
 * took it tens of milliseconds on the event loop the data plane shares. Serials are hex: ',' cannot occur in one.
 */
function pack(entries: ReadonlyMap<string, number>): { serials: string; times: Float64Array } {
  const times = new Float64Array(entries.size);
  let index = 0;
  for (const at of entries.values()) times[index++] = at;
  return { serials: [...entries.keys()].join(','), times };
}
