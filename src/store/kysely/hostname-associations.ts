/**
 * Hostname associations: which CAs a zone's hostnames trust for client certificates. A null
 * mtlsCertificateId (the managed CA) is stored as MANAGED_CA_KEY so the primary key has no NULL.
 */
import type { HostnameAssociationRecord, HexId, Uuid } from '../../model/records.ts';
import { MANAGED_CA_KEY, type Db } from './schema.ts';
import { atomically } from './atomically.ts';
import { guardUnique } from './conflicts.ts';
import { byCodeUnits } from './columns.ts';

function caKey(mtlsCertificateId: Uuid | null): string {
  return mtlsCertificateId ?? MANAGED_CA_KEY;
}

function toAssociation(row: { zone_id: string; hostname: string; ca_key: string }): HostnameAssociationRecord {
  return {
    zoneId: row.zone_id,
    hostname: row.hostname,
    mtlsCertificateId: row.ca_key === MANAGED_CA_KEY ? null : row.ca_key,
  };
}

function byZoneThenHostname(a: HostnameAssociationRecord, b: HostnameAssociationRecord): number {
  return byCodeUnits(a.zoneId, b.zoneId) || byCodeUnits(a.hostname, b.hostname);
}

export async function listHostnames(db: Db, zoneId: HexId, mtlsCertificateId: Uuid | null): Promise<string[]> {
  const rows = await db
    .selectFrom('hostname_associations')
    .select('hostname')
    .where('zone_id', '=', zoneId)
    .where('ca_key', '=', caKey(mtlsCertificateId))
    .execute();
  return rows.map((row) => row.hostname).sort(byCodeUnits);
}

/** Replaces the whole list of one (zone, CA) pair in one transaction; duplicates collapse. */
export async function replaceHostnames(
  db: Db,
  zoneId: HexId,
  mtlsCertificateId: Uuid | null,
  hostnames: readonly string[],
): Promise<void> {
  const key = caKey(mtlsCertificateId);
  const rows = [...new Set(hostnames)].map((hostname) => ({ zone_id: zoneId, hostname, ca_key: key }));
  await atomically(db, async (trx) => {
    await trx.deleteFrom('hostname_associations').where('zone_id', '=', zoneId).where('ca_key', '=', key).execute();
    if (rows.length === 0) return;
    await guardUnique('A hostname association conflicts with an existing one', () =>
      trx.insertInto('hostname_associations').values(rows).execute(),
    );
  });
}

export async function listAssociationsOfCertificate(
  db: Db,
  mtlsCertificateId: Uuid,
): Promise<HostnameAssociationRecord[]> {
  const rows = await db
    .selectFrom('hostname_associations')
    .selectAll()
    .where('ca_key', '=', mtlsCertificateId)
    .execute();
  return rows.map(toAssociation).sort(byZoneThenHostname);
}

export async function listAllAssociations(db: Db): Promise<HostnameAssociationRecord[]> {
  const rows = await db.selectFrom('hostname_associations').selectAll().execute();
  return rows.map(toAssociation).sort(byZoneThenHostname);
}
