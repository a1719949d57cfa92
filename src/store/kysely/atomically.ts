/**
 * Runs work in a transaction, or in the current one when `db` already is a transaction (joins it:
 * Kysely has no nested transactions, and the outer one already makes the work all-or-nothing).
 *
 * A transaction whose PostgreSQL connection was lost before COMMIT (StoreUnavailableError `lost`:
 * a server restart, a terminated session) was rolled back by the server, so it is run once more on
 * a new connection; a lost COMMIT (StoreOutcomeUnknownError) is never repeated.
 */
import { StoreUnavailableError } from '../store-failure.ts';
import type { Db } from './schema.ts';

export async function atomically<T>(db: Db, work: (db: Db) => Promise<T>): Promise<T> {
  if (db.isTransaction) return work(db);
  try {
    return await db.transaction().execute(work);
  } catch (error) {
    if (!(error instanceof StoreUnavailableError) || !error.lost) throw error;
    return db.transaction().execute(work);
  }
}
