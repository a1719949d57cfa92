/**
 * Two `portcullis serve` nodes (in-process) over one PostgreSQL schema, as a cluster runs them: the same master key
 * and admin token, optionally Redis as well, and seams for the second node (a store fault, a logger). Also the
 * polling the cluster tests wait with, and the mTLS host they configure through the first node.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startAdminServer, type AdminServer, type AdminServerExtras } from './admin-server.ts';
import type { OpensslWorkdir } from './openssl.ts';
import { startPostgres, type TestPostgres } from './postgres.ts';

export interface GatewayPair {
  readonly postgres: TestPostgres;
  readonly first: AdminServer;
  readonly second: AdminServer;
  /** Stops both nodes, then PostgreSQL. */
  stop(): Promise<void>;
}

export interface GatewayPairOptions {
  readonly redisUrl?: string;
  /** Milliseconds between store polls for changes (default: the gateway's). */
  readonly changePollMs?: number;
  readonly secondExtras?: AdminServerExtras;
}

/** Starts PostgreSQL with a fresh database `database` (schema `gw`) and two nodes over it. */
export async function startGatewayPair(database: string, options: GatewayPairOptions = {}): Promise<GatewayPair> {
  const postgres = await startPostgres();
  await postgres.createDatabase(database);
  const url = await postgres.createSchema(database, 'gw');
  const store = {
    kind: 'postgres' as const,
    url,
    ...(options.redisUrl === undefined ? {} : { redisUrl: options.redisUrl }),
    ...(options.changePollMs === undefined ? {} : { changePollMs: options.changePollMs }),
  };
  const env = {
    PORTCULLIS_MASTER_KEY: randomBytes(32).toString('hex'),
    PORTCULLIS_ADMIN_TOKEN: randomBytes(24).toString('base64url'),
  };
  const first = await startAdminServer(store, env);
  const second = await startAdminServer(store, env, options.secondExtras);
  return {
    postgres,
    first,
    second,
    async stop() {
      await Promise.all([first.stop(), second.stop()]);
      await postgres.stop();
    },
  };
}

/** Polls `probe` every 25 ms until it returns true; the elapsed milliseconds, or fails after `limitMs`. */
export async function within(limitMs: number, what: string, probe: () => Promise<boolean>): Promise<number> {
  const started = Date.now();
  while (!(await probe())) {
    if (Date.now() - started > limitMs) assert.fail(`${what}: not within ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return Date.now() - started;
}

/** Calls the gateway's admin API and asserts a 200; the result. */
export async function ok(
  gateway: AdminServer,
  method: string,
  route: string,
  body?: unknown,
): Promise<Record<string, string>> {
  const response = await gateway.call(method, route, body);
  assert.equal(response.status, 200, JSON.stringify(response.body.errors));
  return response.body.result as Record<string, string>;
}

/**
 * Through `gateway`'s API: a client certificate from the zone's managed CA for `/CN=<commonName>`, trusted on
 * `host`, whose route goes to `upstreamUrl` and whose mTLS rule requires it. The certificate's record and its key.
 */
export async function configureMtlsHost(
  gateway: AdminServer,
  openssl: OpensslWorkdir,
  setup: { zoneId: string; host: string; upstreamUrl: string; commonName: string },
): Promise<{ issued: Record<string, string>; keyPem: string }> {
  const { zoneId, host } = setup;
  const { csrPem, keyPem } = openssl.csr('p256', `/CN=${setup.commonName}`);
  const issued = await ok(gateway, 'POST', `/zones/${zoneId}/client_certificates`, { csr: csrPem, validity_days: 7 });
  await ok(gateway, 'PUT', `/zones/${zoneId}/certificate_authorities/hostname_associations`, { hostnames: [host] });
  await ok(gateway, 'POST', `/zones/${zoneId}/gateway/routes`, { hostname: host, upstream: setup.upstreamUrl });
  await ok(gateway, 'POST', `/zones/${zoneId}/gateway/mtls_rule`, { hostnames: [host] });
  return { issued, keyPem };
}
