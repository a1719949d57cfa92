/**
 * The admin commands (`account`, `zone`, `token`, `ca`, `cert`, `route`) as a user runs them: the real CLI
 * as a child process against a real `portcullis serve` (in-process, loopback), with a CA and CSRs
 * made at test time. Each spawn costs about a second, so independent runs go in parallel.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTenant, startAdminServer, type AdminServer } from '../helpers/admin-server.ts';
import { runCli, type CliResult } from '../helpers/cli.ts';
import { succeeded, succeededJson } from '../helpers/cli-fixture.ts';
import { createCa } from '../helpers/pki.ts';
import { forgeRoot } from '../helpers/forge-certificate.ts';

const NO_STACK = /\n\s+at /;

describe('portcullis admin commands', () => {
  let server: AdminServer;
  let dir: string;
  /** A URL where nothing listens: a command that made a request there would fail with exit 1. */
  let deadApi: string;

  before(async () => {
    server = await startAdminServer();
    dir = await mkdtemp(path.join(tmpdir(), 'portcullis-cli-admin-'));
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as { port: number };
    await new Promise((resolve) => probe.close(resolve));
    deadApi = `http://127.0.0.1:${port}/client/v4`;
  });

  after(async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** Runs a command against the server with the admin token (or `token`). */
  const cli = (args: string[], token = server.adminToken): Promise<CliResult> =>
    runCli([...args, '--api', server.baseUrl, '--token', token]);

  test('account and zone: create and list, for a person and as JSON', async () => {
    const account = succeededJson<{ id: string; name: string }>(
      await cli(['account', 'create', 'Acme Corp', '--json']),
    );
    assert.match(account.id, /^[0-9a-f]{32}$/);
    assert.equal(account.name, 'Acme Corp');

    const zoneCreated = succeeded(await cli(['zone', 'create', 'acme.test', '--account', account.id]));
    const zoneId = /^Created zone acme\.test \(([0-9a-f]{32})\) in account ([0-9a-f]{32})\n$/.exec(zoneCreated.stdout);
    assert.ok(zoneId, zoneCreated.stdout);
    assert.equal(zoneId[2], account.id);

    // The token from --token, from PORTCULLIS_API/PORTCULLIS_TOKEN, and from <data-dir>/admin-token.
    process.env.PORTCULLIS_API = server.baseUrl;
    process.env.PORTCULLIS_TOKEN = server.adminToken;
    const fromEnv = runCli(['zone', 'list', '--json']); // spawned here, with the variables
    delete process.env.PORTCULLIS_API;
    delete process.env.PORTCULLIS_TOKEN;
    const [accounts, zonesJson, zones, viaEnv, viaDataDir] = await Promise.all([
      cli(['account', 'list']),
      cli(['zone', 'list', '--account', account.id, '--json']),
      cli(['zone', 'list', '--account', account.id]),
      fromEnv,
      runCli(['account', 'list', '--json', '--api', server.baseUrl, '--data-dir', server.dataDir]),
    ]);

    const accountLines = succeeded(accounts).stdout.trimEnd().split('\n');
    assert.match(accountLines[0]!, /^ID {32}NAME {7}CREATED$/);
    assert.match(accountLines[1]!, new RegExp(`^${account.id}  Acme Corp  \\d{4}-`));
    assert.equal(accountLines.at(-1), '1 account');

    const listed = succeededJson<{ id: string; name: string; account: { id: string } }[]>(zonesJson);
    assert.deepEqual(
      listed.map((zone) => [zone.id, zone.name, zone.account.id]),
      [[zoneId[1], 'acme.test', account.id]],
    );
    const zoneLines = succeeded(zones).stdout.trimEnd().split('\n');
    assert.match(zoneLines[0]!, /^ID\s+NAME\s+ACCOUNT\s+STATUS\s+CREATED$/);
    assert.match(zoneLines[1]!, new RegExp(`^${zoneId[1]!}  acme\\.test  ${account.id}  active  `));
    assert.equal(zoneLines.at(-1), '1 zone');

    assert.ok(succeededJson<{ name: string }[]>(viaEnv).some((zone) => zone.name === 'acme.test'));
    assert.ok(succeededJson<{ id: string }[]>(viaDataDir).some((item) => item.id === account.id));
  });

  test('token: create prints the secret once; verify; revoke; a revoked token fails verify', async () => {
    const { accountId } = await createTenant(server, 'tokens.test');
    const created = succeeded(
      await cli(['token', 'create', '--name', 'ci', '--permission', 'read', '--account', accountId]),
    );
    const header = new RegExp(`^Created token ([0-9a-f]{32}) "ci" \\(read, account ${accountId}\\)$`, 'm').exec(
      created.stdout,
    );
    assert.ok(header, created.stdout);
    const tokenId = header[1]!;
    const secret = /^Secret \(shown only this once; store it now\):\n {2}(\S+)$/m.exec(created.stdout)?.[1];
    assert.ok(secret, created.stdout);

    const [verified, listed] = await Promise.all([cli(['token', 'verify'], secret), cli(['token', 'list', '--json'])]);
    assert.equal(succeeded(verified).stdout, `Token ${tokenId} is active: This API Token is valid and active\n`);
    const entry = succeededJson<{ id: string; status: string; scope: object; value?: string }[]>(listed).find(
      (token) => token.id === tokenId,
    );
    assert.deepEqual(entry?.scope, { kind: 'account', account_id: accountId });
    assert.equal(entry.status, 'active');
    assert.equal(entry.value, undefined, 'the secret is shown only at creation');

    assert.equal(
      succeeded(await cli(['token', 'revoke', tokenId])).stdout,
      `Revoked token ${tokenId} "ci" (status disabled)\n`,
    );
    const refused = await cli(['token', 'verify'], secret);
    assert.equal(refused.code, 1);
    assert.equal(refused.stdout, '');
    assert.equal(refused.stderr, 'portcullis: Invalid API Token [v4 1000]\n');
  });

  test('ca: upload a CA, associate hostnames with it and with the managed CA, list them', async () => {
    const { accountId, zoneId } = await createTenant(server, 'ca.test');
    const ca = await createCa('CN=CLI Test Root,O=Portcullis Tests');
    const caFile = path.join(dir, 'ca.pem');
    await writeFile(caFile, ca.certPem);

    const uploaded = succeededJson<{ id: string; ca: boolean; name: string }>(
      await cli(['ca', 'upload', '--account', accountId, '--file', caFile, '--name', 'test root', '--json']),
    );
    assert.equal(uploaded.ca, true);
    assert.equal(uploaded.name, 'test root');

    const [own, managed] = await Promise.all([
      cli(['ca', 'associate', '--zone', zoneId, '--ca', uploaded.id, 'api.ca.test']),
      cli(['ca', 'associate', '--zone', zoneId, 'a.ca.test', 'b.ca.test']),
    ]);
    assert.equal(succeeded(own).stdout, `Zone ${zoneId}: 1 hostname now trusts CA ${uploaded.id}: api.ca.test\n`);
    assert.equal(
      succeeded(managed).stdout,
      `Zone ${zoneId}: 2 hostnames now trust the managed CA: a.ca.test, b.ca.test\n`,
    );

    const [list, ownAssociations, managedAssociations, deleteInUse] = await Promise.all([
      cli(['ca', 'list', '--account', accountId]),
      cli(['ca', 'associations', '--zone', zoneId, '--ca', uploaded.id, '--json']),
      cli(['ca', 'associations', '--zone', zoneId]),
      cli(['ca', 'delete', '--account', accountId, uploaded.id]),
    ]);
    const listLines = succeeded(list).stdout.trimEnd().split('\n');
    assert.match(listLines[0]!, /^ID\s+NAME\s+ISSUER\s+COMPATIBILITY\s+EXPIRES$/);
    assert.match(listLines[1]!, new RegExp(`^${uploaded.id}  test root  .*CN=CLI Test Root.*  strict\\s+\\d{4}-`));
    assert.equal(listLines.at(-1), `1 CA in account ${accountId}`);
    assert.deepEqual(succeededJson(ownAssociations), { hostnames: ['api.ca.test'], mtls_certificate_id: uploaded.id });
    assert.equal(
      succeeded(managedAssociations).stdout,
      `2 hostnames of zone ${zoneId} trust the managed CA:\n  a.ca.test\n  b.ca.test\n`,
    );
    assert.equal(deleteInUse.code, 1);
    assert.match(
      deleteInUse.stderr,
      /^portcullis: Certificate is in use by one or more services: .*api\.ca\.test.* \[v4 12111\]\n$/,
    );
  });

  test('ca: --compatibility on upload, and ca update checks the CA again under the new one', async () => {
    const { accountId } = await createTenant(server, 'legacy-ca.test');
    const caFile = path.join(dir, 'legacy-ca.pem');
    await writeFile(caFile, forgeRoot('CN=CLI Legacy Root', { subjectKeyIdentifier: false }).pem);
    const refused = await cli(['ca', 'upload', '--account', accountId, '--file', caFile]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /missing-subject-key-identifier: .*\[v4 12147\]\n$/);
    const uploaded = succeeded(
      await cli(['ca', 'upload', '--account', accountId, '--file', caFile, '--compatibility', 'legacy']),
    );
    const id = /^Uploaded CA (\S+): .*, legacy\n$/.exec(uploaded.stdout)?.[1];
    assert.ok(id !== undefined, uploaded.stdout);
    const toStrict = await cli(['ca', 'update', '--account', accountId, '--compatibility', 'strict', id]);
    assert.equal(toStrict.code, 1);
    assert.match(toStrict.stderr, /\[v4 12147\]\n$/);
    assert.equal(
      succeeded(await cli(['ca', 'update', '--account', accountId, '--compatibility', 'legacy', id])).stdout,
      `CA ${id} is now legacy\n`,
    );
  });

  test('cert: issue (--generate and --csr), list across pages, show, revoke, reactivate', async () => {
    const { zoneId } = await createTenant(server, 'certs.test');
    const csrFile = path.join(dir, 'dev-box.csr');
    execFileSync('openssl', [
      'req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
      '-keyout', path.join(dir, 'dev-box.key'), '-out', csrFile, '-subj', '/O=Portcullis Tests/CN=dev-box',
    ], { stdio: 'ignore' }); // prettier-ignore
    const outDir = path.join(dir, 'out');

    const [generated, fromCsr] = await Promise.all([
      cli([
        'cert',
        'issue',
        '--zone',
        zoneId,
        '--generate',
        '--cn',
        'phone 1',
        '--o',
        'Acme',
        '--out-dir',
        outDir,
        '--days',
        '30',
      ]),
      cli(['cert', 'issue', '--zone', zoneId, '--csr', csrFile, '--json']),
    ]);

    // --generate: the key stays here (0600), the certificate is for that key.
    const keyFile = path.join(outDir, 'phone_1.key');
    const certFile = path.join(outDir, 'phone_1.pem');
    const issuedLine = /^Issued certificate ([0-9a-f-]{36}) for CN=phone 1, serial ([0-9a-f]+), expires (\S+)$/m.exec(
      succeeded(generated).stdout,
    );
    assert.ok(issuedLine, generated.stdout);
    const phoneId = issuedLine[1]!;
    assert.match(generated.stdout, new RegExp(`^ {2}certificate: {2}${certFile}$`, 'm'));
    assert.match(generated.stdout, new RegExp(`^ {2}private key: {2}${keyFile} \\(mode 0600`, 'm'));
    assert.equal((await stat(keyFile)).mode & 0o777, 0o600);
    const openssl = (...args: string[]): string => execFileSync('openssl', args, { encoding: 'utf8' });
    assert.equal(openssl('x509', '-noout', '-pubkey', '-in', certFile), openssl('pkey', '-pubout', '-in', keyFile));
    assert.match(openssl('x509', '-noout', '-subject', '-in', certFile), /O = Acme, CN = phone 1/);
    assert.match(
      openssl('x509', '-noout', '-ext', 'extendedKeyUsage', '-in', certFile),
      /TLS Web Client Authentication/,
    );
    assert.equal(Math.round((Date.parse(issuedLine[3]!) - Date.now()) / 86_400_000), 30);

    // --csr: the certificate goes beside the CSR, named after it.
    const fromCsrResult = succeededJson<{
      id: string;
      common_name: string;
      validity_days: number;
      files: { certificate: string };
    }>(fromCsr);
    assert.equal(fromCsrResult.common_name, 'dev-box');
    assert.equal(fromCsrResult.validity_days, 365);
    assert.equal(fromCsrResult.files.certificate, path.join(dir, 'dev-box.pem'));
    assert.equal(
      openssl('x509', '-noout', '-pubkey', '-in', path.join(dir, 'dev-box.pem')),
      openssl('pkey', '-pubout', '-in', path.join(dir, 'dev-box.key')),
    );

    // More than one page (the CLI asks for 50 a page): 50 more through the API.
    const csr = await readFile(csrFile, 'utf8');
    for (let i = 0; i < 50; i++) {
      const extra = await server.call('POST', `/zones/${zoneId}/client_certificates`, { csr, validity_days: 10 });
      assert.equal(extra.status, 200);
    }
    const [listedJson, listed] = await Promise.all([
      cli(['cert', 'list', '--zone', zoneId, '--json']),
      cli(['cert', 'list', '--zone', zoneId]),
    ]);
    const all = succeededJson<{ id: string }[]>(listedJson);
    assert.equal(all.length, 52);
    assert.equal(new Set(all.map((certificate) => certificate.id)).size, 52);
    assert.match(succeeded(listed).stdout, /^ID\s+COMMON NAME\s+STATUS\s+EXPIRES\s+SERIAL$/m);
    assert.match(listed.stdout, new RegExp(`^${phoneId}  phone 1 {6}active  `, 'm'));
    assert.match(listed.stdout, new RegExp(`\\n52 client certificates in zone ${zoneId} \\(52 active\\)\\n$`));

    const revoked = succeeded(await cli(['cert', 'revoke', '--zone', zoneId, phoneId]));
    assert.equal(
      revoked.stdout,
      `Revoked certificate ${phoneId} (CN=phone 1, serial ${issuedLine[2]!}): status pending_revocation\n`,
    );
    const [shown, onlyRevoked] = await Promise.all([
      cli(['cert', 'show', '--zone', zoneId, phoneId]),
      cli(['cert', 'list', '--zone', zoneId, '--status', 'revoked', '--json']),
    ]);
    assert.match(succeeded(shown).stdout, /^Status: +revoked$/m);
    assert.match(shown.stdout, /^Common name: +phone 1$/m);
    assert.match(shown.stdout, /^Organization: +Acme$/m);
    assert.match(shown.stdout, /^Expires: +\S+ \(30 days\)$/m);
    assert.deepEqual(
      succeededJson<{ id: string }[]>(onlyRevoked).map((certificate) => certificate.id),
      [phoneId],
    );

    const reactivated = succeeded(await cli(['cert', 'reactivate', '--zone', zoneId, phoneId]));
    assert.match(reactivated.stdout, /: status pending_reactivation\n$/);
    const after = await server.call<{ status: string }>('GET', `/zones/${zoneId}/client_certificates/${phoneId}`);
    assert.equal(after.body.result.status, 'active');
  });

  test('route: create with defaults and with every option, list, delete; refusals show the API message', async () => {
    const { zoneId } = await createTenant(server, 'routes.test');
    const [plain, full] = await Promise.all([
      cli([
        'route',
        'create',
        '--zone',
        zoneId,
        '--hostname',
        'API.routes.test',
        '--upstream',
        'http://127.0.0.1:8080/',
      ]),
      cli([
        'route',
        'create',
        '--zone',
        zoneId,
        '--hostname',
        'api.routes.test',
        '--upstream',
        'h2c://grpc:50051',
        '--path-prefix',
        '/v1/',
        '--strip-prefix',
        '--upstream-timeout',
        '5s',
        '--description',
        'gRPC v1',
        '--json',
      ]),
    ]);
    const created = /^Created route ([0-9a-f]{32}): api\.routes\.test -> http:\/\/127\.0\.0\.1:8080\n$/.exec(
      succeeded(plain).stdout,
    );
    assert.ok(created, plain.stdout);
    const v1 = succeededJson<{
      id: string;
      path_prefix: string;
      upstream: string;
      strip_prefix: boolean;
      upstream_timeout_ms: number | null;
      description: string;
    }>(full);
    assert.deepEqual(
      [v1.path_prefix, v1.upstream, v1.strip_prefix, v1.upstream_timeout_ms, v1.description],
      ['/v1', 'h2c://grpc:50051', true, 5_000, 'gRPC v1'],
    );

    const [listed, listedJson, duplicate, outside] = await Promise.all([
      cli(['route', 'list', '--zone', zoneId]),
      cli(['route', 'list', '--zone', zoneId, '--json']),
      cli([
        'route',
        'create',
        '--zone',
        zoneId,
        '--hostname',
        'api.routes.test',
        '--path-prefix',
        '/v1',
        '--upstream',
        'http://b',
      ]),
      cli(['route', 'create', '--zone', zoneId, '--hostname', 'api.elsewhere.test', '--upstream', 'http://b']),
    ]);
    const lines = succeeded(listed).stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^ID\s+HOSTNAME\s+PREFIX\s+STRIP\s+UPSTREAM\s+TIMEOUT\s+DESCRIPTION$/);
    assert.match(
      lines[1]!,
      new RegExp(`^${v1.id}  api\\.routes\\.test  /v1\\s+yes\\s+h2c://grpc:50051\\s+5000ms\\s+gRPC v1$`),
    );
    assert.match(
      lines[2]!,
      new RegExp(`^${created[1]!}  api\\.routes\\.test  /\\s+no\\s+http://127\\.0\\.0\\.1:8080\\s+default$`),
    );
    assert.equal(lines.at(-1), `2 routes in zone ${zoneId}`);
    assert.deepEqual(
      succeededJson<{ id: string }[]>(listedJson).map((route) => route.id),
      [v1.id, created[1]],
      'longest prefix first',
    );
    assert.equal(duplicate.code, 1);
    assert.equal(duplicate.stderr, 'portcullis: Conflict: a route for api.routes.test/v1 already exists [v4 12117]\n');
    assert.equal(outside.code, 1);
    assert.match(outside.stderr, /^portcullis: Hostname does not belong to this zone: .* \[v4 12114\]\n$/);
    for (const result of [duplicate, outside]) assert.equal(result.stdout, '');
    const badTimeout = await cli([
      'route',
      'create',
      '--zone',
      zoneId,
      '--hostname',
      'slow.routes.test',
      '--upstream',
      'http://b',
      '--upstream-timeout',
      'soon',
    ]);
    assert.equal(badTimeout.code, 2, 'a duration that is not one is a usage error');
    assert.match(badTimeout.stderr, /--upstream-timeout/);

    assert.equal(succeeded(await cli(['route', 'delete', '--zone', zoneId, v1.id])).stdout, `Deleted route ${v1.id}\n`);
    const [after, again] = await Promise.all([
      cli(['route', 'list', '--zone', zoneId, '--json']),
      cli(['route', 'delete', '--zone', zoneId, v1.id]),
    ]);
    assert.deepEqual(
      succeededJson<{ id: string }[]>(after).map((route) => route.id),
      [created[1]],
    );
    assert.equal(again.code, 1);
    assert.match(again.stderr, /\[v4 7003\]\n$/);
  });

  test('zone delete: refused while in use with what uses it (exit 1), then deleted; --delegated on create', async () => {
    const { accountId, zoneId } = await createTenant(server, 'zone-delete.test');
    succeeded(
      await cli(['route', 'create', '--zone', zoneId, '--hostname', 'zone-delete.test', '--upstream', 'http://a']),
    );
    const inUse = await cli(['zone', 'delete', zoneId]);
    assert.equal(inUse.code, 1);
    assert.equal(inUse.stderr, 'portcullis: The zone is in use: 1 route; remove them first [v4 12132]\n');
    const routes = succeededJson<{ id: string }[]>(await cli(['route', 'list', '--zone', zoneId, '--json']));
    succeeded(await cli(['route', 'delete', '--zone', zoneId, routes[0]!.id]));
    assert.equal(succeeded(await cli(['zone', 'delete', zoneId])).stdout, `Deleted zone ${zoneId}\n`);
    const again = await cli(['zone', 'delete', zoneId]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /\[v4 7003\]\n$/);

    const other = succeededJson<{ id: string }>(await cli(['account', 'create', 'other tenant', '--json']));
    succeeded(await cli(['zone', 'create', 'zone-delete.test', '--account', accountId]));
    const refused = await cli(['zone', 'create', 'api.zone-delete.test', '--account', other.id]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /overlaps a zone of another account: .*"delegated": true.* \[v4 12130\]\n$/);
    const delegated = succeeded(
      await cli(['zone', 'create', 'api.zone-delete.test', '--account', other.id, '--delegated']),
    );
    assert.match(
      delegated.stdout,
      /^Created zone api\.zone-delete\.test \([0-9a-f]{32}\) in account [0-9a-f]{32} \(delegated\)\n$/,
    );
  });

  test('failures: a wrong token and a server that is down exit 1 with a clear message; bad usage exits 2', async () => {
    // A private key where a certificate or CSR belongs is refused before anything is sent; a CSR
    // given as its key is reported even when the certificate file it would write already exists.
    const keyFile = path.join(dir, 'phone.key');
    await writeFile(keyFile, '-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEI\n-----END EC PRIVATE KEY-----\n');
    await writeFile(path.join(dir, 'phone.pem'), 'an earlier certificate');
    const notPem = path.join(dir, 'notes.txt');
    await writeFile(notPem, 'hello');
    const usage: [string[], RegExp][] = [
      [['cert', 'issue', '--zone', 'z', '--csr', keyFile], /--csr: .*phone\.key holds a private key.*nothing was sent/],
      [['cert', 'issue', '--zone', 'z', '--csr', notPem], /--csr: .*notes\.txt is not a PEM CSR/],
      [['ca', 'upload', '--account', 'a', '--file', keyFile], /--file: .*holds a private key/],
      [['key', 'create', '--account', 'a', '--cert-file', keyFile], /--cert-file: .*holds a private key/],
      [['cert', 'list'], /required option '--zone <id>' not specified/],
      [['cert', 'list', '--zone', 'z', '--status', 'bogus'], /Allowed choices are all, active/],
      [['cert', 'issue', '--zone', 'z', '--generate', '--cn', 'x', '--days', 'ten'], /--days takes a whole number/],
      [['cert', 'issue', '--zone', 'z'], /give either --csr FILE or --generate --cn NAME/],
      [['ca', 'upload', '--account', 'a', '--file', path.join(dir, 'missing.pem')], /--file: cannot read .*ENOENT/],
      [['zone', 'list', '--api', 'ftp://example', '--token', 'whatever'], /--api must be an http\(s\) URL/],
      [['route', 'create', '--zone', 'z', '--hostname', 'h.test'], /required option '--upstream <url>' not specified/],
      [['route', 'delete', '--zone', 'z'], /missing required argument 'route-id'/],
      [['route', 'delete', '--zone', 'z', '..'], /"\.\." is not an id/],
    ];
    const runs: (() => ReturnType<typeof runCli>)[] = [
      () => cli(['account', 'list'], 'pcl_not-a-real-token'),
      () => runCli(['zone', 'list', '--api', deadApi, '--token', 'whatever']),
      // Pointed at a dead API: had any of them sent a request, it would have exited 1.
      ...usage.map(
        ([args]) =>
          () =>
            runCli(args.includes('--api') ? args : [...args, '--api', deadApi, '--token', 'whatever']),
      ),
    ];
    // Three CLI processes at a time: fifteen at once on a small, busy machine outlast the CLI helper's timeout.
    const results: Awaited<ReturnType<typeof runCli>>[] = [];
    for (let start = 0; start < runs.length; start += 3) {
      results.push(...(await Promise.all(runs.slice(start, start + 3).map((run) => run()))));
    }
    const [wrongToken, down, ...usageResults] = results as [
      Awaited<ReturnType<typeof runCli>>,
      Awaited<ReturnType<typeof runCli>>,
      ...Awaited<ReturnType<typeof runCli>>[],
    ];

    assert.equal(wrongToken.code, 1);
    assert.equal(wrongToken.stderr, 'portcullis: Invalid API Token [v4 1000]\n');
    assert.equal(down.code, 1);
    assert.match(down.stderr, new RegExp(`^portcullis: cannot reach the admin API at ${deadApi}: connection refused`));
    for (const [index, [args, message]] of usage.entries()) {
      const result = usageResults[index]!;
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, message, args.join(' '));
    }
    for (const result of [wrongToken, down, ...usageResults]) {
      assert.equal(result.stdout, '');
      assert.doesNotMatch(result.stderr, NO_STACK);
    }
  });
});
