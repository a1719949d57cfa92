/** Client certificates issued by the managed CAs: lifecycle, paging, and lookups for CRL and OCSP. */
import { sql, type Selectable, type SqlBool } from 'kysely';
import {
  CLIENT_CERTIFICATE_STATUSES,
  type ClientCertificateRecord,
  type ClientCertificateStatus,
  type HexId,
  type Uuid,
} from '../../model/records.ts';
import type { ClientCertificateFilter, Page } from '../ports.ts';
import type { ClientCertificateFingerprint, RevocationChange, RevokedSerialList } from '../../model/read-models.ts';
import type { ClientCertificatesTable, Db } from './schema.ts';
import { insertUnique } from './conflicts.ts';
import { oneOf, toCount } from './columns.ts';
import { atomically } from './atomically.ts';
import { isSqlite } from './dialect.ts';

const STATUSES: readonly ClientCertificateStatus[] = CLIENT_CERTIFICATE_STATUSES;

/** A certificate's row with the status columns of its state row (migration 0014). */
type CertificateWithState = Selectable<ClientCertificatesTable> & { status: string; revoked_at: string | null };

/**
 * Certificates joined to their state rows (`c` and `s`): every row has exactly one state row, written in the
 * certificate's insert transaction. Columns both tables have (zone_id, ca_id, serial_number, issued_on, expires_on) are
 * named with their table.
 */
function withState(db: Db) {
  return db
    .selectFrom('client_certificates as c')
    .innerJoin('client_certificate_states as s', 's.certificate_id', 'c.id')
    .selectAll('c')
    .select(['s.status', 's.revoked_at']);
}

function toClientCertificate(row: CertificateWithState): ClientCertificateRecord {
  return {
    id: row.id,
    zoneId: row.zone_id,
    accountId: row.account_id,
    caId: row.ca_id,
    certificatePem: row.certificate_pem,
    csr: row.csr,
    commonName: row.common_name,
    country: row.country,
    state: row.state,
    location: row.location,
    organization: row.organization,
    organizationalUnit: row.organizational_unit,
    serialNumber: row.serial_number,
    fingerprintSha256: row.fingerprint_sha256,
    ski: row.ski,
    signature: row.signature,
    status: oneOf(row.status, STATUSES, 'client_certificates.status'),
    validityDays: row.validity_days,
    issuedOn: row.issued_on,
    expiresOn: row.expires_on,
    revokedAt: row.revoked_at,
  };
}

export async function createClientCertificate(db: Db, record: ClientCertificateRecord): Promise<void> {
  const row = {
    id: record.id,
    zone_id: record.zoneId,
    account_id: record.accountId,
    ca_id: record.caId,
    certificate_pem: record.certificatePem,
    csr: record.csr,
    common_name: record.commonName,
    country: record.country,
    state: record.state,
    location: record.location,
    organization: record.organization,
    organizational_unit: record.organizationalUnit,
    serial_number: record.serialNumber,
    fingerprint_sha256: record.fingerprintSha256,
    ski: record.ski,
    signature: record.signature,
    validity_days: record.validityDays,
    issued_on: record.issuedOn,
    expires_on: record.expiresOn,
  };
  const message = `A client certificate with id ${record.id} or serial ${record.serialNumber} from this CA already exists`;
  await atomically(db, async (trx) => {
    await insertUnique(trx, 'client_certificates', row, message);
    await trx
      .insertInto('client_certificate_states')
      .values({
        certificate_id: record.id,
        zone_id: record.zoneId,
        ca_id: record.caId,
        serial_number: record.serialNumber,
        issued_on: record.issuedOn,
        expires_on: record.expiresOn,
        status: record.status,
        revoked_at: record.revokedAt,
      })
      .execute();
  });
}

export async function getClientCertificate(
  db: Db,
  zoneId: HexId,
  id: Uuid,
): Promise<ClientCertificateRecord | undefined> {
  const row = await withState(db).where('c.zone_id', '=', zoneId).where('c.id', '=', id).executeTakeFirst();
  return row && toClientCertificate(row);
}

/** LIKE's own characters, escaped with a backslash (named in the ESCAPE clause: SQLite has no default). */
function likeText(text: string): string {
  return text.replace(/[\\%_]/g, (character) => `\\${character}`);
}

