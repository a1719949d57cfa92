/**
 * `portcullis portal …` as a child process against a running `serve` with the portal: products,
 * the sign-up mode, invitations, developers and access requests, each as a user would type them.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli, type CliResult } from '../helpers/cli.ts';
import { OpensslWorkdir } from '../helpers/openssl.ts';
import { DeveloperClient, PASSWORD, startPortalWorld, type PortalWorld } from './portal-fixture.ts';

describe('portal CLI', () => {
  let world: PortalWorld;
  let openssl: OpensslWorkdir;
  const cli = (...args: string[]): Promise<CliResult> =>
    runCli([...args, '--api', world.server.baseUrl, '--token', world.server.adminToken]);
  const json = async <T>(...args: string[]): Promise<T> => {
    const result = await cli(...args, '--json');
    assert.equal(result.code, 0, result.stderr);
    return JSON.parse(result.stdout) as T;
  };

  before(async () => {
    world = await startPortalWorld();
    openssl = new OpensslWorkdir();
  });
  after(async () => {
    openssl.remove();
    await world.stop();
  });

  test('products, sign-up mode, invitation, developer, request approval with a message', async () => {
    const created = await json<{ id: string; approval_mode: string }>(
      'portal',
      'product',
      'create',
      '--account',
      world.accountId,
      '--name',
      'From the CLI',
      '--api-id',
      world.ordersApiId,
      '--policy',
      world.policyId,
      '--approval',
      'manual',
    );
    assert.equal(created.approval_mode, 'manual');
    const listed = await cli('portal', 'product', 'list');
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /From the CLI/);
    const refused = await cli(
      'portal',
      'product',
      'create',
      '--account',
      world.accountId,
      '--name',
      'x',
      '--api-id',
      'nope',
      '--policy',
      world.policyId,
    );
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /api_ids\[0\]/);

    assert.match((await cli('portal', 'signup-mode')).stdout, /Sign-up: invite; portal: https:\/\/127\.0\.0\.1:\d+/);
    assert.match((await cli('portal', 'signup-mode', 'open')).stdout, /Sign-up: open/);
    assert.match((await cli('portal', 'signup-mode', 'invite')).stdout, /Sign-up: invite/);

    const invite = await cli('portal', 'invite', '--email', 'cli@example.com');
    assert.equal(invite.code, 0, invite.stderr);
    const secret = /#\/invitation\/([\w-]{43})/.exec(invite.stdout)?.[1] ?? '';
    const developer = new DeveloperClient(world);
    await developer.ok('POST', '/api/signup', { email: 'cli@example.com', password: PASSWORD, invitation: secret });
    const developers = await json<{ id: string; email: string }[]>('portal', 'developer', 'list');
    assert.ok(developers.some((d) => d.email === 'cli@example.com'));

    const app = await developer.ok<{ id: string }>('POST', '/api/apps', { name: 'cli app' });
    const pending = await developer.ok<{ id: string }>('POST', `/api/apps/${app.id}/requests`, {
      product_id: created.id,
      credential: { kind: 'csr', csr: openssl.csr('p256', '/CN=cli').csrPem },
    });
    const requests = await json<{ id: string }[]>('portal', 'request', 'list', '--status', 'pending');
    assert.deepEqual(
      requests.map((r) => r.id),
      [pending.id],
    );
    const approved = await cli('portal', 'request', 'approve', pending.id, '--message', 'go ahead');
    assert.equal(approved.code, 0, approved.stderr);
    assert.match(approved.stdout, /is approved \(key [0-9a-f]{32}\)/);
    const detail = await developer.ok<{ requests: { message: string; status: string }[] }>(
      'GET',
      `/api/apps/${app.id}`,
    );
    assert.deepEqual(
      detail.requests.map((r) => [r.status, r.message]),
      [['approved', 'go ahead']],
    );
    assert.match((await cli('portal', 'request', 'revoke', pending.id)).stdout, /is revoked/);

    const id = developers.find((d) => d.email === 'cli@example.com')?.id ?? '';
    assert.match((await cli('portal', 'developer', 'disable', id)).stdout, /is disabled/);
    assert.equal((await developer.call('GET', '/api/apps')).status, 401, 'a disabled developer is signed out');
    const reset = await cli('portal', 'developer', 'reset-password', id);
    assert.match(reset.stdout, /Password reset link for cli@example\.com/);
  });
});
