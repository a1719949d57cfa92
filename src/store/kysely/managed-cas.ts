/** Managed CAs (one per account) and their CRL counter. */
import type { Selectable } from 'kysely';
import type { HexId, ManagedCaRecord, Uuid } from '../../model/records.ts';
import type { Db, ManagedCasTable } from './schema.ts';
import { insertUnique } from './conflicts.ts';

function toManagedCa(row: Selectable<ManagedCasTable>): ManagedCaRecord {
  return {
    id: row.id,
    accountId: row.account_id,
    name: row.name,
    certificatePem: row.certificate_pem,
    sealedPrivateKey: row.sealed_private_key,
    nextCrlNumber: row.next_crl_number,
    createdAt: row.created_at,
  };
}

export async function getManagedCa(db: Db, accountId: HexId): Promise<ManagedCaRecord | undefined> {
  const row = await db.selectFrom('managed_cas').selectAll().where('account_id', '=', accountId).executeTakeFirst();
  return row && toManagedCa(row);
}

export async function getManagedCaById(db: Db, id: Uuid): Promise<ManagedCaRecord | undefined> {
  const row = await db.selectFrom('managed_cas').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toManagedCa(row);
}

export async function createManagedCa(db: Db, record: ManagedCaRecord): Promise<void> {
  const row = {
    id: record.id,
    account_id: record.accountId,
    name: record.name,
    certificate_pem: record.certificatePem,
    sealed_private_key: record.sealedPrivateKey,
    next_crl_number: record.nextCrlNumber,
    created_at: record.createdAt,
  };
  await insertUnique(db, 'managed_cas', row, `Account ${record.accountId} already has a managed CA`);
}

/**
 * One statement, so atomic on both databases: the row is locked (PostgreSQL) or the database is
 * (SQLite) while the counter moves, and RETURNING hands back the number this caller took.
 */
export async function takeCrlNumber(db: Db, caId: Uuid): Promise<number> {
  const row = await db
    .updateTable('managed_cas')
    .set((eb) => ({ next_crl_number: eb('next_crl_number', '+', 1) }))
    .where('id', '=', caId)
    .returning('next_crl_number')
    .executeTakeFirst();
  if (row === undefined) throw new Error(`No managed CA with id ${caId}`);
  return row.next_crl_number - 1;
}

/** Every managed CA, oldest first. */
export async function listManagedCas(db: Db): Promise<ManagedCaRecord[]> {
  const rows = await db.selectFrom('managed_cas').selectAll().orderBy('created_at').orderBy('id').execute();
  return rows.map(toManagedCa);
}
