/**
 * ConfigApplier over a real SQLite store and the real use cases: what the file makes the store say,
 * that a second apply writes nothing, that the file is authoritative for the zones it names (and
 * only those), and that a refused file writes nothing at all. The same through a running
 * `portcullis serve` (start, SIGHUP, exit codes) is in test/serve-config-file.test.ts.
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createCa, Eku, type CaHandle, type Issued } from '../../test/helpers/pki.ts';
import { GatewayError } from '../errors/index.ts';
import { createLogger } from '../observability/logger.ts';
import { PublicPki } from '../runtime-config/public-pki.ts';
import { openStore } from '../store/open-store.ts';
import type { Store } from '../store/ports.ts';
import { SecretBox } from '../store/secret-box.ts';
import { buildServices, type ControlServices } from './build-services.ts';
import { CONFIG_FILE_PRINCIPAL as OPERATOR, ConfigApplier } from './config-applier.ts';
import { MTLS_RULE_REF } from './mtls-rule.ts';
import { CUSTOM_RULES_PHASE } from './ruleset-input.ts';

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

describe('ConfigApplier', () => {
  let dir: string;
  let store: Store;
  let services: ControlServices;
  let applier: ConfigApplier;
  let partner: CaHandle;
  let edge: Issued;

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
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  beforeEach(async () => {
    store = await openStore({ kind: 'sqlite', file: path.join(dir, `${Date.now()}-${Math.random()}.db`) });
    const publicPki = new PublicPki();
    services = buildServices({ store, box: new SecretBox(randomBytes(32)), publicPki, publicUrl: () => 'https://x' });
    applier = new ConfigApplier(services, createLogger('silent'));
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
});
