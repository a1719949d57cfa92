/**
 * 0006: a gateway key's certificate binding is unique per ACCOUNT, no longer across the
 * installation. Globally unique bindings let one tenant squat another's device certificate by
 * binding it first (the second account got a 409); the data plane now finds a presented
 * certificate's key among the keys of the API's own account only (runtime-config/api-runtime.ts).
 * Secret hashes stay unique across the installation (256 random bits; a token finds one key).
 *
 * PostgreSQL swaps the constraint in place. SQLite cannot drop a table constraint, so the table is
 * rebuilt (https://www.sqlite.org/lang_altertable.html §7: create, copy, drop, rename), in one
 * transaction: Kysely runs SQLite migrations outside one, and a half-rebuilt table must not survive
 * a failure. Nothing references gateway_keys, so dropping it breaks no foreign key.
 */
import { SqliteAdapter, sql, type Kysely, type Migration } from 'kysely';

const BINDING_COLUMNS = ['account_id', 'binding_kind', 'binding_value'];

export const keyBindingsPerAccount: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    if (db.getExecutor().adapter instanceof SqliteAdapter) {
      await db.transaction().execute(rebuildOnSqlite);
      return;
    }
    await db.schema.alterTable('gateway_keys').dropConstraint('gateway_keys_binding_unique').execute();
    await db.schema
      .alterTable('gateway_keys')
      .addUniqueConstraint('gateway_keys_account_binding_unique', BINDING_COLUMNS)
      .execute();
  },
};

async function rebuildOnSqlite(db: Kysely<unknown>): Promise<void> {
  // The columns of 0003, with the per-account binding constraint.
  await db.schema
    .createTable('gateway_keys_next')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
    .addColumn('alias', 'text', (c) => c.notNull())
    .addColumn('binding_kind', 'text')
    .addColumn('binding_value', 'text')
    .addColumn('secret_hash', 'text')
    .addColumn('policy_ids', 'text', (c) => c.notNull())
    .addColumn('access_rights', 'text', (c) => c.notNull())
    .addColumn('rate_limit', 'text')
    .addColumn('quota', 'text')
    .addColumn('expires_on', 'text')
    .addColumn('metadata', 'text', (c) => c.notNull())
    .addColumn('active', 'integer', (c) => c.notNull())
    .addColumn('created_on', 'text', (c) => c.notNull())
    .addColumn('modified_on', 'text', (c) => c.notNull())
    .addUniqueConstraint('gateway_keys_account_binding_unique', ['account_id', 'binding_kind', 'binding_value'])
    .addUniqueConstraint('gateway_keys_secret_unique', ['secret_hash'])
    .execute();
  await sql`insert into gateway_keys_next select id, account_id, alias, binding_kind, binding_value, secret_hash,
    policy_ids, access_rights, rate_limit, quota, expires_on, metadata, active, created_on, modified_on
    from gateway_keys`.execute(db);
  await db.schema.dropTable('gateway_keys').execute();
  await db.schema.alterTable('gateway_keys_next').renameTo('gateway_keys').execute();
  await db.schema.createIndex('gateway_keys_account_idx').on('gateway_keys').column('account_id').execute();
}
