/**
 * 0013: revocation versions. Each managed CA has a version raised in the transaction of every status change of
 * one of its certificates, and each certificate keeps the version its last change raised it to. Readers (the
 * snapshot compiler, the CRL publisher) read one row to know whether the CA's revoked serials changed, and then
 * only the certificates changed since the version they hold: with 100,000 revoked certificates, listing them
 * all on every change is what stalled a gateway for seconds (bench/revocation-scale.ts). Rows written before
 * have version 0, which the first full listing covers.
 *
 * The covering index serves that first listing (at start) without reading the certificates' PEM and CSR pages.
 */
import type { Kysely, Migration } from 'kysely';

export const revocationVersion: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .alterTable('managed_cas')
      .addColumn('revocation_version', 'integer', (column) => column.notNull().defaultTo(0))
      .execute();
    await db.schema
      .alterTable('client_certificates')
      .addColumn('status_version', 'integer', (column) => column.notNull().defaultTo(0))
      .execute();
    await db.schema
      .createIndex('client_certificates_ca_status_version_idx')
      .on('client_certificates')
      .columns(['ca_id', 'status_version'])
      .execute();
    await db.schema
      .createIndex('client_certificates_ca_revoked_idx')
      .on('client_certificates')
      .columns(['ca_id', 'status', 'issued_on', 'id', 'serial_number', 'revoked_at'])
      .execute();
  },
};
