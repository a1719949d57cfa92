/**
 * Revocation of uploaded CAs (migration 0009): settings and CRL-fetching state, CRLs in force, and
 * certificate block lists. The fetch lease is one conditional UPDATE, so on both databases exactly
 * one gateway of a cluster wins it (the row is locked on PostgreSQL, the database on SQLite).
 */
import type { Selectable } from 'kysely';
import type {
  CaCrlRecord,
  CaRevocationRecord,
  CaRevocationSettings,
  CertificateBlockKind,
  CertificateBlockRecord,
  CrlSource,
} from '../ca-revocation-records.ts';
import type { HexId, Uuid } from '../../model/records.ts';
import type { CaCrlsTable, CaRevocationTable, CertificateBlocksTable, Db } from './schema.ts';
import { insertUnique } from './conflicts.ts';
import { oneOf, parseStringArray } from './columns.ts';

const SOURCES: readonly CrlSource[] = ['upload', 'fetch'];
const KINDS: readonly CertificateBlockKind[] = ['sha256', 'serial'];

function toRevocation(row: Selectable<CaRevocationTable>): CaRevocationRecord {
  return {
    mtlsCertificateId: row.mtls_certificate_id,
    accountId: row.account_id,
    settings: JSON.parse(row.settings) as CaRevocationSettings,
    discoveredCrlUrls: parseStringArray(row.discovered_crl_urls, 'ca_revocation.discovered_crl_urls'),
    nextFetchAt: row.next_fetch_at,
    lastFetchAt: row.last_fetch_at,
    lastFetchSuccessAt: row.last_fetch_success_at,
    lastFetchError: row.last_fetch_error,
    fetchFailures: row.fetch_failures,
    updatedAt: row.updated_at,
  };
}

function toCrl(row: Selectable<CaCrlsTable>): CaCrlRecord {
  return {
    mtlsCertificateId: row.mtls_certificate_id,
    accountId: row.account_id,
    issuerFingerprint: row.issuer_fingerprint,
    issuerSubject: row.issuer_subject,
    crlNumber: row.crl_number,
    thisUpdate: row.this_update,
    nextUpdate: row.next_update,
    revokedSerials: row.revoked_serials === '' ? [] : row.revoked_serials.split(','),
    source: oneOf(row.source, SOURCES, 'ca_crls.source'),
    sourceUrl: row.source_url,
    updatedAt: row.updated_at,
  };
}

function toBlock(row: Selectable<CertificateBlocksTable>): CertificateBlockRecord {
  return {
    id: row.id,
    accountId: row.account_id,
    scope: row.scope,
    kind: oneOf(row.kind, KINDS, 'certificate_blocks.kind'),
    value: row.value,
    description: row.description,
    createdOn: row.created_on,
  };
}

// Settings and fetch state.

export async function getCaRevocation(db: Db, mtlsCertificateId: Uuid): Promise<CaRevocationRecord | undefined> {
  const row = await db
    .selectFrom('ca_revocation')
    .selectAll()
    .where('mtls_certificate_id', '=', mtlsCertificateId)
    .executeTakeFirst();
  return row && toRevocation(row);
}

export async function listAllCaRevocations(db: Db): Promise<CaRevocationRecord[]> {
  const rows = await db.selectFrom('ca_revocation').selectAll().orderBy('mtls_certificate_id').execute();
  return rows.map(toRevocation);
}

/**
 * Creates or replaces the settings; `nextFetchAt` is when fetching should start (now, or null when
 * it is off). The fetch history (last fetch, failures, discovered URLs) is kept.
 */
export async function putCaRevocationSettings(
  db: Db,
  record: { mtlsCertificateId: Uuid; accountId: HexId; settings: CaRevocationSettings; nextFetchAt: string | null },
  updatedAt: string,
): Promise<void> {
  const settings = JSON.stringify(record.settings);
  await db
    .insertInto('ca_revocation')
    .values({
      mtls_certificate_id: record.mtlsCertificateId,
      account_id: record.accountId,
      settings,
      discovered_crl_urls: '[]',
      next_fetch_at: record.nextFetchAt,
      fetch_lease_holder: null,
      fetch_lease_until: null,
      last_fetch_at: null,
      last_fetch_success_at: null,
      last_fetch_error: null,
      fetch_failures: 0,
      updated_at: updatedAt,
    })
    .onConflict((conflict) =>
      conflict.column('mtls_certificate_id').doUpdateSet({
        settings,
        next_fetch_at: record.nextFetchAt,
        fetch_failures: 0,
        updated_at: updatedAt,
      }),
    )
    .execute();
}

/** Remembers distribution points seen in client certificates, and asks for a fetch now. */
export async function setDiscoveredCrlUrls(
  db: Db,
  mtlsCertificateId: Uuid,
  urls: string[],
  now: string,
): Promise<void> {
  await db
    .updateTable('ca_revocation')
    .set({ discovered_crl_urls: JSON.stringify(urls), next_fetch_at: now })
    .where('mtls_certificate_id', '=', mtlsCertificateId)
    .execute();
}

/**
 * Takes the right to fetch the CA's CRL now: only when a fetch is due and no other gateway holds an
 * unexpired lease. True when this caller holds it (until `until`).
 */
