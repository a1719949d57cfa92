/** EST enrollment (migration 0011): profiles, bootstrap secrets, enrollments, approvals, tags, bulk revocation. */
import { sql, type Expression, type ExpressionBuilder, type Selectable, type SqlBool } from 'kysely';
import {
  EST_APPROVAL_STATUSES,
  EST_ENROLLMENT_METHODS,
  type BulkRevocationFilter,
  type BulkRevokedCertificate,
  type EstApprovalRecord,
  type EstApprovalStatus,
  type EstBootstrapSecretRecord,
  type EstEnrollmentRecord,
  type EstProfileRecord,
  type EstProfileSettings,
} from '../../model/est-records.ts';
import type { HexId, Uuid } from '../../model/records.ts';
import type { Database, Db } from './schema.ts';
import type {
  EstApprovalsTable,
  EstBootstrapSecretsTable,
  EstEnrollmentsTable,
  EstProfilesTable,
} from './est-schema.ts';
import { insertUnique } from './conflicts.ts';
import { oneOf } from './columns.ts';
import { raiseRevocationVersion } from './client-certificates.ts';
import { isSqlite } from './dialect.ts';

// Profiles ----------------------------------------------------------------------------------------

function toProfile(row: Selectable<EstProfilesTable>): EstProfileRecord {
  return {
    id: row.id,
    accountId: row.account_id,
    zoneId: row.zone_id,
    label: row.label,
    settings: JSON.parse(row.settings) as EstProfileSettings,
    createdOn: row.created_on,
    modifiedOn: row.modified_on,
  };
}

function profileRow(record: EstProfileRecord): Selectable<EstProfilesTable> {
  return {
    id: record.id,
    account_id: record.accountId,
    zone_id: record.zoneId,
    label: record.label,
    settings: JSON.stringify(record.settings),
    created_on: record.createdOn,
    modified_on: record.modifiedOn,
  };
}

export async function createEstProfile(db: Db, record: EstProfileRecord): Promise<void> {
  await insertUnique(
    db,
    'est_profiles',
    profileRow(record),
    `an enrollment profile with label "${record.label}" exists`,
  );
}

export async function updateEstProfile(db: Db, record: EstProfileRecord): Promise<void> {
  const row = profileRow(record);
  await db
    .updateTable('est_profiles')
    .set({ settings: row.settings, modified_on: row.modified_on })
    .where('zone_id', '=', record.zoneId)
    .where('id', '=', record.id)
    .execute();
}

export async function getEstProfile(db: Db, zoneId: HexId, id: Uuid): Promise<EstProfileRecord | undefined> {
  const row = await db
    .selectFrom('est_profiles')
    .selectAll()
    .where('zone_id', '=', zoneId)
    .where('id', '=', id)
    .executeTakeFirst();
  return row === undefined ? undefined : toProfile(row);
}

export async function listEstProfiles(db: Db, zoneId: HexId): Promise<EstProfileRecord[]> {
  const rows = await db.selectFrom('est_profiles').selectAll().where('zone_id', '=', zoneId).orderBy('id').execute();
  return rows.map(toProfile);
}

export async function deleteEstProfile(db: Db, zoneId: HexId, id: Uuid): Promise<void> {
  await db.deleteFrom('est_bootstrap_secrets').where('zone_id', '=', zoneId).where('profile_id', '=', id).execute();
  await db.deleteFrom('est_approvals').where('zone_id', '=', zoneId).where('profile_id', '=', id).execute();
  await db.deleteFrom('est_profiles').where('zone_id', '=', zoneId).where('id', '=', id).execute();
}

// Bootstrap secrets -------------------------------------------------------------------------------

function toSecret(row: Selectable<EstBootstrapSecretsTable>): EstBootstrapSecretRecord {
  return {
    id: row.id,
    accountId: row.account_id,
    zoneId: row.zone_id,
    profileId: row.profile_id,
    name: row.name,
    secretHash: row.secret_hash,
    maxUses: row.max_uses,
    uses: row.uses,
    expiresOn: row.expires_on,
    createdOn: row.created_on,
  };
}

