/**
 * The public PKI of a running `portcullis serve` seen from outside: CRL and OCSP fetched from the
 * gateway TLS listener (no client certificate, trusting the edge CA the server wrote to its data
 * dir), and the managed CA's certificate — which no API exposes — read from the server's store.
 */
import https from 'node:https';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseServeOptions } from '../../src/config/serve-options.ts';
import { openStore } from '../../src/store/open-store.ts';
import type { AdminServer } from './admin-server.ts';

export interface BinaryResponse {
  status: number;
  contentType: string;
  body: Buffer;
}

/** The edge CA that signed the gateway listener's server certificate. */
export function edgeCaPem(server: AdminServer): string {
  return readFileSync(path.join(server.dataDir, 'edge-ca.pem'), 'utf8');
}

/** One request to the gateway listener, without a client certificate. */
export function gatewayRequest(
  server: AdminServer,
  route: string,
  options: { method?: string; body?: Buffer; contentType?: string } = {},
): Promise<BinaryResponse> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port: server.gatewayPort,
        servername: 'localhost',
        method: options.method ?? 'GET',
        path: route,
        ca: edgeCaPem(server),
        agent: false,
        headers: options.contentType === undefined ? {} : { 'content-type': options.contentType },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          resolve({
            status: res.statusCode ?? 0,
            contentType: res.headers['content-type'] ?? '',
            body: Buffer.concat(chunks),
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/**
 * The managed CA's certificate, read from the store the server runs on (`storeUrl` as passed to
 * startAdminServer; SQLite in the data dir otherwise). A second connection to the live store.
 */
export async function readManagedCaPem(server: AdminServer, caId: string, storeUrl?: string): Promise<string> {
  const { store: location } = parseServeOptions({
    dataDir: server.dataDir,
    adminListen: '127.0.0.1:0',
    listen: '127.0.0.1:0',
    ...(storeUrl === undefined ? {} : { store: storeUrl }),
  });
  const store = await openStore(location);
  try {
    const ca = await store.getManagedCaById(caId);
    if (ca === undefined) throw new Error(`no managed CA ${caId} in the store`);
    return ca.certificatePem;
  } finally {
    await store.close();
  }
}
