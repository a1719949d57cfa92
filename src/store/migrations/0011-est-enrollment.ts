/**
 * 0011: EST enrollment (RFC 7030, docs/adr/0016): enrollment profiles per zone, bootstrap secrets
 * (stored hashed), the enrollment record of every certificate EST issued (which profile, which key,
 * what replaced it and when the replaced one is revoked), requests waiting for an operator's
 * approval, and tags on client certificates (any client certificate, not only EST's).
 * Rows name a zone without a foreign key: a zone's deletion removes its profiles, secrets and
 * approvals (zone-removal.ts) and keeps enrollments and tags, as it keeps the certificates.
 */
import type { Kysely, Migration } from 'kysely';

export const estEnrollment: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('est_profiles')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
      .addColumn('zone_id', 'text', (c) => c.notNull())
      .addColumn('label', 'text', (c) => c.notNull())
      .addColumn('settings', 'text', (c) => c.notNull())
      .addColumn('created_on', 'text', (c) => c.notNull())
      .addColumn('modified_on', 'text', (c) => c.notNull())
      .addUniqueConstraint('est_profiles_label', ['zone_id', 'label'])
      .execute();

    await db.schema
      .createTable('est_bootstrap_secrets')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
      .addColumn('zone_id', 'text', (c) => c.notNull())
      .addColumn('profile_id', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('secret_hash', 'text', (c) => c.notNull().unique())
      .addColumn('max_uses', 'integer', (c) => c.notNull())
      .addColumn('uses', 'integer', (c) => c.notNull())
      .addColumn('expires_on', 'text', (c) => c.notNull())
      .addColumn('created_on', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('est_enrollments')
      .addColumn('client_certificate_id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
      .addColumn('zone_id', 'text', (c) => c.notNull())
      .addColumn('profile_id', 'text', (c) => c.notNull())
      .addColumn('method', 'text', (c) => c.notNull())
      .addColumn('enrolled_by', 'text', (c) => c.notNull())
      .addColumn('replaced_by', 'text')
      .addColumn('revoke_after', 'text')
      .addColumn('created_on', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('est_enrollments_revoke_after').on('est_enrollments').column('revoke_after').execute();

    await db.schema
      .createTable('est_approvals')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
      .addColumn('zone_id', 'text', (c) => c.notNull())
      .addColumn('profile_id', 'text', (c) => c.notNull())
      .addColumn('spki_sha256', 'text', (c) => c.notNull())
      .addColumn('requester', 'text', (c) => c.notNull())
      .addColumn('csr_pem', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('client_certificate_id', 'text')
      .addColumn('created_on', 'text', (c) => c.notNull())
      .addColumn('decided_on', 'text')
      .addUniqueConstraint('est_approvals_request', ['profile_id', 'spki_sha256'])
      .execute();

    await db.schema
      .createTable('client_certificate_tags')
      .addColumn('client_certificate_id', 'text', (c) => c.notNull())
      .addColumn('zone_id', 'text', (c) => c.notNull())
      .addColumn('tag', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('client_certificate_tags_pk', ['client_certificate_id', 'tag'])
      .execute();
    await db.schema
      .createIndex('client_certificate_tags_zone_tag')
      .on('client_certificate_tags')
      .columns(['zone_id', 'tag'])
      .execute();
  },
};
