/**
 * 0008: client certificates outlive their zone. DELETE /zones/{id} removes the zone row, but the
 * certificates its account's managed CA issued there must stay: revoked, with their serials, for
 * the CRL, OCSP and every other hostname of the account that trusts the managed CA
 * (docs/adr/0007-zone-ownership.md). So client_certificates.zone_id no longer references zones;
 * its references to the account and the issuing CA stay.
 *
 * PostgreSQL drops the constraint (found by what it references, not by its generated name). SQLite
 * cannot drop one, so the table is rebuilt (https://www.sqlite.org/lang_altertable.html §7), in
 * one transaction as in 0006; nothing references client_certificates.
 */
import { SqliteAdapter, sql, type Kysely, type Migration } from 'kysely';

export const clientCertificatesOutliveZones: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    if (db.getExecutor().adapter instanceof SqliteAdapter) {
      await db.transaction().execute(rebuildOnSqlite);
      return;
    }
    const { rows } = await sql<{ name: string }>`
      select conname as name from pg_constraint
      where conrelid = 'client_certificates'::regclass and confrelid = 'zones'::regclass and contype = 'f'`.execute(db);
    for (const { name } of rows) {
      await db.schema.alterTable('client_certificates').dropConstraint(name).execute();
    }
  },
};

async function rebuildOnSqlite(db: Kysely<unknown>): Promise<void> {
  // The columns of 0001, without the reference to zones.
  await db.schema
    .createTable('client_certificates_next')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('zone_id', 'text', (c) => c.notNull())
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
    .addColumn('ca_id', 'text', (c) => c.notNull().references('managed_cas.id'))
    .addColumn('certificate_pem', 'text', (c) => c.notNull())
    .addColumn('csr', 'text', (c) => c.notNull())
    .addColumn('common_name', 'text', (c) => c.notNull())
    .addColumn('country', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('location', 'text', (c) => c.notNull())
    .addColumn('organization', 'text', (c) => c.notNull())
    .addColumn('organizational_unit', 'text', (c) => c.notNull())
    .addColumn('serial_number', 'text', (c) => c.notNull())
    .addColumn('fingerprint_sha256', 'text', (c) => c.notNull())
    .addColumn('ski', 'text', (c) => c.notNull())
    .addColumn('signature', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('validity_days', 'integer', (c) => c.notNull())
    .addColumn('issued_on', 'text', (c) => c.notNull())
    .addColumn('expires_on', 'text', (c) => c.notNull())
    .addColumn('revoked_at', 'text')
    .addUniqueConstraint('client_certificates_ca_serial_unique', ['ca_id', 'serial_number'])
    .execute();
  await sql`insert into client_certificates_next select id, zone_id, account_id, ca_id, certificate_pem, csr,
    common_name, country, state, location, organization, organizational_unit, serial_number,
    fingerprint_sha256, ski, signature, status, validity_days, issued_on, expires_on, revoked_at
    from client_certificates`.execute(db);
  await db.schema.dropTable('client_certificates').execute();
  await db.schema.alterTable('client_certificates_next').renameTo('client_certificates').execute();
  await db.schema
    .createIndex('client_certificates_zone_issued_idx')
    .on('client_certificates')
    .columns(['zone_id', 'issued_on', 'id'])
    .execute();
}
