/**
 * ConfigApplier over a real SQLite store and the real use cases: what the file makes the store say,
 * that a second apply writes nothing, that the file is authoritative for the zones it names (and
 * only those), and that a refused file writes nothing at all. The same through a running
 * `portcullis serve` (start, SIGHUP, exit codes) is in test/serve/config-file.test.ts.
 */
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createCa, Eku, type CaHandle, type Issued } from '../../../test/helpers/pki.ts';
import { postgresSkipReason, startPostgres, type TestPostgres } from '../../../test/helpers/postgres.ts';
import { GatewayError } from '../../errors/index.ts';
import { createLogger } from '../../observability/logger.ts';
import { PublicPki } from '../../runtime-config/public-pki.ts';
import { openStore } from '../../store/open-store.ts';
import type { Store } from '../../store/ports.ts';
import { SecretBox } from '../../store/secret-box.ts';
import { buildServices, type ControlServices } from '../build-services.ts';
import { CONFIG_FILE_PRINCIPAL as OPERATOR, ConfigApplier } from './config-applier.ts';
import { MTLS_RULE_REF } from '../rulesets/mtls-rule.ts';
import { CUSTOM_RULES_PHASE } from '../../model/records.ts';

const ZONE = `
      - name: example.com
        edge_certificates:
          - cert: ./api.pem
            key: ./api-key.pem
        mtls:
          - ca: partner
            hostnames: [api.example.com, API.example.com.]
        identity_headers: [cf]
        routes:
          - hostname: api.example.com
            upstream: http://127.0.0.1:3000
        mtls_rule: [api.example.com]
        rules:
          - expression: 'http.request.uri.path eq "/admin"'
            action: block
`;
const FILE = `accounts:
  - name: acme
    cas:
      - name: partner
        file: ./partner.pem
    zones:${ZONE}`;

/** An account with one zone: a route, two APIs and, when given, a `policies:` list. */
const gatewayFile = (options: { apis?: string; policies?: string } = {}): string => `accounts:
  - name: acme
    zones:
      - name: example.com
        routes:
          - hostname: api.example.com
            upstream: http://127.0.0.1:3000
        apis:
${
  options.apis ??
  `          - name: orders
            hostname: api.example.com
            listen_path: /orders
            upstream_url: http://127.0.0.1:3001
            auth: { mode: mtls_dynamic }
            rate_limit: { rate: 100, per: 60 }
          - name: devices
            hostname: api.example.com
            listen_path: /devices
            upstream_url: http://127.0.0.1:3002
            auth:
              mode: mtls_static
              allowed_certificates:
                - file: ./device.pem
                - sha256: ${'AB:'.repeat(31)}AB
`
}${options.policies ?? ''}`;
const GOLD = `    policies:
      - name: gold
        access_rights:
          - api: orders
            methods: [GET]
            paths: ['/orders/*']
        rate_limit: { rate: 10, per: 1 }
        quota: { max: 1000, renewal_rate: 3600 }
`;

describe('ConfigApplier: SQLite', () => {
  defineSuite((dir) => openStore({ kind: 'sqlite', file: path.join(dir, `${Date.now()}-${Math.random()}.db`) }));
});

// PostgreSQL too: there a failed statement aborts the whole transaction, which SQLite does not do.
describe('ConfigApplier: PostgreSQL', { skip: postgresSkipReason() ?? false }, () => {
  let postgres: TestPostgres;
  let schemas = 0;
  before(async () => {
    postgres = await startPostgres();
    await postgres.createDatabase('config');
  });
  defineSuite(async () =>
    openStore({ kind: 'postgres', url: await postgres.createSchema('config', `apply_${++schemas}`) }),
  );
  after(async () => {
    await postgres.stop(); // last: after the suite's stores are closed
  });
});

