/**
 * Kysely's SQLite dialect with transactions begun IMMEDIATE rather than DEFERRED. Under
 * `serve --workers N` several processes write to one SQLite file (docs/adr/0018-workers.md). In WAL
 * mode a deferred transaction reads from a snapshot, and its first write fails at once with
 * SQLITE_BUSY_SNAPSHOT if another process committed since: busy_timeout does not apply, and an API
 * change would be refused (503) because a worker wrote its analytics at that moment. An immediate
 * transaction takes the write lock when it begins, so other writers wait for it within their busy
 * timeout (https://www.sqlite.org/lang_transaction.html, "Read transactions versus write
 * transactions"). With one process, nothing changes: its one connection runs one transaction at a time.
 */
import {
  CompiledQuery,
  SqliteDialect,
  SqliteDriver,
  type DatabaseConnection,
  type Driver,
  type SqliteDialectConfig,
} from 'kysely';

class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

export class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;

  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config);
  }
}
