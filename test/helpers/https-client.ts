/**
 * One-shot HTTPS requests with a client certificate (or none), pinned to a TLS version, without
 * connection reuse: every call is a fresh handshake.
 */
import https from 'node:https';
import type { SecureVersion, TLSSocket } from 'node:tls';

export interface ClientRequest {
  port: number;
  ca: string;
  cert?: string;
  key?: string;
  tls?: SecureVersion;
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
  servername?: string;
  /** The client's cipher string, e.g. to lower its own OpenSSL security level to present a weak test key. */
  ciphers?: string;
  /** Aborting it destroys the request (the client goes away). */
  signal?: AbortSignal;
}

export interface ClientResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json<T = unknown>(): T;
}

export function request(options: ClientRequest): Promise<ClientResponse> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port: options.port,
        servername: options.servername ?? 'localhost',
        method: options.method ?? 'GET',
        path: options.path ?? '/',
        headers: { host: 'localhost', ...options.headers },
        ca: options.ca,
        cert: options.cert,
        key: options.key,
        agent: false,
        ...(options.signal === undefined ? {} : { signal: options.signal }),
        ...(options.ciphers === undefined ? {} : { ciphers: options.ciphers }),
        ...(options.tls ? { minVersion: options.tls, maxVersion: options.tls } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString();
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: <T>() => JSON.parse(body) as T });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

export interface SocketReply {
  status: number;
  body: Record<string, unknown>;
}

/**
 * One HTTP/1.1 GET on an open TLS socket (keep-alive: call again on the same socket); JSON body,
 * framed by content-length or chunked (RFC 9112 §7.1; no trailers expected).
 */
export function requestOnSocket(socket: TLSSocket, host: string, path = '/'): Promise<SocketReply> {
  return new Promise((resolve, reject) => {
    let data = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      data = Buffer.concat([data, chunk]);
      const end = data.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = data.subarray(0, end).toString();
      const rest = data.subarray(end + 4);
      let body: string;
      if (/transfer-encoding: chunked/i.test(head)) {
        if (!rest.includes('0\r\n\r\n')) return;
        body = decodeChunked(rest);
      } else {
        const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
        if (rest.length < length) return;
        body = rest.subarray(0, length).toString();
      }
      socket.off('data', onData);
      resolve({ status: Number(head.split(' ')[1]), body: JSON.parse(body) as Record<string, unknown> });
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.write(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
  });
}

function decodeChunked(framed: Buffer): string {
  const parts: Buffer[] = [];
  for (let at = 0; ;) {
    const lineEnd = framed.indexOf('\r\n', at);
    const size = Number.parseInt(framed.subarray(at, lineEnd).toString(), 16);
    if (lineEnd < 0 || !Number.isInteger(size)) throw new Error('malformed chunked body');
    if (size === 0) return Buffer.concat(parts).toString();
    parts.push(framed.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
}
