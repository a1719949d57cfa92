/**
 * Custom rules through the Rulesets API of `portcullis serve` (cloudflare-compatibility.md §6, §9), over real
 * HTTP, as one suite against SQLite and a real PostgreSQL: the entry point (404 before, PUT, GET, versions),
 * rule-level create/edit/delete with positions, refusals that store nothing (bad expressions, actions the gateway
 * cannot enforce), dry runs, rulesets by id, zone isolation, the mTLS rule helper and rule hit counts. A second,
 * in-process part drives the same API over a store that loses a race on purpose (409) and over hit counters
 * the test itself increments.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  createTenant,
  createToken,
  startAdminServer,
  type AdminServer,
  type V4Response,
} from '../helpers/admin-server.ts';
import { postgresSkipReason, startPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { buildAdminApi, type AdminApp } from '../../src/admin-api/build-admin-api.ts';
import { cursorPage } from '../../src/admin-api/routes/rulesets.ts';
import { buildServices } from '../../src/control/build-services.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { PublicPki } from '../../src/runtime-config/public-pki.ts';
import { RuleHitCounters } from '../../src/store/counters/memory-rule-hits.ts';
import { openStore } from '../../src/store/open-store.ts';
import type { Store } from '../../src/store/ports.ts';
import { SecretBox } from '../../src/store/secret-box.ts';
import { ok } from '../helpers/v4-assertions.ts';

// ---------------------------------------------------------------------------------------------
// Wire shapes (cloudflare-compatibility.md §6.1, §6.2) and helpers.

interface Rule {
  id: string;
  version: string;
  action: string;
  action_parameters?: Record<string, unknown>;
  expression: string;
  description: string;
  last_updated: string;
  ref: string;
  enabled: boolean;
  logging?: { enabled: boolean };
}

interface Ruleset {
  id: string;
  name: string;
  description: string;
  kind: string;
  phase: string;
  version: string;
  last_updated: string;
  rules: Rule[];
}

interface RuleHit {
  ruleset_id: string;
  rule_id: string;
  ref: string;
  description: string;
  action: string;
  hits: number;
  last_hit_at: string | null;
}

const PHASE = 'http_request_firewall_custom';
const HEX = /^[0-9a-f]{32}$/;
const MICROS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;
const CODE = { forbidden: 10000, notFound: 7003, validation: 12101, ruleSyntax: 12120, notInZone: 12114 } as const;
const UNVERIFIED = 'not cf.tls_client_auth.cert_verified';

function refused(response: V4Response, status: number, code: number, message?: RegExp): void {
  assert.equal(response.status, status, JSON.stringify(response.body));
  assert.equal(response.body.success, false);
  assert.equal(response.body.result, null);
  assert.equal(response.body.errors[0]?.code, code, JSON.stringify(response.body.errors));
  if (message !== undefined) assert.match(response.body.errors[0].message, message);
}

function assertRulesetShape(ruleset: Ruleset): void {
  assert.match(ruleset.id, HEX);
  assert.equal(ruleset.kind, 'zone');
  assert.equal(ruleset.phase, PHASE);
  assert.match(ruleset.version, /^[1-9]\d*$/);
  assert.match(ruleset.last_updated, MICROS);
  for (const rule of ruleset.rules) {
    assert.match(rule.id, HEX);
    assert.match(rule.version, /^[1-9]\d*$/);
    assert.match(rule.last_updated, MICROS);
    assert.equal(typeof rule.enabled, 'boolean');
    assert.equal(typeof rule.ref, 'string');
    assert.equal(typeof rule.description, 'string');
  }
}

// ---------------------------------------------------------------------------------------------
// The suite over HTTP, run once per store.

function defineSuite(storeUrl: () => Promise<string | undefined>): void {
  let server: AdminServer;

  before(async () => {
    const url = await storeUrl();
    server = await startAdminServer(url === undefined ? undefined : { kind: 'postgres', url });
  });
  after(async () => {
    await server.stop();
  });

  const entrypoint = (zoneId: string, phase = PHASE): string => `/zones/${zoneId}/rulesets/phases/${phase}/entrypoint`;
  const rulesOf = (zoneId: string, rulesetId: string): string => `/zones/${zoneId}/rulesets/${rulesetId}/rules`;
  const put = async (zoneId: string, body: object): Promise<Ruleset> =>
    ok(await server.call<Ruleset>('PUT', entrypoint(zoneId), body));
  const get = async (zoneId: string): Promise<Ruleset> => ok(await server.call<Ruleset>('GET', entrypoint(zoneId)));

  test('entry point: 404 before, PUT creates version 1, GET, versions list and get, wire format', async () => {
    const { zoneId } = await createTenant(server, 'entry.rules.test');
    refused(await server.call('GET', entrypoint(zoneId)), 404, CODE.notFound);
    const noVersions = await server.call<unknown[]>('GET', `${entrypoint(zoneId)}/versions`);
    assert.deepEqual(ok(noVersions), []);

    const created = await put(zoneId, {
      description: 'edge rules',
      rules: [
        {
          action: 'block',
          expression: `(http.host in {"api.entry.rules.test"} and ${UNVERIFIED})`,
          description: 'mTLS rule',
          action_parameters: {
            response: {
              status_code: 401,
              content: '{"error":"certificate required"}',
              content_type: 'application/json',
            },
          },
        },
        { action: 'log', expression: 'http.request.uri.path eq "/admin"', enabled: false, ref: 'admin-log' },
        { action: 'skip', expression: 'ip.src in {10.0.0.0/8}', action_parameters: { ruleset: 'current' } },
      ],
    });
    assertRulesetShape(created);
    assert.equal(created.version, '1');
    assert.equal(created.name, 'default');
    assert.equal(created.description, 'edge rules');
    const [block, log, skip] = created.rules;
    assert.deepEqual(Object.keys(block!), [
      'id',
      'version',
      'action',
      'action_parameters',
      'expression',
      'description',
      'last_updated',
      'ref',
      'enabled',
    ]);
    assert.equal(block!.ref, block!.id, 'ref defaults to the id');
    assert.equal(block!.version, '1');
    assert.deepEqual(block!.action_parameters, {
      response: { status_code: 401, content: '{"error":"certificate required"}', content_type: 'application/json' },
    });
    assert.equal(log!.ref, 'admin-log');
    assert.equal(log!.enabled, false);
    assert.equal(log!.action_parameters, undefined);
    assert.deepEqual(skip!.action_parameters, { ruleset: 'current' });
    assert.deepEqual(await get(zoneId), created);

    // A second PUT keeping ids: only the changed rule gets a new version; the ruleset gets version 2.
    const second = await put(zoneId, {
      rules: [
        { id: skip!.id, action: 'skip', expression: skip!.expression, action_parameters: { ruleset: 'current' } },
        { id: block!.id, action: 'block', expression: block!.expression, description: 'now without a body' },
      ],
    });
    assert.equal(second.version, '2');
    assert.equal(second.description, 'edge rules', 'description kept when not given');
    assert.deepEqual(
      second.rules.map((rule) => [rule.id, rule.version]),
      [
        [skip!.id, '1'],
        [block!.id, '2'],
      ],
    );
    assert.equal(second.rules[0]!.last_updated, skip!.last_updated);

    // The same body again is no change: no version 3.
    const again = await put(zoneId, { rules: second.rules });
    assert.equal(again.version, '2');

    const versions = ok(await server.call<Omit<Ruleset, 'rules'>[]>('GET', `${entrypoint(zoneId)}/versions`));
    assert.deepEqual(
      versions.map((version) => version.version),
      ['2', '1'],
    );
    assert.equal((versions[0] as Partial<Ruleset>).rules, undefined, 'version lists leave the rules out');
    const first = ok(await server.call<Ruleset>('GET', `${entrypoint(zoneId)}/versions/1`));
    assert.deepEqual(first, created);
    refused(await server.call('GET', `${entrypoint(zoneId)}/versions/9`), 404, CODE.notFound);
  });

  test('only http_request_firewall_custom is supported', async () => {
    const { zoneId } = await createTenant(server, 'phase.rules.test');
    const other = entrypoint(zoneId, 'http_request_firewall_managed');
    refused(await server.call('GET', other), 400, CODE.validation, /not supported.*http_request_firewall_custom/);
    refused(await server.call('PUT', other, { rules: [] }), 400, CODE.validation, /not supported/);
    refused(await server.call('GET', `${other}/versions`), 400, CODE.validation);
  });

  test('refusals store nothing: a bad expression (wirefilter message), an action the gateway cannot enforce', async () => {
    const { zoneId } = await createTenant(server, 'refusals.rules.test');
    const before = await put(zoneId, { rules: [{ action: 'block', expression: UNVERIFIED }] });

    const badExpression = await server.call('PUT', entrypoint(zoneId), {
      rules: [
        { action: 'block', expression: UNVERIFIED },
        { action: 'block', expression: 'http.host eq' },
      ],
    });
    refused(
      badExpression,
      400,
      CODE.ruleSyntax,
      /^\/rules\/1\/expression: Filter parsing error \(1:13\): expected a value after eq/,
    );
    assert.equal(badExpression.headers.get('x-should-retry'), 'false');

    refused(
      await server.call('PUT', entrypoint(zoneId), {
        rules: [{ action: 'managed_challenge', expression: UNVERIFIED }],
      }),
      400,
      CODE.validation,
      /\/rules\/0\/action: "managed_challenge" cannot be enforced by the gateway/,
    );
    refused(
      await server.call('POST', rulesOf(zoneId, before.id), { action: 'execute', expression: 'true' }),
      400,
      CODE.validation,
      /\/action: "execute" cannot be enforced/,
    );
    refused(
      await server.call('POST', rulesOf(zoneId, before.id), { action: 'log', expression: 'http.hots eq "x"' }),
      400,
      12121,
      /^\/expression: Filter parsing error \(1:1\): unknown field "http.hots"/,
    );
    refused(
      await server.call('PUT', entrypoint(zoneId), {
        rules: [{ action: 'skip', expression: 'true', action_parameters: { products: ['waf'] } }],
      }),
      400,
      CODE.validation,
      /products: is not supported/,
    );
    assert.deepEqual(await get(zoneId), before);
    assert.equal(ok(await server.call<unknown[]>('GET', `${entrypoint(zoneId)}/versions`)).length, 1);
  });

  test('rules: create with positions, edit (moves keep the version), delete, unknown ids', async () => {
    const { zoneId } = await createTenant(server, 'positions.rules.test');
    const ruleset = await put(zoneId, { rules: [{ action: 'log', expression: 'ssl', ref: 'a' }] });
    const create = async (body: object): Promise<Ruleset> =>
      ok(await server.call<Ruleset>('POST', rulesOf(zoneId, ruleset.id), body));
    const refs = (r: Ruleset): string[] => r.rules.map((rule) => rule.ref);

    assert.deepEqual(refs(await create({ action: 'log', expression: 'ssl', ref: 'b' })), ['a', 'b']);
    assert.deepEqual(refs(await create({ action: 'log', expression: 'ssl', ref: 'top', position: { before: '' } })), [
      'top',
      'a',
      'b',
    ]);
    const a = (await get(zoneId)).rules.find((rule) => rule.ref === 'a')!;
    assert.deepEqual(
      refs(await create({ action: 'log', expression: 'ssl', ref: 'after-a', position: { after: a.id } })),
      ['top', 'a', 'after-a', 'b'],
    );
    const withIndex = await create({ action: 'block', expression: UNVERIFIED, ref: 'second', position: { index: 2 } });
    assert.deepEqual(refs(withIndex), ['top', 'second', 'a', 'after-a', 'b']);
    assert.equal(withIndex.version, '5');
    refused(
      await server.call('POST', rulesOf(zoneId, ruleset.id), { action: 'log', expression: 'ssl', ref: 'a' }),
      400,
      CODE.validation,
      /^Invalid request: \/ref: "a" is already the ref of rule [0-9a-f]{32}$/,
    );
    refused(
      await server.call('POST', rulesOf(zoneId, ruleset.id), {
        action: 'log',
        expression: 'ssl',
        position: { index: 9 },
      }),
      400,
      CODE.validation,
      /\/position\/index/,
    );

    // Edit: a move alone keeps the rule's version; a content change bumps it; the others never move versions.
    const second = withIndex.rules[1]!;
    const moved = ok(
      await server.call<Ruleset>('PATCH', `${rulesOf(zoneId, ruleset.id)}/${second.id}`, { position: { index: 5 } }),
    );
    assert.deepEqual(refs(moved), ['top', 'a', 'after-a', 'b', 'second']);
    assert.equal(moved.rules[4]!.version, '1');
    assert.equal(moved.version, '6');
    const edited = ok(
      await server.call<Ruleset>('PATCH', `${rulesOf(zoneId, ruleset.id)}/${second.id}`, {
        enabled: false,
        description: 'off for now',
      }),
    );
    const after = edited.rules[4]!;
    assert.deepEqual(
      [after.id, after.version, after.enabled, after.description, after.expression, after.action],
      [second.id, '2', false, 'off for now', UNVERIFIED, 'block'],
    );
    assert.deepEqual(
      edited.rules.slice(0, 4).map((rule) => rule.version),
      ['1', '1', '1', '1'],
    );
    // A new action without parameters drops the old action's parameters.
    const skip = ok(
      await server.call<Ruleset>('PATCH', `${rulesOf(zoneId, ruleset.id)}/${second.id}`, {
        action: 'skip',
        action_parameters: { ruleset: 'current' },
      }),
    );
    assert.deepEqual(skip.rules[4]!.action_parameters, { ruleset: 'current' });
    const back = ok(
      await server.call<Ruleset>('PATCH', `${rulesOf(zoneId, ruleset.id)}/${second.id}`, { action: 'block' }),
    );
    assert.equal(back.rules[4]!.action_parameters, undefined);
    refused(
      await server.call('PATCH', `${rulesOf(zoneId, ruleset.id)}/${second.id}`, { expression: 'ssl and' }),
      400,
      CODE.ruleSyntax,
      /^\/expression: Filter parsing error/,
    );
    refused(
      await server.call('PATCH', `${rulesOf(zoneId, ruleset.id)}/${second.id}`, { id: 'f'.repeat(32) }),
      400,
      CODE.validation,
      /\/id: cannot be changed/,
    );

    const deleted = ok(await server.call<Ruleset>('DELETE', `${rulesOf(zoneId, ruleset.id)}/${second.id}`));
    assert.deepEqual(refs(deleted), ['top', 'a', 'after-a', 'b']);
    const unknown = 'e'.repeat(32);
    refused(await server.call('DELETE', `${rulesOf(zoneId, ruleset.id)}/${unknown}`), 404, CODE.notFound);
    refused(await server.call('PATCH', `${rulesOf(zoneId, ruleset.id)}/${unknown}`, {}), 404, CODE.notFound);
    refused(
      await server.call('POST', rulesOf(zoneId, unknown), { action: 'log', expression: 'ssl' }),
      404,
      CODE.notFound,
    );
  });

  test('dry_run: validates, answers result null (204 for a ruleset delete), stores nothing; other values → 400', async () => {
    const { zoneId } = await createTenant(server, 'dry.rules.test');
    const dry = await server.call('PUT', `${entrypoint(zoneId)}?dry_run=true`, {
      rules: [{ action: 'block', expression: UNVERIFIED }],
    });
    assert.equal(ok(dry), null);
    refused(await server.call('GET', entrypoint(zoneId)), 404, CODE.notFound);
    refused(
      await server.call('PUT', `${entrypoint(zoneId)}?dry_run=true`, { rules: [{ action: 'block', expression: '(' }] }),
      400,
      CODE.ruleSyntax,
    );
    refused(
      await server.call('PUT', `${entrypoint(zoneId)}?dry_run=yes`, { rules: [] }),
      400,
      CODE.validation,
      /dry_run must be true or false/,
    );

    const ruleset = ok(
      await server.call<Ruleset>('PUT', `${entrypoint(zoneId)}?dry_run=false`, {
        rules: [{ action: 'block', expression: UNVERIFIED }],
      }),
    );
    assert.equal(
      ok(
        await server.call('POST', `${rulesOf(zoneId, ruleset.id)}?dry_run=true`, { action: 'log', expression: 'ssl' }),
      ),
      null,
    );
    assert.equal(
      ok(await server.call('DELETE', `${rulesOf(zoneId, ruleset.id)}/${ruleset.rules[0]!.id}?dry_run=true`)),
      null,
    );
    const response = await fetch(`${server.baseUrl}/zones/${zoneId}/rulesets/${ruleset.id}?dry_run=true`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${server.adminToken}`, accept: '*/*' },
    });
    assert.equal(response.status, 204);
    assert.deepEqual(await get(zoneId), ruleset);
  });

  test('rulesets by id: list (no rules, no cursor on the last page), get, put, delete → 204 and gone', async () => {
    const { zoneId } = await createTenant(server, 'byid.rules.test');
    assert.deepEqual(ok(await server.call<unknown[]>('GET', `/zones/${zoneId}/rulesets`)), []);
    const created = await put(zoneId, { rules: [{ action: 'log', expression: 'ssl' }] });
    const listed = await server.call<Omit<Ruleset, 'rules'>[]>('GET', `/zones/${zoneId}/rulesets`);
    const summary: Partial<Ruleset> = { ...created };
    delete summary.rules;
    assert.deepEqual(ok(listed), [summary]);
    assert.equal((listed.body.result_info as { cursor?: string } | undefined)?.cursor, undefined);

    const byId = `/zones/${zoneId}/rulesets/${created.id}`;
    assert.deepEqual(ok(await server.call<Ruleset>('GET', byId)), created);
    const replaced = ok(
      await server.call<Ruleset>('PUT', byId, {
        kind: 'zone',
        phase: PHASE,
        name: 'default',
        rules: [{ action: 'block', expression: UNVERIFIED }],
      }),
    );
    assert.equal(replaced.version, '2');
    refused(
      await server.call('PUT', byId, { name: 'renamed', rules: [] }),
      400,
      CODE.validation,
      /name: cannot be changed/,
    );

    const response = await fetch(`${server.baseUrl}${byId}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${server.adminToken}`, accept: '*/*' },
    });
    assert.equal(response.status, 204);
    assert.equal(await response.text(), '');
    refused(await server.call('GET', byId), 404, CODE.notFound);
    refused(await server.call('GET', entrypoint(zoneId)), 404, CODE.notFound);
    assert.deepEqual(ok(await server.call<unknown[]>('GET', `${entrypoint(zoneId)}/versions`)), []);
    refused(await server.call('DELETE', byId), 404, CODE.notFound);
  });

  test('zone isolation: a token of another zone is refused, a read token cannot write', async () => {
    const own = await createTenant(server, 'own.rules.test');
    const other = await createTenant(server, 'other.rules.test');
    const ruleset = await put(own.zoneId, { rules: [{ action: 'log', expression: 'ssl' }] });
    const otherZoneToken = await createToken(server, 'edit', { zone_id: other.zoneId });
    const readToken = await createToken(server, 'read', { zone_id: own.zoneId });

    refused(await server.call('GET', entrypoint(own.zoneId), undefined, otherZoneToken), 403, CODE.forbidden);
    refused(await server.call('PUT', entrypoint(own.zoneId), { rules: [] }, otherZoneToken), 403, CODE.forbidden);
    refused(await server.call('GET', `/zones/${own.zoneId}/rulesets`, undefined, otherZoneToken), 403, CODE.forbidden);
    refused(
      await server.call('POST', rulesOf(own.zoneId, ruleset.id), { action: 'log', expression: 'ssl' }, otherZoneToken),
      403,
      CODE.forbidden,
    );
    refused(
      await server.call(
        'POST',
        `/zones/${own.zoneId}/gateway/mtls_rule`,
        { hostnames: ['own.rules.test'] },
        otherZoneToken,
      ),
      403,
      CODE.forbidden,
    );
    refused(
      await server.call('GET', `/zones/${own.zoneId}/gateway/rule_hits`, undefined, otherZoneToken),
      403,
      CODE.forbidden,
    );
    // The other zone's token reaches its own zone, and the ruleset id of a zone is not found under another.
    refused(
      await server.call('GET', `/zones/${other.zoneId}/rulesets/${ruleset.id}`, undefined, otherZoneToken),
      404,
      CODE.notFound,
    );

    assert.deepEqual(ok(await server.call<Ruleset>('GET', entrypoint(own.zoneId), undefined, readToken)), ruleset);
    refused(await server.call('PUT', entrypoint(own.zoneId), { rules: [] }, readToken), 403, CODE.forbidden);
    assert.deepEqual(await get(own.zoneId), ruleset);
  });

  test('mtls_rule: creates the entry point, goes first, replaces itself, is idempotent; hostnames must be in the zone', async () => {
    const { zoneId } = await createTenant(server, 'mtls.rules.test');
    const mtls = `/zones/${zoneId}/gateway/mtls_rule`;
    const first = ok(
      await server.call<Ruleset>('POST', mtls, { hostnames: ['B.mtls.rules.test', 'a.mtls.rules.test'] }),
    );
    assertRulesetShape(first);
    assert.equal(first.version, '1');
    const [rule] = first.rules;
    assert.deepEqual(
      [rule!.ref, rule!.description, rule!.action, rule!.version, rule!.enabled],
      ['portcullis_mtls_rule', 'mTLS rule', 'block', '1', true],
    );
    assert.equal(
      rule!.expression,
      '(http.host in {"a.mtls.rules.test" "b.mtls.rules.test"} and (not cf.tls_client_auth.cert_verified or cf.tls_client_auth.cert_revoked))',
    );
    const again = ok(
      await server.call<Ruleset>('POST', mtls, { hostnames: ['a.mtls.rules.test', 'b.mtls.rules.test'] }),
    );
    assert.deepEqual(again, first, 'the same call twice is no new version');

    // Another rule added at the top; the mTLS rule goes back first, same id, version 2.
    ok(
      await server.call('POST', rulesOf(zoneId, first.id), {
        action: 'log',
        expression: 'ssl',
        position: { index: 1 },
      }),
    );
    const replaced = ok(
      await server.call<Ruleset>('POST', mtls, {
        hostnames: ['a.mtls.rules.test'],
        action: 'log',
        check_revoked: false,
      }),
    );
    assert.equal(replaced.version, '3');
    assert.deepEqual(
      replaced.rules.map((r) => [r.ref === 'portcullis_mtls_rule', r.action]),
      [
        [true, 'log'],
        [false, 'log'],
      ],
    );
    assert.equal(replaced.rules[0]!.id, rule!.id);
    assert.equal(replaced.rules[0]!.version, '2');
    assert.equal(
      replaced.rules[0]!.expression,
      '(http.host in {"a.mtls.rules.test"} and not cf.tls_client_auth.cert_verified)',
    );

    refused(await server.call('POST', mtls, { hostnames: ['api.elsewhere.test'] }), 400, CODE.notInZone);
    refused(await server.call('POST', mtls, { hostnames: [] }), 400, CODE.validation);
    refused(
      await server.call('POST', mtls, { hostnames: ['a.mtls.rules.test'], action: 'skip' }),
      400,
      CODE.validation,
    );
    assert.equal(
      ok(await server.call<Ruleset>('POST', `${mtls}?dry_run=true`, { hostnames: ['x.mtls.rules.test'] })),
      null,
    );
    assert.equal((await get(zoneId)).version, '3');
  });

  test('rule_hits: every rule of the entry point, 0 hits and null before any match; [] without rules', async () => {
    const { zoneId } = await createTenant(server, 'hits.rules.test');
    assert.deepEqual(ok(await server.call<RuleHit[]>('GET', `/zones/${zoneId}/gateway/rule_hits`)), []);
    const ruleset = await put(zoneId, {
      rules: [
        { action: 'block', expression: UNVERIFIED, description: 'mtls', ref: 'mtls' },
        { action: 'log', expression: 'ssl' },
      ],
    });
    const hits = ok(await server.call<RuleHit[]>('GET', `/zones/${zoneId}/gateway/rule_hits`));
    assert.deepEqual(hits, [
      {
        ruleset_id: ruleset.id,
        rule_id: ruleset.rules[0]!.id,
        ref: 'mtls',
        description: 'mtls',
        action: 'block',
        hits: 0,
        last_hit_at: null,
      },
      {
        ruleset_id: ruleset.id,
        rule_id: ruleset.rules[1]!.id,
        ref: ruleset.rules[1]!.id,
        description: '',
        action: 'log',
        hits: 0,
        last_hit_at: null,
      },
    ]);
  });

  test('the OpenAPI document lists the rulesets endpoints', async () => {
    const response = await fetch(`${server.baseUrl}/openapi.json`);
    const document = (await response.json()) as { paths: Record<string, object> };
    for (const route of [
      '/zones/{zone_id}/rulesets/phases/{ruleset_phase}/entrypoint',
      '/zones/{zone_id}/rulesets/phases/{ruleset_phase}/entrypoint/versions/{ruleset_version}',
      '/zones/{zone_id}/rulesets/{ruleset_id}/rules/{rule_id}',
      '/zones/{zone_id}/gateway/mtls_rule',
      '/zones/{zone_id}/gateway/rule_hits',
    ]) {
      assert.ok(document.paths[route] !== undefined, `${route} is missing`);
    }
  });

  test('the OpenAPI document types the rule bodies (from model/shapes/ruleset-shape.ts)', async () => {
    const response = await fetch(`${server.baseUrl}/openapi.json`);
    type Body = { requestBody: { content: { 'application/json': { schema: any } } } };
    const document = (await response.json()) as { paths: Record<string, Record<string, Body>> };
    const bodyOf = (route: string, method: string): any =>
      document.paths[route]?.[method]?.requestBody.content['application/json'].schema;
    const rule = bodyOf('/zones/{zone_id}/rulesets/{ruleset_id}/rules', 'post');
    assert.deepEqual(rule.properties.action.enum, ['block', 'log', 'skip']);
    assert.equal(rule.properties.expression.type, 'string');
    assert.deepEqual(Object.keys(rule.properties.position.properties).sort(), ['after', 'before', 'index']);
    const ruleset = bodyOf('/zones/{zone_id}/rulesets/phases/{ruleset_phase}/entrypoint', 'put');
    assert.equal(ruleset.properties.rules.items.properties.action_parameters.properties.response.type, 'object');
  });
}

