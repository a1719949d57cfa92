/**
 * One-shot HTTPS requests with a client certificate (or none), pinned to a TLS version, without
 * connection reuse: every call is a fresh handshake.
 */
import https from 'node:https';
import type { SecureVersion } from 'node:tls';

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
