/**
 * The upstreams behind the fuzzed gateways, HTTP/1.1 and h2c, answering by path so that a fuzz
 * case can end its request at every stage (before the response head, mid-body, mid-response):
 *
 *   /slow/<ms>   reads the body, answers after <ms> (at most 1 s)
 *   /drip/<n>    reads the body, answers <n> chunks of 1 KiB, 10 ms apart (at most 50)
 *   /big         reads the body, answers 256 KiB at once (flow control, backpressure)
 *   /hang        reads the body, never answers
 *   anything     reads the body, answers JSON {method, url, bytes}
 *
 * Each reads whatever body arrives (the gateway may cut it short) and never fails on its own.
 */
import http, { type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import http2, { type ServerHttp2Stream } from 'node:http2';
import type { AddressInfo } from 'node:net';

export interface FuzzUpstream {
  readonly url: string;
  close(): Promise<void>;
}

/** What to answer for `path`, written through `send` (head) and `write`/`end` (body). */
interface Answerer {
  head(status: number, headers: Record<string, string>): void;
  write(chunk: Buffer): void;
  end(body?: string | Buffer): void;
  gone(): boolean;
}

const BIG = Buffer.alloc(256 * 1024, 0x61);
const CHUNK = Buffer.alloc(1024, 0x62);

function answer(method: string, url: string, bytes: number, out: Answerer): void {
  const path = url.replace(/^\/h2c(?=\/|$)/, '') || '/';
  const slow = /^\/slow\/(\d+)/.exec(path);
  const drip = /^\/drip\/(\d+)/.exec(path);
  if (path.startsWith('/hang')) return;
  if (slow !== null) {
    setTimeout(() => answer(method, '/', bytes, out), Math.min(1_000, Number(slow[1]))).unref();
    return;
  }
  if (drip !== null) {
    let left = Math.min(50, Number(drip[1]));
    out.head(200, { 'content-type': 'application/octet-stream' });
    const next = (): void => {
      if (out.gone()) return;
      if (left-- <= 0) {
        out.end();
        return;
      }
      out.write(CHUNK);
      setTimeout(next, 10).unref();
    };
    next();
    return;
  }
  if (path.startsWith('/big')) {
    out.head(200, { 'content-type': 'application/octet-stream', 'content-length': String(BIG.length) });
    out.end(BIG);
    return;
  }
  const body = JSON.stringify({ method, url, bytes });
  out.head(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) });
  out.end(body);
}

export async function startFuzzHttp1Upstream(): Promise<FuzzUpstream> {
  const server = http.createServer((req, res: ServerResponse) => {
    let bytes = 0;
    req.on('data', (chunk: Buffer) => (bytes += chunk.length));
    req.on('error', () => undefined);
    res.on('error', () => undefined);
    req.on('end', () =>
      answer(req.method ?? 'GET', req.url ?? '/', bytes, {
        head: (status, headers) => res.writeHead(status, headers),
        write: (chunk) => res.write(chunk),
        end: (body) => res.end(body),
        gone: () => res.destroyed,
      }),
    );
  });
  // No 'clientError' listener: Node answers a request it refuses itself (400, or 431 for identity
  // headers over its 16 KiB limit), and the gateway relays that answer.
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export async function startFuzzH2cUpstream(): Promise<FuzzUpstream> {
  const server = http2.createServer();
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (session) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
    session.on('error', () => undefined);
  });
  server.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => {
    let bytes = 0;
    stream.on('error', () => undefined);
    stream.on('data', (chunk: Buffer) => (bytes += chunk.length));
    stream.on('end', () =>
      answer(String(headers[':method']), String(headers[':path']), bytes, {
        head: (status, response) => {
          if (!stream.destroyed) stream.respond({ ':status': status, ...response });
        },
        write: (chunk) => {
          if (!stream.destroyed) stream.write(chunk);
        },
        end: (body) => {
          if (!stream.destroyed) stream.end(body);
        },
        gone: () => stream.destroyed,
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `h2c://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        for (const session of sessions) session.destroy();
        server.close(() => resolve());
      }),
  };
}
