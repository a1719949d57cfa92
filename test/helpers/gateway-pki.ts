/**
 * The public PKI of a running `portcullis serve` seen from outside: CRL and OCSP fetched from the
 * gateway TLS listener (no client certificate, trusting the edge CA the server wrote to its data
 * dir), and the managed CA's certificate.
 */
import https from 'node:https';
import { readFileSync } from 'node:fs';
import path from 'node:path';
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

/** The managed CA's certificate, as the gateway publishes it (no client certificate needed). */
export async function readManagedCaPem(server: AdminServer, caId: string): Promise<string> {
  const response = await gatewayRequest(server, `/.well-known/portcullis/ca/${caId}.pem`);
  if (response.status !== 200) throw new Error(`GET ca/${caId}.pem answered ${response.status}`);
  return response.body.toString('utf8');
}