// ---------------------------------------------------------------------------------------------
// In process, over the same store kinds: a lost race (409) and hit counts the test increments.

interface InProcess {
  app: AdminApp;
  store: Store;
  counters: RuleHitCounters;
  /** Runs once, right after the next entry-point read of the API's store (the race). */
  afterNextRead: (work: () => Promise<void>) => void;
  call<T = any>(method: string, url: string, body?: unknown): Promise<V4Response<T>>;
}

async function startInProcess(store: Store): Promise<InProcess> {
  let pending: (() => Promise<void>) | undefined;
  // The API's store: the real one, except that an entry-point read can be followed by another writer.
  const racing = new Proxy(store, {
    get(target, key) {
      if (key === 'getRulesetByPhase') {
        return async (zoneId: string, phase: string) => {
          const read = await target.getRulesetByPhase(zoneId, phase);
          const work = pending;
          pending = undefined;
          if (work !== undefined) await work();
          return read;
        };
      }
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  const services = buildServices({
    store: racing,
    box: new SecretBox(randomBytes(32)),
    publicPki: new PublicPki(),
    publicUrl: () => 'https://127.0.0.1:8443',
  });
  const secret = randomBytes(24).toString('hex');
  await services.tokens.ensureBootstrapToken(secret);
  const counters = new RuleHitCounters();
  const app = await buildAdminApi({ services, logger: createLogger('silent'), ruleHits: counters });
  return {
    app,
    store,
    counters,
    afterNextRead: (work) => {
      pending = work;
    },
    async call(method, url, body) {
      const response = await app.inject({
        method: method as 'GET',
        url: `/client/v4${url}`,
        headers: { authorization: `Bearer ${secret}` },
        ...(body === undefined ? {} : { payload: body as object }),
      });
      return {
        status: response.statusCode,
        headers: new Headers(response.headers as Record<string, string>),
        body: response.json(),
      };
    },
  };
}

function defineInProcessSuite(openTestStore: () => Promise<{ store: Store; cleanup: () => Promise<void> }>): void {
  let api: InProcess;
  let cleanup: () => Promise<void>;
  let zoneId: string;

  before(async () => {
    const opened = await openTestStore();
    cleanup = opened.cleanup;
    api = await startInProcess(opened.store);
    const account = await api.call<{ id: string }>('POST', '/accounts', { name: 'race' });
    const zone = await api.call<{ id: string }>('POST', '/zones', {
      name: 'race.test',
      account: { id: account.body.result.id },
    });
    zoneId = zone.body.result.id;
  });
  after(async () => {
    await api.app.close();
    await cleanup();
  });

  test('a writer that read a version another writer replaced meanwhile gets 409 and changes nothing', async () => {
    const url = `/zones/${zoneId}/rulesets/phases/${PHASE}/entrypoint`;
    // Creating: both writers saw no entry point; the second one to save loses.
    api.afterNextRead(async () => {
      ok(await api.call('PUT', url, { rules: [{ action: 'log', expression: 'ssl', ref: 'winner' }] }));
    });
    const lostCreate = await api.call('PUT', url, {
      rules: [{ action: 'block', expression: UNVERIFIED, ref: 'loser' }],
    });
    refused(lostCreate, 409, 12117, /^Conflict: /);
    assert.equal(lostCreate.headers.get('x-should-retry'), 'false', 'the SDK must not blindly retry it');

    // Updating: the version read is no longer the stored one.
    const current = ok(await api.call<Ruleset>('GET', url));
    api.afterNextRead(async () => {
      ok(await api.call('POST', `/zones/${zoneId}/gateway/mtls_rule`, { hostnames: ['api.race.test'] }));
    });
    refused(await api.call('PUT', url, { rules: [] }), 409, 12117, /changed meanwhile/);
    const stored = ok(await api.call<Ruleset>('GET', url));
    assert.equal(stored.version, String(Number(current.version) + 1));
    assert.deepEqual(
      stored.rules.map((rule) => rule.ref),
      ['portcullis_mtls_rule', 'winner'],
    );
  });

  test('rule_hits reads the counters given to buildAdminApi', async () => {
    const ruleset = ok(await api.call<Ruleset>('GET', `/zones/${zoneId}/rulesets/phases/${PHASE}/entrypoint`));
    const [mtlsRule, winner] = ruleset.rules;
    const at = Date.parse('2026-03-01T12:00:00.250Z');
    api.counters.record(ruleset.id, mtlsRule!.id, at - 1000);
    api.counters.record(ruleset.id, mtlsRule!.id, at);
    api.counters.record('f'.repeat(32), 'e'.repeat(32), at); // another ruleset's rule: not listed
    const hits = ok(await api.call<RuleHit[]>('GET', `/zones/${zoneId}/gateway/rule_hits`));
    assert.deepEqual(
      hits.map((hit) => [hit.rule_id, hit.hits, hit.last_hit_at]),
      [
        [mtlsRule!.id, 2, '2026-03-01T12:00:00.250000Z'],
        [winner!.id, 0, null],
      ],
    );
  });
}

// ---------------------------------------------------------------------------------------------
// Targets.

test('cursorPage: ids in order, a cursor after a full page only', () => {
  const items = ['c', 'a', 'd', 'b', 'e'].map((id) => ({ id }));
  const first = cursorPage(items, undefined, 2);
  assert.deepEqual(first, { page: [{ id: 'a' }, { id: 'b' }], next: 'b' });
  const second = cursorPage(items, first.next, 2);
  assert.deepEqual(second, { page: [{ id: 'c' }, { id: 'd' }], next: 'd' });
  assert.deepEqual(cursorPage(items, second.next, 2), { page: [{ id: 'e' }], next: undefined });
  assert.deepEqual(cursorPage(items.slice(0, 2), undefined, 2), { page: [{ id: 'a' }, { id: 'c' }], next: undefined });
  assert.equal(cursorPage(items, '', 10).page.length, 5);
});

describe('rulesets API: SQLite', () => {
  defineSuite(() => Promise.resolve(undefined));
  describe('in process', () => {
    defineInProcessSuite(async () => {
      const dir = await mkdtemp(path.join(tmpdir(), 'portcullis-rulesets-'));
      const store = await openStore({ kind: 'sqlite', file: path.join(dir, 'store.db') });
      return {
        store,
        cleanup: async () => {
          await store.close();
          await rm(dir, { recursive: true, force: true });
        },
      };
    });
  });
});

const skipPostgres = postgresSkipReason();

describe('rulesets API: PostgreSQL', { skip: skipPostgres ?? false }, () => {
  let postgres: TestPostgres;
  before(async () => {
    postgres = await startPostgres();
    await postgres.createDatabase('rulesets');
  });
  defineSuite(() => postgres.createSchema('rulesets', 'api'));
  describe('in process', () => {
    defineInProcessSuite(async () => {
      const store = await openStore({ kind: 'postgres', url: await postgres.createSchema('rulesets', 'race') });
      return { store, cleanup: () => store.close() };
    });
  });
  // Last: node:test runs `after` hooks in the order they were added, and the suite's gateway must be
  // stopped before PostgreSQL (a query in flight on a server that went away fails the test file).
  after(async () => {
    await postgres.stop();
  });
});
