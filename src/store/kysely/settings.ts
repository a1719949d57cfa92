/** Installation settings: a small key/value table, written with a portable upsert. */
import type { Db } from './schema.ts';

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
