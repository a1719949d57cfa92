/**
 * 0009: revocation for uploaded CAs (docs/adr/0014): their settings and CRL-fetching state, the
 * CRLs in force (one row per issuing CA certificate of a bundle), and certificate block lists.
 * Rows name an uploaded CA by id without a foreign key: the CA's delete removes them in the same
 * transaction (MtlsCertificateService.delete), and the snapshot ignores rows of a CA that is gone.
 */
import type { Kysely, Migration } from 'kysely';

export const caRevocation: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('ca_revocation')
      .addColumn('mtls_certificate_id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
      .addColumn('settings', 'text', (c) => c.notNull())
      .addColumn('discovered_crl_urls', 'text', (c) => c.notNull())
      .addColumn('next_fetch_at', 'text')
      .addColumn('fetch_lease_holder', 'text')
      .addColumn('fetch_lease_until', 'text')
      .addColumn('last_fetch_at', 'text')
      .addColumn('last_fetch_success_at', 'text')
      .addColumn('last_fetch_error', 'text')
      .addColumn('fetch_failures', 'integer', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('ca_crls')
      .addColumn('mtls_certificate_id', 'text', (c) => c.notNull())
      .addColumn('issuer_fingerprint', 'text', (c) => c.notNull())
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
      .addColumn('issuer_subject', 'text', (c) => c.notNull())
      .addColumn('crl_number', 'text', (c) => c.notNull())
      .addColumn('this_update', 'text', (c) => c.notNull())
      .addColumn('next_update', 'text', (c) => c.notNull())
      .addColumn('revoked_serials', 'text', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('source_url', 'text')
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('ca_crls_pk', ['mtls_certificate_id', 'issuer_fingerprint'])
      .execute();

    await db.schema
      .createTable('certificate_blocks')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
      .addColumn('scope', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('value', 'text', (c) => c.notNull())
      .addColumn('description', 'text', (c) => c.notNull())
      .addColumn('created_on', 'text', (c) => c.notNull())
      .addUniqueConstraint('certificate_blocks_unique', ['account_id', 'scope', 'kind', 'value'])
      .execute();
  },
};
