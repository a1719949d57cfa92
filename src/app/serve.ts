/**
 * Composition root of `portcullis serve`: the only place that picks concrete adapters (docs/architecture.md).
 * Opens the store (SQLite in the data dir, or PostgreSQL) and the counters, then runs the steps of a
 * start in order: the control plane (serve-control-plane.ts), publishing (serve-publishing.ts),
 * telemetry, health and revocation, the admin API, the data plane (serve-data-plane.ts), and the
 * listeners, last. With `--workers N` (docs/adr/0018-workers.md) this process is the primary: the
 * same steps, but the gateway listener is in the workers it forks (serve-primary.ts), each of which
 * starts with startGatewayWorker (serve-worker.ts).
 *
 * A start that fails stops cleanly: everything that can be refused without the store (the master
 * key given, PORTCULLIS_ADMIN_TOKEN, the --config file) is checked before anything is created on
 * disk; the listeners start last, and nothing runs in the background (polls, timers) until both
 * listen, so a failure leaves nothing behind to log after the fatal error.
 */
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import {
  GW_ERR_CONFIG_MASTER_KEY,
  GW_ERR_LISTEN_FAILED,
  GW_ERR_REDIS_UNAVAILABLE,
  GW_ERR_STORE_NO_SPACE,
  GW_ERR_STORE_UNAVAILABLE,
  GatewayError,
} from '../errors/index.ts';
import { formatListenAddress } from '../config/listen-address.ts';
import { warnIfPublicUrlUnreachable } from './serve-public-url-warning.ts';
import type { ServeOptions } from '../config/serve-options.ts';
import { loadGatewayConfig, type GatewayConfig } from '../config/load-gateway-config.ts';
import { describeStoreLocation, openStore } from '../store/open-store.ts';
import { findMasterKey } from '../store/master-key.ts';
import { classifyStoreFailure, describeStoreFailure, StoreUnavailableError } from '../store/store-failure.ts';
import type { Store } from '../store/ports.ts';
import { buildAdminApi, type AdminApp } from '../admin-api/build-admin-api.ts';
import { checkPresetSecret } from '../control/tenancy/token-service.ts';
import { openCounters, type OpenCounters } from '../store/counters/open-counters.ts';
import { openPrimaryCounters, openWorkerCounters, type PrimaryCounters } from './worker-counters.ts';
import { listeningHere, listeningInWorkers, type PrimaryRole } from './serve-primary.ts';
import { startWorkerOnStore, type RunningGatewayWorker, type WorkerRole } from './serve-worker.ts';
import { RedisUnavailableError } from '../store/counters/redis-connection.ts';
import { ServeTelemetry } from './serve-telemetry.ts';
import { makeDataDir } from './data-dir.ts';
import { GatewayHealth } from './serve-health.ts';
import { deriveSessionKey } from '../admin-api/dashboard/session-seal.ts';
import { GatewayRevocation } from './serve-revocation.ts';
import { openControlPlane } from './serve-control-plane.ts';
import { startPublishing } from './serve-publishing.ts';
import { SharedCrlWriter } from './shared-crls.ts';
import { buildDataPlane } from './serve-data-plane.ts';
import { EstEndpoint } from '../runtime-config/est-endpoint.ts';
import { startEst } from './serve-est.ts';
import { portalAdminRoutes } from '../admin-api/portal/portal-admin-routes.ts';
import { startPortal, type RunningPortal } from '../portal/start-portal.ts';

export { ADMIN_TOKEN_FILE, EDGE_CA_FILE } from './data-dir.ts';
const CRL_REFRESH_MS = 86_400_000; // 24 hours

export interface RunningGateway {
  readonly adminAddress: AddressInfo;
  readonly gatewayAddress: AddressInfo;
  stop(timeoutMs: number): Promise<void>;
  /** The developer portal, when --portal-listen is given. */
  readonly portal?: { readonly address: AddressInfo; readonly url: string } | undefined;
  /**
   * Applies the --config file again (on SIGHUP) and republishes the snapshot. A refused file rejects
   * and changes nothing; without --config, does nothing.
   */
  reload(): Promise<void>;
}

/**
 * Test seam: lets a test put a fault in front of the real store (e.g. one query that fails once) to
 * show how the gateway recovers. Production passes nothing.
 */
export interface GatewaySeams {
  readonly wrapStore?: (store: Store) => Store;
}

export async function startGateway(
  options: ServeOptions,
  logger: Logger,
  env: NodeJS.ProcessEnv,
  seams: GatewaySeams = {},
  workers?: PrimaryRole,
): Promise<RunningGateway> {
  const config = await checkBeforeCreating(options, env);
  await makeDataDir(options.dataDir);
  return onOpenStore(
    options,
    seams,
    () =>
      workers === undefined ? openCounters(options.redisUrl, logger) : openPrimaryCounters(options.redisUrl, logger),
    (store, counters) => startOnStore(store, counters, config, options, logger, env, workers),
  );
}

