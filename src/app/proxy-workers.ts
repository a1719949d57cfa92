/**
 * The primary of `portcullis proxy --workers N` (docs/adr/0018-workers.md): the proxy has no store,
 * so each worker loads the same files as one process does and listens on the shared port; the
 * primary supervises them (worker-pool.ts), hands them the session-ticket secret, and relays SIGHUP
 * to every worker, each of which reloads its files as one process does.
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { IpcPort } from '../store/ipc/ipc-port.ts';
import { TICKET_SECRET_BYTES } from '../data-plane/listeners/session-ticket-keys.ts';
import { WorkerPool } from './worker-pool.ts';
import { TICKET_SECRET_ENV } from './serve-primary.ts';

export const RELOAD_REQUEST = 'reload';

export interface ProxyPrimary {
  readonly address: AddressInfo;
  /** SIGHUP: every worker reloads its certificate, key, client CAs and CRLs. */
  reload(): void;
  /** SIGTERM: every worker drains; resolves once all have exited. */
  stop(drainMs: number): Promise<void>;
}

export async function startProxyPrimary(workers: number, logger: Logger, onGiveUp: () => void): Promise<ProxyPrimary> {
  const ports = new Set<IpcPort>();
  const pool = new WorkerPool({
    count: workers,
    logger,
    env: { [TICKET_SECRET_ENV]: randomBytes(TICKET_SECRET_BYTES).toString('hex') },
    attach: (port) => {
      ports.add(port);
      return () => ports.delete(port);
    },
    onGiveUp,
  });
  const address = await pool.start();
  return {
    address,
    reload() {
      for (const port of ports) port.send({ portcullis: RELOAD_REQUEST });
    },
    stop: (drainMs) => pool.stop(drainMs),
  };
}
