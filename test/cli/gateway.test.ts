/**
 * `portcullis api|policy|key` as a user runs them: the real CLI as a child process against a real
 * `portcullis serve` (in-process, loopback). Each spawn costs about a second, so independent runs
 * go in parallel.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CliResult } from '../helpers/cli.ts';
import { startCliFixture, succeeded, succeededJson, type CliFixture } from '../helpers/cli-fixture.ts';
import { createCa } from '../helpers/pki.ts';

const NO_STACK = /\n\s+at /;

describe('portcullis api, policy and key commands', () => {
  let fixture: CliFixture;
  let dir: string;
  let accountId: string;
  let zoneId: string;

  before(async () => {
    fixture = await startCliFixture('gateway', 'cli-gateway.test');
    ({ dir, accountId, zoneId } = fixture);
  });

  after(() => fixture.stop());

  const cli = (args: string[]): Promise<CliResult> => fixture.cli(args);

  test('api create and list, for a person and as JSON; a refused field is one line on stderr', async () => {
    const created = succeeded(
      await cli([
        'api',
        'create',
        '--zone',
        zoneId,
        '--name',
        'Orders',
        '--hostname',
        'api.cli-gateway.test',
        '--listen-path',
        '/orders',
        '--upstream',
        'http://127.0.0.1:9999',
        '--auth',
        'mtls_static',
        '--allow-sha256',
        'AB'.repeat(32),
        '--token-required',
        '--rate-limit',
        '100/60',
      ]),
    );
    const header =
      /^Created API ([0-9a-f]{32}) "Orders": api\.cli-gateway\.test\/orders -> http:\/\/127\.0\.0\.1:9999 \(mtls_static\)$/m.exec(
        created.stdout,
      );
    assert.ok(header, created.stdout);
    assert.match(created.stdout, /^Auth: +mtls_static \+ token$/m);
    assert.match(created.stdout, new RegExp(`^Allowed: +sha256:${'ab'.repeat(32)}$`, 'm'));
    assert.match(created.stdout, /^Rate limit: +100 per 60 s$/m);

    const [table, listed, refused, grpc] = await Promise.all([
      cli(['api', 'list', '--zone', zoneId]),
      cli(['api', 'list', '--zone', zoneId, '--json']),
      cli([
        'api',
        'create',
        '--zone',
        zoneId,
        '--name',
        'X',
        '--hostname',
        'evil.example',
        '--upstream',
        'http://x',
        '--auth',
        'keyless',
      ]),
      cli([
        'api',
        'create',
        '--zone',
        zoneId,
        '--name',
        'G',
        '--hostname',
        'grpc.cli-gateway.test',
        '--upstream',
        'http://g:50051',
        '--protocol',
        'grpc',
        '--auth',
        'keyless',
      ]),
    ]);
    const lines = succeeded(table).stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^ID\s+NAME\s+HOSTNAME\s+PATH\s+AUTH\s+PROTOCOL\s+ACTIVE\s+UPSTREAM$/);
    assert.match(
      lines[1]!,
      new RegExp(`^${header[1]!}  Orders  api\\.cli-gateway\\.test  /orders  mtls_static\\+token  http`),
    );
    assert.equal(lines.at(-1), `1 API in zone ${zoneId}`);
    const apis = succeededJson<{ id: string; auth: { allowed_certificates: unknown[] } }[]>(listed);
    assert.deepEqual(
      apis.map((api) => api.id),
      [header[1]],
    );
    assert.deepEqual(apis[0]?.auth.allowed_certificates, [{ sha256: 'ab'.repeat(32) }]);

    for (const result of [refused, grpc]) {
      assert.equal(result.code, 1, result.stderr);
      assert.doesNotMatch(result.stderr, NO_STACK);
      assert.equal(result.stderr.trimEnd().split('\n').length, 1);
    }
    assert.match(refused.stderr, /^portcullis: Hostname does not belong to this zone: evil\.example .*\[v4 12114\]\n$/);
    assert.match(grpc.stderr, /h2c:\/\/ or https:\/\/ upstream_url.*\[v4 12101\]/);

    const usage = await cli(['api', 'update', '--zone', zoneId, header[1]!, '--allow-sha256', 'ab'.repeat(32)]);
    assert.equal(usage.code, 2, usage.stderr);
    assert.match(usage.stderr, /give --auth with them/);
  });

  test('policy create; key create --with-token prints the secret once; key get and list never show it', async () => {
    const api = succeededJson<{ id: string }>(
      await cli([
        'api',
        'create',
        '--zone',
        zoneId,
        '--name',
        'Keys',
        '--hostname',
        'keys.cli-gateway.test',
        '--upstream',
        'http://127.0.0.1:9998',
        '--auth',
        'token',
        '--json',
      ]),
    );
    const policyOut = succeeded(
      await cli([
        'policy',
        'create',
        '--account',
        accountId,
        '--name',
        'Gold',
        '--access',
        api.id,
        '--rate-limit',
        '10/1',
        '--quota',
        '1000/86400',
      ]),
    );
    const policyId = /^Created policy ([0-9a-f]{32}) "Gold"$/m.exec(policyOut.stdout)?.[1];
    assert.ok(policyId, policyOut.stdout);
    assert.match(policyOut.stdout, new RegExp(`^Access: +${api.id} \\(any method, any path\\)$`, 'm'));
    assert.match(policyOut.stdout, /^Quota: +1000 per 86400 s$/m);

    const created = succeeded(
      await cli([
        'key',
        'create',
        '--account',
        accountId,
        '--alias',
        'ci',
        '--with-token',
        '--policy',
        policyId,
        '--meta',
        'team=ops',
      ]),
    );
    const keyId = /^Created key ([0-9a-f]{32}) "ci"$/m.exec(created.stdout)?.[1];
    assert.ok(keyId, created.stdout);
    const secret = /^Secret \(shown only this once; store it now\):\n {2}(pk_[A-Za-z0-9_-]{43})$/m.exec(
      created.stdout,
    )?.[1];
    assert.ok(secret, created.stdout);
    assert.match(created.stdout, /^Token: +yes$/m);

    const [got, listed, table, policies] = await Promise.all([
      cli(['key', 'get', '--account', accountId, keyId]),
      cli(['key', 'list', '--account', accountId, '--json']),
      cli(['key', 'list', '--account', accountId]),
      cli(['policy', 'list', '--account', accountId, '--json']),
    ]);
    for (const result of [got, listed, table])
      assert.ok(!succeeded(result).stdout.includes(secret), 'the secret is not shown again');
    assert.doesNotMatch(got.stdout, /Secret/);
    const keys = succeededJson<{ id: string; has_secret: boolean; policy_ids: string[]; metadata: object }[]>(listed);
    assert.deepEqual(
      keys.map((key) => [key.id, key.has_secret, key.policy_ids, key.metadata]),
      [[keyId, true, [policyId], { team: 'ops' }]],
    );
    assert.match(table.stdout, new RegExp(`^${keyId}  ci +token `, 'm'));
    assert.deepEqual(
      succeededJson<{ id: string }[]>(policies).map((policy) => policy.id),
      [policyId],
    );

    // The policy is in use: its delete is refused with the count; the key's binding cannot change.
    const [inUse, rotate] = await Promise.all([
      cli(['policy', 'delete', '--account', accountId, policyId]),
      cli(['key', 'update', '--account', accountId, keyId, '--alias', 'renamed', '--policy', policyId]),
    ]);
    assert.equal(inUse.code, 1);
    assert.match(inUse.stderr, /is used by 1 key.*\[v4 12117\]/);
    assert.match(succeeded(rotate).stdout, /^Updated key [0-9a-f]{32} "renamed"$/m);
  });

  test('key create --cert-file binds the certificate; a second key for it is refused', async () => {
    const ca = await createCa('CN=CLI Keys Root');
    const device = await ca.issue({ subject: 'CN=cli-device' });
    const file = path.join(dir, 'device.pem');
    await writeFile(file, device.certPem);
    const created = succeededJson<{
      id: string;
      certificate_binding: { kind: string; value: string };
      secret?: string;
    }>(await cli(['key', 'create', '--account', accountId, '--cert-file', file, '--bind-to', 'spki', '--json']));
    assert.equal(created.certificate_binding.kind, 'spki_sha256');
    assert.equal(created.secret, undefined);
    assert.notEqual(created.id, device.sha256.slice(0, 32));
    const again = await cli(['key', 'create', '--account', accountId, '--cert-file', file, '--bind-to', 'spki']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /a key is already bound to this certificate.*\[v4 12117\]/);
    const both = await cli(['key', 'create', '--account', accountId, '--cert-file', file, '--sha256', 'ab'.repeat(32)]);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /at most one of --cert-file/);
  });
});
