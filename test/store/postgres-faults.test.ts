/**
 * The PostgreSQL driver of the store (src/store/postgres/postgres-driver.ts) against a real server
 * whose sessions are terminated (`pg_terminate_backend`) and which is stopped and restarted, one
 * rule of ADR 0009 per test: what is run again (a read, a transaction cut before COMMIT), what is
 * never repeated (a write cut after it was sent), and what the caller is told. A checked-out
 * client losing its connection must never end the process (this file's own process).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql, type Kysely } from 'kysely';
import { connectDatabase } from '../../src/store/open-store.ts';
import type { Database } from '../../src/store/kysely/schema.ts';
import { atomically } from '../../src/store/kysely/atomically.ts';
import {
  classifyStoreFailure,
  StoreOutcomeUnknownError,
  StoreUnavailableError,
} from '../../src/store/store-failure.ts';
import { postgresSkipReason, startPostgres, type TestPostgres } from '../helpers/postgres.ts';

/** The value or the error, handled at once (a rejection while the test awaits something else is not "unhandled"). */
function settled<T>(promise: Promise<T>): Promise<T | Error> {
  return promise.catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));
}

describe('the PostgreSQL store driver when sessions end', { skip: postgresSkipReason() ?? false }, () => {
  let postgres: TestPostgres;
  let db: Kysely<Database>;
  let raw: Kysely<unknown>;

  before(async () => {
    postgres = await startPostgres();
    await postgres.createDatabase('driver');
    db = connectDatabase({ kind: 'postgres', url: await postgres.createSchema('driver', 'gw') });
    raw = db as unknown as Kysely<unknown>;
    await sql`create table marks (v text not null)`.execute(raw);
  });

  after(async () => {
    await db.destroy();
    await postgres.stop();
  });

  const marks = async (): Promise<string[]> =>
    (await sql<{ v: string }>`select v from marks order by v`.execute(raw)).rows.map((row) => row.v);
  /** Ends every session once `pg_sleep` has started on one, while it runs. */
  const terminateWhileSleeping = async (): Promise<void> => {
    for (let i = 0; i < 100; i++) {
      const sleeping = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity
        where query like '%pg_sleep%' and state = 'active' and pid <> pg_backend_pid()`.execute(raw);
      if ((sleeping.rows[0]?.n ?? 0) > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await postgres.terminateSessions();
  };

  test('sessions terminated while idle: the next read and write work', async () => {
    await sql`select 1`.execute(raw);
    await postgres.terminateSessions();
    assert.deepEqual(
      (await db.selectNoFrom(sql<number>`1`.as('one')).execute()).map((row) => row.one),
      [1],
    );
    await sql`insert into marks (v) values ('idle')`.execute(raw);
    assert.deepEqual(await marks(), ['idle']);
    await sql`delete from marks`.execute(raw);
  });

  test('a read cut off by a terminated session is run again on a new connection', async () => {
    const read = settled(db.selectNoFrom(sql<string>`pg_sleep(0.5)::text`.as('slept')).execute());
    await terminateWhileSleeping();
    const outcome = await read;
    assert.ok(!(outcome instanceof Error), outcome instanceof Error ? outcome.message : '');
    assert.equal(outcome.length, 1);
  });

  test('a write cut off after it was sent is never repeated: StoreOutcomeUnknownError', async () => {
    const write = settled(sql`insert into marks (v) select 'cut' from pg_sleep(0.5)`.execute(raw));
    await terminateWhileSleeping();
    const error = await write;
    assert.ok(error instanceof StoreOutcomeUnknownError, error instanceof Error ? error.message : 'resolved');
    assert.equal(classifyStoreFailure(error), 'outcome_unknown');
    assert.deepEqual(await marks(), [], 'not run a second time (the server aborted the first)');
  });

  test('a transaction cut off before COMMIT runs again, once, on a new connection', async () => {
    let attempts = 0;
    await atomically(db, async (trx) => {
      attempts += 1;
      await sql`insert into marks (v) values (${`attempt ${attempts}`})`.execute(trx);
      // Its session ends while the client is checked out and idle in the transaction: pg emits
      // 'error' on that client, which must not end the process.
      if (attempts === 1) await postgres.terminateSessions();
      await sql`select 1`.execute(trx);
    });
    assert.equal(attempts, 2);
    assert.deepEqual(await marks(), ['attempt 2'], 'the first attempt was rolled back');
    await sql`delete from marks`.execute(raw);
  });

  test('PostgreSQL stopped under a read: StoreUnavailableError, and usable again once it is back', async () => {
    const read = settled(db.selectNoFrom(sql<string>`pg_sleep(2)::text`.as('slept')).execute());
    for (let i = 0; i < 100; i++) {
      const sleeping = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity
        where query like '%pg_sleep(2)%' and state = 'active'`.execute(raw);
      if ((sleeping.rows[0]?.n ?? 0) > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await postgres.pause();
    try {
      const error = await read;
      assert.ok(error instanceof StoreUnavailableError, error instanceof Error ? error.message : 'resolved');
      assert.equal(classifyStoreFailure(error), 'unavailable');
      await assert.rejects(sql`select 1`.execute(raw), StoreUnavailableError);
    } finally {
      await postgres.resume();
    }
    assert.equal((await sql`select 1 as one`.execute(raw)).rows.length, 1);
  });

  test('PostgreSQL restarted while the pool is idle: the next statements work', async () => {
    await sql`select 1`.execute(raw);
    await postgres.restart();
    await sql`insert into marks (v) values ('restarted')`.execute(raw);
    assert.deepEqual(await marks(), ['restarted']);
  });
});
