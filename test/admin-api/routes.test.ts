/**
 * Gateway routes (`/zones/:zone_id/gateway/routes`) and managed request headers
 * (`/zones/:zone_id/managed_headers`, Cloudflare's Managed Transforms) over real HTTP against
 * `portcullis serve`, as one suite on SQLite and on a real PostgreSQL: CRUD and normal forms,
 * validation errors with their v4 codes, the global (hostname, prefix) uniqueness as 409, token
 * scopes, the OpenAPI document, and the official `cloudflare` SDK's managedTransforms methods.
 * Field rules: src/control/routes/route-input.ts; cloudflare-compatibility.md §1, §8.1, §9.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Cloudflare, { BadRequestError, PermissionDeniedError } from 'cloudflare';
import { createTenant, createToken, startAdminServer, type AdminServer } from '../helpers/admin-server.ts';
import { describeOnBothStores } from '../helpers/both-stores.ts';
import { ok, fails } from '../helpers/v4-assertions.ts';

interface Route {
  id: string;
  hostname: string;
  path_prefix: string;
  upstream: string;
  strip_prefix: boolean;
  upstream_timeout_ms: number | null;
  description: string;
  created_on: string;
  modified_on: string;
}

interface Transform {
  id: string;
  enabled: boolean;
  has_conflict: boolean;
}

interface ManagedHeaders {
  managed_request_headers: Transform[];
  managed_response_headers: Transform[];
}

interface Tenant {
  accountId: string;
  zoneId: string;
  zone: string;
}

const HEX_ID = /^[0-9a-f]{32}$/;
const MICROS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;
const CODE = {
  forbidden: 10000,
  notFound: 7003,
  validation: 12101,
  hostnameNotInZone: 12114,
  conflict: 12117,
} as const;
const CF = 'add_client_certificate_headers';
const XFCC = 'add_forwarded_client_cert_header';
const RFC9440 = 'add_rfc9440_client_cert_headers';

/** The managed headers list with these transforms on (the others off), as the API shows it. */
function transforms(...enabled: string[]): ManagedHeaders {
  return {
    managed_request_headers: [CF, XFCC, RFC9440].map((id) => ({
      id,
      enabled: enabled.includes(id),
      has_conflict: false,
    })),
    managed_response_headers: [],
  };
}