export async function takeCrlFetchLease(
  db: Db,
  mtlsCertificateId: Uuid,
  holder: string,
  now: string,
  until: string,
): Promise<boolean> {
  const result = await db
    .updateTable('ca_revocation')
    .set({ fetch_lease_holder: holder, fetch_lease_until: until })
    .where('mtls_certificate_id', '=', mtlsCertificateId)
    .where('next_fetch_at', 'is not', null)
    .where('next_fetch_at', '<=', now)
    .where((eb) =>
      eb.or([
        eb('fetch_lease_until', 'is', null),
        eb('fetch_lease_until', '<', now),
        eb('fetch_lease_holder', '=', holder),
      ]),
    )
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Records how a fetch ended and releases the lease (only the holder's). */
export async function finishCrlFetch(
  db: Db,
  mtlsCertificateId: Uuid,
  holder: string,
  outcome: { at: string; error: string | null; nextFetchAt: string | null; failures: number },
): Promise<void> {
  await db
    .updateTable('ca_revocation')
    .set({
      fetch_lease_holder: null,
      fetch_lease_until: null,
      last_fetch_at: outcome.at,
      last_fetch_error: outcome.error,
      fetch_failures: outcome.failures,
      next_fetch_at: outcome.nextFetchAt,
      ...(outcome.error === null ? { last_fetch_success_at: outcome.at } : {}),
    })
    .where('mtls_certificate_id', '=', mtlsCertificateId)
    .where('fetch_lease_holder', '=', holder)
    .execute();
}

// CRLs in force.

/** Inserts or replaces the CRL of one issuer of the CA. */
export async function putCaCrl(db: Db, record: CaCrlRecord): Promise<void> {
  const values = {
    account_id: record.accountId,
    issuer_subject: record.issuerSubject,
    crl_number: record.crlNumber,
    this_update: record.thisUpdate,
    next_update: record.nextUpdate,
    revoked_serials: record.revokedSerials.join(','),
    source: record.source,
    source_url: record.sourceUrl,
    updated_at: record.updatedAt,
  };
  await db
    .insertInto('ca_crls')
    .values({ mtls_certificate_id: record.mtlsCertificateId, issuer_fingerprint: record.issuerFingerprint, ...values })
    .onConflict((conflict) => conflict.columns(['mtls_certificate_id', 'issuer_fingerprint']).doUpdateSet(values))
    .execute();
}

export async function listCaCrls(db: Db, mtlsCertificateId: Uuid): Promise<CaCrlRecord[]> {
  const rows = await db
    .selectFrom('ca_crls')
    .selectAll()
    .where('mtls_certificate_id', '=', mtlsCertificateId)
    .orderBy('issuer_fingerprint')
    .execute();
  return rows.map(toCrl);
}

export async function listAllCaCrls(db: Db): Promise<CaCrlRecord[]> {
  const rows = await db
    .selectFrom('ca_crls')
    .selectAll()
    .orderBy('mtls_certificate_id')
    .orderBy('issuer_fingerprint')
    .execute();
  return rows.map(toCrl);
}

export async function deleteCaCrls(db: Db, mtlsCertificateId: Uuid): Promise<void> {
  await db.deleteFrom('ca_crls').where('mtls_certificate_id', '=', mtlsCertificateId).execute();
}

/** Everything about one uploaded CA's revocation: settings, state, CRLs and its block list. */
export async function deleteCaRevocation(db: Db, accountId: HexId, mtlsCertificateId: Uuid): Promise<void> {
  await db.deleteFrom('ca_crls').where('mtls_certificate_id', '=', mtlsCertificateId).execute();
  await db.deleteFrom('ca_revocation').where('mtls_certificate_id', '=', mtlsCertificateId).execute();
  await db
    .deleteFrom('certificate_blocks')
    .where('account_id', '=', accountId)
    .where('scope', '=', mtlsCertificateId)
    .execute();
}

// Block lists.

export async function createCertificateBlock(db: Db, record: CertificateBlockRecord): Promise<void> {
  await insertUnique(
    db,
    'certificate_blocks',
    {
      id: record.id,
      account_id: record.accountId,
      scope: record.scope,
      kind: record.kind,
      value: record.value,
      description: record.description,
      created_on: record.createdOn,
    },
    `${record.kind} ${record.value} is already blocked here`,
  );
}

/** The blocks of one scope of an account, oldest first. */
export async function listCertificateBlocks(
  db: Db,
  accountId: HexId,
  scope: string,
): Promise<CertificateBlockRecord[]> {
  const rows = await db
    .selectFrom('certificate_blocks')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('scope', '=', scope)
    .orderBy('created_on')
    .orderBy('id')
    .execute();
  return rows.map(toBlock);
}

/** True when a block of that scope was deleted. */
export async function deleteCertificateBlock(db: Db, accountId: HexId, scope: string, id: HexId): Promise<boolean> {
  const result = await db
    .deleteFrom('certificate_blocks')
    .where('account_id', '=', accountId)
    .where('scope', '=', scope)
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}

export async function listAllCertificateBlocks(db: Db): Promise<CertificateBlockRecord[]> {
  const rows = await db.selectFrom('certificate_blocks').selectAll().orderBy('created_on').orderBy('id').execute();
  return rows.map(toBlock);
}