/**
 * A worker of `serve --workers N` (serve-worker.ts): the primary has checked the options, applied
 * --config and made the data dir before forking it; the worker opens the store and its counters.
 */
export function startGatewayWorker(
  options: ServeOptions,
  logger: Logger,
  env: NodeJS.ProcessEnv,
  role: WorkerRole,
): Promise<RunningGatewayWorker> {
  return onOpenStore(
    options,
    {},
    () => openWorkerCounters(role.port, options.redisUrl, logger),
    (store, counters) => startWorkerOnStore(store, counters, options, logger, env, role),
  );
}

/** Opens the store and the counters, runs `start` on them, and closes both if it fails. */
async function onOpenStore<C extends OpenCounters, T>(
  options: ServeOptions,
  seams: GatewaySeams,
  openTheCounters: () => Promise<C>,
  start: (store: Store, counters: C) => Promise<T>,
): Promise<T> {
  let store: Store;
  try {
    store = await openStore(options.store);
    if (seams.wrapStore !== undefined) store = seams.wrapStore(store);
  } catch (error) {
    throw storeFailed(`cannot open ${describeStoreLocation(options.store)}`, error);
  }
  let counters: C;
  try {
    counters = await openTheCounters();
  } catch (error) {
    await store.close();
    if (error instanceof RedisUnavailableError) {
      throw GW_ERR_REDIS_UNAVAILABLE.create(`${error.server}: ${error.reason}`, error);
    }
    throw error;
  }
  try {
    return await start(store, counters);
  } catch (error) {
    await Promise.all([store.close(), counters.close()]);
    if (error instanceof GatewayError) throw error;
    if (classifyStoreFailure(error) !== undefined) throw storeFailed(describeStoreLocation(options.store), error);
    throw error;
  }
}

/**
 * What can be refused without the store, refused before anything is created on disk: a malformed
 * PORTCULLIS_MASTER_KEY or master.key, a PORTCULLIS_ADMIN_TOKEN too short, a --config file that
 * cannot be read or is wrong in itself. Returns the loaded --config file.
 */
async function checkBeforeCreating(options: ServeOptions, env: NodeJS.ProcessEnv): Promise<GatewayConfig | undefined> {
  try {
    await findMasterKey({ dataDir: options.dataDir, env });
  } catch (error) {
    throw GW_ERR_CONFIG_MASTER_KEY.create((error as Error).message, error);
  }
  checkPresetSecret(env.PORTCULLIS_ADMIN_TOKEN);
  return options.configFile === undefined ? undefined : loadGatewayConfig(options.configFile);
}

/** The store failing at start: out of space, or unavailable (exit 1 either way). */
function storeFailed(where: string, error: unknown): GatewayError {
  // The driver's own words ("connect ECONNREFUSED …") rather than our wrapper's.
  const reason = error instanceof StoreUnavailableError && error.cause !== undefined ? error.cause : error;
  const detail = `${where}: ${describeStoreFailure(reason)}`;
  if (classifyStoreFailure(error) === 'no_space') return GW_ERR_STORE_NO_SPACE.create(detail, error);
  return GW_ERR_STORE_UNAVAILABLE.create(detail, error);
}

