/**
 * A tenant that brings its own CA to a running `portcullis serve`, as an operator sets it up through
 * the admin API: the CA uploaded (`mtls_certificates`, `ca: true`), hostnames of the zone trusting
 * it, a route to an upstream and the mTLS rule (unverified or revoked certificates get 403), plus
 * clients that call those hostnames with a certificate — one-shot, over a kept-alive HTTP/1.1
 * connection, or over one HTTP/2 session.
 */
import assert from 'node:assert/strict';
import https from 'node:https';
import type { ClientHttp2Session } from 'node:http2';
import type { AdminServer } from './admin-server.ts';
import { edgeCaPem } from './gateway-pki.ts';
import { connectH2, h2Request } from './h2-client.ts';
import { request, type ClientResponse } from './https-client.ts';
import type { CaHandle, Issued } from './pki.ts';

export async function mustSucceed<T = any>(
  server: AdminServer,
  method: string,
  route: string,
  body?: unknown,
): Promise<T> {
  const response = await server.call<T>(method, route, body);
  assert.equal(response.status, 200, `${method} ${route}: ${JSON.stringify(response.body.errors)}`);
  return response.body.result;
}

/** Uploads `ca` to the account; its id. */
export async function uploadCa(server: AdminServer, accountId: string, ca: CaHandle, name: string): Promise<string> {
  const uploaded = await mustSucceed<{ id: string }>(server, 'POST', `/accounts/${accountId}/mtls_certificates`, {
    ca: true,
    certificates: ca.certPem,
    name,
  });
  return uploaded.id;
}

/**
 * Each hostname trusts its CA (by upload id), routes to `upstream`, and the zone's mTLS rule covers
 * them all (one rule per zone: give every hostname of the zone in one call).
 */
export async function protectHosts(
  server: AdminServer,
  zoneId: string,
  hosts: readonly { hostname: string; caId: string }[],
  upstream: string,
): Promise<void> {
  for (const { hostname, caId } of hosts) {
    await mustSucceed(server, 'PUT', `/zones/${zoneId}/certificate_authorities/hostname_associations`, {
      hostnames: [hostname],
      mtls_certificate_id: caId,
    });
    await mustSucceed(server, 'POST', `/zones/${zoneId}/gateway/routes`, { hostname, upstream });
  }
  await mustSucceed(server, 'POST', `/zones/${zoneId}/gateway/mtls_rule`, {
    hostnames: hosts.map((host) => host.hostname),
  });
}

/** One request on a fresh connection to `hostname`, with `client`'s certificate. */
export function callAs(server: AdminServer, hostname: string, client: Issued, path = '/'): Promise<ClientResponse> {
  return request({
    port: server.gatewayPort,
    ca: edgeCaPem(server),
    servername: hostname,
    path,
    headers: { host: hostname },
    cert: client.certPem,
    key: client.keyPem,
  });
}

export function errorCode(response: { body: string }): string {
  return (JSON.parse(response.body) as { error?: { code?: string } }).error?.code ?? '';
}

/** An HTTP/1.1 client that keeps one TLS connection open across its requests. */
export interface KeptAliveClient {
  get(path?: string): Promise<{ status: number; socket: unknown }>;
  close(): void;
}

export function keptAlive(server: AdminServer, hostname: string, client: Issued): KeptAliveClient {
  const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
  return {
    get: (path = '/') =>
      new Promise((resolve, reject) => {
        const req = https.request(
          {
            host: '127.0.0.1',
            port: server.gatewayPort,
            servername: hostname,
            path,
            headers: { host: hostname },
            ca: edgeCaPem(server),
            cert: client.certPem,
            key: client.keyPem,
            agent,
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve({ status: res.statusCode ?? 0, socket: res.socket }));
          },
        );
        req.on('error', reject);
        req.end();
      }),
    close: () => agent.destroy(),
  };
}

/** An HTTP/2 session to `hostname` with `client`'s certificate; `status()` of one GET on it. */
export async function openH2(
  server: AdminServer,
  hostname: string,
  client: Issued,
): Promise<{ session: ClientHttp2Session; status(path?: string): Promise<number> }> {
  const session = await connectH2(server.gatewayPort, edgeCaPem(server), client.certPem, client.keyPem, hostname);
  return {
    session,
    status: async (path = '/') => (await h2Request(session, { ':path': path, ':authority': hostname })).status,
  };
}

/**
 * Polls `check` every 100 ms until it returns true, for at most `timeoutMs`. A change made through one gateway
 * reaches another asynchronously: until it has, that gateway answers from its previous configuration, which may
 * mean the default edge certificate, which the client rejects for the hostname. So a check that throws counts as
 * "not yet"; the last error is reported at the timeout.
 */
export async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      assert.fail(`not within ${timeoutMs} ms: ${what}${cause}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
