/**
 * `portcullis serve` refusing to start, as an operator sees it (child processes): the exit code, one
 * clear line on stderr, no log line claiming it listens, and nothing left on disk that the refused
 * start should not have made.
 *  - A gateway with another master key than its cluster's (none, one in the variable, one in the
 *    file) exits 3 with GW_ERR_CONFIG_MASTER_KEY, saying how to give it the cluster's key, and
 *    creates no master.key.
 *  - A refused configuration (PORTCULLIS_ADMIN_TOKEN too short, a wrong --config file) creates
 *    nothing: not even the data dir.
 *  - A busy gateway port: exit 1, and no "Server listening" in the log.
 *  - A full disk: a master.key that cannot be written leaves no temporary file; a SQLite store that
 *    cannot be created says which step and why (GW_ERR_STORE_NO_SPACE). Under a running gateway,
 *    a write the disk refuses answers 503 GW_ERR_STORE_NO_SPACE, and works again once there is room.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startGateway, type RunningGateway } from '../../src/app/serve.ts';
import { parseServeOptions } from '../../src/config/serve-options.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { postgresSkipReason, startPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { mountSmallDisk, smallDiskSkipReason, type SmallDisk } from '../helpers/small-disk.ts';
import { spawnServe, type ServeNode } from '../helpers/serve-node.ts';

/** Runs `serve` to its exit (bounded): the code, stderr, and the stdout log lines. */
async function serveUntilExit(dataDir: string, args: string[], env: Record<string, string> = {}) {
  const node: ServeNode = spawnServe(dataDir, args, env);
  const timer = setTimeout(() => node.child.kill('SIGKILL'), 60_000);
  const code = await node.exited;
  clearTimeout(timer);
  return { code, stderr: node.stderr(), logs: node.logs() };
}

/** Files left in a directory, none expected to be temporary. */
function filesIn(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

describe('serve refuses a master key that is not the cluster’s', { skip: postgresSkipReason() ?? false }, () => {
  let postgres: TestPostgres;
  let url: string;
  let first: RunningGateway;
  let firstDir: string;
  const clusterKey = randomBytes(32).toString('hex');
  const scratch: string[] = [];

  before(async () => {
    postgres = await startPostgres();
    await postgres.createDatabase('keys');
    url = await postgres.createSchema('keys', 'gw');
    firstDir = await mkdtemp(path.join(tmpdir(), 'portcullis-keys-first-'));
    const options = parseServeOptions({
      dataDir: firstDir,
      store: url,
      adminListen: '127.0.0.1:0',
      listen: '127.0.0.1:0',
    });
    first = await startGateway(options, createLogger('silent'), {
      PORTCULLIS_MASTER_KEY: clusterKey,
      PORTCULLIS_ADMIN_TOKEN: undefined,
    });
  });

  after(async () => {
    await first.stop(1000);
    await postgres.stop();
    await Promise.all([firstDir, ...scratch].map((dir) => rm(dir, { recursive: true, force: true })));
  });

  const freshDir = async (): Promise<string> => {
    const dir = await mkdtemp(path.join(tmpdir(), 'portcullis-keys-'));
    scratch.push(dir);
    return dir;
  };

  test('no key at all: exit 3, how to pass the cluster key, and no master.key made', async () => {
    const dataDir = await freshDir();
    const result = await serveUntilExit(dataDir, ['--store', url]);
    assert.equal(result.code, 3, result.stderr);
    assert.match(result.stderr, /Master key refused: .*store already holds secrets sealed by another gateway/);
    assert.match(result.stderr, /same master key: set PORTCULLIS_MASTER_KEY .* or copy master\.key/);
    assert.match(result.stderr, /\[GW_ERR_CONFIG_MASTER_KEY\]\n$/);
    assert.deepEqual(filesIn(dataDir), [], 'nothing written: a new key would open nothing');
  });

  test('another key, in the variable or in master.key: exit 3, the file left as it was', async () => {
    const otherKey = randomBytes(32).toString('hex');
    const fromEnv = await serveUntilExit(await freshDir(), ['--store', url], { PORTCULLIS_MASTER_KEY: otherKey });
    assert.equal(fromEnv.code, 3, fromEnv.stderr);
    assert.match(fromEnv.stderr, /the key from PORTCULLIS_MASTER_KEY does not open the secrets in the store/);
    assert.match(fromEnv.stderr, /GW_ERR_CONFIG_MASTER_KEY/);
    assert.doesNotMatch(fromEnv.stderr, new RegExp(otherKey));

    const dataDir = await freshDir();
    const keyFile = path.join(dataDir, 'master.key');
    await writeFile(keyFile, `${otherKey}\n`, { mode: 0o600 });
    await chmod(keyFile, 0o600);
    const fromFile = await serveUntilExit(dataDir, ['--store', url]);
    assert.equal(fromFile.code, 3, fromFile.stderr);
    assert.match(fromFile.stderr, /the key from .*master\.key does not open the secrets in the store/);
    assert.equal(await readFile(keyFile, 'utf8'), `${otherKey}\n`);
    assert.deepEqual(filesIn(dataDir), ['master.key']);
  });

  test('the cluster key starts, and writes no master.key (it came from the variable)', async () => {
    const dataDir = await freshDir();
    const node = spawnServe(dataDir, ['--store', url], { PORTCULLIS_MASTER_KEY: clusterKey });
    const deadline = Date.now() + 30_000;
    while (!node.logs().some((line) => line.msg === 'listening')) {
      assert.ok(node.alive() && Date.now() < deadline, node.stderr());
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(await node.stop(), 0);
    assert.deepEqual(filesIn(dataDir), ['edge-ca.pem']);
  });
});

describe('serve refuses a bad configuration before creating anything', () => {
  let root: string;

  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'portcullis-refused-'));
  });
  after(() => rm(root, { recursive: true, force: true }));

  test('PORTCULLIS_ADMIN_TOKEN too short, or a --config file refused: exit 3, no data dir', async () => {
    const shortToken = path.join(root, 'short-token');
    const token = await serveUntilExit(shortToken, [], { PORTCULLIS_ADMIN_TOKEN: 'too-short' });
    assert.equal(token.code, 3, token.stderr);
    assert.match(token.stderr, /PORTCULLIS_ADMIN_TOKEN must be at least 20 characters \[GW_ERR_CONFIG_INVALID\]/);
    assert.equal(existsSync(shortToken), false, 'the data dir was not even created');

    const configFile = path.join(root, 'portcullis.yaml');
    await writeFile(configFile, 'accounts:\n  - name: acme\n    zonez: []\n');
    const badConfig = path.join(root, 'bad-config');
    const config = await serveUntilExit(badConfig, ['--config', configFile]);
    assert.equal(config.code, 3, config.stderr);
    assert.match(config.stderr, /Configuration refused: .*unknown key "zonez"/);
    assert.equal(existsSync(badConfig), false);
  });

  test('a busy gateway port: exit 1, and no log line says the admin API listens', async () => {
    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    try {
      const port = (busy.address() as AddressInfo).port;
      const dataDir = path.join(root, 'busy');
      const result = await serveUntilExit(dataDir, ['--listen', `127.0.0.1:${port}`]);
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, new RegExp(`Cannot listen on 127\\.0\\.0\\.1:${port} \\(EADDRINUSE\\)`));
      const messages = result.logs.map((line) => String(line.msg));
      assert.deepEqual(
        messages.filter((msg) => /listening/i.test(msg)),
        [],
      );
      assert.deepEqual(
        result.logs.filter((line) => Number(line.level) >= 50),
        [],
        'no error logged by something left running',
      );
    } finally {
      busy.close();
    }
  });
});

