/**
 * Composition root of `portcullis serve`: the only place that picks concrete adapters (DESIGN.md §2).
 * Opens the store (SQLite in the data dir, or PostgreSQL), the master key, builds the use cases,
 * makes sure an operator token exists, and starts the admin API and the gateway listener.
 *
 * A start that fails stops cleanly: everything that can be refused without the store (the master
 * key given, PORTCULLIS_ADMIN_TOKEN, the --config file) is checked before anything is created on
 * disk; the listeners start last, and nothing runs in the background (polls, timers) until both
 * listen, so a failure leaves nothing behind to log after the fatal error.
 */
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import {
  GW_ERR_CONFIG_MASTER_KEY,
  GW_ERR_LISTEN_FAILED,
  GW_ERR_REDIS_UNAVAILABLE,
  GW_ERR_STORE_NO_SPACE,
  GW_ERR_STORE_UNAVAILABLE,
  GatewayError,
} from './errors/index.ts';
import { formatListenAddress } from './config/listen-address.ts';
import type { ServeOptions } from './config/serve-options.ts';
import { loadGatewayConfig, type GatewayConfig } from './config/load-gateway-config.ts';
import { describeStoreLocation, openStore } from './store/open-store.ts';
import { SecretBox } from './store/secret-box.ts';
import { findMasterKey } from './store/master-key.ts';
import { classifyStoreFailure, describeStoreFailure, StoreUnavailableError } from './store/store-failure.ts';
import type { Store } from './store/ports.ts';
import { buildAdminApi, type AdminApp } from './admin-api/build-admin-api.ts';
import { buildServices, type ServiceOptions } from './control/build-services.ts';
import { checkPresetSecret } from './control/token-service.ts';
import { resolveClusterMasterKey } from './control/cluster-master-key.ts';
import { PublicPki } from './runtime-config/public-pki.ts';
import { MtlsListener } from './data-plane/mtls-listener.ts';
import { GatewayRequestHandler } from './data-plane/gateway-request-handler.ts';
import { GatewayPublisher } from './control/gateway-publisher.ts';
import { ConfigChangeFeed } from './control/config-change-feed.ts';
import { ConfigApplier } from './control/config-applier.ts';
import { DEFAULT_UPSTREAM_TIMEOUTS, UpstreamForwarders } from './data-plane/upstream-forwarders.ts';
import { openCounters, type OpenCounters } from './store/counters/open-counters.ts';
import { RedisUnavailableError } from './store/counters/redis-connection.ts';
import { GatewayObservability } from './gateway-observability.ts';
import { ADMIN_TOKEN_FILE, EDGE_CA_FILE, makeDataDir, writeDataDirFile } from './gateway-data-dir.ts';
import { GatewayHealth } from './gateway-health.ts';
import { deriveSessionKey } from './admin-api/dashboard/session-seal.ts';
import { FaultGuard } from './data-plane/fault-guard.ts';
import { GatewayRevocation } from './gateway-revocation.ts';
import { portalAdminRoutes } from './admin-api/portal/portal-admin-routes.ts';
import { startPortal, type RunningPortal } from './portal/start-portal.ts';

export { ADMIN_TOKEN_FILE, EDGE_CA_FILE } from './gateway-data-dir.ts';
const CRL_REFRESH_MS = 86_400_000; // 24 hours

