/**
 * The primary of `portcullis serve --workers N` (docs/adr/0018-workers.md): it runs the control
 * plane as one process does (admin API, portal, --config, singleton jobs) but does not listen on
 * the gateway port: its WorkerPool forks the workers that do (serve-worker.ts). Each worker's channel
 * is wired to the primary's counters and change hints (worker-counters.ts) and to /metrics
 * (cluster-metrics.ts) and to the CRLs this process makes for them (shared-crls.ts). The session-ticket
 * secret is made here and handed to every worker in its environment, so a session resumes on any of them.
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { MetricsSource } from '../admin-api/routes/metrics.ts';
import { TICKET_SECRET_BYTES } from '../data-plane/listeners/session-ticket-keys.ts';
import { ClusterMetrics } from './cluster-metrics.ts';
import { WorkerPool } from './worker-pool.ts';
import type { PrimaryCounters } from './worker-counters.ts';
import type { DataPlane } from './serve-data-plane.ts';
import type { WorkersListening } from './serve-health.ts';
import type { SharedCrlWriter } from './shared-crls.ts';

/** The environment variable that carries the session-ticket secret (hex) to a worker. */
export const TICKET_SECRET_ENV = 'PORTCULLIS_WORKER_TICKET_SECRET';

export interface PrimaryRole {
  readonly workers: number;
  /** Workers keep dying at start: the pool gave up (the command exits 1). */
  readonly onGiveUp: () => void;
}

/** Where the gateway listens: in this process, or in the workers. */
export interface GatewayListening {
  start(): Promise<AddressInfo>;
  /** Stops accepting and lets in-flight requests finish (for at most `timeoutMs`). */
  drain(timeoutMs: number): Promise<void>;
  /** After the drain. */
  close(): Promise<void>;
  /** What /metrics renders. */
  readonly metrics: MetricsSource;
  /** In the workers: how many listen (for /readyz); undefined when the gateway listens here. */
  readonly workers: WorkersListening | undefined;
}

export function listeningHere(dataPlane: DataPlane, metrics: MetricsSource): GatewayListening {
  return {
    start: () => dataPlane.listener.start(),
    drain: (timeoutMs) => dataPlane.listener.drain(timeoutMs),
    close: () => dataPlane.forwarders.close(),
    metrics,
    workers: undefined,
  };
}

export function listeningInWorkers(
  role: PrimaryRole,
  counters: PrimaryCounters,
  registry: Registry,
  logger: Logger,
  crls?: SharedCrlWriter,
): GatewayListening {
  const metrics = new ClusterMetrics(registry);
  const pool = new WorkerPool({
    count: role.workers,
    logger,
    env: { [TICKET_SECRET_ENV]: randomBytes(TICKET_SECRET_BYTES).toString('hex') },
    attach: (port) => {
      const detachCounters = counters.attach(port);
      const detachMetrics = metrics.attach(port);
      const detachCrls = crls?.attach(port);
      return () => {
        detachCounters();
        detachMetrics();
        detachCrls?.();
      };
    },
    onGiveUp: role.onGiveUp,
  });
  return {
    start: () => pool.start(),
    drain: (timeoutMs) => pool.stop(timeoutMs),
    close: () => Promise.resolve(),
    metrics,
    workers: pool,
  };
}

/** In a worker: the secret from the primary, removed from the environment once read. */
export function takeTicketSecret(env: NodeJS.ProcessEnv): Buffer | undefined {
  const hex = env[TICKET_SECRET_ENV];
  Reflect.deleteProperty(env, TICKET_SECRET_ENV); // process.env turns `= undefined` into "undefined"
  if (hex === undefined || !/^[0-9a-f]+$/.test(hex) || hex.length !== TICKET_SECRET_BYTES * 2) return undefined;
  return Buffer.from(hex, 'hex');
}
