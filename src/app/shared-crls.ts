/**
 * One CRL maker per node under `serve --workers N` (docs/adr/0021-crl-after-the-answer.md): the primary generates and
 * signs every managed CA's CRL, so a revocation spends one CRL number (RFC 5280 §5.2.3) and every worker serves the
 * same bytes. Each worker made its own before: N + 1 numbers per revocation, N different CRLs behind one URL.
 *
 *   primary  each CRL it publishes → <data dir>/crl/<ca id>.crl (a temporary file renamed over it) → `crl-published`
 *            to every worker; a worker's `crl-sync` is answered with the CAs whose CRL is there
 *   worker   asks `crl-sync` at start; reads a CA's file when told (the read runs off the event loop) and serves it
 *
 * Files rather than the IPC channel: node:cluster's channel is JSON, and a CRL of 100,000 entries (4 MB, 5.4 MB in
 * base64) would be parsed on each worker's event loop, which the data plane shares. A CA's files are written one at
 * a time, in the order published, and read one at a time: a worker never goes back to an older CRL. Messages are
 * read defensively (store/ipc/ipc-port.ts): an id that is not a plain id names no file.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { isIpcMessage, type IpcPort } from '../store/ipc/ipc-port.ts';

export const CRL_DIR = 'crl';
const CRL_PUBLISHED = 'crl-published';
const CRL_SYNC = 'crl-sync';
const CRL_SYNCED = 'crl-synced';
/** A worker starts without the primary's CRLs rather than never when the primary does not answer. */
const SYNC_TIMEOUT_MS = 5_000;
/** Managed CA ids are UUIDs; anything else in a message is not a file name. */
const CA_ID = /^[0-9A-Za-z-]{1,64}$/;

/** The primary's side: the CRLs written so far, and the workers told of each new one. */
export class SharedCrlWriter {
  readonly #dir: string;
  readonly #logger: Logger;
  readonly #ports = new Set<IpcPort>();
  /** CAs whose file is written (this run). */
  readonly #written = new Set<string>();
  /** The write in progress per CA: the next one waits for it. */
  readonly #writing = new Map<string, Promise<void>>();
  #sequence = 0;

  constructor(dataDir: string, logger: Logger) {
    this.#dir = path.join(dataDir, CRL_DIR);
    this.#logger = logger;
  }

  /** A CRL the primary published: written, then announced to every worker. Never rejects (a failure is logged). */
  put(caId: string, crlDer: Buffer): void {
    if (!CA_ID.test(caId)) return;
    const previous = this.#writing.get(caId) ?? Promise.resolve();
    const next = previous.then(() => this.#write(caId, crlDer));
    this.#writing.set(caId, next);
    void next.finally(() => {
      if (this.#writing.get(caId) === next) this.#writing.delete(caId);
    });
  }

  /** Wires a worker's channel: answers its sync, tells it of every CRL from now on; returns what undoes it. */
  attach(port: IpcPort): () => void {
    this.#ports.add(port);
    const stop = port.onMessage((message) => {
      if (message.portcullis === CRL_SYNC) port.send({ portcullis: CRL_SYNCED, caIds: [...this.#written] });
    });
    return () => {
      stop();
      this.#ports.delete(port);
    };
  }

  async #write(caId: string, crlDer: Buffer): Promise<void> {
    const file = path.join(this.#dir, `${caId}.crl`);
    const temporary = `${file}.${process.pid}.${(this.#sequence += 1)}`;
    try {
      await mkdir(this.#dir, { recursive: true });
      await writeFile(temporary, crlDer, { mode: 0o644 }); // a CRL is public
      await rename(temporary, file);
    } catch (error) {
      // The workers keep serving the CRL they have (valid for days); the next CRL tries again.
      this.#logger.error({ caId, err: (error as Error).message }, 'cannot hand a CRL to the workers');
      return;
    }
    this.#written.add(caId);
    for (const port of this.#ports) port.send({ portcullis: CRL_PUBLISHED, caId });
  }
}

/**
 * A worker's side: serves (`adopt`) each CRL the primary announces, and those it had written before this worker
 * started; `synced` resolves once those are served (or after SYNC_TIMEOUT_MS without an answer).
 */
export function followSharedCrls(
  port: IpcPort,
  dataDir: string,
  adopt: (caId: string, crlDer: Buffer) => Promise<void>,
  logger: Logger,
): { readonly synced: Promise<void>; stop(): void } {
  const dir = path.join(dataDir, CRL_DIR);
  const reading = new Map<string, Promise<void>>();
  const load = (caId: string): Promise<void> => {
    const next = (reading.get(caId) ?? Promise.resolve())
      .then(async () => adopt(caId, await readFile(path.join(dir, `${caId}.crl`))))
      .catch((error: unknown) => {
        logger.error({ caId, err: (error as Error).message }, 'cannot serve the CRL the primary made');
      });
    reading.set(caId, next);
    void next.finally(() => {
      if (reading.get(caId) === next) reading.delete(caId);
    });
    return next;
  };
  let answered: (caIds: string[]) => void = () => undefined;
  const answer = new Promise<string[]>((resolve) => (answered = resolve));
  const stop = port.onMessage((message) => {
    if (isIpcMessage(message, CRL_PUBLISHED) && typeof message.caId === 'string' && CA_ID.test(message.caId)) {
      void load(message.caId);
    } else if (isIpcMessage(message, CRL_SYNCED) && Array.isArray(message.caIds)) {
      answered(message.caIds.filter((caId): caId is string => typeof caId === 'string' && CA_ID.test(caId)));
    }
  });
  port.send({ portcullis: CRL_SYNC });
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string[]>((resolve) => {
    timer = setTimeout(() => {
      logger.warn('the primary did not list its CRLs: they are served once it publishes them again');
      resolve([]);
    }, SYNC_TIMEOUT_MS);
    timer.unref();
  });
  const synced = Promise.race([answer, late]).then(async (caIds) => {
    clearTimeout(timer);
    await Promise.all(caIds.map(load));
  });
  return { synced, stop };
}