export interface RunningGateway {
  readonly adminAddress: AddressInfo;
  readonly gatewayAddress: AddressInfo;
  /** The developer portal, when --portal-listen is given. */
  readonly portal?: { readonly address: AddressInfo; readonly url: string } | undefined;
  stop(timeoutMs: number): Promise<void>;
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
): Promise<RunningGateway> {
  const config = await checkBeforeCreating(options, env);
  await makeDataDir(options.dataDir);
  let store: Store;
  try {
    store = await openStore(options.store);
    if (seams.wrapStore !== undefined) store = seams.wrapStore(store);
  } catch (error) {
    throw storeFailed(`cannot open ${describeStoreLocation(options.store)}`, error);
  }
  let counters: OpenCounters;
  try {
    counters = await openCounters(options.redisUrl, logger);
  } catch (error) {
    await store.close();
    if (error instanceof RedisUnavailableError) {
      throw GW_ERR_REDIS_UNAVAILABLE.create(`${error.server}: ${error.reason}`, error);
    }
    throw error;
  }
  try {
    return await startOnStore(store, counters, config, options, logger, env);
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

async function startOnStore(
  store: Store,
  counters: OpenCounters,
  config: GatewayConfig | undefined,
  options: ServeOptions,
  logger: Logger,
  env: NodeJS.ProcessEnv,
): Promise<RunningGateway> {
  const masterKey = await resolveClusterMasterKey({
    store,
    dataDir: options.dataDir,
    env,
    onCreate: (file) =>
      logger.warn({ file }, 'created a new master key: back it up, the CA keys cannot be opened without it'),
  });
  const box = new SecretBox(masterKey.key);
  // Dashboard sessions are sealed under a key of their own, derived from the master key that every
  // node of a cluster shares (docs/adr/0013).
  const sessionKey = deriveSessionKey(masterKey.key);
  const publicPki = new PublicPki();
  // With --listen on port 0 and no --public-url, the real port is known only after listening.
  let publicUrl = options.publicUrl;
  // Rate limits, quotas and rule hits: in this process, or in Redis for a cluster (--redis).
  const { usage: usageCounters, ruleHits } = counters;
  logger.info({ counters: counters.location }, 'usage counters');
  const serviceOptions: Omit<ServiceOptions, 'store'> = {
    box,
    publicPki,
    publicUrl: () => publicUrl,
    operatorHostnames: [new URL(options.publicUrl).hostname],
    quotaRemaining: (keyId, quota) => usageCounters.quotaRemaining(keyId, quota),
  };
  const services = buildServices({ store, ...serviceOptions });
  // The edge CA is the first secret sealed with the master key: opening it (or creating it, in a
  // new store) is where a gateway with another key than the cluster's is refused.
  const edgeCa = await masterKey.check(() => services.edgeCa.authority());
  const bootstrapSecret = await services.tokens.ensureBootstrapToken(env.PORTCULLIS_ADMIN_TOKEN, async (secret) => {
    await writeDataDirFile(options.dataDir, ADMIN_TOKEN_FILE, secret + '\n', 0o600);
  });
  if (bootstrapSecret !== undefined) {
    logger.info({ file: path.join(options.dataDir, ADMIN_TOKEN_FILE) }, 'created the bootstrap admin token');
  }
  // The --config file is applied before anything is served: a refused file stops the start (exit 3).
  // It writes the whole file in one transaction, through services bound to that transaction.
  const configApplier = new ConfigApplier(
    store,
    (transaction) => buildServices({ store: transaction, ...serviceOptions }),
    logger,
  );
  if (config !== undefined) await configApplier.applyLoaded(config);
  await masterKey.check(() => services.publicPkiPublisher.publishAll());

  // Unknown or absent SNI gets the default policy: the edge CA's certificate for these names and no
  // client CA. Hostnames with associations or edge certificates get their own TLS policy.
  const publicHost = new URL(options.publicUrl).hostname.replace(/^\[|\]$/g, '');
  const defaultNames = [...new Set(['localhost', '127.0.0.1', publicHost])];
  await writeDataDirFile(options.dataDir, EDGE_CA_FILE, edgeCa.certPem, 0o644);
  const gatewayPublisher = new GatewayPublisher({ store, box, edgeCa: services.edgeCa, defaultNames }, logger);
  // Changes made through another process sharing the store (a cluster) are picked up within a second;
  // a rebuild that fails is retried until it succeeds, and a configuration that stays behind is reported.
  const changeFeed = new ConfigChangeFeed(
    store,
    async () => {
      await Promise.all([gatewayPublisher.republish(), services.publicPkiPublisher.publishAll()]);
    },
    logger,
    { pollMs: options.changePollMs, staleAfterMs: options.configStaleAfterMs },
  );
  // With Redis, a change made here is hinted to the other gateways at once, and theirs to this one;
  // the poll stays the fallback for a lost hint (ADR 0003).
  if (counters.changeHints !== undefined) {
    changeFeed.hintTo(counters.changeHints);
    counters.changeHints.onHint(() => changeFeed.nudge());
  }
  // The file's changes are announced before the token is primed, so that the first compile covers
  // every change whose token this process takes as applied.
  if (config !== undefined) await changeFeed.announce();
  await changeFeed.prime();
  const snapshots = await masterKey.check(() => gatewayPublisher.start());
  /**
   * After a successful write: tell the other processes, and compile it here before answering. The
   * write is committed whatever happens next: a failed announcement or compile does not fail its
   * answer (the client would repeat a change that was applied); the feed retries both and reports it.
   */
  const publishChange = (): Promise<void> => changeFeed.announceAndApply(() => gatewayPublisher.republish());

  // Every successful change through the API is compiled into the snapshot before it is answered.
  // Observability (issue 6): metrics, analytics recorder and queries, certificate expiry monitor.
  const observability = new GatewayObservability(store, services.tenancy, options, logger);
  if (counters.redisReady !== undefined) observability.metrics.watchRedis(counters.redisReady);
  // /healthz, /readyz and the store and configuration gauges, for load balancers and alerts.
  const health = new GatewayHealth({
    store,
    config: changeFeed,
    snapshot: gatewayPublisher,
    redisUp: counters.redisReady,
  });
  health.watchIn(observability.metrics);
  // Revocation of uploaded CAs: OCSP answers for the data plane, CRL fetching (ADR 0014).
  const revocation = new GatewayRevocation({
    store,
    service: services.caRevocation,
    metrics: observability.metrics,
    logger,
    announce: publishChange,
  });
  // The developer portal's URL, for the links the operator makes (known once it listens).
  let portalUrl: string | undefined = options.portalUrl;
  const admin = await buildAdminApi({
    services,
    logger,
    ruleHits,
    onChange: async () => {
      await publishChange();
      revocation.nudge(); // a CA's fetching may have just been turned on
    },
    analytics: observability.analytics,
    certificateExpiry: observability.certificateExpiry,
    metrics: observability.metrics,
    health,
    dashboard: { sessionKey },
    plugins: [
      async (api, adminServices) => {
        await api.register(portalAdminRoutes, { services: adminServices, portalUrl: () => portalUrl });
      },
    ],
  });
  // One guard for the whole data plane (ADR 0011): a fault ends one request, stream or connection.
  const guard = new FaultGuard({ logger, onInternalError: (stage) => observability.metrics.internalError(stage) });
  const forwarders = new UpstreamForwarders(guard, {
    ...DEFAULT_UPSTREAM_TIMEOUTS,
    ...(options.upstreamTimeoutMs === undefined ? {} : { upstreamTimeoutMs: options.upstreamTimeoutMs }),
  });
  const listener = new MtlsListener({
    listen: options.listen,
    snapshots,
    sessionTickets: options.sessionTickets ?? true,
    ...(options.connectionLimits === undefined ? {} : { connectionLimits: options.connectionLimits }),
    handler: new GatewayRequestHandler({
      pki: publicPki,
      snapshots,
      forwarders,
      ruleHits,
      counters: usageCounters,
      analytics: observability.requestSink,
      revocation: { ocsp: revocation.ocsp, observer: revocation.observer },
      logger,
      guard,
    }),
    logger,
    guard,
    onHandshakeFailure: (reason) => observability.metrics.handshakeFailed(reason),
    onConnectionDropped: (reason) => observability.metrics.connectionDropped(reason),
  });
  observability.metrics.watchOpenConnections(() => listener.openConnections);
  // The gateway listener first: it logs nothing, so a failure of either leaves no "Server
  // listening" line behind; the admin API (which logs it) last.
  let gatewayAddress: AddressInfo;
  let adminAddress: AddressInfo;
  let portal: RunningPortal | undefined;
  try {
    gatewayAddress = await listener.start();
    adminAddress = await listenAdmin(admin, options);
    // The developer portal: its own TLS listener, never the admin one (docs/adr/0017).
    if (options.portalListen !== undefined) {
      portal = await startPortal({
        listen: options.portalListen,
        url: options.portalUrl,
        services: services.portal,
        store,
        masterKey: masterKey.key,
        edgeCa: services.edgeCa,
        logger,
        gatewayUrl: () => publicUrl,
        onChange: publishChange,
      });
      portalUrl = portal.url;
    }
  } catch (error) {
    await Promise.all([listener.drain(0), admin.close(), forwarders.close(), portal?.stop()]);
    throw error;
  }
  if (options.listen.port === 0 && new URL(publicUrl).port === '0') {
    const url = new URL(publicUrl);
    url.port = String(gatewayAddress.port);
    publicUrl = url.origin;
  }
  // Nothing runs in the background before this point.
  changeFeed.start();
  // CRLs are valid for a week (CRL_VALIDITY_MS); reissue daily so relying parties never hold a stale one.
  const crlRefresh = setInterval(() => {
    services.publicPkiPublisher.publishAll().catch((error: unknown) => {
      logger.error({ err: (error as Error).message }, 'CRL refresh failed');
    });
  }, CRL_REFRESH_MS);
  crlRefresh.unref();
  observability.start();
  revocation.start();
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
      await Promise.all([
        listener.drain(timeoutMs),
        admin.close(),
        changeFeed.stop(),
        revocation.stop(),
        portal?.stop(),
      ]);
      await observability.close(); // writes the last analytics batch: before the store closes
      // After the drain: the last rule hits are written before the Redis connection closes.
      await Promise.all([forwarders.close(), store.close(), counters.close()]);
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
