/**
 * RouteService over a real SQLite store: what the admin API does not reach (replaceAll, the
 * declarative apply of the config file) and the conflict and not-found mapping. The API-level
 * behaviour on both databases is in test/admin-api/routes.test.ts.
 */
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GatewayError } from '../../errors/index.ts';
import { openStore } from '../../store/open-store.ts';
import type { Store } from '../../store/ports.ts';
import type { ZoneRecord } from '../../model/records.ts';
import type { Principal } from '../access-policy.ts';
import { RouteService } from './route-service.ts';
import { TenancyService } from '../tenancy/tenancy-service.ts';

const ADMIN: Principal = { id: 'a'.repeat(32), scope: { kind: 'global' }, permission: 'edit' };

/** Asserts a GatewayError with this code whose message matches. */
const gatewayError =
  (code: string, message: RegExp) =>
  (error: unknown): boolean => {
    assert.ok(error instanceof GatewayError, String(error));
    assert.equal(error.code, code, error.message);
    assert.match(error.message, message);
    return true;
  };

describe('RouteService', () => {
  let dir: string;
  let store: Store;
  let routes: RouteService;
  let zone: ZoneRecord;
  let clock: number;

  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'portcullis-routes-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  beforeEach(async () => {
    store = await openStore({ kind: 'sqlite', file: path.join(dir, `${Date.now()}-${Math.random()}.db`) });
    clock = Date.UTC(2025, 0, 1);
    const tenancy = new TenancyService(store);
    routes = new RouteService(store, tenancy, () => new Date((clock += 1000)));
    const account = await tenancy.createAccount(ADMIN, 'Acme');
    zone = await tenancy.createZone(ADMIN, { name: 'example.com', accountId: account.id });
  });
  afterEach(() => store.close());

  test('create, update (full replace, keeps id and createdOn), delete returns the record', async () => {
    const created = await routes.create(ADMIN, zone.id, {
      hostname: 'API.example.com',
      path_prefix: '/v1/',
      upstream: 'http://backend:8080/',
      strip_prefix: true,
      upstream_timeout_ms: 2_500,
      description: 'v1',
    });
    assert.deepEqual(
      { ...created, id: undefined },
      {
        id: undefined,
        zoneId: zone.id,
        hostname: 'api.example.com',
        pathPrefix: '/v1',
        upstreamUrl: 'http://backend:8080',
        stripPrefix: true,
        upstreamTimeoutMs: 2_500,
        description: 'v1',
        createdOn: '2025-01-01T00:00:01.000000Z',
        modifiedOn: '2025-01-01T00:00:01.000000Z',
      },
    );
    const updated = await routes.update(ADMIN, zone.id, created.id, {
      hostname: 'api.example.com',
      upstream: 'h2c://grpc:50051',
    });
    assert.deepEqual(updated, {
      ...created,
      pathPrefix: '/',
      upstreamUrl: 'h2c://grpc:50051',
      stripPrefix: false,
      upstreamTimeoutMs: null,
      description: '',
      modifiedOn: '2025-01-01T00:00:02.000000Z',
    });
    assert.deepEqual(await routes.get(ADMIN, zone.id, created.id), updated);
    assert.deepEqual(await routes.delete(ADMIN, zone.id, created.id), updated);
    await assert.rejects(
      routes.get(ADMIN, zone.id, created.id),
      gatewayError('GW_ERR_API_OBJECT_NOT_FOUND', /gateway\/routes/),
    );
    await assert.rejects(
      routes.update(ADMIN, zone.id, created.id, { hostname: 'example.com', upstream: 'http://b' }),
      gatewayError('GW_ERR_API_OBJECT_NOT_FOUND', /gateway\/routes/),
    );
  });

  test('a taken (hostname, prefix) is a conflict naming it, on create and on update', async () => {
    await routes.create(ADMIN, zone.id, { hostname: 'a.example.com', path_prefix: '/x', upstream: 'http://b' });
    const other = await routes.create(ADMIN, zone.id, { hostname: 'a.example.com', upstream: 'http://b' });
    const taken = gatewayError('GW_ERR_API_CONFLICT', /a route for a\.example\.com\/x already exists/);
    await assert.rejects(
      routes.create(ADMIN, zone.id, { hostname: 'a.example.com', path_prefix: '/x/', upstream: 'http://c' }),
      taken,
    );
    await assert.rejects(
      routes.update(ADMIN, zone.id, other.id, { hostname: 'a.example.com', path_prefix: '/x', upstream: 'http://c' }),
      taken,
    );
    assert.equal((await routes.get(ADMIN, zone.id, other.id)).pathPrefix, '/', 'the refused update changed nothing');
  });

  describe('replaceAll', () => {
    const list = [
      { hostname: 'api.example.com', path_prefix: '/v1', upstream: 'http://v1:8080' },
      { hostname: 'api.example.com', upstream: 'http://root:8080' },
      { hostname: '*.example.com', upstream: 'https://fallback', description: 'everything else' },
    ];

    test('makes the routes exactly the list; applying it again changes nothing', async () => {
      const gone = await routes.create(ADMIN, zone.id, { hostname: 'old.example.com', upstream: 'http://old' });
      const first = await routes.replaceAll(ADMIN, zone.id, list);
      assert.deepEqual(
        first.map((r) => `${r.hostname}${r.pathPrefix} ${r.upstreamUrl}`),
        ['*.example.com/ https://fallback', 'api.example.com/v1 http://v1:8080', 'api.example.com/ http://root:8080'],
      );
      assert.ok(!first.some((r) => r.id === gone.id));
      assert.deepEqual(await routes.replaceAll(ADMIN, zone.id, list), first, 'ids and times kept');
      assert.deepEqual(await routes.list(ADMIN, zone.id), first);
    });

    test('a kept (hostname, prefix) keeps its id and createdOn; a changed one gets a new modifiedOn', async () => {
      const [, v1, root] = await routes.replaceAll(ADMIN, zone.id, list);
      const changed = await routes.replaceAll(ADMIN, zone.id, [
        { ...list[0]!, upstream: 'http://v1-new:8080' },
        list[1]!,
        { hostname: 'new.example.com', upstream: 'http://new' },
      ]);
      const byKey = new Map(changed.map((r) => [`${r.hostname}${r.pathPrefix}`, r]));
      assert.equal(byKey.size, 3);
      assert.deepEqual(byKey.get('api.example.com/'), root, 'unchanged: identical');
      const newV1 = byKey.get('api.example.com/v1');
      assert.equal(newV1?.id, v1?.id);
      assert.equal(newV1?.createdOn, v1?.createdOn);
      assert.notEqual(newV1?.modifiedOn, v1?.modifiedOn);
      assert.equal(newV1?.upstreamUrl, 'http://v1-new:8080');
      assert.ok(!byKey.has('*.example.com/'), 'the route left out is deleted');
    });

    test('validates everything first: one bad route or a duplicate pair changes nothing', async () => {
      const before = await routes.replaceAll(ADMIN, zone.id, list);
      await assert.rejects(
        routes.replaceAll(ADMIN, zone.id, [list[0]!, { hostname: 'api.example.org', upstream: 'http://b' }]),
        gatewayError('GW_ERR_HOSTNAME_NOT_IN_ZONE', /^routes\[1\]: Hostname does not belong/),
      );
      await assert.rejects(
        routes.replaceAll(ADMIN, zone.id, [list[0]!, { ...list[1]!, path_prefix: 'bad' }]),
        gatewayError('GW_ERR_API_VALIDATION', /^routes\[1\]: Invalid request: path_prefix/),
      );
      await assert.rejects(
        routes.replaceAll(ADMIN, zone.id, [
          ...list,
          { hostname: 'API.example.com', path_prefix: '/v1/', upstream: 'http://x' },
        ]),
        gatewayError('GW_ERR_API_VALIDATION', /routes\[0\] and routes\[3\] are both for api\.example\.com\/v1/),
      );
      assert.deepEqual(await routes.list(ADMIN, zone.id), before);
    });

    test("a pair taken by another zone's route is a conflict, and the swap is rolled back", async () => {
      const tenancy = new TenancyService(store);
      const nested = await tenancy.createZone(ADMIN, { name: 'eu.example.com', accountId: zone.accountId });
      await routes.create(ADMIN, nested.id, { hostname: 'api.eu.example.com', upstream: 'http://eu' });
      const before = await routes.replaceAll(ADMIN, zone.id, list);
      await assert.rejects(
        routes.replaceAll(ADMIN, zone.id, [{ hostname: 'api.eu.example.com', upstream: 'http://mine' }]),
        gatewayError('GW_ERR_API_CONFLICT', /a route for api\.eu\.example\.com\/ already exists/),
      );
      assert.deepEqual(await routes.list(ADMIN, zone.id), before);
    });

    test('[] removes every route of the zone', async () => {
      await routes.replaceAll(ADMIN, zone.id, list);
      assert.deepEqual(await routes.replaceAll(ADMIN, zone.id, []), []);
    });
  });

  test('a read-only principal cannot write', async () => {
    const reader: Principal = { ...ADMIN, permission: 'read' };
    await assert.rejects(
      routes.create(reader, zone.id, { hostname: 'example.com', upstream: 'http://b' }),
      gatewayError('GW_ERR_AUTH_FORBIDDEN', /edit zone/),
    );
    await assert.rejects(routes.replaceAll(reader, zone.id, []), gatewayError('GW_ERR_AUTH_FORBIDDEN', /edit zone/));
    assert.deepEqual(await routes.list(reader, zone.id), []);
  });
});