/** One page of a zone's certificates narrowed by the filter, and the total of all that match. */
export async function listClientCertificates(
  db: Db,
  zoneId: HexId,
  filter: ClientCertificateFilter,
  page: Page,
): Promise<{ items: ClientCertificateRecord[]; total: number }> {
  const { statuses, expiresBefore } = filter;
  if (statuses?.length === 0) return { items: [], total: 0 };
  let matching = db
    .selectFrom('client_certificates as c')
    .innerJoin('client_certificate_states as s', 's.certificate_id', 'c.id')
    .where('c.zone_id', '=', zoneId);
  if (statuses !== undefined) matching = matching.where('s.status', 'in', statuses);
  if (expiresBefore !== undefined) matching = matching.where('c.expires_on', '<', expiresBefore);
  if (filter.tag !== undefined) {
    const { tag } = filter;
    // The (zone_id, tag) index of client_certificate_tags answers the subquery.
    matching = matching.where('c.id', 'in', (eb) =>
      eb
        .selectFrom('client_certificate_tags')
        .select('client_certificate_id')
        .where('zone_id', '=', zoneId)
        .where('tag', '=', tag),
    );
  }
  const search = filter.search?.trim().toLowerCase() ?? '';
  if (search !== '') {
    // lower() on both sides: LIKE ignores case on SQLite but not on PostgreSQL.
    const name = sql<SqlBool>`lower(c.common_name) like ${`%${likeText(search)}%`} escape '\\'`;
    const hex = search.replaceAll(':', '');
    matching = matching.where(
      /^[0-9a-f]+$/.test(hex)
        ? sql<SqlBool>`(${name} or lower(c.serial_number) like ${`%${hex}%`} or lower(c.fingerprint_sha256) like ${`${hex}%`})`
        : name,
    );
  }
  const [rows, count] = await Promise.all([
    matching
      .selectAll('c')
      .select(['s.status', 's.revoked_at'])
      .orderBy('c.issued_on')
      .orderBy('c.id')
      .limit(Math.max(0, Math.trunc(page.limit)))
      .offset(Math.max(0, Math.trunc(page.offset)))
      .execute(),
    matching.select((eb) => eb.fn.countAll<string | number | bigint>().as('count')).executeTakeFirstOrThrow(),
  ]);
  return { items: rows.map(toClientCertificate), total: toCount(count.count) };
}

export async function countActiveClientCertificates(db: Db, zoneId: HexId): Promise<number> {
  const row = await db
    .selectFrom('client_certificate_states')
    .select((eb) => eb.fn.countAll<string | number | bigint>().as('count'))
    .where('zone_id', '=', zoneId)
    .where('status', '=', 'active')
    .executeTakeFirstOrThrow();
  return toCount(row.count);
}

export async function updateClientCertificateStatus(
  db: Db,
  zoneId: HexId,
  id: Uuid,
  status: ClientCertificateStatus,
  revokedAt: string | null,
): Promise<void> {
  await atomically(db, async (trx) => {
    const certificate = await trx
      .selectFrom('client_certificate_states')
      .select('ca_id')
      .where('zone_id', '=', zoneId)
      .where('certificate_id', '=', id)
      .executeTakeFirst();
    if (certificate === undefined) return;
    const version = await raiseRevocationVersion(trx, certificate.ca_id);
    await trx
      .updateTable('client_certificate_states')
      .set({ status, revoked_at: revokedAt, status_version: version })
      .where('certificate_id', '=', id)
      .execute();
  });
}

/**
 * Raises the CA's revocation version (migration 0013) and returns the new one, for the certificates whose status
 * the same transaction changes: a reader who sees the old version has not missed the change.
 */
export async function raiseRevocationVersion(db: Db, caId: Uuid): Promise<number> {
  const row = await db
    .updateTable('managed_cas')
    .set({ revocation_version: sql`revocation_version + 1` })
    .where('id', '=', caId)
    .returning('revocation_version')
    .executeTakeFirst();
  // Certificates of a CA that is gone keep version 0: no reader asks for that CA.
  return row === undefined ? 0 : row.revocation_version;
}

