/**
 * A running `portcullis serve` (in-process, through the real composition root) on loopback ports,
 * with a fresh data dir, on SQLite or on a PostgreSQL schema, plus a small v4 API client.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startGateway, type GatewaySeams, type RunningGateway } from '../../src/app/serve.ts';
import { parseServeOptions, type ServeOptions, type ServeOptionsInput } from '../../src/config/serve-options.ts';
import { createLogger, type Logger } from '../../src/observability/logger.ts';

export interface V4Response<T = any> {
  status: number;
  headers: Headers;
  body: {
    success: boolean;
    errors: { code: number; message: string }[];
    messages: unknown[];
    result: T;
    result_info?: Record<string, number>;
  };
}

export interface AdminServer {
  baseUrl: string;
  gatewayPort: number;
  dataDir: string;
  adminToken: string;
  running: RunningGateway;
  /** Calls the API with a token (the admin token unless given; `null` sends none). */
  call<T = any>(method: string, route: string, body?: unknown, token?: string | null): Promise<V4Response<T>>;
  stop(): Promise<void>;
}

/** What a test may change beyond the command line: options that are not flags, a logger, seams. */
export interface AdminServerExtras extends GatewaySeams {
  /** Default: silent. */
  readonly logger?: Logger;
  /** Merged over the parsed options (e.g. a short configStaleAfterMs). */
  readonly options?: Partial<ServeOptions>;
  /** More `serve` flags, as the command line gives them (e.g. `{ upstreamTimeout: '300ms' }`). */
  readonly flags?: Partial<ServeOptionsInput>;
}

/**
 * `env` as the gateway reads it: pass PORTCULLIS_MASTER_KEY and PORTCULLIS_ADMIN_TOKEN to run several
 * gateways over one PostgreSQL store (a cluster). `logger`: default silent; pass one to read the log.
 */
export async function startAdminServer(
  store?: { kind: 'postgres'; url: string; redisUrl?: string; changePollMs?: number },
  env: NodeJS.ProcessEnv = { PORTCULLIS_MASTER_KEY: undefined },
  extras: AdminServerExtras = {},
): Promise<AdminServer> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'portcullis-serve-'));
  const options = parseServeOptions({
    dataDir,
    adminListen: '127.0.0.1:0',
    listen: '127.0.0.1:0',
    ...(store === undefined ? {} : { store: store.url }),
    ...(store?.redisUrl === undefined ? {} : { redis: store.redisUrl }),
    ...extras.flags,
  });
  const running = await startGateway(
    {
      ...options,
      ...(store?.changePollMs === undefined ? {} : { changePollMs: store.changePollMs }),
      ...extras.options,
    },
    extras.logger ?? createLogger('silent'),
    env,
    extras,
  );
  const adminToken = env.PORTCULLIS_ADMIN_TOKEN ?? (await readFile(path.join(dataDir, 'admin-token'), 'utf8')).trim();
  const baseUrl = `http://127.0.0.1:${running.adminAddress.port}/client/v4`;
  return {
    baseUrl,
    gatewayPort: running.gatewayAddress.port,
    dataDir,
    adminToken,
    running,
    async call(method, route, body, token) {
      const bearer = token === undefined ? adminToken : token;
      const response = await fetch(baseUrl + route, {
        method,
        headers: {
          ...(bearer === null ? {} : { authorization: `Bearer ${bearer}` }),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      });
      return {
        status: response.status,
        headers: response.headers,
        body: (await response.json()) as V4Response['body'],
      };
    },
    async stop() {
      await running.stop(1000);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Creates an account and a zone in it with the admin token; returns their ids. */
export async function createTenant(
  server: AdminServer,
  zoneName: string,
): Promise<{ accountId: string; zoneId: string }> {
  const account = await server.call<{ id: string }>('POST', '/accounts', { name: `account of ${zoneName}` });
  const zone = await server.call<{ id: string }>('POST', '/zones', {
    name: zoneName,
    account: { id: account.body.result.id },
  });
  // Each tenant is a new account: a zone name inside another tenant's is refused (docs/adr/0007).
  if (zone.status !== 200) throw new Error(`zone ${zoneName} not created: ${JSON.stringify(zone.body.errors)}`);
  return { accountId: account.body.result.id, zoneId: zone.body.result.id };
}

/** Creates a token with the admin token and returns its secret. */
export async function createToken(
  server: AdminServer,
  permission: 'read' | 'edit',
  scope: { account_id?: string; zone_id?: string } = {},
): Promise<string> {
  const created = await server.call<{ value: string }>('POST', '/user/tokens', {
    name: `${permission} token`,
    permission,
    scope,
  });
  if (created.status !== 200) throw new Error(`token creation failed: ${JSON.stringify(created.body)}`);
  return created.body.result.value;
}
