/**
 * A real `serve` with the developer portal on its own TLS listener, and what the portal tests
 * share: an account with a zone, an echo upstream behind two mtls_dynamic APIs on one hostname
 * (trusting the managed CA and an uploaded CA), a policy and products, and a developer client that
 * keeps its session cookie and CSRF token like a browser does.
 */
import assert from 'node:assert/strict';
import https from 'node:https';
import { createAdminServerWithPortal } from './portal-server.ts';
import type { AdminServer, AdminServerExtras } from '../helpers/admin-server.ts';
import { createTenant } from '../helpers/admin-server.ts';
import { createCa, type CaHandle } from '../helpers/pki.ts';
import { uploadCa } from '../helpers/uploaded-ca.ts';
import { startHttp1Echo, type RunningUpstream } from '../helpers/upstreams.ts';
import { edgeCaPem } from '../helpers/gateway-pki.ts';
import { request, type ClientResponse } from '../helpers/https-client.ts';

export const HOST = 'api.portal.test';
export const PASSWORD = 'a long enough passphrase';

export interface PortalWorld {
  server: AdminServer;
  upstream: RunningUpstream;
  accountId: string;
  zoneId: string;
  ownCa: CaHandle;
  policyId: string;
  ordersApiId: string;
  billingApiId: string;
  /** Manual approval, the orders API. */
  ordersProductId: string;
  /** Automatic approval, the billing API. */
  billingProductId: string;
  portalPort: number;
  ok<T = any>(method: string, route: string, body?: unknown): Promise<T>;
  /** A request to the gateway's API hostname with a client certificate. */
  callApi(path: string, client?: { certPem: string; keyPem: string }): Promise<ClientResponse>;
  stop(): Promise<void>;
}

export async function startPortalWorld(extras: AdminServerExtras = {}): Promise<PortalWorld> {
  const server = await createAdminServerWithPortal(extras);
  const upstream = await startHttp1Echo();
  const ok = async <T = any>(method: string, route: string, body?: unknown): Promise<T> => {
    const response = await server.call<T>(method, route, body);
    assert.equal(response.status, 200, `${method} ${route}: ${JSON.stringify(response.body.errors)}`);
    return response.body.result;
  };
  const { accountId, zoneId } = await createTenant(server, 'portal.test');
  const ownCa = await createCa('CN=Developer Own CA,O=Portal Tests');
  const ownCaId = await uploadCa(server, accountId, ownCa, 'developers own CA');
  await ok('PUT', `/zones/${zoneId}/certificate_authorities/hostname_associations`, { hostnames: [HOST] });
  await ok('PUT', `/zones/${zoneId}/certificate_authorities/hostname_associations`, {
    hostnames: [HOST],
    mtls_certificate_id: ownCaId,
  });
  const api = (name: string, listenPath: string) =>
    ok<{ id: string }>('POST', `/zones/${zoneId}/gateway/apis`, {
      name,
      hostname: HOST,
      listen_path: listenPath,
      upstream_url: upstream.url,
      auth: { mode: 'mtls_dynamic' },
    });
  const orders = await api('orders', '/orders');
  const billing = await api('billing', '/billing');
  const policy = await ok<{ id: string }>('POST', `/accounts/${accountId}/gateway/policies`, {
    name: 'portal standard',
    access_rights: [{ api_id: orders.id }, { api_id: billing.id }],
    rate_limit: { rate: 1000, per: 60 },
  });
  const ordersProduct = await ok<{ id: string }>('POST', '/portal/products', {
    account_id: accountId,
    name: 'Orders',
    description: 'Read and place orders.',
    api_ids: [orders.id],
    policy_id: policy.id,
    approval_mode: 'manual',
  });
  // Its own policy: a key of this product may call billing only.
  const billingPolicy = await ok<{ id: string }>('POST', `/accounts/${accountId}/gateway/policies`, {
    name: 'billing only',
    access_rights: [{ api_id: billing.id }],
  });
  const billingProduct = await ok<{ id: string }>('POST', '/portal/products', {
    account_id: accountId,
    name: 'Billing',
    description: 'Invoices.',
    api_ids: [billing.id],
    policy_id: billingPolicy.id,
    approval_mode: 'automatic',
  });
  const portalPort = server.running.portal?.address.port;
  assert.ok(portalPort !== undefined, 'the portal listens');
  return {
    server,
    upstream,
    accountId,
    zoneId,
    ownCa,
    policyId: policy.id,
    ordersApiId: orders.id,
    billingApiId: billing.id,
    ordersProductId: ordersProduct.id,
    billingProductId: billingProduct.id,
    portalPort,
    ok,
    callApi: (path, client) =>
      request({
        port: server.gatewayPort,
        ca: edgeCaPem(server),
        servername: HOST,
        path,
        headers: { host: HOST },
        ...(client === undefined ? {} : { cert: client.certPem, key: client.keyPem }),
      }),
    async stop() {
      await server.stop();
      await upstream.close();
    },
  };
}

