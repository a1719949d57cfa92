/**
 * Composition root of `portcullis proxy`: a store-less mTLS reverse proxy (in the shape of
 * ghostunnel). Picks the forwarders for the upstream's protocol and wires them to one listener.
 */
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { ProxyConfig } from '../config/proxy-config.ts';
import { MtlsListener } from '../data-plane/listeners/mtls-listener.ts';
import { ProxyRequestHandler } from '../data-plane/listeners/proxy-request-handler.ts';
import { Http1Forwarder } from '../data-plane/upstream/http1-forwarder.ts';
import { Http2Forwarder } from '../data-plane/upstream/http2-forwarder.ts';
import type { Forwarder } from '../data-plane/upstream/exchange.ts';
import { FaultGuard } from '../data-plane/guard/fault-guard.ts';
import type { ProxyObservability } from '../config/proxy-observability-options.ts';
import { startProxyTelemetry } from './proxy-observability.ts';

export interface RunningProxy {
  readonly address: AddressInfo;
  readonly listener: MtlsListener;
  /** Where /metrics listens (--metrics-listen); undefined without it. */
  readonly metricsAddress: AddressInfo | undefined;
  /** Graceful stop: drain in-flight requests (bounded by the configured timeout), close upstreams. */
  stop(): Promise<void>;
  /**
   * SIGHUP: the certificate, key, client CAs and CRLs of `next` (a config loaded and checked like at
   * start) take over; new connections get the new TLS material, every request from now on the new
   * revocations and allowlist. Listen address, upstream and timeouts need a restart.
   */
  reload(next: ProxyConfig): void;
}

/** `ticketSecret`: with `--workers N`, the primary's secret for session tickets every worker accepts. */
export async function startProxy(
  config: ProxyConfig,
  logger: Logger,
  observability: ProxyObservability = { metricsListen: undefined, accessLog: undefined },
  ticketSecret?: Buffer,
): Promise<RunningProxy> {
  const { upstream } = config;
  const telemetry = await startProxyTelemetry(observability, logger);
  // One guard for the whole data plane (ADR 0011); faults are logged, and counted with --metrics-listen.
  const guard = new FaultGuard({ logger, onInternalError: telemetry.internalError });
  const forwarderOptions = {
    origin: upstream.origin,
    connectTimeoutMs: config.connectTimeoutMs,
    upstreamTimeoutMs: config.upstreamTimeoutMs,
    ca: config.upstreamCaPem,
    guard,
  };
  const http1 = upstream.protocol === 'h2c' ? undefined : new Http1Forwarder(forwarderOptions);
  const http2 = upstream.protocol === 'http' ? undefined : new Http2Forwarder(forwarderOptions);
  const policyOf = (loaded: ProxyConfig) => ({
    trustedCas: loaded.clientCas.certificates,
    revocations: loaded.revocations,
    allowedFingerprints: loaded.allowedFingerprints,
  });
  const materialOf = (loaded: ProxyConfig) => ({
    certPem: loaded.serverCertPem,
    keyPem: loaded.serverKeyPem,
    clientCaPems: loaded.clientCas.pems,
  });
  const handler = new ProxyRequestHandler({
    policy: policyOf(config),
    forwardIdentity: config.forwardIdentity,
    upstream,
    http1,
    http2,
    logger,
    guard,
    observe: telemetry.observe,
  });
  const listener = new MtlsListener({
    listen: config.listen,
    material: materialOf(config),
    trustedCas: config.clientCas.certificates,
    legacyCaFingerprints: config.clientCas.legacyFingerprints,
    sessionTickets: config.sessionTickets,
    ticketSecret,
    connectionLimits: config.connectionLimits,
    handler,
    logger,
    guard,
    onHandshakeFailure: telemetry.handshakeFailed,
    onConnectionDropped: telemetry.connectionDropped,
  });
  const address = await listener.start().catch(async (error: unknown) => {
    await telemetry.close();
    throw error;
  });
  telemetry.watchOpenConnections(() => listener.openConnections);
  const forwarders: Forwarder[] = [http1, http2].filter((forwarder) => forwarder !== undefined);
  return {
    address,
    listener,
    metricsAddress: telemetry.metricsAddress,
    async stop() {
      await listener.drain(config.shutdownTimeoutMs);
      await Promise.all(forwarders.map((forwarder) => forwarder.close()));
      await telemetry.close();
    },
    reload(next: ProxyConfig) {
      telemetry.reopen();
      listener.replaceTlsMaterial(materialOf(next), next.clientCas.certificates, next.clientCas.legacyFingerprints);
      handler.replacePolicy(policyOf(next));
    },
  };
}
