/**
 * SANs from the command line, as a user runs it (the CLI as a child process against a running gateway):
 * `cert issue --generate --san …` requests names of each kind, the certificate carries the allowed ones (read by
 * `openssl x509`), a refused one fails naming it and writes nothing, and `zone san-policy show|set|reset`.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { access } from 'node:fs/promises';
import path from 'node:path';
import { runCli, type CliResult } from '../helpers/cli.ts';
import { startCliFixture, succeeded, type CliFixture } from '../helpers/cli-fixture.ts';
import { needsOpenssl } from '../helpers/openssl.ts';

describe('portcullis cert issue --san and zone san-policy', needsOpenssl, () => {
  let fixture: CliFixture;
  let dir: string;
  let zoneId: string;

  before(async () => {
    fixture = await startCliFixture('san', 'fleet.example');
    ({ dir, zoneId } = fixture);
  });
  after(() => fixture.stop());

  const cli = (args: string[]): Promise<CliResult> => fixture.cli(args);
  // Only the exit code is checked, as before.
  const ok = (result: CliResult): CliResult => succeeded(result, { stderr: 'allowed' });
  const sansOf = (file: string): string =>
    execFileSync('openssl', ['x509', '-in', file, '-noout', '-ext', 'subjectAltName'], { encoding: 'utf8' });

  test('names of every kind the policy allows end up in the certificate', async () => {
    ok(
      await cli([
        'zone',
        'san-policy',
        'set',
        zoneId,
        '--dns-domain',
        'fleet.example',
        '--email-domain',
        'fleet.example',
        '--uri-prefix',
        'spiffe://fleet.example/',
        '--ip',
      ]),
    );
    const out = path.join(dir, 'all');
    ok(
      await cli([
        'cert',
        'issue',
        '--zone',
        zoneId,
        '--generate',
        '--cn',
        'device-42',
        '--out-dir',
        out,
        '--san',
        'device-42.fleet.example',
        '--san',
        'URI:spiffe://fleet.example/device/42',
        '--san',
        'ops@fleet.example',
        '--san',
        '192.0.2.42',
      ]),
    );
    assert.match(
      sansOf(path.join(out, 'device-42.pem')),
      /DNS:device-42\.fleet\.example, URI:spiffe:\/\/fleet\.example\/device\/42, email:ops@fleet\.example, IP Address:192\.0\.2\.42/,
    );
  });

  test('a name the policy refuses fails naming it, and no file is written', async () => {
    ok(await cli(['zone', 'san-policy', 'reset', zoneId]));
    const out = path.join(dir, 'refused');
    const result = await cli([
      'cert',
      'issue',
      '--zone',
      zoneId,
      '--generate',
      '--cn',
      'device-43',
      '--out-dir',
      out,
      '--san',
      'device-43.fleet.example',
      '--san',
      'IP:192.0.2.43',
    ]);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /IP:192\.0\.2\.43 \(the zone allows no IP addresses\).*\[v4 12270\]/);
    await assert.rejects(access(path.join(out, 'device-43.key')));
  });

  test('--san goes with --generate, and a malformed one is a usage error before anything is sent', async () => {
    const withCsr = await runCli([
      'cert',
      'issue',
      '--zone',
      zoneId,
      '--csr',
      'x.csr',
      '--san',
      'a.example',
      '--api',
      'http://127.0.0.1:1/client/v4',
    ]);
    assert.equal(withCsr.code, 2);
    assert.match(withCsr.stderr, /--san goes with --generate/);
    const malformed = await runCli([
      'cert',
      'issue',
      '--zone',
      zoneId,
      '--generate',
      '--cn',
      'x',
      '--san',
      'IP:not-an-ip',
      '--api',
      'http://127.0.0.1:1/client/v4',
    ]);
    assert.equal(malformed.code, 2);
    assert.match(malformed.stderr, /not an IP address/);
  });

  test('zone san-policy show prints the policy in force, for a person and as JSON', async () => {
    const shown = ok(await cli(['zone', 'san-policy', 'show', zoneId])).stdout;
    assert.match(shown, /\(default policy\)/);
    assert.match(shown, /URI prefixes: +spiffe:\/\/fleet\.example\//);
    assert.match(shown, /IP addresses: +refused/);
    const json = JSON.parse(ok(await cli(['zone', 'san-policy', 'show', zoneId, '--json'])).stdout) as {
      dns_domains: string[];
    };
    assert.deepEqual(json.dns_domains, ['fleet.example']);
    const refused = await cli(['zone', 'san-policy', 'set', zoneId, '--uri-prefix', 'spiffe://x']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /must end in \/ or :/);
  });
});
