/**
 * Runs work in a transaction, or in the current one when `db` already is a transaction (joins it:
 * Kysely has no nested transactions, and the outer one already makes the work all-or-nothing).
 */
import type { Db } from './schema.ts';

export async function atomically<T>(db: Db, work: (db: Db) => Promise<T>): Promise<T> {
  if (db.isTransaction) return work(db);
  return db.transaction().execute(work);
}
