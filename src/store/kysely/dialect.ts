/** Which SQL dialect a Kysely instance speaks, for the few statements SQLite and PostgreSQL write differently. */
import { SqliteAdapter, type Kysely } from 'kysely';

export function isSqlite<T>(db: Kysely<T>): boolean {
  return db.getExecutor().adapter instanceof SqliteAdapter;
}
