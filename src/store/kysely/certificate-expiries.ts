/**
 * Certificate validity ends for expiry monitoring: client certificates (active ones), uploaded mTLS
 * certificates and edge certificates whose `expires_on` falls in a range. Only the columns a report
 * needs are read (never the PEM), so an hourly check of a large fleet stays cheap. `expires_on` is
 * ISO text with whole seconds in every table (control/ids.ts isoSeconds).
 */
import type { CertificateExpiry, CertificateExpiryFilter, CertificateKind } from '../../model/read-models.ts';
import type { Db } from './schema.ts';
import { byCodeUnits, parseStringArray } from './columns.ts';

/** Statuses whose certificates still authenticate (or are about to again). */
const LIVE_CLIENT_STATUSES = ['active', 'pending_reactivation'];

function wants(filter: CertificateExpiryFilter, kind: CertificateKind): boolean {
  return filter.kinds === undefined || filter.kinds.includes(kind);
}

async function clientCertificates(db: Db, filter: CertificateExpiryFilter): Promise<CertificateExpiry[]> {
  // Found through the state rows' (status, expiry) index (migration 0014): revoked certificates are never read.
  // With a limit, one query per status walks the index in expiry order and stops: `status IN (…)` would make
  // the database sort every live certificate first (~0.2 s of a SQLite gateway's event loop at 100,000).
  const perStatus =
    filter.limit === undefined ? [LIVE_CLIENT_STATUSES] : LIVE_CLIENT_STATUSES.map((status) => [status]);
  const found: CertificateExpiry[] = [];
  for (const statuses of perStatus) {
    let query = db
      .selectFrom('client_certificate_states as s')
      .innerJoin('client_certificates as c', 'c.id', 's.certificate_id')
      .select(['c.id', 'c.zone_id', 'c.account_id', 'c.common_name', 'c.serial_number', 's.expires_on'])
      .where('s.status', 'in', statuses)
      .where('s.expires_on', '<', filter.before);
    if (filter.after !== undefined) query = query.where('s.expires_on', '>=', filter.after);
    if (filter.accountId !== undefined) query = query.where('c.account_id', '=', filter.accountId);
    if (filter.limit !== undefined) {
      query = query.orderBy('s.expires_on').orderBy('s.certificate_id').limit(filter.limit);
    }
    for (const row of await query.execute()) {
      found.push({
        kind: 'client',
        id: row.id,
        accountId: row.account_id,
        zoneId: row.zone_id,
        name: row.common_name,
        issuer: '',
        serialNumber: row.serial_number,
        expiresOn: row.expires_on,
      });
    }
  }
  if (filter.limit === undefined) return found;
  const soonestFirst = (x: CertificateExpiry, y: CertificateExpiry): number =>
    x.expiresOn === y.expiresOn ? byCodeUnits(x.id, y.id) : byCodeUnits(x.expiresOn, y.expiresOn);
  return found.sort(soonestFirst).slice(0, filter.limit);
}

async function mtlsCertificates(db: Db, filter: CertificateExpiryFilter): Promise<CertificateExpiry[]> {
  let query = db
    .selectFrom('mtls_certificates')
    .select(['id', 'account_id', 'name', 'ca', 'issuer', 'serial_number', 'expires_on'])
    .where('expires_on', '<', filter.before);
  if (filter.after !== undefined) query = query.where('expires_on', '>=', filter.after);
  if (filter.accountId !== undefined) query = query.where('account_id', '=', filter.accountId);
  if (filter.limit !== undefined) query = query.orderBy('expires_on').orderBy('id').limit(filter.limit);
  const rows = await query.execute();
  return rows
    .map((row): CertificateExpiry => ({
      kind: row.ca === 1 ? 'ca' : 'leaf',
      id: row.id,
      accountId: row.account_id,
      zoneId: null,
      name: row.name ?? '',
      issuer: row.issuer,
      serialNumber: row.serial_number,
      expiresOn: row.expires_on,
    }))
    .filter((entry) => wants(filter, entry.kind));
}

async function edgeCertificates(db: Db, filter: CertificateExpiryFilter): Promise<CertificateExpiry[]> {
  let query = db
    .selectFrom('edge_certificates')
    .innerJoin('zones', 'zones.id', 'edge_certificates.zone_id')
    .select([
      'edge_certificates.id as id',
      'edge_certificates.zone_id as zone_id',
      'zones.account_id as account_id',
      'edge_certificates.hosts as hosts',
      'edge_certificates.issuer as issuer',
      'edge_certificates.expires_on as expires_on',
    ])
    .where('edge_certificates.expires_on', '<', filter.before);
  if (filter.after !== undefined) query = query.where('edge_certificates.expires_on', '>=', filter.after);
  if (filter.accountId !== undefined) query = query.where('zones.account_id', '=', filter.accountId);
  if (filter.limit !== undefined) {
    query = query.orderBy('edge_certificates.expires_on').orderBy('edge_certificates.id').limit(filter.limit);
  }
  const rows = await query.execute();
  return rows.map((row) => ({
    kind: 'edge',
    id: row.id,
    accountId: row.account_id,
    zoneId: row.zone_id,
    name: parseStringArray(row.hosts, 'edge_certificates.hosts').join(', '),
    issuer: row.issuer,
    serialNumber: '',
    expiresOn: row.expires_on,
  }));
}

/**
 * Soonest expiry first, then kind and id (code-unit order, the same on both databases); with a
 * limit, each kind's query is limited too (in the database's order), then the merged list.
 */
export async function listCertificateExpiries(db: Db, filter: CertificateExpiryFilter): Promise<CertificateExpiry[]> {
  const lists = await Promise.all([
    wants(filter, 'client') ? clientCertificates(db, filter) : [],
    wants(filter, 'ca') || wants(filter, 'leaf') ? mtlsCertificates(db, filter) : [],
    wants(filter, 'edge') ? edgeCertificates(db, filter) : [],
  ]);
  const sorted = lists
    .flat()
    .sort((a, b) => byCodeUnits(a.expiresOn, b.expiresOn) || byCodeUnits(a.kind, b.kind) || byCodeUnits(a.id, b.id));
  return filter.limit === undefined ? sorted : sorted.slice(0, filter.limit);
}
