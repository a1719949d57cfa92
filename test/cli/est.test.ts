/**
 * The EST and fleet commands as an operator runs them: `est profile|secret|approvals|approve|reject`,
 * `cert tag set|get`, `cert list --tag`, `cert revoke-bulk`; the real CLI as a child process against
 * a real `portcullis serve`, and a device enrolling over the gateway's TLS listener with the secret
 * the CLI printed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AdminServer } from '../helpers/admin-server.ts';
import type { CliResult } from '../helpers/cli.ts';
import { startCliFixture, succeeded, succeededJson, type CliFixture } from '../helpers/cli-fixture.ts';
import { edgeCaPem } from '../helpers/gateway-pki.ts';
import { request } from '../helpers/https-client.ts';
import { generateKeyAndCsr } from '../../src/pki/key-and-csr.ts';

const HOST = 'devices.fleet.test';

describe('portcullis est and cert fleet commands', () => {
  let fixture: CliFixture;
  let server: AdminServer;
  let zoneId: string;

  before(async () => {
    fixture = await startCliFixture('est', 'fleet.test');
    ({ server, zoneId } = fixture);
    const associated = await server.call('PUT', `/zones/${zoneId}/certificate_authorities/hostname_associations`, {
      hostnames: [HOST],
    });
    assert.equal(associated.status, 200);
  });

  after(() => fixture.stop());

  const cli = (args: string[]): Promise<CliResult> => fixture.cli(args);

  /** Each device's CSR, made once: a retry while waiting for approval sends the same key. */
  const csrs = new Map<string, string>();
  /** simpleenroll as a device does it: base64 DER CSR, the bootstrap secret over HTTP Basic. */
  const enroll = async (user: string, password: string, commonName: string) => {
    const csrPem = csrs.get(commonName) ?? (await generateKeyAndCsr(commonName)).csrPem;
    csrs.set(commonName, csrPem);
    const body = csrPem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
    return request({
      port: server.gatewayPort,
      ca: edgeCaPem(server),
      servername: HOST,
      method: 'POST',
      path: '/.well-known/est/simpleenroll',
      headers: {
        host: HOST,
        'content-type': 'application/pkcs10',
        authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
      },
      body,
    });
  };

  test('profiles: create from flags, list, get, update keeps what was not given, delete', async () => {
    const created = succeededJson(
      await cli([
        'est',
        'profile',
        'create',
        '--zone',
        zoneId,
        '--label',
        'temp',
        '--hostname',
        HOST,
        '--tag',
        'fleet-x',
        '--validity-days',
        '30',
        '--manual-approval',
        '--json',
      ]),
    );
    assert.equal(created.label, 'temp');
    assert.deepEqual(created.hostnames, [HOST]);
    assert.deepEqual(created.tags, ['fleet-x']);
    assert.equal(created.validity_days, 30);
    assert.equal(created.manual_approval, true);

    const [listed, shown, updated] = await Promise.all([
      cli(['est', 'profile', 'list', '--zone', zoneId]),
      cli(['est', 'profile', 'get', created.id, '--zone', zoneId]),
      cli(['est', 'profile', 'update', created.id, '--zone', zoneId, '--renew-before-days', '5', '--json']),
    ]);
    assert.match(succeeded(listed).stdout, new RegExp(`^${created.id}  temp +30 +manual +${HOST}$`, 'm'));
    assert.match(succeeded(shown).stdout, /^Approval: +manual$/m);
    assert.match(succeeded(shown).stdout, /^Tags: +fleet-x$/m);
    const changed = succeededJson(updated);
    assert.equal(changed.renew_before_days, 5);
    assert.equal(changed.validity_days, 30, 'update starts from the current settings');
    assert.deepEqual(changed.tags, ['fleet-x']);
    assert.equal(changed.manual_approval, true);

    const off = succeededJson(
      await cli(['est', 'profile', 'update', created.id, '--zone', zoneId, '--no-manual-approval', '--json']),
    );
    assert.equal(off.manual_approval, false);

    // The API's validation reaches the operator as one line with its code, no stack.
    const bad = await cli(['est', 'profile', 'update', created.id, '--zone', zoneId, '--key-type', 'DSA']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^portcullis: .*key_types.*\[v4 \d+\]\n$/);

    assert.match(
      succeeded(await cli(['est', 'profile', 'delete', created.id, '--zone', zoneId])).stdout,
      /^Deleted enrollment profile/,
    );
    const gone = await cli(['est', 'profile', 'get', created.id, '--zone', zoneId]);
    assert.equal(gone.code, 1);
  });

  test('secrets printed once, approvals decided from the CLI, then tags and bulk revocation', async () => {
    const profile = succeededJson(
      await cli([
        'est',
        'profile',
        'create',
        '--zone',
        zoneId,
        '--hostname',
        HOST,
        '--tag',
        'fleet-a',
        '--manual-approval',
        '--json',
      ]),
    );
    const created = succeeded(
      await cli([
        'est',
        'secret',
        'create',
        '--zone',
        zoneId,
        '--profile',
        profile.id,
        '--max-uses',
        '2',
        '--name',
        'batch 7',
      ]),
    );
    const user = /^ {2}user: +([0-9a-f]{32})$/m.exec(created.stdout)?.[1];
    const password = /^ {2}secret: +(estb_\S+)$/m.exec(created.stdout)?.[1];
    assert.ok(user !== undefined && password !== undefined, created.stdout);
    assert.match(created.stdout, /shown only now/);

    const spare = succeededJson(
      await cli(['est', 'secret', 'create', '--zone', zoneId, '--profile', profile.id, '--json']),
    );
    assert.match(spare.secret, /^estb_/);
    const listed = succeeded(await cli(['est', 'secret', 'list', '--zone', zoneId, '--profile', profile.id]));
    assert.match(listed.stdout, new RegExp(`^${user}  0/2 `, 'm'));
    assert.doesNotMatch(listed.stdout, /estb_/, 'a list never shows a secret');
    succeeded(await cli(['est', 'secret', 'revoke', spare.id, '--zone', zoneId, '--profile', profile.id]));
    assert.equal((await enroll(spare.id, spare.secret, 'never')).status, 401, 'a revoked secret is refused');

    // Two devices wait for approval; the operator approves one and rejects the other.
    assert.equal((await enroll(user, password, 'sensor-1')).status, 202);
    assert.equal((await enroll(user, password, 'sensor-2')).status, 202);
    const pending = succeededJson<{ id: string; status: string }[]>(
      await cli(['est', 'approvals', '--zone', zoneId, '--status', 'pending', '--json']),
    );
    assert.equal(pending.length, 2);
    const [first, second] = pending as unknown as [{ id: string }, { id: string }];
    assert.match(succeeded(await cli(['est', 'approve', first.id, '--zone', zoneId])).stdout, /is approved$/m);
    assert.match(succeeded(await cli(['est', 'reject', second.id, '--zone', zoneId])).stdout, /is rejected$/m);
    const twice = await cli(['est', 'approve', second.id, '--zone', zoneId]);
    assert.equal(twice.code, 1, 'a decided request cannot be decided again');
    const retries = await Promise.all([enroll(user, password, 'sensor-1'), enroll(user, password, 'sensor-2')]);
    const statuses = retries.map((reply) => reply.status).sort();
    assert.deepEqual(statuses, [200, 403], 'the approved device gets its certificate, the rejected one 403');

    // Tags: the enrolled device carries the profile's; two certificates issued through the API get some too.
    const enrolled = succeededJson<{ id: string }[]>(
      await cli(['cert', 'list', '--zone', zoneId, '--tag', 'fleet-a', '--json']),
    );
    assert.equal(enrolled.length, 1);
    const issued: string[] = [];
    for (const name of ['gw-1', 'gw-2', 'gw-3']) {
      const { csrPem } = await generateKeyAndCsr(name);
      const answer = await server.call('POST', `/zones/${zoneId}/client_certificates`, {
        csr: csrPem,
        validity_days: 30,
      });
      issued.push(answer.body.result.id);
    }
    const [gw1, gw2, gw3] = issued as [string, string, string];
    assert.equal(
      succeeded(await cli(['cert', 'tag', 'set', gw1, '--zone', zoneId, '--tag', 'site-9', '--tag', 'fleet-a'])).stdout,
      `Tags of ${gw1}: fleet-a, site-9\n`,
    );
    succeeded(await cli(['cert', 'tag', 'set', gw2, '--zone', zoneId, '--tag', 'site-9']));
    assert.equal(succeeded(await cli(['cert', 'tag', 'get', gw1, '--zone', zoneId])).stdout, 'fleet-a\nsite-9\n');
    const site9 = succeeded(await cli(['cert', 'list', '--zone', zoneId, '--tag', 'site-9']));
    assert.match(site9.stdout, /^2 client certificates in zone [0-9a-f]{32} tagged site-9 \(2 active\)$/m);
    assert.match(site9.stdout, new RegExp(gw1));
    assert.match(site9.stdout, new RegExp(gw2));
    assert.doesNotMatch(site9.stdout, new RegExp(gw3));

    // Bulk revocation: by tag, then by profile; certificates outside the criteria stay active.
    const none = await cli(['cert', 'revoke-bulk', '--zone', zoneId]);
    assert.equal(none.code, 2, 'no criteria is a usage error, before any request');
    assert.equal(
      succeeded(await cli(['cert', 'revoke-bulk', '--zone', zoneId, '--tag', 'site-9'])).stdout,
      'Revoked 2 client certificates\n',
    );
    const byProfile = succeededJson<{ revoked: number; ids: string[] }>(
      await cli(['cert', 'revoke-bulk', '--zone', zoneId, '--profile', profile.id, '--json']),
    );
    assert.deepEqual(byProfile.ids, [enrolled[0]?.id]);
    const active = succeededJson<{ id: string }[]>(
      await cli(['cert', 'list', '--zone', zoneId, '--status', 'active', '--json']),
    );
    assert.deepEqual(
      active.map((c) => c.id),
      [gw3],
    );
    const late = await cli(['cert', 'revoke-bulk', '--zone', zoneId, '--issued-before', 'yesterday']);
    assert.equal(late.code, 1);
    assert.match(late.stderr, /issued_before must be an RFC 3339 time/);
  });

  test('the list endpoint filters by tag and refuses a malformed one with 400', async () => {
    const bad = await server.call('GET', `/zones/${zoneId}/client_certificates?tag=${encodeURIComponent('no spaces')}`);
    assert.equal(bad.status, 400);
    const missing = await server.call('GET', `/zones/${zoneId}/client_certificates?tag=nobody-has-this`);
    assert.equal(missing.status, 200);
    assert.deepEqual(missing.body.result, []);
    assert.equal(missing.body.result_info?.total_count, 0);
  });
});
