/**
 * Operator commands for resources only curl reached before, as a user runs them (the CLI as a child
 * process against a running gateway): edge certificates, clearing a CA's hostname associations, and
 * `config check` (a dry run of portcullis.yaml, on this machine, with serve --config's errors and exit 3),
 * `key get` with the access and limits its policies give it, and ids as positional arguments (`--id` deprecated).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runCli, type CliResult } from '../helpers/cli.ts';
import { startCliFixture, succeeded, succeededJson, type CliFixture } from '../helpers/cli-fixture.ts';
import { createCa, Eku } from '../helpers/pki.ts';

describe('portcullis edge-cert, ca associations clear, config check', () => {
  let fixture: CliFixture;
  let dir: string;
  let zoneId: string;
  let accountId: string;

  const cli = (args: string[]): Promise<CliResult> => fixture.cli(args);
  // Only the exit code is checked, as before: some of these commands may print notes on stderr.
  const ok = (result: CliResult): string => succeeded(result, { stderr: 'allowed' }).stdout;
  const json = <T = any>(result: CliResult): T => succeededJson<T>(result, { stderr: 'allowed' });

  before(async () => {
    fixture = await startCliFixture('resources', 'edge.example');
    ({ dir, accountId, zoneId } = fixture);
  });
  after(() => fixture.stop());

  test('edge-cert upload, list, get, delete; a key where the certificate belongs is refused before sending', async () => {
    const ca = await createCa('CN=Edge Test CA');
    const leaf = await ca.issue({ subject: 'CN=api.edge.example', dns: ['api.edge.example'], eku: [Eku.serverAuth] });
    const certFile = path.join(dir, 'edge.pem');
    const keyFile = path.join(dir, 'edge-key.pem');
    await writeFile(certFile, leaf.certPem + ca.certPem);
    await writeFile(keyFile, leaf.keyPem);

    const swapped = await cli(['edge-cert', 'upload', '--zone', zoneId, '--cert', keyFile, '--key', keyFile]);
    assert.equal(swapped.code, 2, swapped.stderr);
    assert.match(swapped.stderr, /--cert: .* holds a private key, .*nothing was sent/);
    const noKey = await cli(['edge-cert', 'upload', '--zone', zoneId, '--cert', certFile, '--key', certFile]);
    assert.equal(noKey.code, 2, noKey.stderr);
    assert.match(noKey.stderr, /--key: .* is not a PEM private key \(nothing was sent\)/);
    assert.deepEqual(json(await cli(['edge-cert', 'list', '--zone', zoneId, '--json'])), []);

    const uploaded = json<{ id: string; hosts: string[] }>(
      await cli(['edge-cert', 'upload', '--zone', zoneId, '--cert', certFile, '--key', keyFile, '--json']),
    );
    assert.deepEqual(uploaded.hosts, ['api.edge.example']);
    assert.equal(JSON.stringify(uploaded).includes('PRIVATE KEY'), false, 'the key is never shown');

    const listed = ok(await cli(['edge-cert', 'list', '--zone', zoneId]));
    assert.match(listed, new RegExp(`^ID +HOSTS +ISSUER +EXPIRES\n${uploaded.id} +api\\.edge\\.example +`));
    assert.match(listed, /1 edge certificate in zone /);
    const shown = ok(await cli(['edge-cert', 'get', uploaded.id, '--zone', zoneId]));
    assert.match(shown, new RegExp(`^Edge certificate ${uploaded.id}\n`));
    assert.match(shown, /Hosts: +api\.edge\.example\n/);

    assert.equal(
      ok(await cli(['edge-cert', 'delete', uploaded.id, '--zone', zoneId])),
      `Deleted edge certificate ${uploaded.id}\n`,
    );
    const gone = await cli(['edge-cert', 'get', uploaded.id, '--zone', zoneId]);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /perhaps your object identifier is invalid\? \[v4 7003\]/);
  });

  test('ca associations clear: the managed CA is trusted by no hostname of the zone afterwards', async () => {
    ok(await cli(['ca', 'associate', '--zone', zoneId, 'a.edge.example', 'b.edge.example']));
    assert.deepEqual(json(await cli(['ca', 'associations', '--zone', zoneId, '--json'])).hostnames, [
      'a.edge.example',
      'b.edge.example',
    ]);
    const cleared = ok(await cli(['ca', 'associations', 'clear', zoneId]));
    assert.equal(cleared, `Zone ${zoneId}: no hostname trusts the managed CA any more\n`);
    assert.deepEqual(json(await cli(['ca', 'associations', '--zone', zoneId, '--json'])).hostnames, []);
    const noZone = await cli(['ca', 'associations']);
    assert.equal(noZone.code, 2);
    assert.match(noZone.stderr, /required option '--zone <id>' not specified/);
    const missing = await cli(['ca', 'associations', 'clear']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /missing required argument 'zone-id'/);
  });

  test("config check: a good file passes (exit 0); a bad one is refused with serve --config's error (exit 3)", async () => {
    const good = path.join(dir, 'good.yaml');
    const bad = path.join(dir, 'bad.yaml');
    const zone = (hostname: string): string =>
      `accounts:\n  - name: acme\n    zones:\n      - name: example.com\n        routes:\n          - hostname: ${hostname}\n            upstream: http://127.0.0.1:3000\n`;
    await writeFile(good, zone('api.example.com'));
    await writeFile(bad, zone('api.other.com'));

    const passed = await runCli(['config', 'check', good]);
    assert.equal(passed.code, 0, passed.stderr);
    assert.equal(passed.stdout, `${good}: OK (1 account, 1 zone; 3 writes on a new gateway)\n`);
    const refused = await runCli(['config', 'check', bad]);
    assert.equal(refused.code, 3);
    assert.equal(refused.stdout, '');
    assert.match(
      refused.stderr,
      /^portcullis: Configuration refused: .*bad\.yaml: accounts\[0\]\.zones\[0\]\.routes\[0\]\.hostname \(line 6\): Hostname does not belong to this zone: api\.other\.com .*\[GW_ERR_CONFIG_INVALID\]\n$/,
    );
    const unreadable = await runCli(['config', 'check', path.join(dir, 'missing.yaml')]);
    assert.equal(unreadable.code, 3, unreadable.stderr);
    assert.match(unreadable.stderr, /\[GW_ERR_CONFIG_FILE_UNREADABLE\]/);
    // The running gateway was not touched: its zones are the test's own.
    const zones = json<{ name: string }[]>(await cli(['zone', 'list', '--json']));
    assert.equal(
      zones.some((z) => z.name === 'example.com'),
      false,
    );
  });

  test("key get shows what the gateway enforces: its policies' limits, or none when a policy is inactive", async () => {
    const policy = json<{ id: string }>(
      await cli([
        'policy',
        'create',
        '--account',
        accountId,
        '--name',
        'bronze',
        '--rate-limit',
        '100/60',
        '--quota',
        '1000/86400',
        '--json',
      ]),
    );
    const key = json<{ id: string }>(
      await cli(['key', 'create', '--account', accountId, '--with-token', '--policy', policy.id, '--json']),
    );
    const shown = ok(await cli(['key', 'get', key.id, '--account', accountId]));
    assert.match(shown, /^Rate limit: +none$/m, "the key's own fields: policies decide instead");
    assert.match(
      shown,
      /^Effective: +from its policies; its own are ignored\n {2}Access: +none\n {2}Rate limit: +100 per 60 s\n {2}Quota: +1000 per 86400 s$/m,
    );
    const viewed = json<{ effective: object }>(await cli(['key', 'get', key.id, '--account', accountId, '--json']));
    assert.deepEqual(viewed.effective, {
      refused: null,
      access_rights: [],
      rate_limit: { rate: 100, per: 60 },
      quota: { max: 1000, renewal_rate: 86400 },
    });

    ok(await cli(['policy', 'update', policy.id, '--account', accountId, '--inactive']));
    const refused = ok(await cli(['key', 'get', key.id, '--account', accountId]));
    assert.match(
      refused,
      new RegExp(`^Effective: +none: policy ${policy.id} is inactive, so every request is refused$`, 'm'),
    );
    const listed = json<{ effective: { refused: object } }[]>(
      await cli(['key', 'list', '--account', accountId, '--json']),
    );
    assert.deepEqual(listed[0]?.effective.refused, { reason: 'policy_inactive', policy_id: policy.id });
  });

  test('ids are positional; --id still works with a deprecation warning; neither or two different is a usage error', async () => {
    const policy = json<{ id: string }>(
      await cli(['policy', 'create', '--account', accountId, '--name', 'ids', '--json']),
    );
    const positional = await cli(['policy', 'get', policy.id, '--account', accountId, '--json']);
    assert.equal(json<{ id: string }>(positional).id, policy.id);
    assert.equal(positional.stderr, '', 'no warning for the positional form');
    const deprecated = await cli(['policy', 'get', '--id', policy.id, '--account', accountId, '--json']);
    assert.equal(json<{ id: string }>(deprecated).id, policy.id);
    assert.equal(deprecated.stderr, 'portcullis: warning: --id is deprecated; give the policy-id as an argument\n');

    const [none, two] = await Promise.all([
      cli(['policy', 'get', '--account', accountId]),
      cli(['policy', 'get', policy.id, '--id', 'ab'.repeat(16), '--account', accountId]),
    ]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /missing required argument 'policy-id' \[GW_ERR_USAGE\]/);
    assert.equal(two.code, 2);
    assert.match(two.stderr, /two ids given: .* give the policy-id once \[GW_ERR_USAGE\]/);

    const route = json<{ id: string }>(
      await cli([
        'route',
        'create',
        '--zone',
        zoneId,
        '--hostname',
        'r.edge.example',
        '--upstream',
        'http://127.0.0.1:9',
        '--json',
      ]),
    );
    const routeDeleted = await cli(['route', 'delete', '--id', route.id, '--zone', zoneId]);
    assert.equal(ok(routeDeleted), `Deleted route ${route.id}\n`);
    assert.match(routeDeleted.stderr, /--id is deprecated; give the route-id as an argument/);
    assert.equal(
      ok(await cli(['policy', 'delete', policy.id, '--account', accountId])),
      `Deleted policy ${policy.id}\n`,
    );
  });
});
