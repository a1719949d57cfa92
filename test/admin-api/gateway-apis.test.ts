/**
 * Gateway APIs (`/zones/:zone_id/gateway/apis`, Tyk's API definitions) over real HTTP against
 * `portcullis serve`, as one suite on SQLite and on a real PostgreSQL: CRUD (PUT replaces, PATCH
 * merges), normal forms, every validation error with its v4 code, allowlists resolved against the
 * account's certificates (a CA refused), grpc over http:// refused, the (hostname, path) pair
 * unique across APIs and routes both ways, token scopes, and the OpenAPI document.
 * Field rules: src/control/apis/api-definition-input.ts.
 */
import 'reflect-metadata';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { createTenant, createToken, startAdminServer, type AdminServer } from '../helpers/admin-server.ts';
import { createCa, type CaHandle } from '../helpers/pki.ts';
import { describeOnBothStores } from '../helpers/both-stores.ts';
import { ok, fails } from '../helpers/v4-assertions.ts';

interface Api {
  id: string;
  name: string;
  hostname: string;
  listen_path: string;
  upstream_url: string;
  strip_listen_path: boolean;
  upstream_timeout_ms: number | null;
  protocol: string;
  active: boolean;
  auth: {
    mode: string;
    token_required: boolean;
    allowed_certificates: { mtls_certificate_id?: string; client_certificate_id?: string; sha256?: string }[];
  };
  rate_limit: { rate: number; per: number } | null;
  created_on: string;
  modified_on: string;
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
  certInvalid: 12110,
  hostnameNotInZone: 12114,
  conflict: 12117,
} as const;
const SHA = 'ab'.repeat(32);

/** A PEM CSR for a fresh P-256 key. */
async function csrPem(commonName: string): Promise<string> {
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: `CN=${commonName}`,
    keys: keys as Parameters<typeof x509.Pkcs10CertificateRequestGenerator.create>[0]['keys'],
    signingAlgorithm: algorithm,
  });
  return csr.toString('pem');
}