function defineSuite(storeUrl: () => Promise<string | undefined>): void {
  let server: AdminServer;

  before(async () => {
    const url = await storeUrl();
    server = await startAdminServer(url === undefined ? undefined : { kind: 'postgres', url });
  });
  after(async () => {
    await server.stop();
  });

  const tenant = async (zone: string): Promise<Tenant> => ({ ...(await createTenant(server, zone)), zone });
  const routesOf = (t: Tenant): string => `/zones/${t.zoneId}/gateway/routes`;
  const headersOf = (t: Tenant): string => `/zones/${t.zoneId}/managed_headers`;
  const createRoute = async (t: Tenant, body: object, token?: string): Promise<Route> =>
    ok(await server.call<Route>('POST', routesOf(t), body, token));

  /** DELETE of managed_headers answers 204 without a body, which server.call cannot parse. */
  async function deleteHeaders(t: Tenant, token = server.adminToken): Promise<Response> {
    return fetch(server.baseUrl + headersOf(t), { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
  }

  // -------------------------------------------------------------------------------------------
  describe('gateway routes: create, list, get, replace, delete', () => {
    let t: Tenant;
    before(async () => {
      t = await tenant('routes.example.com');
    });

    test('create with defaults: prefix "/", no stripping, empty description, normalised fields', async () => {
      const created = await createRoute(t, { hostname: 'API.Routes.Example.com.', upstream: 'HTTP://Backend:8080/' });
      assert.match(created.id, HEX_ID);
      assert.match(created.created_on, MICROS);
      assert.deepEqual(created, {
        id: created.id,
        hostname: 'api.routes.example.com',
        path_prefix: '/',
        upstream: 'http://backend:8080',
        strip_prefix: false,
        upstream_timeout_ms: null,
        description: '',
        created_on: created.created_on,
        modified_on: created.created_on,
      });
      assert.deepEqual(ok(await server.call<Route>('GET', `${routesOf(t)}/${created.id}`)), created);
    });

    test('list: every route of the zone, hostname then longest prefix first, one page', async () => {
      const v1 = await createRoute(t, {
        hostname: 'api.routes.example.com',
        path_prefix: '/v1/',
        upstream: 'h2c://grpc:50051',
        strip_prefix: true,
        description: 'gRPC v1',
      });
      assert.equal(v1.path_prefix, '/v1', 'trailing slash dropped');
      const wildcard = await createRoute(t, { hostname: '*.routes.example.com', upstream: 'https://fallback/base/' });
      assert.equal(wildcard.upstream, 'https://fallback/base');
      const listed = await server.call<Route[]>('GET', routesOf(t));
      assert.deepEqual(
        ok(listed).map((route) => `${route.hostname}${route.path_prefix}`),
        ['*.routes.example.com/', 'api.routes.example.com/v1', 'api.routes.example.com/'],
      );
      assert.deepEqual(listed.body.result_info, { page: 1, per_page: 3, count: 3, total_count: 3, total_pages: 1 });
    });

    test('PUT replaces every field (omitted ones take defaults), keeps id and created_on', async () => {
      const route = await createRoute(t, {
        hostname: 'put.routes.example.com',
        path_prefix: '/a',
        upstream: 'http://a',
        strip_prefix: true,
        upstream_timeout_ms: 2_000,
        description: 'before',
      });
      assert.equal(route.upstream_timeout_ms, 2_000);
      const replaced = ok(
        await server.call<Route>('PUT', `${routesOf(t)}/${route.id}`, {
          hostname: 'put.routes.example.com',
          upstream: 'https://b:8443',
        }),
      );
      assert.deepEqual(
        { ...replaced, modified_on: undefined },
        {
          id: route.id,
          hostname: 'put.routes.example.com',
          path_prefix: '/',
          upstream: 'https://b:8443',
          strip_prefix: false,
          upstream_timeout_ms: null,
          description: '',
          created_on: route.created_on,
          modified_on: undefined,
        },
      );
      assert.ok(replaced.modified_on >= route.modified_on);
      assert.deepEqual(ok(await server.call<Route>('GET', `${routesOf(t)}/${route.id}`)), replaced);
    });

    test('DELETE answers { id }; the route is gone (404 after)', async () => {
      const route = await createRoute(t, { hostname: 'gone.routes.example.com', upstream: 'http://gone' });
      assert.deepEqual(ok(await server.call('DELETE', `${routesOf(t)}/${route.id}`)), { id: route.id });
      const path = `${routesOf(t)}/${route.id}`;
      fails(await server.call('GET', path), 404, CODE.notFound);
      fails(await server.call('DELETE', path), 404, CODE.notFound);
      fails(await server.call('PUT', path, { hostname: t.zone, upstream: 'http://x' }), 404, CODE.notFound);
      assert.ok(!ok(await server.call<Route[]>('GET', routesOf(t))).some((r) => r.id === route.id));
    });

    test('an unknown zone → 404; a malformed route id → 400', async () => {
      fails(await server.call('GET', `/zones/${'0'.repeat(32)}/gateway/routes`), 404, CODE.notFound);
      fails(await server.call('GET', `${routesOf(t)}/not-an-id`), 400, CODE.validation);
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('gateway routes: validation and conflicts', () => {
    let t: Tenant;
    before(async () => {
      t = await tenant('checks.example.com');
    });

    const refused = async (body: object, status: number, code: number): Promise<string> =>
      fails(await server.call('POST', routesOf(t), body), status, code);

    test(`a hostname outside the zone → 400 / ${CODE.hostnameNotInZone}`, async () => {
      for (const hostname of ['api.example.org', 'checks.example.com.evil.test', '*.example.com']) {
        const message = await refused({ hostname, upstream: 'http://b' }, 400, CODE.hostnameNotInZone);
        assert.match(message, /does not belong to this zone/);
      }
    });

    test(`a bad upstream → 400 / ${CODE.validation} with the reason`, async () => {
      const cases: [string, RegExp][] = [
        ['backend:8080', /upstream scheme must be http, https or h2c/],
        ['not a url', /upstream must be a URL/],
        ['ftp://files', /upstream scheme must be http, https or h2c/],
        ['http://user:secret@backend', /without credentials, query or fragment/],
        ['http://backend/?debug=1', /without credentials, query or fragment/],
      ];
      for (const [upstream, reason] of cases) {
        assert.match(await refused({ hostname: t.zone, upstream }, 400, CODE.validation), reason, upstream);
      }
    });

    test(`a bad path prefix → 400 / ${CODE.validation} with the reason`, async () => {
      const cases: [string, RegExp][] = [
        ['api', /must start with "\/"/],
        ['/api?x=1', /must not contain "\?" or "#"/],
        ['/a b', /RFC 3986 path characters/],
        ['/api//v1', /must not contain "\/\/"/],
        ['/api/../admin', /"\." or "\.\." segments/],
        ['/%2e%2e/admin', /"\." or "\.\." segments/],
        ['/api%2Fadmin', /encoded "\/"/],
        [`/${'a'.repeat(1024)}`, /path_prefix must NOT have more than 1024 characters/],
      ];
      for (const [path_prefix, reason] of cases) {
        const message = await refused({ hostname: t.zone, path_prefix, upstream: 'http://b' }, 400, CODE.validation);
        assert.match(message, reason, path_prefix);
      }
    });

    test(`missing or mistyped fields → 400 / ${CODE.validation}`, async () => {
      await refused({ hostname: t.zone }, 400, CODE.validation);
      await refused({ upstream: 'http://b' }, 400, CODE.validation);
      await refused({ hostname: t.zone, upstream: 'http://b', strip_prefix: 'maybe' }, 400, CODE.validation);
      await refused({ hostname: t.zone, upstream: 'http://b', description: 'x'.repeat(501) }, 400, CODE.validation);
      assert.deepEqual(ok(await server.call<Route[]>('GET', routesOf(t))), [], 'nothing was created');
    });

    test(`the same (hostname, prefix) twice → 409 / ${CODE.conflict}, not retried by the SDK`, async () => {
      await createRoute(t, { hostname: `api.${t.zone}`, path_prefix: '/v1', upstream: 'http://one' });
      const duplicate = await server.call('POST', routesOf(t), {
        hostname: `API.${t.zone}`,
        path_prefix: '/v1/',
        upstream: 'http://two',
      });
      assert.equal(fails(duplicate, 409, CODE.conflict), `Conflict: a route for api.${t.zone}/v1 already exists`);
      assert.equal(duplicate.headers.get('x-should-retry'), 'false');

      const other = await createRoute(t, { hostname: `api.${t.zone}`, path_prefix: '/v2', upstream: 'http://two' });
      const moved = await server.call('PUT', `${routesOf(t)}/${other.id}`, {
        hostname: `api.${t.zone}`,
        path_prefix: '/v1',
        upstream: 'http://two',
      });
      fails(moved, 409, CODE.conflict);
      assert.equal(ok(await server.call<Route>('GET', `${routesOf(t)}/${other.id}`)).path_prefix, '/v2');
    });

    test('the pair is unique across zones: a nested zone cannot take a route of its parent', async () => {
      await createRoute(t, { hostname: `api.eu.${t.zone}`, upstream: 'http://parent' });
      // A zone of another account inside this one exists only by the operator's delegation (ADR 0007).
      const account = ok(await server.call<{ id: string }>('POST', '/accounts', { name: 'nested' }));
      const zone = `eu.${t.zone}`;
      const created = await server.call<{ id: string }>('POST', '/zones', {
        name: zone,
        account: { id: account.id },
        delegated: true,
      });
      const nested: Tenant = { accountId: account.id, zoneId: ok(created).id, zone };
      fails(
        await server.call('POST', routesOf(nested), { hostname: `api.eu.${t.zone}`, upstream: 'http://child' }),
        409,
        CODE.conflict,
      );
      assert.deepEqual(ok(await server.call<Route[]>('GET', routesOf(nested))), []);
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('token scopes', () => {
    let a: Tenant;
    let b: Tenant;
    let aRoute: Route;
    let tokenB: string;

    before(async () => {
      a = await tenant('alpha-routes.example.com');
      b = await tenant('bravo-routes.example.com');
      aRoute = await createRoute(a, { hostname: a.zone, upstream: 'http://alpha' });
      tokenB = await createToken(server, 'edit', { zone_id: b.zoneId });
    });

    /** Everything of A, read with the admin token. */
    const snapshotOfA = async (): Promise<unknown> => ({
      routes: ok(await server.call('GET', routesOf(a))),
      headers: ok(await server.call('GET', headersOf(a))),
    });

    test(`a zone-scoped token of zone B gets 403 / ${CODE.forbidden} on A's routes and headers; A unchanged`, async () => {
      const before = await snapshotOfA();
      const attempts: [string, string, unknown?][] = [
        ['GET', routesOf(a)],
        ['POST', routesOf(a), { hostname: `x.${a.zone}`, upstream: 'http://intruder' }],
        ['GET', `${routesOf(a)}/${aRoute.id}`],
        ['PUT', `${routesOf(a)}/${aRoute.id}`, { hostname: a.zone, upstream: 'http://intruder' }],
        ['DELETE', `${routesOf(a)}/${aRoute.id}`],
        ['GET', headersOf(a)],
        ['PATCH', headersOf(a), { managed_request_headers: [{ id: XFCC, enabled: false }] }],
      ];
      for (const [method, route, body] of attempts) {
        fails(await server.call(method, route, body, tokenB), 403, CODE.forbidden);
      }
      assert.equal((await deleteHeaders(a, tokenB)).status, 403);
      assert.deepEqual(await snapshotOfA(), before);
    });

    test("A's route cannot be reached through B's own path (404), and B's list does not show it", async () => {
      const path = `${routesOf(b)}/${aRoute.id}`;
      fails(await server.call('GET', path, undefined, tokenB), 404, CODE.notFound);
      fails(await server.call('PUT', path, { hostname: b.zone, upstream: 'http://x' }, tokenB), 404, CODE.notFound);
      fails(await server.call('DELETE', path, undefined, tokenB), 404, CODE.notFound);
      assert.deepEqual(ok(await server.call('GET', routesOf(b), undefined, tokenB)), []);
      const own = await createRoute(b, { hostname: b.zone, upstream: 'http://bravo' }, tokenB);
      assert.deepEqual(ok(await server.call<Route[]>('GET', routesOf(b), undefined, tokenB)), [own]);
    });

    test('a read token of the zone reads but cannot write (403)', async () => {
      const readA = await createToken(server, 'read', { zone_id: a.zoneId });
      const before = await snapshotOfA();
      assert.deepEqual(ok(await server.call('GET', routesOf(a), undefined, readA)), [aRoute]);
      ok(await server.call('GET', headersOf(a), undefined, readA));
      const writes: [string, string, unknown?][] = [
        ['POST', routesOf(a), { hostname: `x.${a.zone}`, upstream: 'http://x' }],
        ['PUT', `${routesOf(a)}/${aRoute.id}`, { hostname: a.zone, upstream: 'http://x' }],
        ['DELETE', `${routesOf(a)}/${aRoute.id}`],
        ['PATCH', headersOf(a), { managed_request_headers: [] }],
      ];
      for (const [method, route, body] of writes)
        fails(await server.call(method, route, body, readA), 403, CODE.forbidden);
      assert.equal((await deleteHeaders(a, readA)).status, 403);
      assert.deepEqual(await snapshotOfA(), before);
    });

    test('no token → 401', async () => {
      assert.equal((await server.call('GET', routesOf(a), undefined, null)).status, 401);
      assert.equal((await server.call('GET', headersOf(a), undefined, null)).status, 401);
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('managed_headers', () => {
    let t: Tenant;
    before(async () => {
      t = await tenant('headers.example.com');
    });

    test('never set: only add_forwarded_client_cert_header is on', async () => {
      assert.deepEqual(ok(await server.call('GET', headersOf(t))), transforms(XFCC));
    });

    test('PATCH merges: listed transforms change, the others keep their state; GET agrees', async () => {
      const edited = await server.call('PATCH', headersOf(t), {
        managed_request_headers: [
          { id: RFC9440, enabled: true },
          { id: CF, enabled: true },
        ],
        managed_response_headers: [],
      });
      assert.deepEqual(ok(edited), transforms(CF, XFCC, RFC9440));
      const again = await server.call('PATCH', headersOf(t), {
        managed_request_headers: [{ id: XFCC, enabled: false }],
      });
      assert.deepEqual(ok(again), transforms(CF, RFC9440));
      assert.deepEqual(ok(await server.call('GET', headersOf(t))), transforms(CF, RFC9440));
      // What a GET returned can be sent back as is (Terraform does), has_conflict included.
      const roundTrip = ok(await server.call<ManagedHeaders>('GET', headersOf(t)));
      assert.deepEqual(ok(await server.call('PATCH', headersOf(t), roundTrip)), roundTrip);
    });

    test(`an unknown or repeated transform → 400 / ${CODE.validation} naming it; nothing changes`, async () => {
      const before = ok(await server.call('GET', headersOf(t)));
      const unknown = await server.call('PATCH', headersOf(t), {
        managed_request_headers: [
          { id: CF, enabled: false },
          { id: 'add_visitor_location_headers', enabled: true },
        ],
      });
      assert.match(fails(unknown, 400, CODE.validation), /"add_visitor_location_headers"/);
      const response = await server.call('PATCH', headersOf(t), {
        managed_response_headers: [{ id: 'remove_x-powered-by_header', enabled: true }],
      });
      assert.match(fails(response, 400, CODE.validation), /"remove_x-powered-by_header"/);
      const twice = await server.call('PATCH', headersOf(t), {
        managed_request_headers: [
          { id: CF, enabled: false },
          { id: CF, enabled: true },
        ],
      });
      assert.match(fails(twice, 400, CODE.validation), /listed twice/);
      fails(
        await server.call('PATCH', headersOf(t), { managed_request_headers: [{ id: CF, enabled: 'yes' }] }),
        400,
        CODE.validation,
      );
      assert.deepEqual(ok(await server.call('GET', headersOf(t))), before);
    });

    test('DELETE turns every transform off (Cloudflare: "Disables all") and answers 204', async () => {
      const response = await deleteHeaders(t);
      assert.equal(response.status, 204);
      assert.equal(await response.text(), '');
      assert.deepEqual(ok(await server.call('GET', headersOf(t))), transforms());
    });

    test('zones are independent', async () => {
      const other = await tenant('other-headers.example.com');
      ok(await server.call('PATCH', headersOf(other), { managed_request_headers: [{ id: CF, enabled: true }] }));
      assert.deepEqual(ok(await server.call('GET', headersOf(other))), transforms(CF, XFCC));
      assert.deepEqual(ok(await server.call('GET', headersOf(t))), transforms());
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('the cloudflare SDK: managedTransforms', () => {
    let t: Tenant;
    let client: Cloudflare;
    before(async () => {
      t = await tenant('sdk-headers.example.com');
      client = new Cloudflare({ baseURL: server.baseUrl, apiToken: server.adminToken, maxRetries: 0, timeout: 10_000 });
    });

    test('list, edit, delete with the SDK; its errors carry our codes', async () => {
      assert.deepEqual(await client.managedTransforms.list({ zone_id: t.zoneId }), transforms(XFCC));
      const edited = await client.managedTransforms.edit({
        zone_id: t.zoneId,
        managed_request_headers: [{ id: CF, enabled: true }],
        managed_response_headers: [],
      });
      assert.deepEqual(edited, transforms(CF, XFCC));
      assert.deepEqual(await client.managedTransforms.list({ zone_id: t.zoneId }), transforms(CF, XFCC));

      const refused = await client.managedTransforms
        .edit({ zone_id: t.zoneId, managed_request_headers: [{ id: 'add_true_client_ip_headers', enabled: true }] })
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      assert.ok(refused instanceof BadRequestError, String(refused));
      assert.equal(refused.errors[0]?.code, CODE.validation);

      const reader = new Cloudflare({
        baseURL: server.baseUrl,
        apiToken: await createToken(server, 'read', { zone_id: t.zoneId }),
        maxRetries: 0,
      });
      await assert.rejects(reader.managedTransforms.delete({ zone_id: t.zoneId }), PermissionDeniedError);

      await client.managedTransforms.delete({ zone_id: t.zoneId }); // 204: the SDK resolves null
      assert.deepEqual(await client.managedTransforms.list({ zone_id: t.zoneId }), transforms());
    });
  });

  test('the OpenAPI document describes both resources', async () => {
    const response = await fetch(`${server.baseUrl}/openapi.json`);
    const document = (await response.json()) as { paths: Record<string, Record<string, unknown>> };
    const routes = document.paths['/zones/{zone_id}/gateway/routes'];
    const route = document.paths['/zones/{zone_id}/gateway/routes/{route_id}'];
    const headers = document.paths['/zones/{zone_id}/managed_headers'];
    assert.deepEqual(Object.keys(routes ?? {}).sort(), ['get', 'post']);
    assert.deepEqual(Object.keys(route ?? {}).sort(), ['delete', 'get', 'put']);
    assert.deepEqual(Object.keys(headers ?? {}).sort(), ['delete', 'get', 'patch']);
    assert.match(JSON.stringify(routes?.post), /path_prefix/);
  });
}

describeOnBothStores('gateway routes and managed headers API', 'routes', defineSuite);
