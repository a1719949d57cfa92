/** Installation settings: a small key/value table, written with a portable upsert. */
import type { Db } from './schema.ts';
import { isSqlite } from './dialect.ts';

export async function getSetting(db: Db, key: string): Promise<string | undefined> {
  const row = await db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst();
  return row?.value;
}

/** Inserts or overwrites (INSERT … ON CONFLICT DO UPDATE: SQLite ≥ 3.24 and PostgreSQL). */
export async function putSetting(db: Db, key: string, value: string): Promise<void> {
  await db
    .insertInto('settings')
    .values({ key, value })
    .onConflict((conflict) => conflict.column('key').doUpdateSet((eb) => ({ value: eb.ref('excluded.value') })))
    .execute();
}

/** INSERT … ON CONFLICT DO NOTHING: whether this call wrote the row. */
export async function putSettingIfAbsent(db: Db, key: string, value: string): Promise<boolean> {
  const result = await db
    .insertInto('settings')
    .values({ key, value })
    .onConflict((conflict) => conflict.column('key').doNothing())
    .executeTakeFirst();
  return result.numInsertedOrUpdatedRows === 1n;
}

/**
 * Locks the setting's row (made, empty, if missing) until the transaction ends. PostgreSQL's READ
 * COMMITTED runs each statement on a fresh snapshot, so what the lock holder wrote is seen by every
 * statement after the wait. SQLite: nothing to do (see lockAccount in tenancy.ts).
 */
export async function lockSetting(db: Db, key: string): Promise<void> {
  if (isSqlite(db)) return;
  await putSettingIfAbsent(db, key, '');
  await db.selectFrom('settings').select('key').where('key', '=', key).forUpdate().executeTakeFirst();
}
