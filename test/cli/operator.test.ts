/**
 * The operator commands that only curl reached before, as a user runs them (the CLI as a child process against
 * a running gateway): analytics summary|requests|certificates, the expiry report, identity headers, and
 * cert inspect (a PEM file; with --zone, the gateway's status by fingerprint, by serial and by id).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CliResult } from '../helpers/cli.ts';
import { startCliFixture, succeeded, succeededJson, type CliFixture } from '../helpers/cli-fixture.ts';
import { createCa } from '../helpers/pki.ts';
import { execFileSync } from 'node:child_process';
import { stat } from 'node:fs/promises';

describe('portcullis operator commands', () => {
  let fixture: CliFixture;
  let dir: string;
  let accountId: string;
  let zoneId: string;
  let issued: { id: string; serial_number: string; fingerprint_sha256: string };

  const cli = (args: string[]): Promise<CliResult> => fixture.cli(args);
  // These commands may warn on stderr (e.g. a certificate near its expiry): only the exit code is checked.
  const ok = (result: CliResult): string => succeeded(result, { stderr: 'allowed' }).stdout;
  const json = <T = any>(result: CliResult): T => succeededJson<T>(result, { stderr: 'allowed' });

  before(async () => {
    fixture = await startCliFixture('operator', 'ops.example');
    ({ dir, accountId, zoneId } = fixture);
    issued = json(
      await cli([
        'cert',
        'issue',
        '--zone',
        zoneId,
        '--generate',
        '--cn',
        'device-7',
        '--days',
        '10',
        '--out-dir',
        dir,
        '--json',
      ]),
    );
  });
  after(() => fixture.stop());

  test('analytics: summary (grouped and not), requests and certificates of a quiet zone', async () => {
    const [summary, grouped, requests, certificates, badGroup] = await Promise.all([
      cli(['analytics', 'summary', zoneId]),
      cli(['analytics', 'summary', zoneId, '--group-by', 'status', '--json']),
      cli(['analytics', 'requests', zoneId, '--status', '200', '--limit', '5']),
      cli(['analytics', 'certificates', zoneId, '--json']),
      cli(['analytics', 'summary', zoneId, '--group-by', 'colour']),
    ]);
    assert.match(ok(summary), /^0 requests, 0 errors, latency avg - , max - \(.* to .*\)\n$|^0 requests, 0 errors/);
    const groupedJson = JSON.parse(ok(grouped)) as {
      group_by: string;
      groups: unknown[];
      totals: { requests: number };
    };
    assert.equal(groupedJson.group_by, 'status');
    assert.equal(groupedJson.totals.requests, 0);
    assert.equal(ok(requests), '0 requests\n');
    assert.deepEqual(JSON.parse(ok(certificates)), []);
    assert.equal(badGroup.code, 2);
    assert.match(badGroup.stderr, /Allowed choices are api, key, certificate, status/);
  });

  test('expiring: the account report lists the certificate that expires in 10 days', async () => {
    const [human, within5, asJson] = await Promise.all([
      cli(['expiring', accountId]),
      cli(['expiring', accountId, '--within-days', '5']),
      cli(['expiring', accountId, '--json']),
    ]);
    assert.match(ok(human), new RegExp(`client +${issued.id} +CN=device-7|${issued.id}`));
    assert.match(ok(human), /expiring within 30 days/);
    assert.doesNotMatch(ok(within5), new RegExp(issued.id));
    const list = JSON.parse(ok(asJson)) as { id: string; kind: string; days_remaining: number }[];
    const entry = list.find((item) => item.id === issued.id);
    assert.equal(entry?.kind, 'client');
    assert.ok(entry.days_remaining >= 9 && entry.days_remaining <= 10, String(entry.days_remaining));
  });

  test('headers: show the default, turn formats on and off, all off', async () => {
    assert.match(ok(await cli(['headers', 'show', zoneId])), /xfcc +add_forwarded_client_cert_header +yes/);
    const set = ok(await cli(['headers', 'set', zoneId, '--enable', 'rfc9440', '--disable', 'xfcc']));
    assert.match(set, /xfcc +add_forwarded_client_cert_header +no/);
    assert.match(set, /rfc9440 +add_rfc9440_client_cert_headers +yes/);
    const off = json<{ managed_request_headers: { enabled: boolean }[] }>(
      await cli(['headers', 'off', zoneId, '--json']),
    );
    assert.ok(off.managed_request_headers.every((transform) => !transform.enabled));
    const unknown = await cli(['headers', 'set', zoneId, '--enable', 'spiffe']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown header format "spiffe" \(xfcc, cf, rfc9440\)/);
  });

  test('cert inspect: a PEM file, and the gateway status by fingerprint, serial and id', async () => {
    const file = path.join(dir, 'device-7.pem');
    const local = ok(await cli(['cert', 'inspect', file]));
    assert.match(local, /Subject: +CN=device-7/);
    assert.match(local, new RegExp(`SHA-256: +${issued.fingerprint_sha256}`));
    assert.match(local, /Validity: +valid/);
    assert.doesNotMatch(local, /Gateway/);

    const [byFile, bySerial, byId] = await Promise.all([
      cli(['cert', 'inspect', file, '--zone', zoneId, '--json']),
      cli(['cert', 'inspect', issued.serial_number, '--zone', zoneId, '--json']),
      cli(['cert', 'inspect', issued.id, '--zone', zoneId]),
    ]);
    for (const result of [byFile, bySerial]) {
      const inspected = JSON.parse(ok(result)) as { gateway: { id: string; status: string }; serial_number: string };
      assert.deepEqual(inspected.gateway, { id: issued.id, status: 'active' });
      assert.equal(inspected.serial_number, issued.serial_number.toLowerCase());
    }
    assert.match(ok(byId), new RegExp(`Gateway: +active \\(id ${issued.id}\\)`));

    ok(await cli(['cert', 'revoke', '--zone', zoneId, issued.id]));
    assert.match(ok(await cli(['cert', 'inspect', file, '--zone', zoneId])), /Gateway: +revoked/);
  });

  test('cert inspect: a certificate of another CA, a key, an unknown serial', async () => {
    const other = await createCa('CN=Elsewhere');
    const leaf = await other.issue({ subject: 'CN=stranger', dns: ['stranger.example'] });
    const leafFile = path.join(dir, 'stranger.pem');
    await writeFile(leafFile, leaf.certPem);
    const stranger = json<{ subject_alt_names: string[]; gateway: unknown }>(
      await cli(['cert', 'inspect', leafFile, '--zone', zoneId, '--json']),
    );
    assert.deepEqual(stranger.subject_alt_names, ['DNS:stranger.example']);
    assert.equal(stranger.gateway, null);

    const keyFile = path.join(dir, 'device-7.key');
    assert.match(await readFile(keyFile, 'utf8'), /PRIVATE KEY/);
    const key = await cli(['cert', 'inspect', keyFile, '--zone', zoneId]);
    assert.equal(key.code, 2);
    assert.match(key.stderr, /holds a private key/);

    const unknown = await cli(['cert', 'inspect', 'abcdef0123', '--zone', zoneId]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no client certificate with serial abcdef0123/);
    const noZone = await cli(['cert', 'inspect', 'abcdef0123']);
    assert.equal(noZone.code, 2);
    assert.match(noZone.stderr, /needs --zone/);
  });

  test('cert issue --p12: a PKCS #12 file (mode 0600) that openssl pkcs12 opens with the passphrase', async () => {
    const out = path.join(dir, 'p12');
    const passFile = path.join(dir, 'p12-pass');
    await writeFile(passFile, 'correct horse battery\n');
    const result = json<{ files: { pkcs12: string }; fingerprint_sha256: string }>(
      await cli([
        'cert',
        'issue',
        '--zone',
        zoneId,
        '--generate',
        '--cn',
        'phone-1',
        '--out-dir',
        out,
        '--p12',
        '--p12-passphrase-file',
        passFile,
        '--json',
      ]),
    );
    assert.equal(result.files.pkcs12, path.join(out, 'phone-1.p12'));
    assert.equal((await stat(result.files.pkcs12)).mode & 0o777, 0o600);
    const opened = execFileSync(
      'openssl',
      ['pkcs12', '-in', result.files.pkcs12, '-passin', 'pass:correct horse battery', '-nodes'],
      { encoding: 'utf8' },
    );
    assert.match(opened, /friendlyName: phone-1/);
    assert.match(opened, /-----BEGIN PRIVATE KEY-----/);
    assert.match(opened, /subject=CN ?= ?phone-1/);

    // No passphrase, or a short one: refused before anything is sent or written.
    const none = await cli([
      'cert',
      'issue',
      '--zone',
      zoneId,
      '--generate',
      '--cn',
      'phone-2',
      '--out-dir',
      out,
      '--p12',
    ]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /--p12 needs a passphrase: --p12-passphrase-file FILE or PORTCULLIS_P12_PASSPHRASE/);
    await writeFile(passFile, 'short\n');
    const short = await cli([
      'cert',
      'issue',
      '--zone',
      zoneId,
      '--generate',
      '--cn',
      'phone-2',
      '--out-dir',
      out,
      '--p12',
      '--p12-passphrase-file',
      passFile,
    ]);
    assert.equal(short.code, 2);
    await assert.rejects(stat(path.join(out, 'phone-2.key')));
    const withCsr = await cli(['cert', 'issue', '--zone', zoneId, '--csr', passFile, '--p12']);
    assert.equal(withCsr.code, 2);
    assert.match(withCsr.stderr, /--p12 goes with --generate/);
  });
});
