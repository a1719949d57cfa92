/**
 * `GET /metrics`: the Prometheus text format, outside /client/v4 and without a token (Prometheus
 * scrapers rarely carry one). It is on the ADMIN listener, which binds 127.0.0.1:9000 by default,
 * so only the machine itself can scrape it. To scrape from elsewhere, do not bind the admin
 * listener to a public address: put a reverse proxy in front that exposes /metrics alone (with
 * its own TLS and authentication), or restrict the port by firewall to the Prometheus hosts. The
 * metrics carry zone and API ids and certificate ids, never secrets, paths or fingerprints.
 */
import type { AdminApp } from '../admin-app.ts';

export const METRICS_PATH = '/metrics';

/** What /metrics renders (GatewayMetrics). */
export interface MetricsSource {
  readonly contentType: string;
  render(): Promise<string>;
}

export function metricsRoute(app: AdminApp, metrics: MetricsSource): void {
  app.get(METRICS_PATH, { schema: { hide: true } }, async (_request, reply) =>
    reply
      .header('content-type', metrics.contentType)
      .header('cache-control', 'no-store')
      .send(await metrics.render()),
  );
}
