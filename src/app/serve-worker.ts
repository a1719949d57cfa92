/**
 * A worker of `portcullis serve --workers N` (docs/adr/0018-workers.md): the data plane only. It
 * opens the same store as the primary, builds its snapshot with the same publisher and follows
 * changes with the same change feed (hinted through the primary, or Redis), serves the CRLs the
 * primary makes (shared-crls.ts), counts rate limits,
 * quotas and rule hits through the primary (or Redis), records its own analytics, serves EST
 * requests of its connections, and listens on the gateway port, which node:cluster shares between
 * the workers. What runs once for the gateway (admin API, portal, --config, CRL making and
 * fetching, expiry monitor, analytics retention, revoking replaced EST certificates) runs in the
 * primary, never here.
 */
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { ServeOptions } from '../config/serve-options.ts';
import type { Store } from '../store/ports.ts';
import type { OpenCounters } from '../store/counters/open-counters.ts';
import type { IpcPort } from '../store/ipc/ipc-port.ts';
import { openControlPlane } from './serve-control-plane.ts';
import { startPublishing } from './serve-publishing.ts';
import { ServeTelemetry } from './serve-telemetry.ts';
import { GatewayRevocation } from './serve-revocation.ts';
import { EstEndpoint } from '../runtime-config/est-endpoint.ts';
import { startEst } from './serve-est.ts';
import { buildDataPlane } from './serve-data-plane.ts';
import { answerMetricsRequests } from './cluster-metrics.ts';
import { WORKER_LISTENING } from './worker-pool.ts';
import { followSharedCrls } from './shared-crls.ts';

export interface RunningGatewayWorker {
  readonly gatewayAddress: AddressInfo;
  stop(timeoutMs: number): Promise<void>;
}

export interface WorkerRole {
  readonly port: IpcPort;
  readonly ticketSecret: Buffer;
}

export async function startWorkerOnStore(
  store: Store,
  counters: OpenCounters,
  options: ServeOptions,
  logger: Logger,
  env: NodeJS.ProcessEnv,
  role: WorkerRole,
): Promise<RunningGatewayWorker> {
  // The primary makes the node's CRLs; this worker serves them (shared-crls.ts), and answers OCSP itself.
  const plane = await openControlPlane(
    store,
    counters,
    undefined,
    options,
    logger,
    env,
    { worker: true },
    {
      makesCrls: false,
    },
  );
  const crls = followSharedCrls(
    role.port,
    options.dataDir,
    (caId, der) => plane.services.publicPkiPublisher.adoptCrl(caId, der),
    logger,
  );
  const publishing = await startPublishing(store, counters, plane, undefined, options, logger);
  const publishChange = (): Promise<void> => publishing.publishChange();
  // Retention is the primary's job: a worker only writes its own requests (batched).
  const telemetry = new ServeTelemetry(
    store,
    plane.services.tenancy,
    { ...options, analyticsRetentionDays: 0 },
    logger,
  );
  if (counters.redisReady !== undefined) telemetry.metrics.watchRedis(counters.redisReady);
  // The data plane's OCSP checks and observer; the CRL refresher is started by the primary only.
  const revocation = new GatewayRevocation({
    store,
    service: plane.services.caRevocation,
    metrics: telemetry.metrics,
    logger,
    announce: publishChange,
  });
  const estEndpoint = new EstEndpoint();
  // Enrollment requests are answered here; the revoker of replaced certificates runs in the primary.
  startEst({
    services: plane.services,
    store,
    endpoint: estEndpoint,
    publicUrl: () => plane.publicUrl,
    announce: publishChange,
    logger,
    ocsp: revocation.ocsp,
    // The primary's counters (IPC) or Redis: the limits hold across workers.
    counters: counters.usage,
    limits: options.estLimits,
  });
  const { listener, forwarders } = buildDataPlane(
    {
      publicPki: plane.publicPki,
      snapshots: publishing.snapshots,
      counters,
      telemetry,
      revocation,
      est: estEndpoint,
      ticketSecret: role.ticketSecret,
    },
    options,
    logger,
  );
  let gatewayAddress: AddressInfo;
  try {
    await crls.synced; // a CRL the primary has already made is served from the first connection
    gatewayAddress = await listener.start();
  } catch (error) {
    await forwarders.close();
    throw error;
  }
  if (options.listen.port === 0 && new URL(plane.publicUrl).port === '0') {
    const url = new URL(plane.publicUrl);
    url.port = String(gatewayAddress.port);
    plane.publicUrl = url.origin;
  }
  const stopAnswering = answerMetricsRequests(role.port, telemetry.metrics.registry);
  publishing.changeFeed.start();
  telemetry.analyticsRecorder.start();
  role.port.send({
    portcullis: WORKER_LISTENING,
    address: { address: gatewayAddress.address, port: gatewayAddress.port, family: gatewayAddress.family },
  });
  return {
    gatewayAddress,
    async stop(timeoutMs: number) {
      await Promise.all([listener.drain(timeoutMs), publishing.changeFeed.stop()]);
      stopAnswering();
      crls.stop();
      await telemetry.close(); // the last analytics batch, before the store closes
      // After the drain: the last rule hits go to the primary (or Redis) before the counters close.
      await Promise.all([forwarders.close(), store.close(), counters.close()]);
    },
  };
}
