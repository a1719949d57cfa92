/**
 * Upstream servers for tests, on 127.0.0.1 port 0: an HTTP/1.1 echo server and an h2c echo server.
 * Each answers with JSON describing what it received (method, url, headers, body), so tests can
 * assert exactly what the proxy forwarded.
 */
import http from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';

export interface EchoRecord {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  protocol: string;
}

export interface RunningUpstream {
  url: string;
  port: number;
  received: EchoRecord[];
  /** Paths of requests whose body never completed (the proxy aborted the upstream request). */
  truncated: string[];
  close(): Promise<void>;
}

/**
 * HTTP/1.1 echo server. `/slow?ms=N` waits N ms before answering; `/hang` never answers; a path with
 * `upstream-ratelimit` in it also answers `X-RateLimit-Limit: 999` (a field the gateway may replace).
 */
export async function startHttp1Echo(): Promise<RunningUpstream> {
  const received: EchoRecord[] = [];
  const truncated: string[] = [];
  const server = http.createServer((req, res) => {
    req.on('close', () => {
      if (!req.complete) truncated.push(req.url ?? '');
    });
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const record = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
        protocol: `HTTP/${req.httpVersion}`,
      };
      received.push(record);
      if (req.url === '/hang') return;
      const delay = /^\/slow\?ms=(\d+)/.exec(req.url ?? '');
      const send = (): void => {
        const body = JSON.stringify(record);
        res.writeHead(200, {
          'content-type': 'application/json',
          'x-upstream': 'h1',
          connection: 'keep-alive, x-private',
          'x-private': 'hop',
          ...(req.url?.includes('upstream-ratelimit') === true ? { 'X-RateLimit-Limit': '999' } : {}),
        });
        res.end(body);
      };
      if (delay) setTimeout(send, Number(delay[1]));
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    received,
    truncated,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** h2c echo server (prior knowledge). Sends a trailer `x-trailer: done` after the body. */
export async function startH2cEcho(): Promise<RunningUpstream> {
  const received: EchoRecord[] = [];
  const truncated: string[] = [];
  const server = http2.createServer();
  server.on('stream', (stream, headers) => {
    stream.on('aborted', () => truncated.push(String(headers[':path'])));
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      const record = {
        method: String(headers[':method']),
        url: String(headers[':path']),
        headers: headers as Record<string, string>,
        body: Buffer.concat(chunks).toString(),
        protocol: 'HTTP/2',
      };
      received.push(record);
      stream.respond(
        { ':status': 200, 'content-type': 'application/json', 'x-upstream': 'h2c' },
        { waitForTrailers: true },
      );
      stream.on('wantTrailers', () => stream.sendTrailers({ 'x-trailer': 'done' }));
      stream.end(JSON.stringify(record));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `h2c://127.0.0.1:${port}`,
    port,
    received,
    truncated,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
