/** Accounts and zones: the tenancy tables. */
import { SqliteAdapter, type Selectable } from 'kysely';
import type { AccountRecord, HexId, ZoneRecord } from '../records.ts';
import type { AccountsTable, Db, ZonesTable } from './schema.ts';
import { insertUnique } from './conflicts.ts';
import { byCodeUnits } from './columns.ts';

function toAccount(row: Selectable<AccountsTable>): AccountRecord {
  return { id: row.id, name: row.name, createdAt: row.created_at };
}

function toZone(row: Selectable<ZonesTable>): ZoneRecord {
  return { id: row.id, accountId: row.account_id, name: row.name, createdAt: row.created_at };
}

export async function createAccount(db: Db, record: AccountRecord): Promise<void> {
  const row = { id: record.id, name: record.name, created_at: record.createdAt };
  await insertUnique(db, 'accounts', row, `An account with id ${record.id} already exists`);
}

export async function getAccount(db: Db, id: HexId): Promise<AccountRecord | undefined> {
  const row = await db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toAccount(row);
}

/** All accounts, or those with the given ids ([] matches none); oldest first. */
export async function listAccounts(db: Db, ids?: readonly HexId[]): Promise<AccountRecord[]> {
  if (ids?.length === 0) return [];
  let query = db.selectFrom('accounts').selectAll();
  if (ids !== undefined) query = query.where('id', 'in', ids);
  const rows = await query.orderBy('created_at').orderBy('id').execute();
  return rows.map(toAccount);
}

export async function createZone(db: Db, record: ZoneRecord): Promise<void> {
  const row = { id: record.id, account_id: record.accountId, name: record.name, created_at: record.createdAt };
  await insertUnique(db, 'zones', row, `A zone named ${record.name} (or with id ${record.id}) already exists`);
}

export async function getZone(db: Db, id: HexId): Promise<ZoneRecord | undefined> {
  const row = await db.selectFrom('zones').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toZone(row);
}

/** Zones of the given accounts ([] matches none) and/or with one exact name, ordered by name. */
export async function listZones(
  db: Db,
  filter: { accountIds?: readonly HexId[]; name?: string },
): Promise<ZoneRecord[]> {
  if (filter.accountIds?.length === 0) return [];
  let query = db.selectFrom('zones').selectAll();
  if (filter.accountIds !== undefined) query = query.where('account_id', 'in', filter.accountIds);
  if (filter.name !== undefined) query = query.where('name', '=', filter.name);
  const rows = await query.execute();
  return rows.map(toZone).sort((a, b) => byCodeUnits(a.name, b.name));
}

/**
 * Serializes writers of one account until the transaction ends: quotas (count then insert) and
 * "in use" checks (check then delete) stay exact under concurrency. PostgreSQL's default READ
 * COMMITTED would let two transactions both pass the check, so the account row is locked. SQLite
 * needs nothing: one connection, held by the transaction, already runs writers one at a time.
 */
export async function lockAccount(db: Db, id: HexId): Promise<void> {
  if (db.getExecutor().adapter instanceof SqliteAdapter) return;
  await db.selectFrom('accounts').select('id').where('id', '=', id).forUpdate().executeTakeFirst();
}
