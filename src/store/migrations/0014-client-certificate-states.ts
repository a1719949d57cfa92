/**
 * 0014: a client certificate's status lives in its own narrow row. `client_certificates` keeps what
 * issuance wrote and never changes (the PEM, the CSR, the subject); `client_certificate_states` holds
 * what revocation changes (status, revoked_at, the status version of migration 0013) with copies of
 * the few immutable columns its readers filter on (zone, CA, serial, issue and expiry times).
 *
 * Why: revoking 10,000 certificates in one call rewrote 10,000 wide rows. PostgreSQL cannot update
 * a row in place when an indexed column changes (no HOT update): each revocation wrote a new copy of
 * the whole row, PEM and CSR included, and an entry in every index of the table, ~100 µs a row (1.1
 * of the 1.5 s the call took; bench/bulk-revocation.ts). The same change to a ~150-byte state row
 * costs a fifth of that, and the revocation listings (gateway start, CRLs) read only these rows.
 *
 * Existing rows are copied; the status columns and their two indexes leave `client_certificates`.
 * SQLite ≥ 3.35 drops a column once no index names it; Kysely runs SQLite migrations outside a
 * transaction, so this one opens its own (a half-migrated schema must not survive a failure).
 */
import { sql, type Kysely, type Migration } from 'kysely';
import { isSqlite } from '../kysely/dialect.ts';

export const clientCertificateStates: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    if (isSqlite(db)) {
      await db.transaction().execute(moveStatus);
      return;
    }
    await moveStatus(db);
  },
};

async function moveStatus(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('client_certificate_states')
    .addColumn('certificate_id', 'text', (c) => c.primaryKey().references('client_certificates.id'))
    .addColumn('zone_id', 'text', (c) => c.notNull())
    .addColumn('ca_id', 'text', (c) => c.notNull())
    .addColumn('serial_number', 'text', (c) => c.notNull())
    .addColumn('issued_on', 'text', (c) => c.notNull())
    .addColumn('expires_on', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('revoked_at', 'text')
    .addColumn('status_version', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await sql`
    insert into client_certificate_states
      (certificate_id, zone_id, ca_id, serial_number, issued_on, expires_on, status, revoked_at, status_version)
    select id, zone_id, ca_id, serial_number, issued_on, expires_on, status, revoked_at, status_version
    from client_certificates`.execute(db);
  await db.schema.dropIndex('client_certificates_ca_status_version_idx').execute();
  await db.schema.dropIndex('client_certificates_ca_revoked_idx').execute();
  for (const column of ['status', 'revoked_at', 'status_version']) {
    await db.schema.alterTable('client_certificates').dropColumn(column).execute();
  }
  // Changes since a version (snapshot compiler, CRL publisher).
  await db.schema
    .createIndex('client_certificate_states_ca_version_idx')
    .on('client_certificate_states')
    .columns(['ca_id', 'status_version'])
    .execute();
  // Covers the revoked listing of a CA (gateway start, CRLs) without a row visit.
  await db.schema
    .createIndex('client_certificate_states_ca_status_idx')
    .on('client_certificate_states')
    .columns(['ca_id', 'status', 'serial_number', 'revoked_at', 'issued_on'])
    .execute();
  // The live certificates by expiry (the expiry report and gauge): without it, a fleet of 100,000 revoked
  // certificates made each expiry check a full scan, ~0.3-0.5 s of a SQLite gateway's event loop.
  await db.schema
    .createIndex('client_certificate_states_status_expiry_idx')
    .on('client_certificate_states')
    .columns(['status', 'expires_on', 'certificate_id'])
    .execute();
  // A zone's certificates by status (counts, bulk revocation, zone removal).
  await db.schema
    .createIndex('client_certificate_states_zone_status_idx')
    .on('client_certificate_states')
    .columns(['zone_id', 'status'])
    .execute();
}
