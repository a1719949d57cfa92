/**
 * What `portcullis proxy` reports about its traffic, assembled for its composition root (proxy.ts):
 * the Prometheus metrics on --metrics-listen and the access log (--access-log), both off by default
 * (config/proxy-observability-options.ts). Gives the hooks the guard, the listener and the request
 * handler call; with neither option, `observe` is undefined and requests are not measured at all.
 */
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { ProxyObservability } from '../config/proxy-observability-options.ts';
import type { ConnectionDropReason } from '../data-plane/listeners/connection-drop-log.ts';
import type { ProxyRequestObserver } from '../data-plane/listeners/proxy-request-meter.ts';
import { AccessLog } from '../observability/access-log.ts';
import { startMetricsServer, type RunningMetricsServer } from '../observability/metrics-http-server.ts';
import { ProxyMetrics } from '../observability/proxy-metrics.ts';

export interface ProxyTelemetry {
  /** Where /metrics listens; undefined without --metrics-listen. */
  readonly metricsAddress: AddressInfo | undefined;
  readonly observe: ProxyRequestObserver | undefined;
  readonly internalError: (stage: string) => void;
  readonly handshakeFailed: (reason: string) => void;
  readonly connectionDropped: (reason: ConnectionDropReason) => void;
  watchOpenConnections(open: () => number): void;
  /** SIGHUP: a new access log file at the same path (after logrotate). */
  reopen(): void;
  close(): Promise<void>;
}

export async function startProxyTelemetry(settings: ProxyObservability, logger: Logger): Promise<ProxyTelemetry> {
  const metrics = settings.metricsListen === undefined ? undefined : new ProxyMetrics();
  const accessLog =
    settings.accessLog === undefined
      ? undefined
      : new AccessLog(settings.accessLog, logger, (lines) => metrics?.accessLogDropped(lines));
  let server: RunningMetricsServer | undefined;
  if (metrics !== undefined && settings.metricsListen !== undefined) {
    try {
      server = await startMetricsServer(settings.metricsListen, metrics, logger);
    } catch (error) {
      await accessLog?.close();
      throw error;
    }
  }
  const observe: ProxyRequestObserver | undefined =
    metrics === undefined && accessLog === undefined
      ? undefined
      : (record) => {
          metrics?.observeRequest(record.status, record.latencyMs / 1000, record.bytesIn, record.bytesOut);
          accessLog?.write(record);
        };
  return {
    metricsAddress: server?.address,
    observe,
    internalError: (stage) => metrics?.internalError(stage),
    handshakeFailed: (reason) => metrics?.handshakeFailed(reason),
    connectionDropped: (reason) => metrics?.connectionDropped(reason),
    watchOpenConnections: (open) => metrics?.watchOpenConnections(open),
    reopen: () => accessLog?.reopen(),
    async close() {
      await Promise.all([server?.close(), accessLog?.close()]);
    },
  };
}
