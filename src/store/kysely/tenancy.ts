/** Accounts and zones: the tenancy tables. */
import { sql, type Selectable } from 'kysely';
import type { AccountRecord, HexId, ZoneRecord } from '../../model/records.ts';
import type { AccountsTable, Db, ZonesTable } from './schema.ts';
import { insertUnique } from './conflicts.ts';
import { byCodeUnits, fromFlag, toFlag } from './columns.ts';
import { isSqlite } from './dialect.ts';

function toAccount(row: Selectable<AccountsTable>): AccountRecord {
  return { id: row.id, name: row.name, createdAt: row.created_at };
}

function toZone(row: Selectable<ZonesTable>): ZoneRecord {
  return {
    id: row.id,
    accountId: row.account_id,
    name: row.name,
    createdAt: row.created_at,
    delegated: fromFlag(row.delegated, 'zones.delegated'),
  };
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
  const row = {
    id: record.id,
    account_id: record.accountId,
    name: record.name,
    created_at: record.createdAt,
    delegated: toFlag(record.delegated),
  };
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
 * Zones that overlap `name`: the zone of that name, zones of its parent domains, and zones under
 * it. Names are [a-z0-9.-] only (normaliseZoneName), so LIKE needs no escaping; ordered by name.
 */
export async function listOverlappingZones(db: Db, name: string): Promise<ZoneRecord[]> {
  const enclosing: string[] = [];
  for (let rest = name; rest !== ''; rest = rest.includes('.') ? rest.slice(rest.indexOf('.') + 1) : '') {
    enclosing.push(rest);
  }
  const rows = await db
    .selectFrom('zones')
    .selectAll()
    .where((eb) => eb.or([eb('name', 'in', enclosing), eb('name', 'like', `%.${name}`)]))
    .execute();
  return rows.map(toZone).sort((a, b) => byCodeUnits(a.name, b.name));
}

export async function setZoneDelegated(db: Db, id: HexId, delegated: boolean): Promise<void> {
  await db
    .updateTable('zones')
    .set({ delegated: toFlag(delegated) })
    .where('id', '=', id)
    .execute();
}

/**
 * Serializes the writers of zone names until the transaction ends, so that the overlap check and
 * the insert of a new zone (tenancy-service.ts) are one step: two accounts creating `b.test` and
 * `api.b.test` at once never both win. PostgreSQL: a transaction-scoped advisory lock (a fixed key
 * of our own; Kysely's migration lock uses another). SQLite needs nothing, as for lockAccount.
 */
export async function lockZoneNames(db: Db): Promise<void> {
  if (isSqlite(db)) return;
  await sql`select pg_advisory_xact_lock(${sql.lit(ZONE_NAMES_LOCK)})`.execute(db);
}

/** An advisory lock key no other code takes ("pclzon" in ASCII: under 2^53, exact as a number). */
const ZONE_NAMES_LOCK = 0x70636c7a6f6e;

/**
 * Serializes writers of one account until the transaction ends: quotas (count then insert) and
 * "in use" checks (check then delete) stay exact under concurrency. PostgreSQL's default READ
 * COMMITTED would let two transactions both pass the check, so the account row is locked. SQLite
 * needs nothing: one connection, held by the transaction, already runs writers one at a time.
 */
export async function lockAccount(db: Db, id: HexId): Promise<void> {
  if (isSqlite(db)) return;
  await db.selectFrom('accounts').select('id').where('id', '=', id).forUpdate().executeTakeFirst();
}
