/**
 * Uniqueness, the same on both databases. Inserts use `ON CONFLICT DO NOTHING` and report a
 * conflict when no row went in: the statement does not fail, so a PostgreSQL transaction stays
 * usable after a conflict (a failed statement would abort it, while SQLite carries on) and callers
 * can catch StoreConflictError and re-read inside the same transaction on both. Any unique
 * violation a driver still raises is mapped to StoreConflictError too.
 */
import type { Insertable } from 'kysely';
import { StoreConflictError } from '../ports.ts';
import type { Database, Db } from './schema.ts';

/** Driver codes of a unique or primary-key violation: better-sqlite3 and PostgreSQL (SQLSTATE). */
const UNIQUE_VIOLATION_CODES = new Set(['SQLITE_CONSTRAINT_UNIQUE', 'SQLITE_CONSTRAINT_PRIMARYKEY', '23505']);

export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null || !('code' in error)) return false;
  return typeof error.code === 'string' && UNIQUE_VIOLATION_CODES.has(error.code);
}

/** Runs `write`; a unique violation becomes StoreConflictError(message), anything else passes through. */
export async function guardUnique<T>(message: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (isUniqueViolation(error)) throw new StoreConflictError(message);
    throw error;
  }
}

/** Inserts one row; throws StoreConflictError(message) when it collides with a unique key. */
export async function insertUnique<T extends keyof Database>(
  db: Db,
  table: T,
  row: Insertable<Database[T]>,
  message: string,
): Promise<void> {
  const result = await guardUnique(message, () =>
    db
      .insertInto(table)
      .values(row)
      .onConflict((conflict) => conflict.doNothing())
      .executeTakeFirstOrThrow(),
  );
  if (result.numInsertedOrUpdatedRows === 0n) throw new StoreConflictError(message);
}