export async function createBootstrapSecret(db: Db, record: EstBootstrapSecretRecord): Promise<void> {
  await insertUnique(
    db,
    'est_bootstrap_secrets',
    {
      id: record.id,
      account_id: record.accountId,
      zone_id: record.zoneId,
      profile_id: record.profileId,
      name: record.name,
      secret_hash: record.secretHash,
      max_uses: record.maxUses,
      uses: record.uses,
      expires_on: record.expiresOn,
      created_on: record.createdOn,
    },
    'a bootstrap secret with this id exists; retry',
  );
}

export async function getBootstrapSecret(db: Db, id: HexId): Promise<EstBootstrapSecretRecord | undefined> {
  const row = await db.selectFrom('est_bootstrap_secrets').selectAll().where('id', '=', id).executeTakeFirst();
  return row === undefined ? undefined : toSecret(row);
}

export async function listBootstrapSecrets(
  db: Db,
  zoneId: HexId,
  profileId: Uuid,
): Promise<EstBootstrapSecretRecord[]> {
  const rows = await db
    .selectFrom('est_bootstrap_secrets')
    .selectAll()
    .where('zone_id', '=', zoneId)
    .where('profile_id', '=', profileId)
    .orderBy('created_on')
    .orderBy('id')
    .execute();
  return rows.map(toSecret);
}

export async function deleteBootstrapSecret(db: Db, zoneId: HexId, id: HexId): Promise<void> {
  await db.deleteFrom('est_bootstrap_secrets').where('zone_id', '=', zoneId).where('id', '=', id).execute();
}

