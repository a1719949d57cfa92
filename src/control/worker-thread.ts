/**
 * Worker threads for control-plane work long enough to hold up the event loop the data plane answers on.
 * runInWorker: one job (parsing an uploaded CRL): the module runs once with `workerData` and posts one message,
 * which is the answer; the thread then ends. startWorker: a thread its caller keeps (publish/crl-thread.ts).
 */
import { Worker } from 'node:worker_threads';

/** A module beside `base` (the caller's import.meta.url): `.ts` when run from source (tsx), `.js` once built. */
export function workerModule(name: string, base: string): URL {
  return new URL(`./${name}${base.endsWith('.ts') ? '.ts' : '.js'}`, base);
}

export function runInWorker<T>(module: URL, workerData: unknown, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const worker = startWorker(module, workerData);
    const settle = (action: () => void): void => {
      if (settled) return;
      settled = true;
      action();
      void worker.terminate();
    };
    worker.once('message', (answer: T) => settle(() => resolve(answer)));
    worker.once('error', (error) => settle(() => reject(error)));
    worker.once('exit', (code) => settle(() => reject(new Error(`the ${what} thread exited (${code})`))));
  });
}

/** A thread running `module` (from source through tsx, or built). */
export function startWorker(module: URL, workerData: unknown): Worker {
  if (!module.pathname.endsWith('.ts')) return new Worker(module, { workerData });
  // A thread does not inherit the parent's module hooks on Node 20: register tsx's in it first.
  const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(module.href)}); })`;
  return new Worker(bootstrap, { eval: true, workerData });
}
