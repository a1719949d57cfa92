/**
 * `portcullis serve` as an operator runs it: first start creates the store, master key and admin
 * token (0600) and serves the API and the gateway; SIGTERM exits 0; bad input exits 2 or 3 with a
 * clear message; a busy port exits 1.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli, spawnCli, waitForLog } from '../helpers/cli.ts';

/** `serve` on a data dir with both listeners on free loopback ports. */
const serveArgs = (dir: string): string[] => [
  'serve',
  '--data-dir',
  dir,
  '--admin-listen',
  '127.0.0.1:0',
  '--listen',
  '127.0.0.1:0',
];

describe('portcullis serve command', () => {
  let dataDir: string;

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'portcullis-serve-cli-'));
  });

  after(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  test('first start creates the data dir content, serves, and stops on SIGTERM with exit 0', async () => {
    const child = spawnCli(serveArgs(dataDir));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const listening = await waitForLog(child, 'listening');
    for (const file of ['admin-token', 'master.key', 'portcullis.db']) {
      const mode = (await stat(path.join(dataDir, file))).mode & 0o777;
      assert.equal(mode & 0o077, 0, `${file} is private (mode ${mode.toString(8)})`);
    }
    const token = (await readFile(path.join(dataDir, 'admin-token'), 'utf8')).trim();
    const verify = await fetch(`${String(listening.admin)}/user/tokens/verify`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(verify.status, 200);
    const edgeCa = await readFile(path.join(dataDir, 'edge-ca.pem'), 'utf8');
    assert.match(edgeCa, /BEGIN CERTIFICATE/);
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  });

  test('a second start reuses the store and the token', async () => {
    const before = await readFile(path.join(dataDir, 'admin-token'), 'utf8');
    const child = spawnCli(serveArgs(dataDir));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const listening = await waitForLog(child, 'listening');
    const verify = await fetch(`${String(listening.admin)}/user/tokens/verify`, {
      headers: { authorization: `Bearer ${before.trim()}` },
    });
    assert.equal(verify.status, 200);
    // A load balancer's readiness check, without a token.
    const ready = await fetch(new URL('/readyz', String(listening.admin)));
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { status: 'ready', checks: { config: 'ok', store: 'ok' } });
    assert.equal(await readFile(path.join(dataDir, 'admin-token'), 'utf8'), before);
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  });

  test('usage errors exit 2, a refused master key exits 3, a busy port exits 1', async () => {
    const usage = await runCli([...serveArgs(dataDir), '--store', 'mysql://nope']);
    assert.equal(usage.code, 2, usage.stderr);
    assert.match(usage.stderr, /--store takes postgres:/);
    const tickets = await runCli([...serveArgs(dataDir), '--session-tickets', 'maybe']);
    assert.equal(tickets.code, 2, tickets.stderr);
    assert.match(tickets.stderr, /--session-tickets takes on or off, got "maybe"/);
    const redisScheme = await runCli([...serveArgs(dataDir), '--redis', 'http://cache:6379']);
    assert.equal(redisScheme.code, 2, redisScheme.stderr);
    assert.match(redisScheme.stderr, /--redis takes redis:\/\//);
    const stale = await runCli([...serveArgs(dataDir), '--config-stale-after', 'soon']);
    assert.equal(stale.code, 2, stale.stderr);
    assert.match(stale.stderr, /--config-stale-after takes a duration like 500ms, 30s or 2m; got "soon"/);
    // A Redis that does not answer stops the start (a cluster must not run on per-process limits).
    const noRedis = await runCli([...serveArgs(dataDir), '--redis', 'redis://gw:s3cret@127.0.0.1:1']);
    assert.equal(noRedis.code, 1, noRedis.stderr);
    // It names Redis and where it is, without the credentials.
    assert.match(
      noRedis.stderr,
      /Cannot use Redis \(--redis\) at redis:\/\/127\.0\.0\.1:1: .*ECONNREFUSED.*GW_ERR_REDIS_UNAVAILABLE/,
    );
    assert.doesNotMatch(noRedis.stderr, /s3cret|gw@|store/);
    // So does a PostgreSQL that does not answer, after trying for a moment.
    const noPostgres = await runCli([...serveArgs(dataDir), '--store', 'postgres://gw:s3cret@127.0.0.1:1/portcullis']);
    assert.equal(noPostgres.code, 1, noPostgres.stderr);
    assert.match(
      noPostgres.stderr,
      /The store is unavailable: cannot open PostgreSQL at postgres:\/\/127\.0\.0\.1:1\/portcullis: .*ECONNREFUSED.*\[GW_ERR_STORE_UNAVAILABLE\]/,
    );
    assert.doesNotMatch(noPostgres.stderr, /s3cret|gw@/);

    const other = await mkdtemp(path.join(tmpdir(), 'portcullis-serve-key-'));
    try {
      const child = runWithEnv(serveArgs(other), { PORTCULLIS_MASTER_KEY: 'too-short' });
      const result = await child;
      assert.equal(result.code, 3, result.stderr);
      assert.match(result.stderr, /Master key refused.*GW_ERR_CONFIG_MASTER_KEY/);
    } finally {
      await rm(other, { recursive: true, force: true });
    }

    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as AddressInfo).port;
    try {
      const result = await runCli([...serveArgs(dataDir), '--admin-listen', `127.0.0.1:${port}`]);
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, /Cannot listen on 127\.0\.0\.1:\d+ \(EADDRINUSE\)/);
      assert.doesNotMatch(result.stderr, /\n\s+at /);
    } finally {
      busy.close();
    }
  });
});

function runWithEnv(args: string[], env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const child = spawnCli(args, env);
  return new Promise((resolve) => {
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stderr }));
  });
}