export async function consumeBootstrapSecret(db: Db, id: HexId, secretHash: string, nowIso: string): Promise<boolean> {
  // One statement: two devices racing for the last use of a secret cannot both win it.
  const result = await db
    .updateTable('est_bootstrap_secrets')
    .set((eb) => ({ uses: eb('uses', '+', 1) }))
    .where('id', '=', id)
    .where('secret_hash', '=', secretHash)
    .whereRef('uses', '<', 'max_uses')
    .where('expires_on', '>', nowIso)
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

// Enrollments -------------------------------------------------------------------------------------

function toEnrollment(row: Selectable<EstEnrollmentsTable>): EstEnrollmentRecord {
  return {
    clientCertificateId: row.client_certificate_id,
    accountId: row.account_id,
    zoneId: row.zone_id,
    profileId: row.profile_id,
    method: oneOf(row.method, EST_ENROLLMENT_METHODS, 'est_enrollments.method'),
    enrolledBy: row.enrolled_by,
    replacedBy: row.replaced_by,
    revokeAfter: row.revoke_after,
    createdOn: row.created_on,
  };
}

export async function createEstEnrollment(db: Db, record: EstEnrollmentRecord): Promise<void> {
  await insertUnique(
    db,
    'est_enrollments',
    {
      client_certificate_id: record.clientCertificateId,
      account_id: record.accountId,
      zone_id: record.zoneId,
      profile_id: record.profileId,
      method: record.method,
      enrolled_by: record.enrolledBy,
      replaced_by: record.replacedBy,
      revoke_after: record.revokeAfter,
      created_on: record.createdOn,
    },
    `the certificate ${record.clientCertificateId} is enrolled already`,
  );
}

export async function getEstEnrollment(db: Db, clientCertificateId: Uuid): Promise<EstEnrollmentRecord | undefined> {
  const row = await db
    .selectFrom('est_enrollments')
    .selectAll()
    .where('client_certificate_id', '=', clientCertificateId)
    .executeTakeFirst();
  return row === undefined ? undefined : toEnrollment(row);
}

export async function replaceEstEnrollment(db: Db, id: Uuid, replacedBy: Uuid, revokeAfter: string): Promise<boolean> {
  // Only once: two re-enrollments racing with the same certificate cannot both take it over.
  const result = await db
    .updateTable('est_enrollments')
    .set({ replaced_by: replacedBy, revoke_after: revokeAfter })
    .where('client_certificate_id', '=', id)
    .where('replaced_by', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

export async function listEstEnrollmentsDue(db: Db, nowIso: string): Promise<EstEnrollmentRecord[]> {
  const rows = await db
    .selectFrom('est_enrollments')
    .selectAll()
    .where('revoke_after', 'is not', null)
    .where('revoke_after', '<=', nowIso)
    .limit(1000)
    .execute();
  return rows.map(toEnrollment);
}

export async function clearEstRevokeAfter(db: Db, id: Uuid): Promise<void> {
  await db.updateTable('est_enrollments').set({ revoke_after: null }).where('client_certificate_id', '=', id).execute();
}

export async function listEstEnrollments(db: Db, zoneId: HexId): Promise<EstEnrollmentRecord[]> {
  const rows = await db
    .selectFrom('est_enrollments')
    .selectAll()
    .where('zone_id', '=', zoneId)
    .orderBy('created_on')
    .execute();
  return rows.map(toEnrollment);
}

// Approvals ---------------------------------------------------------------------------------------

function toApproval(row: Selectable<EstApprovalsTable>): EstApprovalRecord {
  return {
    id: row.id,
    accountId: row.account_id,
    zoneId: row.zone_id,
    profileId: row.profile_id,
    spkiSha256: row.spki_sha256,
    requester: row.requester,
    csrPem: row.csr_pem,
    status: oneOf(row.status, EST_APPROVAL_STATUSES, 'est_approvals.status'),
    clientCertificateId: row.client_certificate_id,
    createdOn: row.created_on,
    decidedOn: row.decided_on,
  };
}

export async function createEstApproval(db: Db, record: EstApprovalRecord): Promise<void> {
  await insertUnique(
    db,
    'est_approvals',
    {
      id: record.id,
      account_id: record.accountId,
      zone_id: record.zoneId,
      profile_id: record.profileId,
      spki_sha256: record.spkiSha256,
      requester: record.requester,
      csr_pem: record.csrPem,
      status: record.status,
      client_certificate_id: record.clientCertificateId,
      created_on: record.createdOn,
      decided_on: record.decidedOn,
    },
    'an enrollment request for this key is waiting already',
  );
}

export async function findEstApproval(
  db: Db,
  profileId: Uuid,
  spkiSha256: string,
): Promise<EstApprovalRecord | undefined> {
  const row = await db
    .selectFrom('est_approvals')
    .selectAll()
    .where('profile_id', '=', profileId)
    .where('spki_sha256', '=', spkiSha256)
    .executeTakeFirst();
  return row === undefined ? undefined : toApproval(row);
}

export async function getEstApproval(db: Db, zoneId: HexId, id: Uuid): Promise<EstApprovalRecord | undefined> {
  const row = await db
    .selectFrom('est_approvals')
    .selectAll()
    .where('zone_id', '=', zoneId)
    .where('id', '=', id)
    .executeTakeFirst();
  return row === undefined ? undefined : toApproval(row);
}

export async function listEstApprovals(
  db: Db,
  zoneId: HexId,
  status?: EstApprovalStatus,
): Promise<EstApprovalRecord[]> {
  let query = db.selectFrom('est_approvals').selectAll().where('zone_id', '=', zoneId);
  if (status !== undefined) query = query.where('status', '=', status);
  const rows = await query.orderBy('created_on').orderBy('id').execute();
  return rows.map(toApproval);
}

export async function updateEstApproval(db: Db, record: EstApprovalRecord): Promise<void> {
  await db
    .updateTable('est_approvals')
    .set({ status: record.status, client_certificate_id: record.clientCertificateId, decided_on: record.decidedOn })
    .where('id', '=', record.id)
    .execute();
}

// Tags and bulk revocation ------------------------------------------------------------------------

export async function setClientCertificateTags(
  db: Db,
  clientCertificateId: Uuid,
  zoneId: HexId,
  tags: readonly string[],
): Promise<void> {
  await db.deleteFrom('client_certificate_tags').where('client_certificate_id', '=', clientCertificateId).execute();
  const unique = [...new Set(tags)];
  if (unique.length === 0) return;
  await db
    .insertInto('client_certificate_tags')
    .values(unique.map((tag) => ({ client_certificate_id: clientCertificateId, zone_id: zoneId, tag })))
    .execute();
}

export async function listClientCertificateTags(db: Db, ids: readonly Uuid[]): Promise<Map<Uuid, string[]>> {
  const tags = new Map<Uuid, string[]>();
  // Bounded IN lists: PostgreSQL takes at most 65,535 parameters per statement.
  for (let start = 0; start < ids.length; start += 1000) {
    const rows = await db
      .selectFrom('client_certificate_tags')
      .selectAll()
      .where('client_certificate_id', 'in', ids.slice(start, start + 1000))
      .execute();
    for (const row of rows)
      tags.set(row.client_certificate_id, [...(tags.get(row.client_certificate_id) ?? []), row.tag]);
  }
  for (const list of tags.values()) list.sort();
  return tags;
}

export async function listClientCertificateIdsByTag(db: Db, zoneId: HexId, tag: string): Promise<Uuid[]> {
  const rows = await db
    .selectFrom('client_certificate_tags')
    .select('client_certificate_id')
    .where('zone_id', '=', zoneId)
    .where('tag', '=', tag)
    .execute();
  return rows.map((row) => row.client_certificate_id);
}

const LIVE = ['active', 'pending_reactivation'];
/** Ids per SQLite statement (it takes at most 32,766 parameters). */
const IDS_PER_STATEMENT = 1000;

/**
 * The ids as the statements that name them take them: on PostgreSQL all in one array parameter (`= any($1)`: one
 * statement, no parameter limit), on SQLite IDS_PER_STATEMENT to a list. None: no statement.
 */
function idBatches(db: Db, ids: readonly Uuid[]): Uuid[][] {
  if (ids.length === 0) return [];
  if (!isSqlite(db)) return [[...ids]];
  const batches: Uuid[][] = [];
  for (let start = 0; start < ids.length; start += IDS_PER_STATEMENT) {
    batches.push(ids.slice(start, start + IDS_PER_STATEMENT));
  }
  return batches;
}

/** A state row whose certificate is one of `batch` (from idBatches). */
function certificateIn(db: Db, batch: readonly Uuid[]) {
  const postgres = !isSqlite(db);
  return (eb: ExpressionBuilder<Database, 'client_certificate_states'>): Expression<SqlBool> =>
    postgres ? sql<SqlBool>`certificate_id = any(${[...batch]}::text[])` : eb('certificate_id', 'in', batch);
}

/**
 * The zone's live state rows that meet the filter's CA and issue-time criteria (one `batch` of idBatches, when the
 * tag or profile named the ids).
 */
function liveStates(db: Db, zoneId: HexId, filter: BulkRevocationFilter, batch: readonly Uuid[] | undefined) {
  return (eb: ExpressionBuilder<Database, 'client_certificate_states'>): Expression<SqlBool> => {
    const criteria: Expression<SqlBool>[] = [eb('zone_id', '=', zoneId), eb('status', 'in', LIVE)];
    if (batch !== undefined) criteria.push(certificateIn(db, batch)(eb));
    if (filter.caId !== undefined) criteria.push(eb('ca_id', '=', filter.caId));
    if (filter.issuedBefore !== undefined) criteria.push(eb('issued_on', '<', filter.issuedBefore));
    return eb.and(criteria);
  };
}

/**
 * The ids the filter's tag and profile name (undefined: it names none), each read from its own index. The state rows
 * are then reached by id: every statement is a plain index walk whatever the planner knows. As one statement with
 * `IN (subquery)`, PostgreSQL planned a nested loop over a freshly loaded, not yet analysed table and took 106 s for
 * 10,000 certificates (bench/bulk-revocation.ts).
 */
async function namedIds(db: Db, zoneId: HexId, filter: BulkRevocationFilter): Promise<Uuid[] | undefined> {
  let ids: Uuid[] | undefined;
  const narrow = (found: readonly Uuid[]): void => {
    const keep = new Set(found);
    ids = ids === undefined ? [...keep] : ids.filter((id) => keep.has(id));
  };
  if (filter.tag !== undefined) {
    const rows = await db
      .selectFrom('client_certificate_tags')
      .select('client_certificate_id')
      .where('zone_id', '=', zoneId)
      .where('tag', '=', filter.tag)
      .execute();
    narrow(rows.map((row) => row.client_certificate_id));
  }
  if (filter.profileId !== undefined) {
    const rows = await db
      .selectFrom('est_enrollments')
      .select('client_certificate_id')
      .where('zone_id', '=', zoneId)
      .where('profile_id', '=', filter.profileId)
      .execute();
    narrow(rows.map((row) => row.client_certificate_id));
  }
  return ids;
}

/**
 * Revokes the zone's live certificates that meet the filter, in the caller's transaction, in four statements on
 * PostgreSQL whatever their number: the ids of the tag or profile; the CAs of the live ones among them (a row per
 * CA, not per certificate); each such CA's revocation version raised (migration 0013); then their narrow state rows
 * (migration 0014) updated, each to its CA's new version, returning what the caller needs to update its own
 * revocation set. SQLite takes the ids IDS_PER_STATEMENT at a time (idBatches). Reading the matching rows back
 * before the update was a second 10,000-row answer: ~0.2 s of a 1.3 s call (bench/bulk-revocation.ts, run 14).
 */
export async function bulkRevokeClientCertificates(
  db: Db,
  zoneId: HexId,
  filter: BulkRevocationFilter,
  revokedAt: string,
): Promise<BulkRevokedCertificate[]> {
  const ids = await namedIds(db, zoneId, filter);
  // undefined: one statement over the zone's live rows (no tag or profile given); [] (none named): no statement.
  const batches: (readonly Uuid[] | undefined)[] = ids === undefined ? [undefined] : idBatches(db, ids);
  const caIds = new Set<Uuid>();
  // One statement at a time: they share the caller's transaction, and its one connection.
  for (const batch of batches) {
    const rows = await db
      .selectFrom('client_certificate_states')
      .select('ca_id')
      .distinct()
      .where(liveStates(db, zoneId, filter, batch))
      .execute();
    for (const row of rows) caIds.add(row.ca_id);
  }
  if (caIds.size === 0) return [];
  // Raised before the rows change, under the CA row's lock: a reader that sees the old version has not missed them.
  const versions = new Map<Uuid, number>();
  for (const caId of [...caIds].sort()) versions.set(caId, await raiseRevocationVersion(db, caId));
  const versionOfRow = sql<number>`case ${sql.ref('ca_id')} ${sql.join(
    [...versions].map(([caId, version]) => sql`when ${caId} then cast(${version} as integer)`),
    sql` `,
  )} end`;
  const revoked: BulkRevokedCertificate[] = [];
  for (const batch of batches) {
    const rows = await db
      .updateTable('client_certificate_states')
      .set({ status: 'revoked', revoked_at: revokedAt, status_version: versionOfRow })
      .where(liveStates(db, zoneId, filter, batch))
      // A row of a CA that was not read above (none matched then) keeps its state: its version was not raised.
      .where('ca_id', 'in', [...versions.keys()])
      .returning(['certificate_id', 'ca_id', 'serial_number', 'status_version'])
      .execute();
    for (const row of rows) {
      revoked.push({
        id: row.certificate_id,
        caId: row.ca_id,
        serialNumber: row.serial_number,
        version: row.status_version,
      });
    }
  }
  return revoked;
}
