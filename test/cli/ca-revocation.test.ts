/**
 * `portcullis ca crl`, `ca revocation` and `ca block` as an operator runs them: the real CLI as a
 * child process against a real `portcullis serve`, with a CA, client certificates and CRLs made at
 * test time, and the effect checked with real TLS requests through the gateway.
 */
import 'reflect-metadata';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as x509 from '@peculiar/x509';
import { createTenant, startAdminServer, type AdminServer } from '../helpers/admin-server.ts';
import { runCli, type CliResult } from '../helpers/cli.ts';
import { succeeded } from '../helpers/cli-fixture.ts';
import { createCa, type CaHandle, type Issued } from '../helpers/pki.ts';
import { startHttp1Echo, type RunningUpstream } from '../helpers/upstreams.ts';
import { callAs, protectHosts, uploadCa } from '../helpers/uploaded-ca.ts';

const HOST = 'devices.cli.test';
const NO_STACK = /\n\s+at /;

describe('portcullis ca crl / revocation / block', () => {
  let server: AdminServer;
  let upstream: RunningUpstream;
  let dir: string;
  let accountId: string;
  let ca: CaHandle;
  let caId: string;
  let device: Issued;
  let other: Issued;

  before(async () => {
    server = await startAdminServer();
    upstream = await startHttp1Echo();
    dir = await mkdtemp(path.join(tmpdir(), 'portcullis-cli-revocation-'));
    const tenant = await createTenant(server, 'cli.test');
    accountId = tenant.accountId;
    ca = await createCa('CN=CLI Fleet CA');
    caId = await uploadCa(server, accountId, ca, 'fleet');
    await protectHosts(server, tenant.zoneId, [{ hostname: HOST, caId }], upstream.url);
    device = await ca.issue({ subject: 'CN=device' });
    other = await ca.issue({ subject: 'CN=other' });
  });

  after(async () => {
    await server.stop();
    await upstream.close();
    await rm(dir, { recursive: true, force: true });
  });

  const cli = (args: string[]): Promise<CliResult> =>
    runCli([...args, '--account', accountId, '--api', server.baseUrl, '--token', server.adminToken]);
  // Only the exit code is checked, as before.
  const ok = (result: CliResult): string => succeeded(result, { stderr: 'allowed' }).stdout;

  test('crl upload (DER and PEM), a refused one, and what the gateway then does', async () => {
    const derFile = path.join(dir, 'fleet.crl');
    const pem = await ca.crl([device.serialHex], { crlNumber: 5 });
    await writeFile(derFile, Buffer.from(x509.PemConverter.decode(pem)[0] ?? new ArrayBuffer(0)));
    const stalePem = path.join(dir, 'stale.crl.pem');
    await writeFile(
      stalePem,
      await ca.crl([], {
        crlNumber: 6,
        thisUpdate: new Date(Date.now() - 7_200_000),
        nextUpdate: new Date(Date.now() - 1000),
      }),
    );
    const keyFile = path.join(dir, 'device.key');
    await writeFile(keyFile, device.keyPem);

    const uploaded = ok(await cli(['ca', 'crl', 'upload', '--ca', caId, '--file', derFile]));
    assert.match(
      uploaded,
      /^CRL 5 of CN=CLI Fleet CA in force for CA [0-9a-f-]{36}: 1 revoked certificate, next update \d{4}-/,
    );
    assert.equal((await callAs(server, HOST, device)).status, 403);
    assert.equal((await callAs(server, HOST, other)).status, 200);

    const [stale, key, shown] = await Promise.all([
      cli(['ca', 'crl', 'upload', '--ca', caId, '--file', stalePem]),
      cli(['ca', 'crl', 'upload', '--ca', caId, '--file', keyFile]),
      cli(['ca', 'crl', 'show', '--ca', caId]),
    ]);
    assert.equal(stale.code, 1);
    assert.match(
      stale.stderr,
      /The CRL is stale: its nextUpdate .* has passed; fetch or issue a fresh one \[v4 12062\]/,
    );
    assert.doesNotMatch(stale.stderr, NO_STACK);
    assert.equal(key.code, 2, 'a private key is refused before anything is sent');
    assert.match(key.stderr, /holds a private key, which never leaves this machine/);
    assert.match(ok(shown), /CN=CLI Fleet CA\s+5\s+1\s+\d{4}-\S+\s+upload\n1 CRL in force/);
  });

  test('block add by certificate file and by serial, list, remove', async () => {
    const certFile = path.join(dir, 'other.pem');
    await writeFile(certFile, other.certPem);
    const added = ok(await cli(['ca', 'block', 'add', '--ca', caId, '--cert', certFile, '--description', 'stolen']));
    assert.match(added, new RegExp(`^Blocked sha256 ${other.sha256} in CA ${caId} \\(([0-9a-f]{32})\\)\\n$`));
    const id = /\(([0-9a-f]{32})\)/.exec(added)?.[1] ?? '';
    assert.equal((await callAs(server, HOST, other)).status, 403);
    const bySerial = ok(await cli(['ca', 'block', 'add', '--serial', `00:${device.serialHex}`, '--json']));
    assert.equal((JSON.parse(bySerial) as { serial_number: string }).serial_number, device.serialHex);
    const listed = ok(await cli(['ca', 'block', 'list', '--ca', caId]));
    assert.match(listed, new RegExp(`${id}  sha256 ${other.sha256}  \\S+  stolen\\n1 blocked certificate in CA`));
    const both = await cli(['ca', 'block', 'add', '--sha256', other.sha256, '--serial', '01']);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /exactly one of --sha256, --serial and --cert/);
    ok(await cli(['ca', 'block', 'remove', '--ca', caId, id]));
    assert.equal((await callAs(server, HOST, other)).status, 200);
  });

  test('revocation set and show', async () => {
    const set = ok(
      await cli([
        'ca',
        'revocation',
        'set',
        '--ca',
        caId,
        '--ocsp',
        'on',
        '--ocsp-timeout',
        '2s',
        '--on-unavailable',
        'fail_open',
        '--refresh-interval',
        '2h',
      ]),
    );
    assert.match(set, /On unavailable: +fail_open/);
    assert.match(set, /OCSP: +on, 2000 ms timeout, nonce off, cached at most 3600s/);
    const json = JSON.parse(ok(await cli(['ca', 'revocation', 'show', '--ca', caId, '--json']))) as {
      crl_fetch: { refresh_interval_seconds: number; enabled: boolean };
    };
    assert.deepEqual([json.crl_fetch.refresh_interval_seconds, json.crl_fetch.enabled], [7200, false]);
    const bad = await cli(['ca', 'revocation', 'set', '--ca', caId, '--ocsp', 'yes']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--ocsp takes on or off, got "yes"/);
    const refused = await cli(['ca', 'revocation', 'set', '--ca', caId, '--crl-url', 'file:///etc/passwd']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /Revocation URL refused: crl_fetch.urls\[0\]: only http and https/);
  });
});
