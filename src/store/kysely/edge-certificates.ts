/** Edge (server) certificates per zone; `hosts` is kept as a JSON array in a text column. */
import type { Selectable } from 'kysely';
import type { EdgeCertificateRecord, HexId, Uuid } from '../../model/records.ts';
import type { Db, EdgeCertificatesTable } from './schema.ts';
import { insertUnique } from './conflicts.ts';
import { parseStringArray } from './columns.ts';

function toEdgeCertificate(row: Selectable<EdgeCertificatesTable>): EdgeCertificateRecord {
  return {
    id: row.id,
    zoneId: row.zone_id,
    hosts: parseStringArray(row.hosts, 'edge_certificates.hosts'),
    certificatePem: row.certificate_pem,
    sealedPrivateKey: row.sealed_private_key,
    issuer: row.issuer,
    signature: row.signature,
    expiresOn: row.expires_on,
    uploadedOn: row.uploaded_on,
    modifiedOn: row.modified_on,
  };
}

export async function createEdgeCertificate(db: Db, record: EdgeCertificateRecord): Promise<void> {
  const row = {
    id: record.id,
    zone_id: record.zoneId,
    hosts: JSON.stringify(record.hosts),
    certificate_pem: record.certificatePem,
    sealed_private_key: record.sealedPrivateKey,
    issuer: record.issuer,
    signature: record.signature,
    expires_on: record.expiresOn,
    uploaded_on: record.uploadedOn,
    modified_on: record.modifiedOn,
  };
  await insertUnique(db, 'edge_certificates', row, `An edge certificate with id ${record.id} already exists`);
}

export async function getEdgeCertificate(db: Db, zoneId: HexId, id: Uuid): Promise<EdgeCertificateRecord | undefined> {
  const row = await db
    .selectFrom('edge_certificates')
    .selectAll()
    .where('zone_id', '=', zoneId)
    .where('id', '=', id)
    .executeTakeFirst();
  return row && toEdgeCertificate(row);
}

/** A zone's edge certificates, oldest upload first. */
export async function listEdgeCertificates(db: Db, zoneId: HexId): Promise<EdgeCertificateRecord[]> {
  const rows = await db
    .selectFrom('edge_certificates')
    .selectAll()
    .where('zone_id', '=', zoneId)
    .orderBy('uploaded_on')
    .orderBy('id')
    .execute();
  return rows.map(toEdgeCertificate);
}

export async function deleteEdgeCertificate(db: Db, zoneId: HexId, id: Uuid): Promise<void> {
  await db.deleteFrom('edge_certificates').where('zone_id', '=', zoneId).where('id', '=', id).execute();
}

export async function listAllEdgeCertificates(db: Db): Promise<EdgeCertificateRecord[]> {
  const rows = await db.selectFrom('edge_certificates').selectAll().orderBy('uploaded_on').orderBy('id').execute();
  return rows.map(toEdgeCertificate);
}