function defineSuite(storeUrl: () => Promise<string | undefined>): void {
  let server: AdminServer;
  let root: CaHandle;

  before(async () => {
    const url = await storeUrl();
    server = await startAdminServer(url === undefined ? undefined : { kind: 'postgres', url });
    root = await createCa('CN=APIs Test Root');
  });
  after(async () => {
    await server.stop();
  });

  const tenant = async (zone: string): Promise<Tenant> => ({ ...(await createTenant(server, zone)), zone });
  const apisOf = (t: Tenant): string => `/zones/${t.zoneId}/gateway/apis`;
  const createApi = async (t: Tenant, body: object, token?: string): Promise<Api> =>
    ok(await server.call<Api>('POST', apisOf(t), body, token));
  const keyless = (t: Tenant, extra: object = {}): object => ({
    name: 'Orders',
    hostname: `api.${t.zone}`,
    upstream_url: 'http://orders:8080',
    auth: { mode: 'keyless' },
    ...extra,
  });
  /** Uploads the test root as a CA and a leaf it issued; returns both ids. */
  const uploadCertificates = async (t: Tenant): Promise<{ caId: string; leafId: string }> => {
    const mtls = `/accounts/${t.accountId}/mtls_certificates`;
    const ca = ok(await server.call<{ id: string }>('POST', mtls, { ca: true, certificates: root.certPem }));
    const issued = await root.issue({ subject: 'CN=allowlisted leaf' });
    const leaf = ok(
      await server.call<{ id: string }>('POST', mtls, {
        ca: false,
        certificates: issued.certPem,
        private_key: issued.keyPem,
      }),
    );
    return { caId: ca.id, leafId: leaf.id };
  };
  const issueClientCertificate = async (t: Tenant): Promise<string> => {
    const issued = await server.call<{ id: string }>('POST', `/zones/${t.zoneId}/client_certificates`, {
      csr: await csrPem('device-1'),
      validity_days: 30,
    });
    return ok(issued).id;
  };

  // -------------------------------------------------------------------------------------------
  describe('CRUD', () => {
    let t: Tenant;
    before(async () => {
      t = await tenant('apis.example.com');
    });

    test('create with defaults and normal forms; GET returns the same', async () => {
      const created = await createApi(t, {
        name: ' Orders ',
        hostname: 'API.Apis.Example.com.',
        upstream_url: 'HTTP://Orders:8080/',
        auth: { mode: 'keyless' },
      });
      assert.match(created.id, HEX_ID);
      assert.match(created.created_on, MICROS);
      assert.deepEqual(created, {
        id: created.id,
        name: 'Orders',
        hostname: 'api.apis.example.com',
        listen_path: '/',
        upstream_url: 'http://orders:8080',
        strip_listen_path: false,
        upstream_timeout_ms: null,
        protocol: 'http',
        active: true,
        auth: { mode: 'keyless', token_required: false, allowed_certificates: [] },
        rate_limit: null,
        created_on: created.created_on,
        modified_on: created.created_on,
      });
      assert.deepEqual(ok(await server.call<Api>('GET', `${apisOf(t)}/${created.id}`)), created);
    });

    test('list: hostname then longest listen path first, one page', async () => {
      await createApi(t, keyless(t, { listen_path: '/v1/', protocol: 'grpc', upstream_url: 'h2c://grpc:50051' }));
      await createApi(t, keyless(t, { hostname: `*.${t.zone}`, upstream_url: 'https://fallback/' }));
      const listed = await server.call<Api[]>('GET', apisOf(t));
      assert.deepEqual(
        ok(listed).map((api) => `${api.hostname}${api.listen_path}`),
        [`*.${t.zone}/`, `api.${t.zone}/v1`, `api.${t.zone}/`],
      );
      assert.equal(listed.body.result_info?.total_count, 3);
    });

    test('PUT replaces every field (omitted ones take defaults), keeps id and created_on', async () => {
      const api = await createApi(
        t,
        keyless(t, {
          hostname: `put.${t.zone}`,
          listen_path: '/a',
          strip_listen_path: true,
          upstream_timeout_ms: 2_000,
          active: false,
          rate_limit: { rate: 5, per: 1 },
        }),
      );
      const replaced = ok(
        await server.call<Api>('PUT', `${apisOf(t)}/${api.id}`, {
          name: 'Replaced',
          hostname: `put.${t.zone}`,
          upstream_url: 'https://b:8443',
          auth: { mode: 'token' },
        }),
      );
      assert.deepEqual(
        { ...replaced, modified_on: undefined },
        {
          id: api.id,
          name: 'Replaced',
          hostname: `put.${t.zone}`,
          listen_path: '/',
          upstream_url: 'https://b:8443',
          strip_listen_path: false,
          upstream_timeout_ms: null,
          protocol: 'http',
          active: true,
          auth: { mode: 'token', token_required: false, allowed_certificates: [] },
          rate_limit: null,
          created_on: api.created_on,
          modified_on: undefined,
        },
      );
      assert.deepEqual(ok(await server.call<Api>('GET', `${apisOf(t)}/${api.id}`)), replaced);
    });

    test('PATCH changes only what is given (auth and rate_limit as a whole); the result is checked again', async () => {
      const api = await createApi(t, keyless(t, { hostname: `patch.${t.zone}`, rate_limit: { rate: 5, per: 1 } }));
      const renamed = ok(await server.call<Api>('PATCH', `${apisOf(t)}/${api.id}`, { name: 'Renamed' }));
      assert.deepEqual({ ...renamed, modified_on: api.modified_on }, { ...api, name: 'Renamed' });
      const cleared = ok(
        await server.call<Api>('PATCH', `${apisOf(t)}/${api.id}`, {
          rate_limit: null,
          auth: { mode: 'mtls_static', allowed_certificates: [{ sha256: SHA.toUpperCase() }] },
        }),
      );
      assert.equal(cleared.rate_limit, null);
      assert.deepEqual(cleared.auth, {
        mode: 'mtls_static',
        token_required: false,
        allowed_certificates: [{ sha256: SHA }],
      });
      assert.equal(cleared.name, 'Renamed');
      // The merged result must be valid as a whole: grpc with the stored http:// upstream is not.
      const grpc = await server.call('PATCH', `${apisOf(t)}/${api.id}`, { protocol: 'grpc' });
      assert.match(fails(grpc, 400, CODE.validation), /h2c:\/\/ or https:\/\//);
      ok(await server.call('PATCH', `${apisOf(t)}/${api.id}`, { protocol: 'grpc', upstream_url: 'h2c://g:1' }));
    });

    test('DELETE answers { id }; then 404 on every verb', async () => {
      const api = await createApi(t, keyless(t, { hostname: `gone.${t.zone}` }));
      const path = `${apisOf(t)}/${api.id}`;
      assert.deepEqual(ok(await server.call('DELETE', path)), { id: api.id });
      fails(await server.call('GET', path), 404, CODE.notFound);
      fails(await server.call('DELETE', path), 404, CODE.notFound);
      fails(await server.call('PATCH', path, { name: 'x' }), 404, CODE.notFound);
      fails(await server.call('PUT', path, keyless(t)), 404, CODE.notFound);
    });

    test('an unknown zone → 404; a malformed id → 400', async () => {
      fails(await server.call('GET', `/zones/${'0'.repeat(32)}/gateway/apis`), 404, CODE.notFound);
      fails(await server.call('GET', `${apisOf(t)}/not-an-id`), 400, CODE.validation);
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('validation', () => {
    let t: Tenant;
    before(async () => {
      t = await tenant('checks-apis.example.com');
    });
    const refused = async (body: object, status: number, code: number): Promise<string> =>
      fails(await server.call('POST', apisOf(t), body), status, code);

    test(`a hostname outside the zone → 400 / ${CODE.hostnameNotInZone}`, async () => {
      await refused(keyless(t, { hostname: 'api.example.org' }), 400, CODE.hostnameNotInZone);
    });

    test(`bad fields → 400 / ${CODE.validation} with the reason`, async () => {
      const cases: [object, RegExp][] = [
        [{ name: '' }, /name/],
        [{ name: 'x'.repeat(256) }, /name/],
        [{ listen_path: 'v1' }, /listen_path "v1" must start with "\/"/],
        [{ listen_path: '/a/../b' }, /listen_path .*"\.\." segments/],
        [{ upstream_url: 'ftp://x' }, /upstream_url scheme must be http, https or h2c/],
        [{ protocol: 'grpc' }, /protocol grpc needs an h2c:\/\/ or https:\/\/ upstream_url/],
        [{ protocol: 'soap' }, /protocol must be one of http, grpc/],
        [{ auth: { mode: 'basic' } }, /auth\.mode must be one of/],
        [{ auth: { mode: 'token', token_required: true } }, /token_required applies to mode mtls_static only/],
        [
          { auth: { mode: 'mtls_dynamic', allowed_certificates: [{ sha256: SHA }] } },
          /applies to mode mtls_static only/,
        ],
        [{ auth: { mode: 'mtls_static' } }, /needs at least one entry/],
        [{ auth: { mode: 'mtls_static', allowed_certificates: [{}] } }, /exactly one of/],
        [{ auth: { mode: 'mtls_static', allowed_certificates: [{ sha256: 'abc' }] } }, /SHA-256 fingerprint/],
        [{ auth: { mode: 'mtls_static', allowed_certificates: [{ mtls_certificate_id: 'x' }] } }, /a UUID/],
        [{ rate_limit: { rate: 0, per: 1 } }, /rate_limit\.rate/],
        [{ rate_limit: { rate: 1, per: 86401 } }, /rate_limit\.per/],
        [{ auth: undefined }, /auth/],
      ];
      for (const [override, reason] of cases) {
        assert.match(await refused(keyless(t, override), 400, CODE.validation), reason, JSON.stringify(override));
      }
      const many = Array.from({ length: 1001 }, (_, i) => ({ sha256: i.toString(16).padStart(64, '0') }));
      await refused(keyless(t, { auth: { mode: 'mtls_static', allowed_certificates: many } }), 400, CODE.validation);
      assert.deepEqual(ok(await server.call<Api[]>('GET', apisOf(t))), [], 'nothing was created');
    });

    test('grpc over http:// is refused; over h2c:// and https:// accepted', async () => {
      const message = await refused(
        keyless(t, { hostname: `grpc.${t.zone}`, protocol: 'grpc', upstream_url: 'http://grpc:50051' }),
        400,
        CODE.validation,
      );
      assert.match(message, /gRPC runs over HTTP\/2/);
      await createApi(t, keyless(t, { hostname: `grpc.${t.zone}`, protocol: 'grpc', upstream_url: 'h2c://g:1' }));
      await createApi(t, keyless(t, { hostname: `grpcs.${t.zone}`, protocol: 'grpc', upstream_url: 'https://g' }));
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('static mTLS allowlists', () => {
    let t: Tenant;
    let caId: string;
    let leafId: string;
    let clientCertificateId: string;
    before(async () => {
      t = await tenant('static-apis.example.com');
      ({ caId, leafId } = await uploadCertificates(t));
      clientCertificateId = await issueClientCertificate(t);
    });
    const staticApi = (host: string, allowed: object[], extra: object = {}): object =>
      keyless(t, {
        hostname: `${host}.${t.zone}`,
        auth: { mode: 'mtls_static', allowed_certificates: allowed, ...extra },
      });

    test('a leaf of the account, a client certificate of the zone and a fingerprint are accepted', async () => {
      const api = await createApi(
        t,
        staticApi(
          'ok',
          [{ mtls_certificate_id: leafId }, { client_certificate_id: clientCertificateId }, { sha256: SHA }],
          {
            token_required: true,
          },
        ),
      );
      assert.deepEqual(api.auth, {
        mode: 'mtls_static',
        token_required: true,
        allowed_certificates: [
          { mtls_certificate_id: leafId },
          { client_certificate_id: clientCertificateId },
          { sha256: SHA },
        ],
      });
    });

    test(`a CA on an allowlist → 400 / ${CODE.validation}: it would admit every leaf it signs`, async () => {
      const message = fails(
        await server.call('POST', apisOf(t), staticApi('ca', [{ mtls_certificate_id: caId }])),
        400,
        CODE.validation,
      );
      assert.match(message, new RegExp(`mTLS certificate ${caId} is a CA; an allowlist names leaf certificates`));
    });

    test(`unknown certificates, and certificates of another account or zone → 400 / ${CODE.validation}`, async () => {
      const other = await tenant('other-static.example.com');
      const { leafId: otherLeaf } = await uploadCertificates(other);
      const otherClient = await issueClientCertificate(other);
      const cases: [object, RegExp][] = [
        [{ mtls_certificate_id: '00000000-0000-4000-8000-000000000000' }, /does not exist in this account/],
        [{ mtls_certificate_id: otherLeaf }, /does not exist in this account/],
        [{ client_certificate_id: '00000000-0000-4000-8000-000000000000' }, /does not exist in this zone/],
        [{ client_certificate_id: otherClient }, /does not exist in this zone/],
      ];
      for (const [entry, reason] of cases) {
        const response = await server.call('POST', apisOf(t), staticApi('missing', [entry]));
        assert.match(fails(response, 400, CODE.validation), reason);
      }
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('(hostname, path) is unique across APIs and routes', () => {
    let t: Tenant;
    before(async () => {
      t = await tenant('pairs.example.com');
    });
    const routesOf = (x: Tenant): string => `/zones/${x.zoneId}/gateway/routes`;

    test(`two APIs at the same pair → 409 / ${CODE.conflict}, on create and on update`, async () => {
      await createApi(t, keyless(t, { listen_path: '/v1' }));
      const duplicate = await server.call(
        'POST',
        apisOf(t),
        keyless(t, { hostname: `API.${t.zone}`, listen_path: '/v1/' }),
      );
      assert.equal(fails(duplicate, 409, CODE.conflict), `Conflict: an API for api.${t.zone}/v1 already exists`);
      const other = await createApi(t, keyless(t, { listen_path: '/v2' }));
      fails(await server.call('PATCH', `${apisOf(t)}/${other.id}`, { listen_path: '/v1' }), 409, CODE.conflict);
      assert.equal(ok(await server.call<Api>('GET', `${apisOf(t)}/${other.id}`)).listen_path, '/v2');
    });

    test(`an API at a route's pair → 409 / ${CODE.conflict}, and a route at an API's pair too`, async () => {
      ok(
        await server.call('POST', routesOf(t), {
          hostname: `route.${t.zone}`,
          path_prefix: '/r',
          upstream: 'http://r',
        }),
      );
      const api = await server.call('POST', apisOf(t), keyless(t, { hostname: `route.${t.zone}`, listen_path: '/r' }));
      assert.match(fails(api, 409, CODE.conflict), /a route for route\.pairs\.example\.com\/r already exists/);

      await createApi(t, keyless(t, { hostname: `route.${t.zone}`, listen_path: '/api' }));
      const route = await server.call('POST', routesOf(t), {
        hostname: `route.${t.zone}`,
        path_prefix: '/api/',
        upstream: 'http://r',
      });
      assert.match(fails(route, 409, CODE.conflict), /an API for route\.pairs\.example\.com\/api already exists/);
      const moved = ok(
        await server.call<{ id: string }>('POST', routesOf(t), {
          hostname: `route.${t.zone}`,
          path_prefix: '/other',
          upstream: 'http://r',
        }),
      );
      const put = await server.call('PUT', `${routesOf(t)}/${moved.id}`, {
        hostname: `route.${t.zone}`,
        path_prefix: '/api',
        upstream: 'http://r',
      });
      fails(put, 409, CODE.conflict);
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('token scopes', () => {
    let a: Tenant;
    let b: Tenant;
    let aApi: Api;
    before(async () => {
      a = await tenant('alpha-apis.example.com');
      b = await tenant('bravo-apis.example.com');
      aApi = await createApi(a, keyless(a));
    });

    test(`tokens of another zone or account get 403 / ${CODE.forbidden}; A is unchanged`, async () => {
      const zoneB = await createToken(server, 'edit', { zone_id: b.zoneId });
      const accountB = await createToken(server, 'edit', { account_id: b.accountId });
      const before = ok(await server.call('GET', apisOf(a)));
      for (const token of [zoneB, accountB]) {
        const attempts: [string, string, unknown?][] = [
          ['GET', apisOf(a)],
          ['POST', apisOf(a), keyless(a, { hostname: `x.${a.zone}` })],
          ['GET', `${apisOf(a)}/${aApi.id}`],
          ['PUT', `${apisOf(a)}/${aApi.id}`, keyless(a)],
          ['PATCH', `${apisOf(a)}/${aApi.id}`, { name: 'intruder' }],
          ['DELETE', `${apisOf(a)}/${aApi.id}`],
        ];
        for (const [method, route, body] of attempts) {
          fails(await server.call(method, route, body, token), 403, CODE.forbidden);
        }
        fails(await server.call('GET', `${apisOf(b)}/${aApi.id}`, undefined, token), 404, CODE.notFound);
      }
      assert.deepEqual(ok(await server.call('GET', apisOf(a))), before);
    });

    test("the zone's own tokens: edit writes, read only reads", async () => {
      const editA = await createToken(server, 'edit', { zone_id: a.zoneId });
      const readA = await createToken(server, 'read', { zone_id: a.zoneId });
      const created = await createApi(a, keyless(a, { hostname: `own.${a.zone}` }), editA);
      ok(await server.call('GET', `${apisOf(a)}/${created.id}`, undefined, readA));
      fails(await server.call('PATCH', `${apisOf(a)}/${created.id}`, { name: 'x' }, readA), 403, CODE.forbidden);
      fails(await server.call('DELETE', `${apisOf(a)}/${created.id}`, undefined, readA), 403, CODE.forbidden);
      assert.equal((await server.call('GET', apisOf(a), undefined, null)).status, 401);
    });
  });

  test('the OpenAPI document describes the resource', async () => {
    const response = await fetch(`${server.baseUrl}/openapi.json`);
    const document = (await response.json()) as { paths: Record<string, Record<string, unknown>> };
    assert.deepEqual(Object.keys(document.paths['/zones/{zone_id}/gateway/apis'] ?? {}).sort(), ['get', 'post']);
    assert.deepEqual(Object.keys(document.paths['/zones/{zone_id}/gateway/apis/{api_id}'] ?? {}).sort(), [
      'delete',
      'get',
      'patch',
      'put',
    ]);
  });
}

describeOnBothStores('gateway APIs API', 'apis', defineSuite);
