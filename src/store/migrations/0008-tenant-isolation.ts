/**
 * 0008: tenant isolation (docs/adr/0007-zone-ownership.md). Numbered after 0006 and 0007 of other
 * workstreams; three changes, applied together:
 *
 *  1. gateway_keys: a certificate binding is unique per ACCOUNT, no longer across the installation.
 *     Globally unique bindings let one tenant squat another's device certificate by binding it
 *     first (the second account got a 409); the data plane now finds a presented certificate's key
 *     among the keys of the API's own account only (runtime-config/api-runtime.ts). Secret hashes
 *     stay unique across the installation (256 random bits; a token finds one key).
 *  2. zones.delegated: the operator's permission for a zone to overlap zones of other accounts.
 *     Existing zones start undelegated: an overlap across accounts already stored then serves the
 *     older zone's account only, until the operator delegates the newer zone (PATCH /zones/{id}).
 *  3. client certificates outlive their zone: DELETE /zones/{id} removes the zone row, but the
 *     certificates the account's managed CA issued there must stay, revoked, with their serials, for
 *     the CRL, OCSP and every other hostname of the account that trusts the managed CA. So
 *     client_certificates.zone_id no longer references zones (its account and CA references stay).
 *
 * PostgreSQL swaps the constraints in place (Kysely runs its migrations in a transaction). SQLite
 * cannot drop a table constraint, so those two tables are rebuilt from their stored CREATE TABLE
 * with the one change (https://www.sqlite.org/lang_altertable.html §7: create, copy, drop, rename,
 * indexes again), all in one transaction: Kysely runs SQLite migrations outside one, and a
 * half-migrated schema must not survive a failure. Nothing references either table.
 */
import { sql, type Kysely, type Migration } from 'kysely';
import { isSqlite } from '../kysely/dialect.ts';

export const tenantIsolation: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    if (isSqlite(db)) {
      await db.transaction().execute(async (trx) => {
        await rebuildOnSqlite(trx, 'gateway_keys', GLOBAL_BINDING, ACCOUNT_BINDING);
        await addZoneDelegation(trx);
        await rebuildOnSqlite(trx, 'client_certificates', ZONE_REFERENCE, ZONE_COLUMN);
      });
      return;
    }
    await db.schema.alterTable('gateway_keys').dropConstraint('gateway_keys_binding_unique').execute();
    await sql.raw(`alter table gateway_keys add ${ACCOUNT_BINDING}`).execute(db);
    await addZoneDelegation(db);
    // Found by what it references, not by the name PostgreSQL generated for it.
    const { rows } = await sql<{ name: string }>`
      select conname as name from pg_constraint
      where conrelid = 'client_certificates'::regclass and confrelid = 'zones'::regclass and contype = 'f'`.execute(db);
    for (const { name } of rows) {
      await db.schema.alterTable('client_certificates').dropConstraint(name).execute();
    }
  },
};

async function addZoneDelegation(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('zones')
    .addColumn('delegated', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}

/** The binding constraint of 0003, and the per-account one that replaces it. */
const GLOBAL_BINDING = 'constraint "gateway_keys_binding_unique" unique ("binding_kind", "binding_value")';
const ACCOUNT_BINDING =
  'constraint "gateway_keys_account_binding_unique" unique ("account_id", "binding_kind", "binding_value")';
/** zone_id as 0001 declared it, and without its reference to zones. */
const ZONE_REFERENCE = '"zone_id" text not null references "zones" ("id")';
const ZONE_COLUMN = '"zone_id" text not null';

/**
 * Rebuilds a SQLite table with `replace` made in its CREATE TABLE statement, as stored: columns and
 * indexes other migrations added are carried over as they are. The text to replace must be there
 * (a schema edited by hand fails the migration instead of being rebuilt wrong).
 */
async function rebuildOnSqlite(db: Kysely<unknown>, table: string, replace: string, by: string): Promise<void> {
  const { rows } = await sql<{ type: string; sql: string }>`
    select type, sql from sqlite_master where tbl_name = ${table} and sql is not null`.execute(db);
  const create = rows.find((row) => row.type === 'table')?.sql;
  const prefix = `CREATE TABLE "${table}" (`;
  if (create === undefined || !create.startsWith(prefix) || !create.includes(replace)) {
    throw new Error(`table ${table} is not as migration 0003/0001 made it: cannot rebuild it`);
  }
  const next = `${table}_next`;
  await sql.raw(`CREATE TABLE "${next}" (${create.slice(prefix.length).replace(replace, by)}`).execute(db);
  await sql.raw(`insert into "${next}" select * from "${table}"`).execute(db);
  await sql.raw(`drop table "${table}"`).execute(db);
  await sql.raw(`alter table "${next}" rename to "${table}"`).execute(db);
  for (const index of rows.filter((row) => row.type === 'index')) await sql.raw(index.sql).execute(db);
}