/** The steps of a start, in order, once the store and the counters are open. */
async function startOnStore(
  store: Store,
  counters: OpenCounters,
  config: GatewayConfig | undefined,
  options: ServeOptions,
  logger: Logger,
  env: NodeJS.ProcessEnv,
  workers: PrimaryRole | undefined,
): Promise<RunningGateway> {
  // With workers, this process makes the node's CRLs and hands them to the workers (shared-crls.ts).
  const sharedCrls = workers === undefined ? undefined : new SharedCrlWriter(options.dataDir, logger);
  const plane = await openControlPlane(store, counters, config, options, logger, env, undefined, {
    ...(sharedCrls === undefined ? {} : { onCrlPublished: (caId, der) => sharedCrls.put(caId, der) }),
  });
  const { services, configApplier } = plane;
  const publishing = await startPublishing(store, counters, plane, config, options, logger);
  const { changeFeed, gatewayPublisher, snapshots } = publishing;
  const publishChange = (): Promise<void> => publishing.publishChange();
  // Metrics, analytics recorder and queries, certificate expiry monitor.
  const telemetry = new ServeTelemetry(store, services.tenancy, options, logger);
  if (counters.redisReady !== undefined) telemetry.metrics.watchRedis(counters.redisReady);
  // Revocation of uploaded CAs: OCSP answers for the data plane, CRL fetching (ADR 0014).
  const revocation = new GatewayRevocation({
    store,
    service: services.caRevocation,
    metrics: telemetry.metrics,
    logger,
    announce: publishChange,
  });
  // EST enrollment on the gateway listener (docs/adr/0016): requests reach the control plane here.
  const estEndpoint = new EstEndpoint();
  const est = startEst({
    services,
    store,
    endpoint: estEndpoint,
    publicUrl: () => plane.publicUrl,
    announce: publishChange,
    logger,
    ocsp: revocation.ocsp,
    counters: counters.usage,
    limits: options.estLimits,
  });
  // The developer portal's URL, for the links the operator makes (known once it listens).
  let portalUrl: string | undefined = options.portalUrl;
  // The gateway listener: here, or (--workers N) in the workers this process forks and supervises.
  const gateway =
    workers === undefined
      ? listeningHere(
          buildDataPlane(
            { publicPki: plane.publicPki, snapshots, counters, telemetry, revocation, est: estEndpoint },
            options,
            logger,
          ),
          telemetry.metrics,
        )
      : listeningInWorkers(workers, counters as PrimaryCounters, telemetry.metrics.registry, logger, sharedCrls);
  // /healthz, /readyz and the store, configuration and worker gauges, for load balancers and alerts.
  const health = new GatewayHealth({
    store,
    config: changeFeed,
    snapshot: gatewayPublisher,
    redisUp: counters.redisReady,
    workers: gateway.workers,
  });
  health.watchIn(telemetry.metrics);
  // Every successful change through the API is compiled into the snapshot before it is answered.
  const admin = await buildAdminApi({
    services,
    logger,
    ruleHits: counters.ruleHits,
    onChange: async (kind) => {
      if (kind === 'revocations') return publishing.publishRevocations(); // no recompile (config-change-feed.ts)
      await publishChange();
      revocation.nudge(); // a CA's fetching may have just been turned on
    },
    analytics: telemetry.analytics,
    certificateExpiry: telemetry.certificateExpiry,
    metrics: gateway.metrics,
    health,
    // Dashboard sessions are sealed under a key of their own, derived from the master key that every
    // node of a cluster shares (docs/adr/0013).
    dashboard: { sessionKey: deriveSessionKey(plane.masterKey.key) },
    plugins: [
      async (api, adminServices) => {
        await api.register(portalAdminRoutes, { services: adminServices, portalUrl: () => portalUrl });
      },
    ],
  });
  // The gateway listener first: it logs nothing, so a failure of either leaves no "Server
  // listening" line behind; the admin API (which logs it) last.
  let gatewayAddress: AddressInfo;
  let adminAddress: AddressInfo;
  let portal: RunningPortal | undefined;
  try {
    gatewayAddress = await gateway.start();
    adminAddress = await listenAdmin(admin, options);
    // The developer portal: its own TLS listener, never the admin one (docs/adr/0017).
    if (options.portalListen !== undefined) {
      portal = await startPortal({
        listen: options.portalListen,
        url: options.portalUrl,
        services: services.portal,
        store,
        masterKey: plane.masterKey.key,
        edgeCa: services.edgeCa,
        hostCertificate: (hostname) => snapshots.current().lookup(hostname),
        logger,
        gatewayUrl: () => plane.publicUrl,
        onChange: publishChange,
      });
      portalUrl = portal.url;
    }
  } catch (error) {
    await Promise.all([gateway.drain(0).then(() => gateway.close()), admin.close(), portal?.stop()]);
    throw error;
  }
  if (options.listen.port === 0 && new URL(plane.publicUrl).port === '0') {
    const url = new URL(plane.publicUrl);
    url.port = String(gatewayAddress.port);
    plane.publicUrl = url.origin;
  }
  warnIfPublicUrlUnreachable(plane.publicUrl, options, logger);
  // Nothing runs in the background before this point.
  changeFeed.start();
  // CRLs are valid for a week (CRL_VALIDITY_MS); reissue daily so relying parties never hold a stale one.
  const crlRefresh = setInterval(() => {
    services.publicPkiPublisher.publishAll().catch((error: unknown) => {
      logger.error({ err: (error as Error).message }, 'CRL refresh failed');
    });
  }, CRL_REFRESH_MS);
  crlRefresh.unref();
  telemetry.start();
  revocation.start();
  est.start();
  health.serving();
  return {
    adminAddress,
    gatewayAddress,
    portal: portal === undefined ? undefined : { address: portal.address, url: portal.url },
    async reload() {
      if (options.configFile === undefined) return;
      try {
        await configApplier.applyFile(options.configFile);
      } finally {
        // Also after a failure part way through a write (a refused file wrote nothing).
        await publishChange();
      }
    },
    async stop(timeoutMs: number) {
      clearInterval(crlRefresh);
      await est.stop();
      await Promise.all([
        gateway.drain(timeoutMs),
        admin.close(),
        changeFeed.stop(),
        revocation.stop(),
        portal?.stop(),
      ]);
      await telemetry.close(); // writes the last analytics batch: before the store closes
      // After the drain: the last rule hits are written before the Redis connection closes.
      await Promise.all([gateway.close(), store.close(), counters.close()]);
    },
  };
}

async function listenAdmin(admin: AdminApp, options: ServeOptions): Promise<AddressInfo> {
  try {
    await admin.listen({ host: options.adminListen.host, port: options.adminListen.port });
  } catch (error) {
    if (error instanceof GatewayError) throw error;
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw GW_ERR_LISTEN_FAILED.create(`${formatListenAddress(options.adminListen)} (${code})`, error);
  }
  return admin.server.address() as AddressInfo;
}