function defineSuite(openTestStore: (dir: string) => Promise<Store>): void {
  let dir: string;
  let store: Store;
  let services: ControlServices;
  let applier: ConfigApplier;
  let box: SecretBox;
  let publicPki: PublicPki;
  let partner: CaHandle;
  let edge: Issued;
  let device: Issued;

  /** Writes the configuration and applies it. */
  const apply = (text: string) => {
    writeFileSync(path.join(dir, 'portcullis.yaml'), text);
    return applier.applyFile(path.join(dir, 'portcullis.yaml'));
  };
  /** The refusal of `text`, after checking that it is GW_ERR_CONFIG_INVALID. */
  const refusal = async (text: string): Promise<string> => {
    try {
      await apply(text);
    } catch (error) {
      assert.ok(error instanceof GatewayError, String(error));
      assert.equal(error.code, 'GW_ERR_CONFIG_INVALID', error.message);
      return error.message;
    }
    return assert.fail('applied');
  };
  const zoneOf = async (name: string) => (await services.tenancy.listZones(OPERATOR, { name }))[0];

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'portcullis-config-applier-'));
    partner = await createCa('CN=Partner CA');
    const edgeCa = await createCa('CN=Edge CA');
    edge = await edgeCa.issue({ subject: 'CN=api.example.com', dns: ['api.example.com'], eku: [Eku.serverAuth] });
    writeFileSync(path.join(dir, 'partner.pem'), partner.certPem);
    writeFileSync(path.join(dir, 'api.pem'), edge.certPem);
    writeFileSync(path.join(dir, 'api-key.pem'), edge.keyPem);
    device = await partner.issue({ subject: 'CN=device-1' });
    writeFileSync(path.join(dir, 'device.pem'), device.certPem);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(() => store.close());

  beforeEach(async () => {
    store = await openTestStore(dir);
    publicPki = new PublicPki();
    box = new SecretBox(randomBytes(32));
    services = buildServices({ store, box, publicPki, publicUrl: () => 'https://x' });
    applier = new ConfigApplier(
      store,
      (transaction) => buildServices({ store: transaction, box, publicPki, publicUrl: () => 'https://x' }),
      createLogger('silent'),
    );
  });

  test('a write failing part way rolls the whole file back: nothing of it stays in the store', async () => {
    const failing = new ConfigApplier(
      store,
      (transaction) => {
        const bound = buildServices({ store: transaction, box, publicPki, publicUrl: () => 'https://x' });
        // The routes are written after the account, its CA and the zone (config-plan.ts order).
        bound.routes.replaceAll = () => Promise.reject(new Error('the store went away'));
        return bound;
      },
      createLogger('silent'),
    );
    writeFileSync(path.join(dir, 'portcullis.yaml'), FILE);
    await assert.rejects(failing.applyFile(path.join(dir, 'portcullis.yaml')), /the store went away/);
    assert.equal(await zoneOf('example.com'), undefined, 'the zone written before the failure is gone');
    assert.deepEqual(await services.tenancy.listAccounts(OPERATOR), [], 'and so is the account');
    // The same file through working services then applies whole.
    const applied = await apply(FILE);
    assert.equal(applied.changes.routes, 1);
    assert.equal(applied.changes.zone, 1);
  });

  test('applies every part of the file, then applying it again writes nothing', async () => {
    const first = await apply(FILE);
    assert.deepEqual(first.changes, {
      account: 1,
      ca: 1,
      zone: 1,
      edge_certificate: 1,
      mtls: 1,
      routes: 1,
      identity_headers: 1,
      rules: 1,
    });
    const zone = (await zoneOf('example.com'))!;
    const [ca] = await services.mtlsCertificates.list(OPERATOR, zone.accountId, undefined);
    assert.equal(ca?.name, 'partner');
    assert.deepEqual(await services.hostnameAssociations.get(OPERATOR, zone.id, ca.id), ['api.example.com']);
    assert.equal((await services.edgeCertificates.list(OPERATOR, zone.id)).length, 1);
    assert.deepEqual(
      (await services.routes.list(OPERATOR, zone.id)).map((route) => [route.hostname, route.pathPrefix]),
      [['api.example.com', '/']],
    );
    const ruleset = await services.rulesets.getEntrypoint(OPERATOR, zone.id, CUSTOM_RULES_PHASE);
    assert.deepEqual(
      ruleset.rules.map((rule) => rule.ref === MTLS_RULE_REF),
      [true, false],
      'the mTLS rule comes first',
    );
    const headers = await services.managedHeaders.get(OPERATOR, zone.id);
    assert.deepEqual(
      headers.managed_request_headers.filter((state) => state.enabled).map((state) => state.id),
      ['add_client_certificate_headers'],
    );

    assert.deepEqual(await apply(FILE), { writes: 0, changes: {} });
    const again = await services.rulesets.getEntrypoint(OPERATOR, zone.id, CUSTOM_RULES_PHASE);
    assert.equal(again.version, ruleset.version);
    assert.deepEqual(
      again.rules.map((rule) => rule.id),
      ruleset.rules.map((rule) => rule.id),
    );
  });

  test('is authoritative for the zones it names: API changes are undone, left-out keys mean none', async () => {
    await apply(FILE);
    const zone = (await zoneOf('example.com'))!;
    const other = await services.tenancy.createZone(OPERATOR, { name: 'other.com', accountId: zone.accountId });
    await services.routes.create(OPERATOR, zone.id, { hostname: 'extra.example.com', upstream: 'http://127.0.0.1:1' });
    await services.routes.create(OPERATOR, other.id, { hostname: 'other.com', upstream: 'http://127.0.0.1:1' });
    await services.hostnameAssociations.replace(OPERATOR, zone.id, undefined, ['managed.example.com']);
    const reverted = await apply(FILE);
    assert.deepEqual(reverted.changes, { mtls: 1, routes: 1 });
    assert.deepEqual(await services.hostnameAssociations.get(OPERATOR, zone.id, undefined), []);
    assert.equal((await services.routes.list(OPERATOR, zone.id)).length, 1);
    assert.equal((await services.routes.list(OPERATOR, other.id)).length, 1, 'a zone not in the file is left alone');

    // Only the zone's name left: no associations, routes or rules; identity headers back to the default.
    const bare = `accounts:\n  - name: acme\n    zones:\n      - name: example.com\n`;
    const emptied = await apply(bare);
    assert.deepEqual(emptied.changes, { mtls: 1, routes: 1, identity_headers: 1, rules: 1 });
    assert.deepEqual(await services.routes.list(OPERATOR, zone.id), []);
    assert.deepEqual((await services.rulesets.getEntrypoint(OPERATOR, zone.id, CUSTOM_RULES_PHASE)).rules, []);
    // CAs and edge certificates are never deleted by the file.
    assert.equal((await services.mtlsCertificates.list(OPERATOR, zone.accountId, undefined)).length, 1);
    assert.equal((await services.edgeCertificates.list(OPERATOR, zone.id)).length, 1);
    assert.deepEqual(await apply(bare), { writes: 0, changes: {} });
  });

  test('an mTLS rule made through the API with the same hostnames is the one the file declares', async () => {
    const text = `accounts:\n  - name: acme\n    zones:\n      - name: example.com\n        mtls_rule: [api.example.com]\n`;
    await apply(`accounts:\n  - name: acme\n    zones:\n      - name: example.com\n`);
    const zone = (await zoneOf('example.com'))!;
    await services.rulesets.upsertMtlsRule(OPERATOR, zone.id, { hostnames: ['api.example.com'] });
    assert.deepEqual(await apply(text), { writes: 0, changes: {} });
  });

  test('a rule keeps its id through its ref; identical rules without a ref are refused', async () => {
    const rule = (expression: string) =>
      `accounts:\n  - name: acme\n    zones:\n      - name: example.com\n        rules:\n          - ref: admin\n            expression: '${expression}'\n            action: log\n`;
    await apply(rule('http.request.uri.path eq "/admin"'));
    const zone = (await zoneOf('example.com'))!;
    const before = await services.rulesets.getEntrypoint(OPERATOR, zone.id, CUSTOM_RULES_PHASE);
    await apply(rule('http.request.uri.path eq "/root"'));
    const after = await services.rulesets.getEntrypoint(OPERATOR, zone.id, CUSTOM_RULES_PHASE);
    assert.equal(after.rules[0]?.id, before.rules[0]?.id);
    assert.equal(after.rules[0]?.version, 2);

    const twice = `accounts:\n  - name: acme\n    zones:\n      - name: example.com\n        rules:\n          - expression: 'true'\n            action: log\n          - expression: 'true'\n            action: log\n            description: again\n`;
    assert.match(
      await refusal(twice),
      /rules\[1\] \(line 8\): the same action and expression as the rule at .*rules\[0\] \(line 6\)/,
    );
    const reserved = `accounts:\n  - name: acme\n    zones:\n      - name: example.com\n        rules:\n          - ref: ${MTLS_RULE_REF}\n            expression: 'true'\n            action: log\n`;
    assert.match(await refusal(reserved), /rules\[0\]\.ref \(line 6\): "portcullis_mtls_rule" is mtls_rule's ref/);
  });

  test('rule problems found by the Rulesets API checks point at the rule key in the file', async () => {
    const base = `accounts:\n  - name: acme\n    zones:\n      - name: example.com\n        rules:\n          - expression: 'http.host eq "a"'\n            action: block\n`;
    const badResponse = `${base}            action_parameters:\n              response: { status_code: 200, content: x, content_type: text/plain }\n`;
    assert.match(
      await refusal(badResponse),
      /rules\[0\]\.action_parameters \(line 9\): action_parameters\/response\/status_code: must be an integer from 400 to 499/,
    );
    const badExpression = base.replace('http.host eq "a"', 'http.host eq');
    assert.match(await refusal(badExpression), /rules\[0\]\.expression \(line 6\): Filter parsing error \(1:\d+\)/);
  });

  test('a refused file writes nothing, even where it is valid before the problem', async () => {
    const text = `${FILE}      - name: second.com\n        routes:\n          - hostname: api.second.com\n            upstream: ftp://nope\n`;
    assert.match(
      await refusal(text),
      /zones\[1\]\.routes\[0\]\.upstream \(line \d+\): upstream scheme must be http, https or h2c/,
    );
    assert.deepEqual(await services.tenancy.listAccounts(OPERATOR), []);
    assert.equal(await zoneOf('example.com'), undefined);
  });

  test('refuses what the store makes impossible: a zone of another account, ambiguous or over-full accounts', async () => {
    const owner = await services.tenancy.createAccount(OPERATOR, 'someone else');
    await services.tenancy.createZone(OPERATOR, { name: 'example.com', accountId: owner.id });
    assert.match(
      await refusal(FILE),
      /accounts\[0\]\.zones\[0\] \(line 7\): zone example\.com already exists in another account/,
    );

    await services.tenancy.createAccount(OPERATOR, 'twice');
    await services.tenancy.createAccount(OPERATOR, 'twice');
    assert.match(
      await refusal(`accounts:\n  - name: twice\n`),
      /accounts\[0\] \(line 2\): 2 accounts are named "twice"/,
    );

    const cas: string[] = [];
    for (let index = 0; index < 6; index++) {
      const ca = await createCa(`CN=CA ${index}`);
      writeFileSync(path.join(dir, `ca-${index}.pem`), ca.certPem);
      cas.push(`      - name: ca-${index}\n        file: ./ca-${index}.pem\n`);
    }
    assert.match(
      await refusal(`accounts:\n  - name: many\n    cas:\n${cas.join('')}`),
      /6 new CA\(s\) would make 6, over the 5/,
    );
    assert.equal(
      (await services.tenancy.listAccounts(OPERATOR)).filter((account) => account.name === 'many').length,
      0,
    );
  });

  test('zones overlapping another account need "delegated: true"; the key sets and changes the delegation', async () => {
    const twoAccounts = (delegated: string) =>
      `accounts:\n  - name: parent\n    zones:\n      - name: b.example\n` +
      `  - name: child\n    zones:\n      - name: api.b.example\n${delegated}`;
    assert.match(
      await refusal(twoAccounts('')),
      /accounts\[1\]\.zones\[0\] \(line 7\): zone api\.b\.example lies under the zone b\.example of another account: add "delegated: true"/,
    );
    assert.deepEqual(await services.tenancy.listAccounts(OPERATOR), [], 'nothing of the file was written');

    const delegated = twoAccounts('        delegated: true\n');
    assert.equal((await apply(delegated)).changes.zone, 2);
    assert.equal((await zoneOf('api.b.example'))?.delegated, true);
    assert.equal((await zoneOf('b.example'))?.delegated, false);
    assert.deepEqual(await apply(delegated), { writes: 0, changes: {} });
    // Left out, a stored zone keeps its delegation; `false` clears it.
    assert.deepEqual(await apply(twoAccounts('')), { writes: 0, changes: {} });
    assert.deepEqual((await apply(twoAccounts('        delegated: false\n'))).changes, { zone: 1 });
    assert.equal((await zoneOf('api.b.example'))?.delegated, false);

    // A stored zone of another account counts too, parent or subdomain alike.
    const above = `accounts:\n  - name: third\n    zones:\n      - name: x.api.b.example\n`;
    assert.match(await refusal(above), /zone x\.api\.b\.example lies under the zone (api\.)?b\.example of another/);
  });

  test('a file the configuration names must be a readable regular file', async () => {
    assert.match(
      await refusal(FILE.replace('./partner.pem', './missing.pem')),
      /accounts\[0\]\.cas\[0\]\.file \(line 5\): cannot read "\.\/missing\.pem" \(ENOENT\)/,
    );
    assert.match(
      await refusal(FILE.replace('./api-key.pem', '.')),
      /edge_certificates\[0\]\.key \(line 10\): cannot read "\." \(not a regular file\)/,
    );
  });

  test('an edge certificate must name a hostname of its zone; the same one twice is refused', async () => {
    const elsewhere = FILE.replace('- name: example.com', '- name: example.org');
    assert.match(
      await refusal(elsewhere.replace('api.example.com, API.example.com.', 'api.example.org')),
      /edge_certificates\[0\]\.cert \(line 9\): "\.\/api\.pem" names no hostname of example\.org/,
    );
    const twice = FILE.replace(
      '            key: ./api-key.pem\n',
      '            key: ./api-key.pem\n          - cert: ./api.pem\n            key: ./api-key.pem\n',
    );
    assert.match(
      await refusal(twice),
      /edge_certificates\[1\] \(line 11\): the same certificate as .*edge_certificates\[0\]/,
    );
  });

  test('APIs and policies: created in order, the policy names the API by id, a second apply writes nothing', async () => {
    const first = await apply(gatewayFile({ policies: GOLD }));
    assert.deepEqual(first.changes, { account: 1, zone: 1, routes: 1, api: 2, policy: 1 });
    const zone = (await zoneOf('example.com'))!;
    const apis = await services.apis.list(OPERATOR, zone.id);
    const orders = apis.find((api) => api.name === 'orders')!;
    assert.equal(orders.authMode, 'mtls_dynamic');
    assert.deepEqual(orders.rateLimit, { rate: 100, per: 60 });
    const devices = apis.find((api) => api.name === 'devices')!;
    // A `file:` entry is the leaf's SHA-256; colons and case are normalised as the API does.
    assert.deepEqual(devices.allowedCertificates, [
      { kind: 'sha256', value: device.sha256 },
      { kind: 'sha256', value: 'ab'.repeat(32) },
    ]);
    const [gold] = await services.policies.list(OPERATOR, zone.accountId);
    assert.deepEqual(gold?.accessRights, [{ apiId: orders.id, methods: ['GET'], paths: ['/orders/*'] }]);
    assert.deepEqual(gold.quota, { max: 1000, renewalRate: 3600 });

    assert.deepEqual(await apply(gatewayFile({ policies: GOLD })), { writes: 0, changes: {} });
    assert.equal((await services.apis.list(OPERATOR, zone.id)).find((api) => api.name === 'orders')?.id, orders.id);
  });

  test("the file is authoritative for a zone's APIs: matched by name, a changed one keeps its id", async () => {
    await apply(gatewayFile());
    const zone = (await zoneOf('example.com'))!;
    const before = await services.apis.list(OPERATOR, zone.id);
    await services.apis.create(OPERATOR, zone.id, {
      name: 'made through the API',
      hostname: 'api.example.com',
      listen_path: '/extra',
      upstream_url: 'http://127.0.0.1:1',
      auth: { mode: 'keyless' },
    });
    const changed = await apply(gatewayFile().replace('auth: { mode: mtls_dynamic }', 'auth: { mode: keyless }'));
    assert.deepEqual(changed.changes, { api: 2 }, 'one update, one delete');
    const after = await services.apis.list(OPERATOR, zone.id);
    assert.deepEqual(after.map((api) => api.name).sort(), ['devices', 'orders']);
    const orders = after.find((api) => api.name === 'orders')!;
    assert.equal(orders.id, before.find((api) => api.name === 'orders')?.id);
    assert.equal(orders.authMode, 'keyless');

    // An API left out of the file is deleted; `apis:` left out means none.
    const bare = `accounts:\n  - name: acme\n    zones:\n      - name: example.com\n`;
    assert.deepEqual((await apply(bare)).changes, { routes: 1, api: 2 });
    assert.deepEqual(await services.apis.list(OPERATOR, zone.id), []);
  });

  test('an API may take the path a route or another API leaves, in whatever order the file lists them', async () => {
    const api = (name: string, listenPath: string) =>
      `          - name: ${name}\n            hostname: api.example.com\n            listen_path: ${listenPath}\n            upstream_url: http://127.0.0.1:3001\n            auth: { mode: keyless }\n`;
    await apply(
      gatewayFile({ apis: api('a', '/a') }).replace('upstream: http', 'path_prefix: /v1\n            upstream: http'),
    );
    // The route at /v1 goes, `a` moves there, and `b` (listed first) takes the /a that `a` leaves.
    const moved = await apply(gatewayFile({ apis: api('b', '/a') + api('a', '/v1') }));
    assert.deepEqual(moved.changes, { routes: 1, api: 2 });
    const zone = (await zoneOf('example.com'))!;
    assert.deepEqual(
      (await services.apis.list(OPERATOR, zone.id)).map((record) => [record.name, record.listenPath]).sort(),
      [
        ['a', '/v1'],
        ['b', '/a'],
      ],
    );
    // Two APIs trading paths wait on each other: refused before anything is written.
    const swap = gatewayFile({ apis: api('b', '/v1') + api('a', '/a') });
    assert.match(await refusal(swap), /apis\[0\] \(line 9\): api\.example\.com\/v1 is API "a"'s until it moves/);
    assert.equal(
      (await services.apis.list(OPERATOR, zone.id)).find((record) => record.name === 'a')?.listenPath,
      '/v1',
    );
  });

  test("policies are the file's only with the key; a policy a key lists cannot be dropped", async () => {
    await apply(gatewayFile({ policies: GOLD }));
    const zone = (await zoneOf('example.com'))!;
    await services.policies.create(OPERATOR, zone.accountId, { name: 'made through the API' });
    assert.deepEqual((await apply(gatewayFile())).changes, {}, 'without policies: the policies are left alone');
    assert.equal((await services.policies.list(OPERATOR, zone.accountId)).length, 2);
    assert.deepEqual((await apply(gatewayFile({ policies: GOLD }))).changes, { policy: 1 }, 'the other one deleted');

    const [gold] = await services.policies.list(OPERATOR, zone.accountId);
    await services.keys.create(OPERATOR, zone.accountId, {
      alias: 'device-1',
      certificate: { pem: device.certPem },
      policy_ids: [gold!.id],
    });
    const message = await refusal(gatewayFile({ policies: '    policies: []\n' }));
    assert.match(
      message,
      /accounts\[0\]\.policies \(line 24\): policy "gold" \([0-9a-f]{32}\) is not in the file, but key "device-1" lists it/,
    );
    assert.equal((await services.policies.list(OPERATOR, zone.accountId)).length, 1, 'nothing written');
    // Renaming is dropping one policy and adding another: refused the same way.
    assert.match(await refusal(gatewayFile({ policies: GOLD.replace('name: gold', 'name: silver') })), /policy "gold"/);
  });

  test('upstream_timeout_ms of routes and APIs is applied, compared (a second apply writes nothing) and checked', async () => {
    const withTimeouts = gatewayFile()
      .replace(
        'upstream: http://127.0.0.1:3000',
        'upstream: http://127.0.0.1:3000\n            upstream_timeout_ms: 2500',
      )
      .replace(
        'upstream_url: http://127.0.0.1:3001',
        'upstream_url: http://127.0.0.1:3001\n            upstream_timeout_ms: 9000',
      );
    await apply(gatewayFile());
    const changed = await apply(withTimeouts);
    assert.deepEqual(changed.changes, { routes: 1, api: 1 });
    const zone = (await zoneOf('example.com'))!;
    const [route] = await services.routes.list(OPERATOR, zone.id);
    assert.equal(route?.upstreamTimeoutMs, 2500);
    const orders = (await services.apis.list(OPERATOR, zone.id)).find((api) => api.name === 'orders');
    assert.equal(orders?.upstreamTimeoutMs, 9000);
    assert.equal((await apply(withTimeouts)).writes, 0);
    await assert.rejects(
      apply(withTimeouts.replace('upstream_timeout_ms: 2500', 'upstream_timeout_ms: 0')),
      /routes\[0\]\.upstream_timeout_ms \(line \d+\): upstream_timeout_ms must be a whole number of milliseconds/,
    );
    assert.equal((await services.routes.list(OPERATOR, zone.id))[0]?.upstreamTimeoutMs, 2500, 'nothing written');
  });

  test('API and policy problems are refused before any write, at the key that is wrong', async () => {
    const cases: [string, RegExp][] = [
      [
        gatewayFile().replace('listen_path: /orders', 'listen_path: /'),
        /apis\[0\] \(line 9\): a route of this zone is for api\.example\.com\/: an API and a route cannot share/,
      ],
      [
        gatewayFile().replace('auth: { mode: mtls_dynamic }', 'auth: { mode: mtls_static }'),
        /apis\[0\] \(line 9\): mode mtls_static needs at least one entry in auth\.allowed_certificates/,
      ],
      [
        gatewayFile().replace('rate_limit: { rate: 100, per: 60 }', 'rate_limit: { rate: 100, per: 0 }'),
        /apis\[0\]\.rate_limit\.per \(line 14\): rate_limit\.per must be a whole number of seconds/,
      ],
      [
        gatewayFile().replace('http://127.0.0.1:3001', 'ftp://127.0.0.1'),
        /apis\[0\]\.upstream_url \(line 12\): upstream_url/,
      ],
      [
        gatewayFile().replace('./device.pem', './partner.pem'),
        /allowed_certificates\[0\]\.file \(line 22\): "\.\/partner\.pem": a CA certificate; an allowlist names leaf certificates/,
      ],
      [
        gatewayFile().replace(
          '- file: ./device.pem',
          `- mtls_certificate_id: ${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}`,
        ),
        /allowed_certificates\[0\]\.mtls_certificate_id \(line 22\): no mTLS certificate 00000000-0000-4000-8000-000000000000 in this account/,
      ],
      [
        gatewayFile({ policies: GOLD.replace('api: orders', `api_id: ${'a'.repeat(32)}`) }),
        new RegExp(
          `policies\\[0\\]\\.access_rights\\[0\\]\\.api_id \\(line 27\\): API ${'a'.repeat(32)} is not an API of this account's zones`,
        ),
      ],
      [
        gatewayFile({ policies: GOLD.replace('methods: [GET]', 'methods: [get]') }),
        /policies\[0\]\.access_rights\[0\]\.methods \(line 28\): access_rights\[0\]\.methods: "get" is not an uppercase HTTP method/,
      ],
    ];
    for (const [text, expected] of cases) assert.match(await refusal(text), expected);
    assert.deepEqual(await services.tenancy.listAccounts(OPERATOR), [], 'nothing of any of them was written');
  });
}
