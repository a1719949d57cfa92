/**
 * A small HTTP server that answers `GET /metrics` (and HEAD) with the Prometheus text format and
 * everything else with 404 or 405; `portcullis proxy --metrics-listen`. No TLS and no token, like the
 * admin listener's /metrics: it listens on loopback unless the operator says otherwise
 * (config/proxy-observability-options.ts). Timeouts and a connection cap keep a slow or greedy
 * client from holding it.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';

export interface MetricsText {
  readonly contentType: string;
  render(): Promise<string>;
}

export interface RunningMetricsServer {
  readonly address: AddressInfo;
  close(): Promise<void>;
}

const MAX_CONNECTIONS = 64;

export async function startMetricsServer(
  listen: { readonly host: string; readonly port: number },
  metrics: MetricsText,
  logger: Logger,
): Promise<RunningMetricsServer> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    metrics.render().then(
      (text) => {
        res.writeHead(200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      (error: unknown) => {
        logger.error({ err: (error as Error).message }, 'metrics could not be rendered');
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('metrics unavailable\n');
      },
    );
  });
  server.maxConnections = MAX_CONNECTIONS;
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  server.keepAliveTimeout = 5_000;
  server.on('clientError', (_error, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (error) => logger.error({ err: error.message }, 'metrics listener error'));
  return {
    address: server.address() as AddressInfo,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