/** The CA's revocation version; 0 for a CA that does not exist (nothing of it is revoked). */
export async function revocationVersion(db: Db, caId: Uuid): Promise<number> {
  const row = await db.selectFrom('managed_cas').select('revocation_version').where('id', '=', caId).executeTakeFirst();
  return row === undefined ? 0 : row.revocation_version;
}

/**
 * The CA's revoked and pending-revocation certificates: serial and revocation time of each, in no particular order.
 * The database joins them into one text ("serial time,serial time,…"): 100,000 rows as row objects took about a
 * second of the gateway's start, one string and a split take a tenth of that (bench/revocation-scale.ts). Serials
 * are hex and times ISO 8601, so neither separator can occur inside a field.
 */
export async function listRevokedSerials(db: Db, caId: Uuid): Promise<RevokedSerialList> {
  const item = sql`serial_number || ' ' || coalesce(revoked_at, issued_on)`;
  const joined = isSqlite(db) ? sql`group_concat(${item}, ',')` : sql`string_agg(${item}, ',')`;
  const row = await db
    .selectFrom('client_certificate_states')
    .select(joined.as('joined'))
    .where('ca_id', '=', caId)
    .where('status', 'in', ['revoked', 'pending_revocation'])
    .executeTakeFirst();
  return splitRevokedSerials(typeof row?.joined === 'string' ? row.joined : '');
}

function splitRevokedSerials(joined: string): RevokedSerialList {
  const serials: string[] = [];
  const revokedAtMs: number[] = [];
  if (joined === '') return { serials, revokedAtMs };
  // Many entries share their time (a bulk revocation): parse each distinct text once in a row.
  let lastText = '';
  let lastMs = Number.NaN;
  for (const item of joined.split(',')) {
    const space = item.indexOf(' ');
    const text = item.slice(space + 1);
    if (text !== lastText) {
      lastText = text;
      lastMs = Date.parse(text);
    }
    serials.push(item.slice(0, space));
    revokedAtMs.push(lastMs);
  }
  return { serials, revokedAtMs };
}

/** The CA's certificates whose status changed after `sinceVersion`, whatever their status now. */
export async function listRevocationChanges(db: Db, caId: Uuid, sinceVersion: number): Promise<RevocationChange[]> {
  const rows = await db
    .selectFrom('client_certificate_states')
    .select(['certificate_id', 'serial_number', 'status', 'revoked_at', 'issued_on'])
    .where('ca_id', '=', caId)
    .where('status_version', '>', sinceVersion)
    .execute();
  return rows.map((row) => ({
    id: row.certificate_id,
    serialNumber: row.serial_number,
    status: oneOf(row.status, STATUSES, 'client_certificates.status'),
    revokedAt: row.revoked_at,
    issuedOn: row.issued_on,
  }));
}

/** The fingerprints of the client certificates with these ids (an API allowlist's entries). */
export async function listClientCertificateFingerprints(
  db: Db,
  ids: readonly Uuid[],
): Promise<ClientCertificateFingerprint[]> {
  const found: ClientCertificateFingerprint[] = [];
  // One query per 1,000 ids (parameter limits).
  for (let start = 0; start < ids.length; start += 1000) {
    const rows = await db
      .selectFrom('client_certificates')
      .select(['id', 'zone_id', 'fingerprint_sha256'])
      .where('id', 'in', ids.slice(start, start + 1000))
      .execute();
    for (const row of rows) found.push({ id: row.id, zoneId: row.zone_id, fingerprintSha256: row.fingerprint_sha256 });
  }
  return found;
}

export async function getClientCertificateBySerial(
  db: Db,
  caId: Uuid,
  serialNumber: string,
): Promise<ClientCertificateRecord | undefined> {
  const row = await withState(db)
    .where('c.ca_id', '=', caId)
    .where('c.serial_number', '=', serialNumber)
    .executeTakeFirst();
  return row && toClientCertificate(row);
}

export async function listAllClientCertificates(db: Db): Promise<ClientCertificateRecord[]> {
  const rows = await withState(db).orderBy('c.issued_on').orderBy('c.id').execute();
  return rows.map(toClientCertificate);
}
