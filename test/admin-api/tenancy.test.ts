/**
 * Management API basics over real HTTP, on SQLite and on PostgreSQL: authentication (no token 401,
 * bad token 401, wrong scope 403), accounts, zones, API tokens, the v4 envelope and its errors, and
 * tenant isolation for accounts, zones and tokens.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTenant, createToken, startAdminServer, type AdminServer } from '../helpers/admin-server.ts';
import { createCa, Eku } from '../helpers/pki.ts';
import { postgresSkipReason, startPostgres, type TestPostgres } from '../helpers/postgres.ts';

const pgSkip = postgresSkipReason();
const stores: { name: string; skip: string | undefined }[] = [
  { name: 'sqlite', skip: undefined },
  { name: 'postgres', skip: pgSkip },
];

for (const { name, skip } of stores) {
  describe(`management API basics (${name})`, { skip }, () => {
    let server: AdminServer;
    let postgres: TestPostgres | undefined;
    let a: { accountId: string; zoneId: string };
    let b: { accountId: string; zoneId: string };

    before(async () => {
      if (name === 'postgres') {
        postgres = await startPostgres();
        server = await startAdminServer({ kind: 'postgres', url: await postgres.createDatabase('tenancy') });
      } else {
        server = await startAdminServer();
      }
      a = await createTenant(server, 'a.example.com');
      b = await createTenant(server, 'b.example.org');
    });

    after(async () => {
      await server.stop();
      await postgres?.stop();
    });

    test('no token → 401 (9106), unknown token → 401 (1000), in the v4 envelope', async () => {
      const none = await server.call('GET', '/accounts', undefined, null);
      assert.equal(none.status, 401);
      assert.deepEqual(none.body, {
        success: false,
        errors: [{ code: 9106, message: 'Missing Authorization header (Authorization: Bearer <token>)' }],
        messages: [],
        result: null,
      });
      const wrong = await server.call('GET', '/accounts', undefined, 'pcl_not-a-real-token-at-all');
      assert.equal(wrong.status, 401);
      assert.equal(wrong.body.errors[0]?.code, 1000);
      const malformed = await fetch(`${server.baseUrl}/accounts`, { headers: { authorization: 'Basic Zm9vOmJhcg==' } });
      assert.equal(malformed.status, 401);
      assert.match(malformed.headers.get('content-type') ?? '', /application\/json/);
    });

    test('token verify answers like Cloudflare', async () => {
      const verify = await server.call('GET', '/user/tokens/verify');
      assert.equal(verify.status, 200);
      assert.equal(verify.body.result.status, 'active');
      assert.match(verify.body.result.id, /^[0-9a-f]{32}$/);
      assert.deepEqual(verify.body.messages, [
        { code: 10000, message: 'This API Token is valid and active', type: null },
      ]);
      const token = await createToken(server, 'read', { account_id: a.accountId });
      assert.equal((await server.call('GET', `/accounts/${a.accountId}/tokens/verify`, undefined, token)).status, 200);
      assert.equal((await server.call('GET', `/accounts/${b.accountId}/tokens/verify`, undefined, token)).status, 403);
    });

    test('accounts and zones: create, get, list, filter by name', async () => {
      const zones = await server.call('GET', '/zones?name=a.example.com');
      assert.equal(zones.status, 200);
      assert.deepEqual(
        zones.body.result.map((zone: { id: string; name: string; account: { id: string } }) => [
          zone.id,
          zone.name,
          zone.account.id,
        ]),
        [[a.zoneId, 'a.example.com', a.accountId]],
      );
      assert.equal(zones.body.result_info?.total_count, 1);
      const zone = await server.call('GET', `/zones/${b.zoneId}`);
      assert.equal(zone.body.result.name, 'b.example.org');
      const account = await server.call('GET', `/accounts/${a.accountId}`);
      assert.equal(account.body.result.id, a.accountId);
    });

    test('zone names are validated and unique (400, or 409 across accounts; nothing stored)', async () => {
      const before = (await server.call('GET', '/zones')).body.result_info?.total_count;
      const duplicate = await server.call('POST', '/zones', { name: 'A.Example.com.', account: { id: a.accountId } });
      assert.equal(duplicate.status, 400);
      assert.equal(duplicate.body.errors[0]?.code, 12115);
      const ofAnother = await server.call('POST', '/zones', { name: 'A.Example.com.', account: { id: b.accountId } });
      assert.equal(ofAnother.status, 409);
      assert.equal(ofAnother.body.errors[0]?.code, 12130);
      for (const bad of ['not a domain', 'x', '-bad-.com', 'a'.repeat(64) + '.com', '127.0.0.1', 'host.123']) {
        const res = await server.call('POST', '/zones', { name: bad, account: { id: a.accountId } });
        assert.equal(res.status, 400, bad);
        assert.equal(res.body.errors[0]?.code, 12101);
      }
      assert.equal((await server.call('GET', '/zones')).body.result_info?.total_count, before);
    });

    test('an account token sees only its own account and zones; other tenants get 403', async () => {
      const token = await createToken(server, 'edit', { account_id: a.accountId });
      const accounts = await server.call('GET', '/accounts', undefined, token);
      assert.deepEqual(
        accounts.body.result.map((acc: { id: string }) => acc.id),
        [a.accountId],
      );
      const zones = await server.call('GET', '/zones', undefined, token);
      assert.deepEqual(
        zones.body.result.map((zone: { id: string }) => zone.id),
        [a.zoneId],
      );
      const other = await server.call('GET', `/zones/${b.zoneId}`, undefined, token);
      assert.equal(other.status, 403);
      assert.equal(other.body.errors[0]?.code, 10000);
      assert.equal((await server.call('GET', `/accounts/${b.accountId}`, undefined, token)).status, 403);
      const createInB = await server.call(
        'POST',
        '/zones',
        { name: 'evil.b.example.org', account: { id: b.accountId } },
        token,
      );
      assert.equal(createInB.status, 403);
      assert.equal(
        (await server.call('POST', '/accounts', { name: 'mine' }, token)).status,
        403,
        'only the operator creates accounts',
      );
      assert.equal(
        (await server.call('GET', '/zones?name=evil.b.example.org')).body.result.length,
        0,
        'nothing was created',
      );
    });

    test('zone names are claimed across accounts: equal, parent or subdomain of another account is 409 / 12130', async () => {
      const token = await createToken(server, 'edit', { account_id: a.accountId });
      const other = await createTenant(server, 'deep.c.example.net');
      const before = (await server.call('GET', '/zones')).body.result_info?.total_count;
      for (const name of [
        'b.example.org',
        'api.b.example.org',
        'x.api.b.example.org',
        'c.example.net',
        'example.net',
      ]) {
        const res = await server.call('POST', '/zones', { name, account: { id: a.accountId } }, token);
        assert.equal(res.status, 409, `${name}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.errors[0]?.code, 12130);
        assert.equal(res.headers.get('x-should-retry'), 'false');
        const text = JSON.stringify(res.body.errors);
        assert.ok(!text.includes(b.zoneId) && !text.includes(other.zoneId), `a tenant is not told which zone: ${text}`);
      }
      assert.equal((await server.call('GET', '/zones')).body.result_info?.total_count, before, 'nothing was created');
      // The operator is told which zone holds the name, and how to allow it.
      const operator = await server.call('POST', '/zones', { name: 'api.b.example.org', account: { id: a.accountId } });
      assert.equal(operator.status, 409);
      assert.match(
        operator.body.errors[0]?.message ?? '',
        new RegExp(`b\\.example\\.org, ${b.zoneId}.*"delegated": true`),
      );
    });

    test('one account may nest its own zones (and siblings of other accounts never overlap)', async () => {
      const token = await createToken(server, 'edit', { account_id: b.accountId });
      const nested = await server.call<{ name: string; delegated: boolean }>(
        'POST',
        '/zones',
        { name: 'eu.b.example.org', account: { id: b.accountId } },
        token,
      );
      assert.equal(nested.status, 200, JSON.stringify(nested.body));
      assert.equal(nested.body.result.delegated, false);
      const sibling = await createToken(server, 'edit', { account_id: a.accountId });
      const res = await server.call('POST', '/zones', { name: 'b-example.org', account: { id: a.accountId } }, sibling);
      assert.equal(res.status, 200, 'a name that only shares a suffix is not under the zone');
    });

    test("localhost and *.localhost are the operator's: 403 / 12131 for a tenant, allowed for the operator", async () => {
      const token = await createToken(server, 'edit', { account_id: a.accountId });
      for (const name of ['localhost', 'app.localhost', 'LOCALHOST.']) {
        const res = await server.call('POST', '/zones', { name, account: { id: a.accountId } }, token);
        assert.equal(res.status, 403, `${name}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.errors[0]?.code, 12131);
        assert.match(JSON.stringify(res.body.errors), /RFC 6761/);
      }
      const operator = await server.call<{ name: string }>('POST', '/zones', {
        name: 'localhost',
        account: { id: a.accountId },
      });
      assert.equal(operator.status, 200, 'the operator may (the npm start demo does)');
      assert.equal(operator.body.result.name, 'localhost');
    });

    test('delegation: only the operator, only with "delegated": true; recorded on the zone and changeable by PATCH', async () => {
      const token = await createToken(server, 'edit', { account_id: a.accountId });
      const asTenant = await server.call(
        'POST',
        '/zones',
        { name: 'shop.b.example.org', account: { id: a.accountId }, delegated: true },
        token,
      );
      assert.equal(asTenant.status, 403);
      assert.equal(asTenant.body.errors[0]?.code, 10000);
      const delegated = await server.call<{ id: string; name: string; delegated: boolean }>('POST', '/zones', {
        name: 'shop.b.example.org',
        account: { id: a.accountId },
        delegated: true,
      });
      assert.equal(delegated.status, 200, JSON.stringify(delegated.body));
      assert.equal(delegated.body.result.delegated, true);
      const read = await server.call<{ delegated: boolean }>(
        'GET',
        `/zones/${delegated.body.result.id}`,
        undefined,
        token,
      );
      assert.equal(read.body.result.delegated, true, 'the account sees that its zone is a delegation');

      const path = `/zones/${delegated.body.result.id}`;
      const patchAsTenant = await server.call('PATCH', path, { delegated: false }, token);
      assert.equal(patchAsTenant.status, 403);
      const patched = await server.call<{ delegated: boolean }>('PATCH', path, { delegated: false });
      assert.equal(patched.status, 200);
      assert.equal(patched.body.result.delegated, false);
      assert.equal((await server.call('PATCH', path, {})).status, 400, 'the field is required');
      assert.equal((await server.call('PATCH', path, { delegated: 'yes' })).status, 400);
    });

    test("the parent account cannot configure hostnames of another account's delegated zone (400 / 12114)", async () => {
      const parent = await createTenant(server, 'shop.example');
      const parentToken = await createToken(server, 'edit', { account_id: parent.accountId });
      const delegated = await server.call<{ id: string }>('POST', '/zones', {
        name: 'api.shop.example',
        account: { id: a.accountId },
        delegated: true,
      });
      assert.equal(delegated.status, 200, JSON.stringify(delegated.body));
      const zone = `/zones/${parent.zoneId}`;
      const refusals = [
        await server.call(
          'PUT',
          `${zone}/certificate_authorities/hostname_associations`,
          { hostnames: ['www.shop.example', 'x.api.shop.example'] },
          parentToken,
        ),
        await server.call(
          'POST',
          `${zone}/gateway/routes`,
          { hostname: 'api.shop.example', upstream: 'http://127.0.0.1:9' },
          parentToken,
        ),
        await server.call(
          'POST',
          `${zone}/gateway/apis`,
          {
            name: 'x',
            hostname: 'v1.api.shop.example',
            listen_path: '/',
            upstream_url: 'http://127.0.0.1:9',
            auth: { mode: 'keyless' },
          },
          parentToken,
        ),
      ];
      for (const res of refusals) {
        assert.equal(res.status, 400, JSON.stringify(res.body));
        assert.equal(res.body.errors[0]?.code, 12114);
        assert.match(JSON.stringify(res.body.errors), /belongs to the zone api\.shop\.example of another account/);
      }
      // Its own names stay its own; a certificate's names in the delegated zone are left out of its hosts.
      const own = await server.call(
        'PUT',
        `${zone}/certificate_authorities/hostname_associations`,
        { hostnames: ['www.shop.example', '*.shop.example'] },
        parentToken,
      );
      assert.equal(own.status, 200, JSON.stringify(own.body));
      const issuer = await createCa('CN=Edge issuer');
      const both = await issuer.issue({
        subject: 'CN=www.shop.example',
        dns: ['www.shop.example', 'login.api.shop.example'],
        eku: [Eku.serverAuth],
      });
      const uploaded = await server.call<{ hosts: string[] }>(
        'POST',
        `${zone}/custom_certificates`,
        { certificate: both.certPem, private_key: both.keyPem },
        parentToken,
      );
      assert.equal(uploaded.status, 200, JSON.stringify(uploaded.body));
      assert.deepEqual(uploaded.body.result.hosts, ['www.shop.example']);
      const onlyForeign = await issuer.issue({
        subject: 'CN=login.api.shop.example',
        dns: ['login.api.shop.example'],
        eku: [Eku.serverAuth],
      });
      const refused = await server.call(
        'POST',
        `${zone}/custom_certificates`,
        { certificate: onlyForeign.certPem, private_key: onlyForeign.keyPem },
        parentToken,
      );
      assert.equal(refused.status, 400);
      assert.equal(refused.body.errors[0]?.code, 12114);
      // The delegated zone's own account configures them.
      const inDelegated = await server.call('POST', `/zones/${delegated.body.result.id}/gateway/routes`, {
        hostname: 'api.shop.example',
        upstream: 'http://127.0.0.1:9',
      });
      assert.equal(inDelegated.status, 200, JSON.stringify(inDelegated.body));
    });

    test('concurrent creates of overlapping names by two accounts: exactly one wins', async () => {
      const tokenA = await createToken(server, 'edit', { account_id: a.accountId });
      const tokenB = await createToken(server, 'edit', { account_id: b.accountId });
      const names = ['race.example', 'api.race.example', 'race.example', 'www.api.race.example'];
      const results = await Promise.all(
        names.map((name, index) =>
          server.call(
            'POST',
            '/zones',
            { name, account: { id: index % 2 === 0 ? a.accountId : b.accountId } },
            index % 2 === 0 ? tokenA : tokenB,
          ),
        ),
      );
      const created = results.filter((res) => res.status === 200);
      const owners = new Set(created.map((res) => (res.body.result as { account: { id: string } }).account.id));
      assert.equal(owners.size, 1, `one account holds race.example: ${JSON.stringify(results.map((r) => r.status))}`);
      for (const res of results) assert.ok([200, 400, 409].includes(res.status), JSON.stringify(res.body));
      const stored = (
        await server.call<{ name: string; account: { id: string } }[]>('GET', '/zones?per_page=50')
      ).body.result.filter((zone) => zone.name.endsWith('race.example'));
      assert.equal(new Set(stored.map((zone) => zone.account.id)).size, 1);
    });

    test('DELETE /zones/:id: refused while in use (409 / 12132, saying what), then { id }; tokens of the zone disabled', async () => {
      const t = await createTenant(server, 'delete-me.example');
      const zone = `/zones/${t.zoneId}`;
      const route = await server.call<{ id: string }>('POST', `${zone}/gateway/routes`, {
        hostname: 'api.delete-me.example',
        upstream: 'http://127.0.0.1:9',
      });
      assert.equal(route.status, 200);
      const hostnames = `${zone}/certificate_authorities/hostname_associations`;
      assert.equal((await server.call('PUT', hostnames, { hostnames: ['api.delete-me.example'] })).status, 200);
      const entrypoint = `${zone}/rulesets/phases/http_request_firewall_custom/entrypoint`;
      const rules = [{ expression: 'http.request.uri.path eq "/admin"', action: 'block' }];
      assert.equal((await server.call('PUT', entrypoint, { rules })).status, 200);
      const zoneToken = await createToken(server, 'edit', { zone_id: t.zoneId });
      const otherAccount = await createToken(server, 'edit', { account_id: a.accountId });

      assert.equal((await server.call('DELETE', zone, undefined, zoneToken)).status, 403, 'a zone token cannot');
      assert.equal((await server.call('DELETE', zone, undefined, otherAccount)).status, 403);
      const unknown = await server.call('DELETE', '/zones/0123456789abcdef0123456789abcdef');
      assert.equal(unknown.status, 404);
      const inUse = await server.call('DELETE', zone);
      assert.equal(inUse.status, 409);
      assert.deepEqual(inUse.body.errors, [
        {
          code: 12132,
          message: 'The zone is in use: 1 route, 1 hostname association, 1 custom rule; remove them first',
        },
      ]);
      assert.equal((await server.call('GET', zone)).status, 200, 'nothing was deleted');

      assert.equal((await server.call('DELETE', `${zone}/gateway/routes/${route.body.result.id}`)).status, 200);
      assert.equal((await server.call('PUT', hostnames, { hostnames: [] })).status, 200);
      assert.equal((await server.call('PUT', entrypoint, { rules: [] })).status, 200);
      const deleted = await server.call('DELETE', zone);
      assert.equal(deleted.status, 200, JSON.stringify(deleted.body));
      assert.deepEqual(deleted.body.result, { id: t.zoneId });
      assert.equal((await server.call('GET', zone)).status, 404);
      assert.equal((await server.call('DELETE', zone)).status, 404);
      assert.equal((await server.call('GET', '/user/tokens/verify', undefined, zoneToken)).status, 401);
      assert.ok(
        !(await server.call<{ name: string }[]>('GET', '/zones?name=delete-me.example')).body.result.length,
        'gone from the list',
      );
      const again = await server.call<{ id: string }>('POST', '/zones', {
        name: 'delete-me.example',
        account: { id: t.accountId },
      });
      assert.equal(again.status, 200, 'the name is free again');
      assert.notEqual(again.body.result.id, t.zoneId);
    });

    test('a zone deleted while its records are being written: each write either counts (409) or gets 404, never a 500', async () => {
      for (let round = 0; round < 6; round++) {
        const t = await createTenant(server, `race-${round}.delete.example`);
        const zone = `/zones/${t.zoneId}`;
        const writes = [
          server.call('POST', `${zone}/gateway/routes`, {
            hostname: `a.race-${round}.delete.example`,
            upstream: 'http://x',
          }),
          server.call('PUT', `${zone}/certificate_authorities/hostname_associations`, {
            hostnames: [`b.race-${round}.delete.example`],
          }),
          server.call('PATCH', `${zone}/managed_headers`, {
            managed_request_headers: [{ id: 'add_client_certificate_headers', enabled: true }],
          }),
        ];
        const [deleted, ...written] = await Promise.all([server.call('DELETE', zone), ...writes]);
        const statuses = [deleted, ...written].map((res) => res.status);
        assert.ok(
          [deleted, ...written].every((res) => res.status < 500),
          `round ${round}: ${JSON.stringify(statuses)}`,
        );
        const landed = written.slice(0, 2).filter((res) => res.status === 200).length;
        if (deleted.status === 200) {
          assert.equal(landed, 0, `round ${round}: nothing may land in a deleted zone: ${JSON.stringify(statuses)}`);
        } else {
          assert.equal(deleted.status, 409, `round ${round}: ${JSON.stringify(statuses)}`);
        }
      }
    });

    test('a read token cannot change anything; a zone token cannot reach its account', async () => {
      const read = await createToken(server, 'read', { account_id: a.accountId });
      const res = await server.call(
        'POST',
        '/zones',
        { name: 'new.a.example.com', account: { id: a.accountId } },
        read,
      );
      assert.equal(res.status, 403);
      const zoneToken = await createToken(server, 'edit', { zone_id: a.zoneId });
      assert.equal((await server.call('GET', `/zones/${a.zoneId}`, undefined, zoneToken)).status, 200);
      assert.equal(
        (await server.call('GET', `/accounts/${a.accountId}/tokens/verify`, undefined, zoneToken)).status,
        403,
      );
      assert.equal(
        (await server.call('POST', '/zones', { name: 'z.a.example.com', account: { id: a.accountId } }, zoneToken))
          .status,
        403,
      );
    });

    test('tokens: a token cannot mint a broader one; list is scoped; revoke disables it', async () => {
      const accountEdit = await createToken(server, 'edit', { account_id: a.accountId });
      const broader = await server.call('POST', '/user/tokens', { name: 'escalate', permission: 'edit' }, accountEdit);
      assert.equal(broader.status, 403);
      const otherAccount = await server.call(
        'POST',
        '/user/tokens',
        { name: 'x', permission: 'read', scope: { account_id: b.accountId } },
        accountEdit,
      );
      assert.equal(otherAccount.status, 403);
      const child = await server.call<{ id: string; value: string }>(
        'POST',
        '/user/tokens',
        { name: 'child', permission: 'read', scope: { zone_id: a.zoneId } },
        accountEdit,
      );
      assert.equal(child.status, 200);
      assert.match(child.body.result.value, /^pcl_/);
      const listed = await server.call('GET', '/user/tokens', undefined, accountEdit);
      const ids = listed.body.result.map(
        (token: { id: string; scope: { account_id?: string } }) => token.scope.account_id,
      );
      assert.ok(
        ids.every((id: string | undefined) => id === a.accountId),
        'only tokens of account A are listed',
      );
      assert.ok(!JSON.stringify(listed.body).includes(child.body.result.value), 'secrets are never listed');
      const revoked = await server.call('DELETE', `/user/tokens/${child.body.result.id}`, undefined, accountEdit);
      assert.equal(revoked.body.result.status, 'disabled');
      assert.equal((await server.call('GET', '/user/tokens/verify', undefined, child.body.result.value)).status, 401);
    });

    test('envelope errors: unknown route 404 (7000), unknown id 404 (7003), bad JSON 400, huge body 413, bad id 400', async () => {
      const route = await server.call('GET', '/nowhere');
      assert.equal(route.status, 404);
      assert.equal(route.body.errors[0]?.code, 7000);
      const unknown = await server.call('GET', '/zones/0123456789abcdef0123456789abcdef');
      assert.equal(unknown.status, 404);
      assert.equal(unknown.body.errors[0]?.code, 7003);
      const json = await server.call('POST', '/accounts', '{"name":');
      assert.equal(json.status, 400);
      assert.equal(json.body.errors[0]?.code, 12101);
      const huge = await server.call('POST', '/accounts', { name: 'x'.repeat(2 * 1024 * 1024) });
      assert.equal(huge.status, 413);
      assert.equal(huge.body.errors[0]?.code, 12102);
      const badId = await server.call('GET', '/zones/not-an-id');
      assert.equal(badId.status, 400);
      assert.equal(huge.headers.get('x-should-retry'), 'false');
      assert.doesNotMatch(JSON.stringify([route.body, json.body, badId.body]), /\n\s+at |node_modules/);
    });

    test('the OpenAPI document is served without a token', async () => {
      const res = await fetch(`${server.baseUrl}/openapi.json`);
      assert.equal(res.status, 200);
      const doc = (await res.json()) as { openapi: string; paths: Record<string, unknown> };
      assert.match(doc.openapi, /^3\./);
      assert.ok(Object.keys(doc.paths).some((path) => path.includes('/zones/{zone_id}/client_certificates')));
    });
  });
}
