/** Uploaded mTLS certificates (CA bundles and leaves) of an account. */
import type { Selectable } from 'kysely';
import {
  CA_COMPATIBILITIES,
  type CaCompatibility,
  type HexId,
  type MtlsCertificateRecord,
  type MtlsCertificateType,
  type Uuid,
} from '../../model/records.ts';
import type { Db, MtlsCertificatesTable } from './schema.ts';
import { insertUnique } from './conflicts.ts';
import { fromFlag, oneOf, toCount, toFlag } from './columns.ts';

const TYPES: readonly MtlsCertificateType[] = ['custom', 'gateway_managed', 'access_managed'];

function toMtlsCertificate(row: Selectable<MtlsCertificatesTable>): MtlsCertificateRecord {
  return {
    id: row.id,
    accountId: row.account_id,
    name: row.name,
    ca: fromFlag(row.ca, 'mtls_certificates.ca'),
    certificatesPem: row.certificates_pem,
    issuer: row.issuer,
    serialNumber: row.serial_number,
    signature: row.signature,
    type: oneOf(row.type, TYPES, 'mtls_certificates.type'),
    fingerprintSha256: row.fingerprint_sha256,
    sealedPrivateKey: row.sealed_private_key,
    compatibility: oneOf(row.compatibility, CA_COMPATIBILITIES, 'mtls_certificates.compatibility'),
    expiresOn: row.expires_on,
    uploadedOn: row.uploaded_on,
    updatedAt: row.updated_at,
  };
}

export async function createMtlsCertificate(db: Db, record: MtlsCertificateRecord): Promise<void> {
  const row = {
    id: record.id,
    account_id: record.accountId,
    name: record.name,
    ca: toFlag(record.ca),
    certificates_pem: record.certificatesPem,
    issuer: record.issuer,
    serial_number: record.serialNumber,
    signature: record.signature,
    type: record.type,
    fingerprint_sha256: record.fingerprintSha256,
    sealed_private_key: record.sealedPrivateKey,
    compatibility: record.compatibility,
    expires_on: record.expiresOn,
    uploaded_on: record.uploadedOn,
    updated_at: record.updatedAt,
  };
  await insertUnique(db, 'mtls_certificates', row, `An mTLS certificate with id ${record.id} already exists`);
}

export async function getMtlsCertificate(
  db: Db,
  accountId: HexId,
  id: Uuid,
): Promise<MtlsCertificateRecord | undefined> {
  const row = await db
    .selectFrom('mtls_certificates')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .executeTakeFirst();
  return row && toMtlsCertificate(row);
}

/** An account's certificates, optionally of some types ([] matches none); oldest upload first. */
export async function listMtlsCertificates(
  db: Db,
  accountId: HexId,
  types?: readonly string[],
): Promise<MtlsCertificateRecord[]> {
  if (types?.length === 0) return [];
  let query = db.selectFrom('mtls_certificates').selectAll().where('account_id', '=', accountId);
  if (types !== undefined) query = query.where('type', 'in', types);
  const rows = await query.orderBy('uploaded_on').orderBy('id').execute();
  return rows.map(toMtlsCertificate);
}

export async function countCaCertificates(db: Db, accountId: HexId): Promise<number> {
  const row = await db
    .selectFrom('mtls_certificates')
    .select((eb) => eb.fn.countAll<string | number | bigint>().as('count'))
    .where('account_id', '=', accountId)
    .where('ca', '=', 1)
    .executeTakeFirstOrThrow();
  return toCount(row.count);
}

/** Changes an uploaded CA's compatibility; false when the account has no such certificate. */
export async function updateMtlsCertificateCompatibility(
  db: Db,
  accountId: HexId,
  id: Uuid,
  compatibility: CaCompatibility,
  updatedAt: string,
): Promise<boolean> {
  const result = await db
    .updateTable('mtls_certificates')
    .set({ compatibility, updated_at: updatedAt })
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function deleteMtlsCertificate(db: Db, accountId: HexId, id: Uuid): Promise<void> {
  await db.deleteFrom('mtls_certificates').where('account_id', '=', accountId).where('id', '=', id).execute();
}

export async function listAllMtlsCertificates(db: Db): Promise<MtlsCertificateRecord[]> {
  const rows = await db.selectFrom('mtls_certificates').selectAll().orderBy('uploaded_on').orderBy('id').execute();
  return rows.map(toMtlsCertificate);
}