describe('serve on a full disk', { skip: smallDiskSkipReason() ?? false }, () => {
  let disk: SmallDisk;

  before(() => {
    disk = mountSmallDisk(2 * 1024 * 1024);
  });
  after(() => disk.unmount());

  test('48 KB free for a new SQLite store: exit 1, GW_ERR_STORE_NO_SPACE naming the step and SQLITE_FULL, no master.key', async () => {
    await disk.fill(48 * 1024);
    try {
      const dataDir = path.join(disk.dir, 'sqlite');
      const result = await serveUntilExit(dataDir, []);
      assert.equal(result.code, 1, result.stderr);
      assert.match(
        result.stderr,
        /^portcullis: The store is out of disk space \(or its disk failed\): cannot open SQLite at .*portcullis\.db: Store migration(s could not start \(creating or locking the kysely_migration tables\)| \d{4}-[a-z0-9-]+ failed): database or disk is full \(SQLITE_FULL\) \[GW_ERR_STORE_NO_SPACE\]\n$/,
      );
      assert.doesNotMatch(result.stderr, /unknown/);
      assert.deepEqual(
        filesIn(dataDir).filter((file) => !file.startsWith('portcullis.db')),
        [],
        'no master.key, no temporary file',
      );
    } finally {
      await disk.release();
    }
  });

  test(
    'no room for master.key: exit 1, GW_ERR_DATA_DIR_WRITE_FAILED with ENOSPC, no temporary file left',
    { skip: postgresSkipReason() ?? false },
    async () => {
      const postgres = await startPostgres();
      try {
        await postgres.createDatabase('full');
        const url = await postgres.createSchema('full', 'gw');
        await disk.fill(0);
        const dataDir = path.join(disk.dir, 'postgres');
        const result = await serveUntilExit(dataDir, ['--store', url]);
        assert.equal(result.code, 1, result.stderr);
        assert.match(
          result.stderr,
          /^portcullis: Cannot write to the data dir: .*master\.key: no space left on device \(ENOSPC\) \[GW_ERR_DATA_DIR_WRITE_FAILED\]\n$/,
        );
        assert.deepEqual(filesIn(dataDir), []);
      } finally {
        await disk.release();
        await postgres.stop();
      }
    },
  );

  test('a write the full disk refuses answers 503 GW_ERR_STORE_NO_SPACE; with room again it works', async () => {
    const dataDir = path.join(disk.dir, 'running');
    const options = parseServeOptions({ dataDir, adminListen: '127.0.0.1:0', listen: '127.0.0.1:0' });
    const adminToken = randomBytes(24).toString('base64url');
    const running = await startGateway(options, createLogger('silent'), {
      PORTCULLIS_MASTER_KEY: undefined,
      PORTCULLIS_ADMIN_TOKEN: adminToken,
    });
    const call = async (method: string, route: string, body?: unknown) => {
      const response = await fetch(`http://127.0.0.1:${running.adminAddress.port}/client/v4${route}`, {
        method,
        headers: {
          authorization: `Bearer ${adminToken}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const parsed = (await response.json()) as { errors: { code: number }[] };
      return { status: response.status, headers: response.headers, codes: parsed.errors.map((e) => e.code) };
    };
    try {
      await disk.fill(0);
      // The write-ahead log grows by a page per write: a page the full disk does not have.
      const refused = await call('POST', '/accounts', { name: 'while the disk is full' });
      assert.equal(refused.status, 503);
      assert.deepEqual(refused.codes, [12020]);
      assert.match(refused.headers.get('retry-after') ?? '', /^\d+$/);
      assert.equal((await call('GET', '/accounts')).status, 200, 'reads still work');
      await disk.release();
      assert.equal((await call('POST', '/accounts', { name: 'room again' })).status, 200);
    } finally {
      await disk.release();
      await running.stop(1000);
    }
  });
});
