/**
 * The `portcullis proxy` command as a user runs it: usage errors exit 2, configuration that cannot
 * be enforced exits 3 with a clear message (never a stack trace, never key material), SIGHUP reloads
 * the certificate, key, client CAs and CRLs (a refused reload keeps what is in force), and SIGTERM
 * drains in-flight requests and exits 0.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestPki, serverCaPem, type TestPki } from '../helpers/proxy-fixture.ts';
import { createSelfSignedLeaf } from '../helpers/pki.ts';
import { startHttp1Echo, type RunningUpstream } from '../helpers/upstreams.ts';
import { request } from '../helpers/https-client.ts';
import { runCli, spawnCli, waitForLog } from '../helpers/cli.ts';

describe('portcullis proxy command', () => {
  let pki: TestPki;
  let upstream: RunningUpstream;
  let base: string[];

  before(async () => {
    pki = await createTestPki();
    upstream = await startHttp1Echo();
    base = [
      'proxy',
      '--listen',
      '127.0.0.1:0',
      '--cert',
      pki.files.serverCert,
      '--key',
      pki.files.serverKey,
      '--upstream',
      upstream.url,
    ];
  });

  after(async () => {
    await upstream.close();
    await pki.cleanup();
  });

  const usageCases: [string, string[], RegExp][] = [
    ['a missing --client-ca', [], /required option '--client-ca/],
    ['a bad --listen', ['--client-ca', 'x', '--listen', 'nonsense'], /--listen must be HOST:PORT/],
    [
      'an unknown upstream scheme',
      ['--client-ca', 'x', '--upstream', 'ftp://example'],
      /scheme must be http, https or h2c/,
    ],
    ['an unknown identity format', ['--client-ca', 'x', '--forward-identity', 'xfcc,magic'], /--forward-identity/],
    ['a malformed --allow-cert', ['--client-ca', 'x', '--allow-cert', 'abc'], /SHA-256 fingerprint/],
    ['a bad duration', ['--client-ca', 'x', '--upstream-timeout', 'soon'], /duration/],
    ['a bad --session-tickets', ['--client-ca', 'x', '--session-tickets', 'no'], /--session-tickets takes on or off/],
    ['an unknown option', ['--client-ca', 'x', '--insecure'], /unknown option/],
  ];
  for (const [label, extra, message] of usageCases) {
    test(`${label} is a usage error (exit 2)`, async () => {
      const result = await runCli([...base, ...extra]);
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, message);
      assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
    });
  }

  test('a CA file that is not a CA is refused (exit 3)', async () => {
    const leaf = await pki.ca.issue({ subject: 'CN=not-a-ca' });
    const file = await pki.write('leaf-as-ca.pem', leaf.certPem);
    const result = await runCli([...base, '--client-ca', file]);
    assert.equal(result.code, 3, result.stderr);
    assert.match(result.stderr, /not a CA certificate.*GW_ERR_CONFIG_CA_INVALID/);
  });

  test('a self-signed end-entity certificate as CA is refused (exit 3)', async () => {
    const file = await pki.write('self-signed-leaf.pem', (await createSelfSignedLeaf()).certPem);
    const result = await runCli([...base, '--client-ca', file]);
    assert.equal(result.code, 3);
    assert.match(result.stderr, /not a CA certificate/);
  });

  test('an intermediate without its root is refused (exit 3)', async () => {
    const file = await pki.write(
      'intermediate-only.pem',
      (await pki.ca.intermediate('CN=Lonely Intermediate')).certPem,
    );
    const result = await runCli([...base, '--client-ca', file]);
    assert.equal(result.code, 3);
    assert.match(result.stderr, /no self-signed root CA/);
  });

  test('garbage in the CA file is refused (exit 3)', async () => {
    const file = await pki.write(
      'garbage.pem',
      '-----BEGIN CERTIFICATE-----\nnot base64!!\n-----END CERTIFICATE-----\n',
    );
    const result = await runCli([...base, '--client-ca', file]);
    assert.equal(result.code, 3);
    assert.match(result.stderr, /invalid or truncated base64/);
  });

  test('an unreadable key file is refused (exit 3)', async () => {
    const result = await runCli([
      ...base.map((arg) => (arg === pki.files.serverKey ? '/nonexistent/server.key' : arg)),
      '--client-ca',
      pki.files.caPem,
    ]);
    assert.equal(result.code, 3);
    assert.match(result.stderr, /Cannot read \/nonexistent\/server.key: ENOENT/);
  });

  test('a key that does not match the certificate is refused without echoing it (exit 3)', async () => {
    const other = await pki.ca.issue({ subject: 'CN=other' });
    const keyFile = await pki.write('other.key', other.keyPem);
    const result = await runCli([
      ...base.map((arg) => (arg === pki.files.serverKey ? keyFile : arg)),
      '--client-ca',
      pki.files.caPem,
    ]);
    assert.equal(result.code, 3);
    assert.match(result.stderr, /does not match the certificate/);
    assert.doesNotMatch(result.stderr + result.stdout, /PRIVATE KEY|MII/);
  });

  test('a CRL signed by an unrelated CA is refused (exit 3)', async () => {
    const { createCa } = await import('../helpers/pki.ts');
    const crlFile = await pki.write('foreign.crl', await (await createCa('CN=Foreign')).crl([]));
    const result = await runCli([...base, '--client-ca', pki.files.caPem, '--crl', crlFile]);
    assert.equal(result.code, 3);
    assert.match(result.stderr, /not signed by any of the client CAs/);
  });

  test('a stale CRL is refused (exit 3): ignoring it would fail open', async () => {
    const crlFile = await pki.write('stale.crl', await pki.ca.crl([], { nextUpdate: new Date(Date.now() - 1000) }));
    const result = await runCli([...base, '--client-ca', pki.files.caPem, '--crl', crlFile]);
    assert.equal(result.code, 3);
    assert.match(result.stderr, /stale/);
  });

  test('SIGHUP reloads the CRL (a refused reload keeps the running configuration)', async () => {
    const client = await pki.ca.issue({ subject: 'CN=reloaded' });
    const crlFile = await pki.write('reload.crl', await pki.ca.crl([]));
    const caFile = await pki.write('reload-ca.pem', pki.ca.certPem);
    const child = spawnCli([...base, '--client-ca', caFile, '--crl', crlFile]);
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      const listening = await waitForLog(child, 'listening');
      const port = Number(String(listening.address).split(':').pop());
      const call = async () =>
        (await request({ port, ca: await serverCaPem(pki), cert: client.certPem, key: client.keyPem })).status;
      assert.equal(await call(), 200);

      // A broken CA file: refused, logged, and the proxy keeps serving as before.
      await pki.write('reload-ca.pem', 'not a certificate');
      child.kill('SIGHUP');
      const refused = await waitForLog(child, 'reload refused: the running configuration is kept');
      assert.equal(refused.code, 'GW_ERR_CONFIG_CA_INVALID');
      assert.equal(await call(), 200);

      // The CA back and a CRL that revokes the client: in force after the reload.
      await pki.write('reload-ca.pem', pki.ca.certPem);
      await pki.write('reload.crl', await pki.ca.crl([client.serialHex]));
      child.kill('SIGHUP');
      const reloaded = await waitForLog(child, 'reloaded: certificate, key, client CAs and CRLs');
      assert.equal(reloaded.revokedSerials, 1);
      assert.equal(await call(), 403);
    } finally {
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
    }
  });

  test('SIGTERM lets an in-flight request finish, then exits 0', async () => {
    const client = await pki.ca.issue({ subject: 'CN=drain' });
    const child = spawnCli([...base, '--client-ca', pki.files.caPem, '--shutdown-timeout', '5s']);
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const listening = await waitForLog(child, 'listening');
    const port = Number(String(listening.address).split(':').pop());
    const inFlight = request({
      port,
      ca: await serverCaPem(pki),
      cert: client.certPem,
      key: client.keyPem,
      path: '/slow?ms=800',
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    child.kill('SIGTERM');
    const res = await inFlight;
    assert.equal(res.status, 200, 'the in-flight request completed');
    assert.equal(await exited, 0);
  });
});
