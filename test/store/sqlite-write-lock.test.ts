/**
 * SQLite shared by several processes (`serve --workers N` without PostgreSQL, docs/adr/0018-workers.md): a
 * transaction of ours that reads and then writes must not fail because another process wrote in between. In WAL
 * mode a transaction begun DEFERRED reads from a snapshot, and its first write then fails at once with
 * SQLITE_BUSY_SNAPSHOT when another connection has committed since, whatever the busy timeout; one begun
 * IMMEDIATE holds the write lock from its start, so the other process waits for it (busy_timeout) instead.
 * The other process is a second connection to the same file, with no busy timeout, so that its wait shows as
 * an immediate SQLITE_BUSY.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { sql } from 'kysely';
import { connectDatabase } from '../../src/store/open-store.ts';

test('a read-then-write transaction holds the write lock from its start: another process waits, ours commits', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'portcullis-sqlite-lock-'));
  const file = path.join(dir, 'store.sqlite');
  const db = connectDatabase({ kind: 'sqlite', file });
  const other = new Database(file);
  try {
    await sql`create table counted (n integer not null)`.execute(db);
    other.pragma('busy_timeout = 0');
    let otherWrite = 'not tried';
    await db.transaction().execute(async (trx) => {
      await sql`select count(*) from counted`.execute(trx);
      try {
        other.prepare('insert into counted (n) values (2)').run();
        otherWrite = 'written';
      } catch (error) {
        otherWrite = (error as { code?: string }).code ?? String(error);
      }
      await sql`insert into counted (n) values (1)`.execute(trx);
    });
    assert.equal(otherWrite, 'SQLITE_BUSY', 'the other process had to wait for our transaction');
    const rows = other.prepare('select n from counted').all() as { n: number }[];
    assert.deepEqual(
      rows.map((row) => row.n),
      [1],
    );
  } finally {
    other.close();
    await db.destroy();
    await rm(dir, { recursive: true, force: true });
  }
});