export interface PortalResponse<T = any> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: { success: boolean; errors: { code: number; message: string }[]; result: T };
  text: string;
}

/** A developer's browser, reduced to what matters: one cookie jar, the CSRF token, TLS to the portal. */
export class DeveloperClient {
  readonly #world: PortalWorld;
  cookie = '';
  csrf = '';

  constructor(world: PortalWorld) {
    this.#world = world;
  }

  async call<T = any>(
    method: string,
    path: string,
    body?: unknown,
    options: { csrf?: string | null; headers?: Record<string, string>; raw?: string } = {},
  ): Promise<PortalResponse<T>> {
    const payload = options.raw ?? (body === undefined ? undefined : JSON.stringify(body));
    const csrf = options.csrf === undefined ? this.csrf : options.csrf;
    const response = await new Promise<{ status: number; headers: PortalResponse['headers']; text: string }>(
      (resolve, reject) => {
        const req = https.request(
          {
            host: '127.0.0.1',
            port: this.#world.portalPort,
            servername: 'localhost',
            method,
            path,
            ca: edgeCaPem(this.#world.server),
            agent: false,
            headers: {
              host: `localhost:${this.#world.portalPort}`,
              ...(this.cookie === '' ? {} : { cookie: this.cookie }),
              ...(csrf === null || csrf === '' ? {} : { 'x-csrf-token': csrf }),
              ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
              ...options.headers,
            },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.on('end', () =>
              resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString() }),
            );
            res.on('error', reject);
          },
        );
        req.on('error', reject);
        req.end(payload);
      },
    );
    const setCookie = response.headers['set-cookie'];
    for (const line of setCookie ?? []) {
      const [pair = ''] = line.split(';');
      if (pair.startsWith('portcullis_portal_session=')) this.cookie = pair.endsWith('=') ? '' : pair;
    }
    let parsed: PortalResponse['body'];
    try {
      parsed = JSON.parse(response.text) as PortalResponse['body'];
    } catch {
      parsed = { success: false, errors: [], result: undefined };
    }
    if (parsed.success && typeof (parsed.result as { csrf_token?: unknown } | undefined)?.csrf_token === 'string') {
      this.csrf = (parsed.result as { csrf_token: string }).csrf_token;
    }
    return {
      status: response.status,
      headers: response.headers,
      body: parsed,
      text: response.text,
    };
  }

  async ok<T = any>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.call<T>(method, path, body);
    assert.equal(response.status, 200, `${method} ${path}: ${response.text}`);
    return response.body.result;
  }
}

/** A developer signed up with an invitation the operator made, signed in. */
export async function invitedDeveloper(world: PortalWorld, email: string): Promise<DeveloperClient> {
  const invitation = await world.ok<{ secret: string; url: string }>('POST', '/portal/invitations', { email });
  const developer = new DeveloperClient(world);
  await developer.ok('POST', '/api/signup', { email, password: PASSWORD, invitation: invitation.secret });
  return developer;
}

export function errorCodeOf(response: PortalResponse): number | undefined {
  return response.body.errors[0]?.code;
}
