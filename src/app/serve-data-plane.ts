/**
 * The data plane of `portcullis serve`: one FaultGuard for all of it (ADR 0011), the upstream
 * forwarders and the mTLS listener with its request handler, reading only the published snapshot and
 * the counters (no store reads per request).
 */
import type { Logger } from 'pino';
import type { ServeOptions } from '../config/serve-options.ts';
import type { OpenCounters } from '../store/counters/open-counters.ts';
import type { PublicPki } from '../runtime-config/public-pki.ts';
import type { SnapshotHolder } from '../runtime-config/gateway-snapshot.ts';
import type { EstEndpoint } from '../runtime-config/est-endpoint.ts';
import { FaultGuard } from '../data-plane/guard/fault-guard.ts';
import { MtlsListener } from '../data-plane/listeners/mtls-listener.ts';
import { GatewayRequestHandler } from '../data-plane/listeners/gateway-request-handler.ts';
import { DEFAULT_UPSTREAM_TIMEOUTS, UpstreamForwarders } from '../data-plane/upstream/upstream-forwarders.ts';
import type { ServeTelemetry } from './serve-telemetry.ts';
import type { GatewayRevocation } from './serve-revocation.ts';

export interface DataPlane {
  readonly listener: MtlsListener;
  readonly forwarders: UpstreamForwarders;
}

export interface DataPlaneParts {
  readonly publicPki: PublicPki;
  readonly snapshots: SnapshotHolder;
  readonly counters: OpenCounters;
  readonly telemetry: ServeTelemetry;
  readonly revocation: GatewayRevocation;
  /** EST requests of the gateway listener go to the control plane through this port. */
  readonly est: EstEndpoint;
  /** With `--workers N`: the secret every worker derives its session ticket keys from. */
  readonly ticketSecret?: Buffer | undefined;
}

export function buildDataPlane(parts: DataPlaneParts, options: ServeOptions, logger: Logger): DataPlane {
  const { telemetry, snapshots, counters, revocation } = parts;
  // One guard for the whole data plane (ADR 0011): a fault ends one request, stream or connection.
  const guard = new FaultGuard({ logger, onInternalError: (stage) => telemetry.metrics.internalError(stage) });
  const forwarders = new UpstreamForwarders(guard, {
    ...DEFAULT_UPSTREAM_TIMEOUTS,
    ...(options.upstreamTimeoutMs === undefined ? {} : { upstreamTimeoutMs: options.upstreamTimeoutMs }),
  });
  const listener = new MtlsListener({
    listen: options.listen,
    snapshots,
    sessionTickets: options.sessionTickets ?? true,
    ticketSecret: parts.ticketSecret,
    ...(options.connectionLimits === undefined ? {} : { connectionLimits: options.connectionLimits }),
    handler: new GatewayRequestHandler({
      pki: parts.publicPki,
      snapshots,
      forwarders,
      ruleHits: counters.ruleHits,
      counters: counters.usage,
      analytics: telemetry.requestSink,
      revocation: { ocsp: revocation.ocsp, observer: revocation.observer },
      logger,
      guard,
      est: parts.est,
    }),
    logger,
    guard,
    onHandshakeFailure: (reason) => telemetry.metrics.handshakeFailed(reason),
    onConnectionDropped: (reason) => telemetry.metrics.connectionDropped(reason),
  });
  telemetry.metrics.watchOpenConnections(() => listener.openConnections);
  // Zone and API names label the request metrics from the configuration in force, read at scrape time.
  telemetry.metrics.nameRequestsFrom(() => snapshots.current());
  return { listener, forwarders };
}
