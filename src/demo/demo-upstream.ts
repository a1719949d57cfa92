/**
 * The demo's upstream: a plain HTTP/1.1 server on 127.0.0.1 (random port) that answers every request
 * with a small JSON greeting showing what the gateway told it: the verified client identity it received
 * in `x-forwarded-client-cert`, the method and the path.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export const DEMO_GREETING = 'Hello from the demo upstream';

export interface DemoUpstream {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  close(): Promise<void>;
}

export interface DemoGreeting {
  readonly message: string;
  /** The `x-forwarded-client-cert` header as received, or null when there was none. */
  readonly client: string | null;
  readonly method: string;
  readonly path: string;
}

export async function startDemoUpstream(): Promise<DemoUpstream> {
  const server = http.createServer((req, res) => {
    req.resume(); // the body is not used; read it so the connection stays usable
    const xfcc = req.headers['x-forwarded-client-cert'];
    const greeting: DemoGreeting = {
      message: DEMO_GREETING,
      client: (Array.isArray(xfcc) ? xfcc.join(',') : xfcc) ?? null,
      method: req.method ?? 'GET',
      path: req.url ?? '/',
    };
    // Indented, with a final newline: it is read by a person in a terminal.
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(greeting, null, 2) + '\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
