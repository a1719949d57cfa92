import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadMasterKey } from './secret-box.ts';

async function withTempDir(work: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'portcullis-key-'));
  try {
    await work(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('PORTCULLIS_MASTER_KEY as 64 hex characters or base64 of 32 bytes; no file is written', async () => {
  await withTempDir(async (dir) => {
    const key = randomBytes(32);
    assert.deepEqual(await loadMasterKey({ dataDir: dir, env: { PORTCULLIS_MASTER_KEY: key.toString('hex') } }), key);
    assert.deepEqual(
      await loadMasterKey({ dataDir: dir, env: { PORTCULLIS_MASTER_KEY: ` ${key.toString('base64')}\n` } }),
      key,
    );
    assert.deepEqual(
      await loadMasterKey({ dataDir: dir, env: { PORTCULLIS_MASTER_KEY: key.toString('base64url') } }),
      key,
    );
    assert.deepEqual(await readdir(dir), []);
  });
});

test('a malformed PORTCULLIS_MASTER_KEY is refused with a clear message (never falls back to the file)', async () => {
  await withTempDir(async (dir) => {
    for (const bad of [
      '',
      'secret',
      randomBytes(31).toString('hex'),
      randomBytes(16).toString('base64'),
      'z'.repeat(64),
    ]) {
      await assert.rejects(loadMasterKey({ dataDir: dir, env: { PORTCULLIS_MASTER_KEY: bad } }), (error: Error) => {
        assert.match(error.message, /PORTCULLIS_MASTER_KEY is not a valid master key: expected 64 hex characters/);
        if (bad !== '') assert.ok(!error.message.includes(bad));
        return true;
      });
    }
    assert.deepEqual(await readdir(dir), []);
  });
});

test('without the variable, master.key is created once (0600, hex) and reused', async () => {
  await withTempDir(async (dir) => {
    const dataDir = path.join(dir, 'data');
    const created: string[] = [];
    const first = await loadMasterKey({ dataDir, env: {}, onCreate: (file) => created.push(file) });
    const file = path.join(dataDir, 'master.key');
    assert.deepEqual(created, [file]);
    assert.equal(first.length, 32);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.equal(await readFile(file, 'utf8'), `${first.toString('hex')}\n`);
    assert.deepEqual(await readdir(dataDir), ['master.key'], 'no temporary file is left behind');

    const second = await loadMasterKey({ dataDir, env: {}, onCreate: (f) => created.push(f) });
    assert.deepEqual(second, first);
    assert.equal(created.length, 1);
  });
});

test('processes starting together end up with one key', async () => {
  await withTempDir(async (dir) => {
    const keys = await Promise.all(Array.from({ length: 8 }, () => loadMasterKey({ dataDir: dir, env: {} })));
    for (const key of keys) assert.deepEqual(key, keys[0]);
    assert.deepEqual(await readdir(dir), ['master.key']);
  });
});

test('a key file readable by group or others is refused (fail closed), as is a malformed one', async () => {
  await withTempDir(async (dir) => {
    const file = path.join(dir, 'master.key');
    await writeFile(file, randomBytes(32).toString('hex'), { mode: 0o600 });
    await chmod(file, 0o640);
    await assert.rejects(
      loadMasterKey({ dataDir: dir, env: {} }),
      /readable by group or others \(mode 640\); run: chmod 600/,
    );
    await chmod(file, 0o604);
    await assert.rejects(loadMasterKey({ dataDir: dir, env: {} }), /readable by group or others/);

    await writeFile(file, 'short\n', { mode: 0o600 });
    await chmod(file, 0o600);
    await assert.rejects(loadMasterKey({ dataDir: dir, env: {} }), /Master key file .* is not a valid master key/);
  });
});
