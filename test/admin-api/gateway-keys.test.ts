/**
 * Gateway keys (`/accounts/:account_id/gateway/keys`) and policies
 * (`/accounts/:account_id/gateway/policies`) over real HTTP against `portcullis serve`, as one
 * suite on SQLite and on a real PostgreSQL, with certificates made at test time:
 *  - a token secret is returned once by create and never again (GET and list show `has_secret`
 *    only; the store holds its SHA-256 only);
 *  - key ids are random, never derived from the certificate; the binding is the SHA-256 of the leaf
 *    DER or of its SPKI (a renewal with the same key pair finds the same key);
 *  - one key per binding in an account (409), while another account may bind the same certificate
 *    to its own key (no tenant can squat another's device), and a certificate is never bound by leaf
 *    to one key and by public key to another in one account;
 *  - a policy in use cannot be deleted (409 with the number of keys);
 *  - every validation error with its v4 code, and token scopes (zone tokens and other accounts: 403).
 * Field rules: src/control/apis/gateway-key-input.ts, gateway-policy-input.ts.
 */
import 'reflect-metadata';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import path from 'node:path';
import * as x509 from '@peculiar/x509';
import { openStore, type StoreOptions } from '../../src/store/open-store.ts';
import {
  createTenant,
  createToken,
  startAdminServer,
  type AdminServer,
  type V4Response,
} from '../helpers/admin-server.ts';
import { createCa, randomSerial, type CaHandle, type Issued } from '../helpers/pki.ts';
import { describeOnBothStores } from '../helpers/both-stores.ts';

interface Key {
  id: string;
  alias: string;
  certificate_binding: { kind: string; value: string } | null;
  has_secret: boolean;
  policy_ids: string[];
  access_rights: { api_id: string; methods: string[]; paths: string[] }[];
  rate_limit: { rate: number; per: number } | null;
  quota: { max: number; renewal_rate: number } | null;
  quota_remaining: number | null;
  expires_on: string | null;
  metadata: Record<string, string>;
  active: boolean;
  created_on: string;
  modified_on: string;
  secret?: string;
}

interface Policy {
  id: string;
  name: string;
  access_rights: { api_id: string; methods: string[]; paths: string[] }[];
  rate_limit: { rate: number; per: number } | null;
  quota: { max: number; renewal_rate: number } | null;
  active: boolean;
  created_on: string;
  modified_on: string;
}

interface Tenant {
  accountId: string;
  zoneId: string;
  zone: string;
  apiId: string;
}

const HEX_ID = /^[0-9a-f]{32}$/;
const SECRET = /^pk_[A-Za-z0-9_-]{43}$/;
const CODE = {
  forbidden: 10000,
  notFound: 7003,
  validation: 12101,
  certInvalid: 12110,
  conflict: 12117,
} as const;

function ok<T>(response: V4Response<T>): T {
  assert.equal(response.status, 200, JSON.stringify(response.body));
  assert.equal(response.body.success, true);
  return response.body.result;
}

function fails(response: V4Response<unknown>, status: number, code: number): string {
  assert.equal(response.status, status, JSON.stringify(response.body));
  assert.equal(response.body.success, false);
  assert.equal(response.body.errors[0]?.code, code, JSON.stringify(response.body.errors));
  return response.body.errors[0].message;
}

/** A key view without the create-only `secret`. */
function withoutSecret(key: Key): Key {
  const copy = { ...key };
  delete copy.secret;
  return copy;
}

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

/** The same key pair in a new certificate from the same CA (a renewal). */
async function renew(ca: CaHandle, leaf: Issued): Promise<string> {
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: leaf.cert.subject,
    issuer: ca.cert.subjectName,
    notBefore: new Date(Date.now() - 1000),
    notAfter: new Date(Date.now() + 90 * 86_400_000),
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    publicKey: leaf.keys.publicKey,
    signingKey: ca.keys.privateKey,
    extensions: [new x509.BasicConstraintsExtension(false, undefined, true)],
  });
  return cert.toString('pem');
}

function defineSuite(storeUrl: () => Promise<string | undefined>): void {
  let server: AdminServer;
  let storeOptions: StoreOptions;
  let ca: CaHandle;

  before(async () => {
    const url = await storeUrl();
    server = await startAdminServer(url === undefined ? undefined : { kind: 'postgres', url });
    storeOptions =
      url === undefined
        ? { kind: 'sqlite', file: path.join(server.dataDir, 'portcullis.db') }
        : { kind: 'postgres', url };
    ca = await createCa('CN=Keys Test Root');
  });
  after(async () => {
    await server.stop();
  });

  /** An account with a zone and one keyless API in it. */
  const tenant = async (zone: string): Promise<Tenant> => {
    const ids = await createTenant(server, zone);
    const api = await server.call<{ id: string }>('POST', `/zones/${ids.zoneId}/gateway/apis`, {
      name: 'Orders',
      hostname: `api.${zone}`,
      upstream_url: 'http://orders:8080',
      auth: { mode: 'mtls_dynamic' },
    });
    return { ...ids, zone, apiId: ok(api).id };
  };
  const keysOf = (t: Tenant): string => `/accounts/${t.accountId}/gateway/keys`;
  const policiesOf = (t: Tenant): string => `/accounts/${t.accountId}/gateway/policies`;
  const createKey = async (t: Tenant, body: object, token?: string): Promise<Key> =>
    ok(await server.call<Key>('POST', keysOf(t), body, token));
  const createPolicy = async (t: Tenant, body: object): Promise<Policy> =>
    ok(await server.call<Policy>('POST', policiesOf(t), body));
  const leaf = (name: string): Promise<Issued> => ca.issue({ subject: `CN=${name}` });

  // -------------------------------------------------------------------------------------------
  describe('keys: token secrets', () => {
    let t: Tenant;
    before(async () => {
      t = await tenant('secrets.example.com');
    });

    test('create --token: the secret is in the create answer only; the store keeps its hash only', async () => {
      const created = await createKey(t, { alias: 'cli', token: true });
      assert.match(created.secret ?? '', SECRET);
      const secret = created.secret!;
      assert.equal(created.has_secret, true);
      assert.equal(created.certificate_binding, null);

      const got = ok(await server.call<Key>('GET', `${keysOf(t)}/${created.id}`));
      const listed = ok(await server.call<Key[]>('GET', keysOf(t)));
      const patched = ok(await server.call<Key>('PATCH', `${keysOf(t)}/${created.id}`, { alias: 'renamed' }));
      for (const view of [got, listed.find((key) => key.id === created.id), patched]) {
        assert.ok(view);
        assert.equal(view.secret, undefined);
        assert.equal(view.has_secret, true);
        assert.ok(!JSON.stringify(view).includes(secret.slice(3, 20)), 'no part of the secret');
      }
      assert.deepEqual({ ...got, alias: 'cli' }, withoutSecret(created));

      const store = await openStore(storeOptions);
      try {
        const stored = await store.getKeyBySecretHash(sha256(secret));
        assert.equal(stored?.id, created.id);
        assert.equal(stored.secretHash, sha256(secret));
        assert.ok(!JSON.stringify(stored).includes(secret.slice(3)), 'the stored record holds no secret');
      } finally {
        await store.close();
      }
    });

    test('two token keys get different secrets and ids', async () => {
      const [a, b] = [await createKey(t, { token: true }), await createKey(t, { token: true })];
      assert.notEqual(a.secret, b.secret);
      assert.notEqual(a.id, b.id);
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('keys: certificate bindings', () => {
    let t: Tenant;
    before(async () => {
      t = await tenant('bindings.example.com');
    });

    test('leaf binding from a PEM: SHA-256 of the DER; the id is random, never the fingerprint', async () => {
      const [one, two] = [await leaf('device-1'), await leaf('device-2')];
      const first = await createKey(t, { certificate: { pem: one.certPem } });
      const second = await createKey(t, { certificate: { pem: two.certPem }, token: true });
      assert.deepEqual(first.certificate_binding, { kind: 'leaf_sha256', value: one.sha256 });
      assert.deepEqual(second.certificate_binding, { kind: 'leaf_sha256', value: two.sha256 });
      assert.equal(first.has_secret, false);
      assert.equal(first.secret, undefined);
      assert.equal(second.has_secret, true);
      for (const [key, issued] of [
        [first, one],
        [second, two],
      ] as const) {
        assert.match(key.id, HEX_ID);
        assert.ok(!issued.sha256.includes(key.id) && !key.id.includes(issued.sha256.slice(0, 8)));
        assert.notEqual(key.id, issued.sha256.slice(0, 32));
        assert.notEqual(key.id, sha256(issued.der).slice(0, 32));
      }
      assert.notEqual(first.id, second.id);
      // Unrelated: the ids share no more than chance would (no common prefix of 8+ characters).
      assert.notEqual(first.id.slice(0, 8), second.id.slice(0, 8));
    });

    test(`the same certificate again in one account → 409 / ${CODE.conflict}; another account binds it too`, async () => {
      const device = await leaf('device-dup');
      const key = await createKey(t, { certificate: { pem: device.certPem } });
      const again = await server.call('POST', keysOf(t), { certificate: { sha256: device.sha256.toUpperCase() } });
      assert.equal(
        fails(again, 409, CODE.conflict),
        `Conflict: a key is already bound to this certificate (key ${key.id})`,
      );
      assert.equal(again.headers.get('x-should-retry'), 'false');
      // Another account binds the same certificate to a key of its own: bindings are per account,
      // so a tenant that binds a device first does not lock its owner out.
      const other = await tenant('other-bindings.example.com');
      const elsewhere = await createKey(other, { certificate: { pem: device.certPem }, bind_to: 'spki' });
      assert.notEqual(elsewhere.id, key.id);
      const both = await server.call('POST', keysOf(other), { certificate: { pem: device.certPem } });
      assert.match(fails(both, 409, CODE.conflict), /bound to the public key of this certificate \(bind_to spki\)/);
    });

    test('spki binding: a renewal with the same key pair is the same binding; leaf and spki never both', async () => {
      const device = await leaf('device-renewing');
      const key = await createKey(t, { certificate: { pem: device.certPem }, bind_to: 'spki' });
      assert.equal(key.certificate_binding?.kind, 'spki_sha256');
      assert.notEqual(key.certificate_binding.value, device.sha256);
      const renewed = await renew(ca, device);
      const again = await server.call('POST', keysOf(t), { certificate: { pem: renewed }, bind_to: 'spki' });
      assert.match(fails(again, 409, CODE.conflict), /a key is already bound to this certificate/);
      const byLeaf = await server.call('POST', keysOf(t), { certificate: { pem: renewed } });
      assert.match(fails(byLeaf, 409, CODE.conflict), /bound to the public key of this certificate \(bind_to spki\)/);

      const other = await leaf('device-leaf-first');
      await createKey(t, { certificate: { pem: other.certPem } });
      const bySpki = await server.call('POST', keysOf(t), { certificate: { pem: other.certPem }, bind_to: 'spki' });
      assert.match(fails(bySpki, 409, CODE.conflict), /bound to this exact certificate \(bind_to leaf\)/);
    });

    test('bound through an uploaded leaf or a client certificate; a CA is refused', async () => {
      const mtls = `/accounts/${t.accountId}/mtls_certificates`;
      const caUpload = ok(await server.call<{ id: string }>('POST', mtls, { ca: true, certificates: ca.certPem }));
      const issued = await leaf('uploaded-leaf');
      const upload = ok(
        await server.call<{ id: string }>('POST', mtls, {
          ca: false,
          certificates: issued.certPem,
          private_key: issued.keyPem,
        }),
      );
      const viaUpload = await createKey(t, { certificate: { mtls_certificate_id: upload.id } });
      assert.deepEqual(viaUpload.certificate_binding, { kind: 'leaf_sha256', value: issued.sha256 });
      const refused = await server.call('POST', keysOf(t), { certificate: { mtls_certificate_id: caUpload.id } });
      assert.match(fails(refused, 400, CODE.validation), /is a CA; a key is bound to a client's leaf/);
      const caPem = await server.call('POST', keysOf(t), { certificate: { pem: ca.certPem } });
      assert.match(fails(caPem, 400, CODE.validation), /certificate is a CA certificate/);

      const csr = await x509.Pkcs10CertificateRequestGenerator.create({
        name: 'CN=managed-device',
        keys: issued.keys as Parameters<typeof x509.Pkcs10CertificateRequestGenerator.create>[0]['keys'],
        signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
      });
      const clientCertificate = ok(
        await server.call<{ id: string; certificate: string }>('POST', `/zones/${t.zoneId}/client_certificates`, {
          csr: csr.toString('pem'),
          validity_days: 30,
        }),
      );
      const viaClient = await createKey(t, {
        certificate: { client_certificate_id: clientCertificate.id },
        bind_to: 'leaf',
      });
      const der = x509.PemConverter.decodeFirst(clientCertificate.certificate);
      assert.deepEqual(viaClient.certificate_binding, { kind: 'leaf_sha256', value: sha256(Buffer.from(der)) });
    });

    test(`certificate errors → 400 / ${CODE.validation} (or ${CODE.certInvalid} for unreadable PEM)`, async () => {
      const cases: [object, number, RegExp][] = [
        [{}, CODE.validation, /needs a certificate, a token/],
        [{ certificate: {} }, CODE.validation, /exactly one of/],
        [{ certificate: { sha256: 'ab'.repeat(32), pem: 'x' } }, CODE.validation, /exactly one of/],
        [{ certificate: { sha256: 'abc' } }, CODE.validation, /SHA-256 fingerprint/],
        [{ certificate: { sha256: 'ab'.repeat(32) }, bind_to: 'spki' }, CODE.validation, /bind_to spki needs/],
        [{ token: true, bind_to: 'leaf' }, CODE.validation, /bind_to needs a certificate/],
        [{ certificate: { pem: 'hello' } }, CODE.certInvalid, /no PEM block/],
        [
          { certificate: { mtls_certificate_id: '00000000-0000-4000-8000-000000000000' } },
          CODE.validation,
          /does not exist in this account/,
        ],
        [
          { certificate: { client_certificate_id: '00000000-0000-4000-8000-000000000000' } },
          CODE.validation,
          /does not exist in any zone/,
        ],
      ];
      for (const [body, code, reason] of cases) {
        assert.match(fails(await server.call('POST', keysOf(t), body), 400, code), reason, JSON.stringify(body));
      }
      const two = await server.call('POST', keysOf(t), {
        certificate: { pem: (await leaf('a')).certPem + ca.certPem },
      });
      assert.match(fails(two, 400, CODE.validation), /exactly one certificate/);
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('keys: settings, edits, validation', () => {
    let t: Tenant;
    let policy: Policy;
    before(async () => {
      t = await tenant('settings.example.com');
      policy = await createPolicy(t, { name: 'Gold' });
    });

    test('every setting round-trips; quota_remaining is the whole quota of a fresh key', async () => {
      const key = await createKey(t, {
        alias: 'device 9',
        token: true,
        access_rights: [{ api_id: t.apiId, methods: ['GET'], paths: ['/orders/*'] }],
        rate_limit: { rate: 10, per: 1 },
        quota: { max: 500, renewal_rate: 3600 },
        expires_on: '2099-01-01T01:00:00+01:00',
        metadata: { owner: 'ops' },
        active: false,
      });
      const view = withoutSecret(key);
      assert.deepEqual(view, {
        id: key.id,
        alias: 'device 9',
        certificate_binding: null,
        has_secret: true,
        policy_ids: [],
        access_rights: [{ api_id: t.apiId, methods: ['GET'], paths: ['/orders/*'] }],
        rate_limit: { rate: 10, per: 1 },
        quota: { max: 500, renewal_rate: 3600 },
        quota_remaining: 500,
        // Without policies the gateway enforces the key's own rights and limits.
        effective: {
          refused: null,
          access_rights: [{ api_id: t.apiId, methods: ['GET'], paths: ['/orders/*'] }],
          rate_limit: { rate: 10, per: 1 },
          quota: { max: 500, renewal_rate: 3600 },
        },
        expires_on: '2099-01-01T00:00:00.000Z',
        metadata: { owner: 'ops' },
        active: false,
        created_on: key.created_on,
        modified_on: key.created_on,
      });
      assert.deepEqual(ok(await server.call('GET', `${keysOf(t)}/${key.id}`)), view);
    });

    test('with policies, rights and limits come from them: own ones refused; quota_remaining is the policy quota', async () => {
      const quota = await createPolicy(t, { name: 'Quota', quota: { max: 42, renewal_rate: 60 } });
      // With several policies the most generous quota wins, and Gold's null (unlimited) would.
      const key = await createKey(t, { token: true, policy_ids: [quota.id] });
      assert.deepEqual([key.quota, key.quota_remaining], [null, 42]);
      const path = `${keysOf(t)}/${key.id}`;
      const own = await server.call('PATCH', path, { rate_limit: { rate: 1, per: 1 } });
      assert.match(fails(own, 400, CODE.validation), /takes its access rights, rate limit and quota from its policies/);
      // An inactive policy leaves the key nothing to spend; without policies its own quota counts.
      ok(await server.call('PATCH', `${policiesOf(t)}/${quota.id}`, { active: false }));
      assert.equal(ok(await server.call<Key>('GET', path)).quota_remaining, 0);
      const own2 = ok(await server.call<Key>('PATCH', path, { policy_ids: [], quota: { max: 7, renewal_rate: 60 } }));
      assert.deepEqual([own2.policy_ids, own2.quota_remaining], [[], 7]);
      const listed = ok(await server.call<Key[]>('GET', `${keysOf(t)}?per_page=50`));
      assert.equal(listed.find((item) => item.id === key.id)?.quota_remaining, 7);
    });

    test('PATCH changes what is given; PUT resets the rest; the binding and secret never change', async () => {
      const device = await leaf('device-edit');
      const key = await createKey(t, {
        certificate: { pem: device.certPem },
        token: true,
        alias: 'x',
        metadata: { a: 'b' },
      });
      const path = `${keysOf(t)}/${key.id}`;
      const patched = ok(await server.call<Key>('PATCH', path, { policy_ids: [policy.id] }));
      assert.equal(patched.alias, 'x');
      assert.deepEqual(patched.metadata, { a: 'b' });
      assert.deepEqual(patched.policy_ids, [policy.id]);
      assert.equal(patched.quota_remaining, null, 'Gold has no quota');
      const put = ok(await server.call<Key>('PUT', path, { alias: 'y' }));
      assert.deepEqual(
        { alias: put.alias, policy_ids: put.policy_ids, metadata: put.metadata, quota: put.quota },
        { alias: 'y', policy_ids: [], metadata: {}, quota: null },
      );
      assert.deepEqual(put.certificate_binding, key.certificate_binding);
      assert.equal(put.has_secret, true);
      assert.equal(put.created_on, key.created_on);
      for (const body of [{ certificate: { sha256: 'cd'.repeat(32) } }, { token: false }, { bind_to: 'spki' }]) {
        for (const method of ['PATCH', 'PUT']) {
          const message = fails(await server.call(method, path, body), 400, CODE.validation);
          assert.match(message, /cannot change.*to rotate them, delete the key and create a new one/);
        }
      }
      assert.deepEqual(ok(await server.call<Key>('GET', path)), put);
    });

    test(`setting errors → 400 / ${CODE.validation} with the reason; nothing is created`, async () => {
      const other = await tenant('other-settings.example.com');
      const otherPolicy = await createPolicy(other, { name: 'Theirs' });
      const before = ok(await server.call<Key[]>('GET', keysOf(t))).length;
      const cases: [object, RegExp][] = [
        [{ expires_on: '2020-01-01T00:00:00Z' }, /expires_on must be in the future/],
        [{ expires_on: 'tomorrow' }, /expires_on must be an RFC 3339 date-time/],
        [{ policy_ids: [otherPolicy.id] }, /policy .* does not exist in this account/],
        [{ policy_ids: ['0'.repeat(32)] }, /does not exist in this account/],
        [{ access_rights: [{ api_id: other.apiId }] }, /API .* does not exist in this account/],
        [{ access_rights: [{ api_id: t.apiId, methods: ['get'] }] }, /not an uppercase HTTP method/],
        [{ access_rights: [{ api_id: t.apiId, paths: ['orders'] }] }, /must start with "\/"/],
        [{ policy_ids: [policy.id], quota: { max: 1, renewal_rate: 60 } }, /from its policies/],
        [{ metadata: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v'])) }, /more than 50/],
        [{ metadata: { ['n'.repeat(65)]: 'v' } }, /names must have 1 to 64/],
        [{ metadata: { n: 'v'.repeat(1025) } }, /longer than 1024/],
        [{ rate_limit: { rate: 1, per: 0 } }, /rate_limit\.per/],
        [{ quota: { max: 0, renewal_rate: 60 } }, /quota\.max/],
        [{ alias: 'a'.repeat(256) }, /alias/],
      ];
      for (const [body, reason] of cases) {
        const response = await server.call('POST', keysOf(t), { token: true, ...body });
        assert.match(fails(response, 400, CODE.validation), reason, JSON.stringify(body).slice(0, 100));
      }
      assert.equal(ok(await server.call<Key[]>('GET', keysOf(t))).length, before);
    });

    test('list is paged (result_info); DELETE answers { id }, then 404', async () => {
      const listed = await server.call<Key[]>('GET', `${keysOf(t)}?per_page=5&page=1`);
      const total = listed.body.result_info?.total_count ?? 0;
      assert.ok(total >= 2);
      assert.equal(ok(listed).length, Math.min(5, total));
      const key = await createKey(t, { token: true });
      const path = `${keysOf(t)}/${key.id}`;
      assert.deepEqual(ok(await server.call('DELETE', path)), { id: key.id });
      fails(await server.call('GET', path), 404, CODE.notFound);
      fails(await server.call('PATCH', path, { alias: 'x' }), 404, CODE.notFound);
      fails(await server.call('DELETE', path), 404, CODE.notFound);
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('policies', () => {
    let t: Tenant;
    before(async () => {
      t = await tenant('policies.example.com');
    });

    test('create, get, list, PATCH, PUT, DELETE', async () => {
      const created = await createPolicy(t, {
        name: 'Gold',
        access_rights: [{ api_id: t.apiId, methods: ['GET', 'POST'], paths: ['/orders/*', '/%7eme'] }],
        rate_limit: { rate: 100, per: 60 },
        quota: { max: 10000, renewal_rate: 86400 },
      });
      assert.match(created.id, HEX_ID);
      assert.deepEqual(created, {
        id: created.id,
        name: 'Gold',
        access_rights: [{ api_id: t.apiId, methods: ['GET', 'POST'], paths: ['/orders/*', '/~me'] }],
        rate_limit: { rate: 100, per: 60 },
        quota: { max: 10000, renewal_rate: 86400 },
        active: true,
        created_on: created.created_on,
        modified_on: created.created_on,
      });
      const path = `${policiesOf(t)}/${created.id}`;
      assert.deepEqual(ok(await server.call('GET', path)), created);
      assert.ok(ok(await server.call<Policy[]>('GET', policiesOf(t))).some((p) => p.id === created.id));
      const patched = ok(await server.call<Policy>('PATCH', path, { active: false, quota: null }));
      assert.deepEqual({ ...patched, modified_on: created.modified_on }, { ...created, active: false, quota: null });
      const put = ok(await server.call<Policy>('PUT', path, { name: 'Silver' }));
      assert.deepEqual(
        { ...put, modified_on: undefined },
        { ...created, name: 'Silver', access_rights: [], rate_limit: null, quota: null, modified_on: undefined },
      );
      assert.deepEqual(ok(await server.call('DELETE', path)), { id: created.id });
      fails(await server.call('GET', path), 404, CODE.notFound);
    });

    test(`validation → 400 / ${CODE.validation}`, async () => {
      const other = await tenant('other-policies.example.com');
      const cases: [object, RegExp][] = [
        [{ name: '' }, /name/],
        [{ name: 'x', access_rights: [{ api_id: other.apiId }] }, /does not exist in this account/],
        [{ name: 'x', access_rights: [{ api_id: t.apiId, methods: ['Get'] }] }, /uppercase HTTP method/],
        [{ name: 'x', access_rights: [{ api_id: t.apiId, paths: ['/a/../b'] }] }, /"\." or "\.\." segments/],
        [{ name: 'x', rate_limit: { rate: 1e10, per: 1 } }, /rate_limit\.rate/],
        [{ name: 'x', quota: { max: 1, renewal_rate: 0 } }, /quota\.renewal_rate/],
      ];
      for (const [body, reason] of cases) {
        assert.match(fails(await server.call('POST', policiesOf(t), body), 400, CODE.validation), reason);
      }
    });

    test(`DELETE while keys use the policy → 409 / ${CODE.conflict} naming how many`, async () => {
      const policy = await createPolicy(t, { name: 'Used' });
      const first = await createKey(t, { token: true, policy_ids: [policy.id] });
      await createKey(t, { token: true, policy_ids: [policy.id] });
      const path = `${policiesOf(t)}/${policy.id}`;
      assert.match(fails(await server.call('DELETE', path), 409, CODE.conflict), /is used by 2 keys/);
      ok(await server.call('DELETE', `${keysOf(t)}/${first.id}`));
      assert.match(fails(await server.call('DELETE', path), 409, CODE.conflict), /is used by 1 key;/);
      ok(await server.call('GET', path));
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('token scopes', () => {
    let a: Tenant;
    let b: Tenant;
    let aKey: Key;
    let aPolicy: Policy;
    before(async () => {
      a = await tenant('alpha-keys.example.com');
      b = await tenant('bravo-keys.example.com');
      aKey = await createKey(a, { token: true });
      aPolicy = await createPolicy(a, { name: 'A' });
    });

    test(`zone tokens (even of the same account) and other accounts' tokens get 403 / ${CODE.forbidden}`, async () => {
      const tokens = [
        await createToken(server, 'edit', { zone_id: a.zoneId }),
        await createToken(server, 'edit', { zone_id: b.zoneId }),
        await createToken(server, 'edit', { account_id: b.accountId }),
      ];
      const before = [ok(await server.call('GET', keysOf(a))), ok(await server.call('GET', policiesOf(a)))];
      for (const token of tokens) {
        const attempts: [string, string, unknown?][] = [
          ['GET', keysOf(a)],
          ['POST', keysOf(a), { token: true }],
          ['GET', `${keysOf(a)}/${aKey.id}`],
          ['PATCH', `${keysOf(a)}/${aKey.id}`, { alias: 'intruder' }],
          ['DELETE', `${keysOf(a)}/${aKey.id}`],
          ['GET', policiesOf(a)],
          ['POST', policiesOf(a), { name: 'intruder' }],
          ['PUT', `${policiesOf(a)}/${aPolicy.id}`, { name: 'intruder' }],
          ['DELETE', `${policiesOf(a)}/${aPolicy.id}`],
        ];
        for (const [method, route, body] of attempts) {
          fails(await server.call(method, route, body, token), 403, CODE.forbidden);
        }
      }
      const ownB = await createToken(server, 'edit', { account_id: b.accountId });
      fails(await server.call('GET', `${keysOf(b)}/${aKey.id}`, undefined, ownB), 404, CODE.notFound);
      fails(await server.call('DELETE', `${policiesOf(b)}/${aPolicy.id}`, undefined, ownB), 404, CODE.notFound);
      assert.deepEqual([ok(await server.call('GET', keysOf(a))), ok(await server.call('GET', policiesOf(a)))], before);
    });

    test("the account's read token reads but cannot write", async () => {
      const readA = await createToken(server, 'read', { account_id: a.accountId });
      ok(await server.call('GET', `${keysOf(a)}/${aKey.id}`, undefined, readA));
      ok(await server.call('GET', policiesOf(a), undefined, readA));
      fails(await server.call('POST', keysOf(a), { token: true }, readA), 403, CODE.forbidden);
      fails(await server.call('PATCH', `${policiesOf(a)}/${aPolicy.id}`, { name: 'x' }, readA), 403, CODE.forbidden);
      const editA = await createToken(server, 'edit', { account_id: a.accountId });
      assert.match((await createKey(a, { token: true }, editA)).secret ?? '', SECRET);
    });
  });

  test('the OpenAPI document describes keys and policies', async () => {
    const response = await fetch(`${server.baseUrl}/openapi.json`);
    const document = (await response.json()) as { paths: Record<string, Record<string, unknown>> };
    for (const [base, item] of [
      ['/accounts/{account_id}/gateway/keys', '{key_id}'],
      ['/accounts/{account_id}/gateway/policies', '{policy_id}'],
    ] as const) {
      assert.deepEqual(Object.keys(document.paths[base] ?? {}).sort(), ['get', 'post']);
      assert.deepEqual(Object.keys(document.paths[`${base}/${item}`] ?? {}).sort(), ['delete', 'get', 'patch', 'put']);
    }
  });
}

describeOnBothStores('gateway keys and policies API', 'keys', defineSuite);
