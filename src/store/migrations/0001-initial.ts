/**
 * 0001: the first schema. Portable on purpose (SQLite and PostgreSQL run this same code): text,
 * integer, booleans as integer 0/1, JSON and timestamps as text, named constraints so both drivers
 * report the same names. Never edit a released migration; add the next file instead.
 */
import { sql, type Kysely, type Migration } from 'kysely';

export const initial: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('accounts')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('zones')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addUniqueConstraint('zones_name_unique', ['name'])
      .execute();
    await db.schema.createIndex('zones_account_idx').on('zones').column('account_id').execute();

    await db.schema
      .createTable('api_tokens')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('secret_hash', 'text', (c) => c.notNull())
      .addColumn('scope', 'text', (c) => c.notNull())
      .addColumn('permission', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('not_before', 'text')
      .addColumn('expires_on', 'text')
      .addUniqueConstraint('api_tokens_secret_hash_unique', ['secret_hash'])
      .execute();

    await db.schema
      .createTable('managed_cas')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('certificate_pem', 'text', (c) => c.notNull())
      .addColumn('sealed_private_key', 'text', (c) => c.notNull())
      .addColumn('next_crl_number', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addUniqueConstraint('managed_cas_account_unique', ['account_id'])
      .execute();

    await db.schema
      .createTable('mtls_certificates')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
      .addColumn('name', 'text')
      .addColumn('ca', 'integer', (c) => c.notNull().check(sql`ca in (0, 1)`))
      .addColumn('certificates_pem', 'text', (c) => c.notNull())
      .addColumn('issuer', 'text', (c) => c.notNull())
      .addColumn('serial_number', 'text', (c) => c.notNull())
      .addColumn('signature', 'text', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('fingerprint_sha256', 'text', (c) => c.notNull())
      .addColumn('sealed_private_key', 'text')
      .addColumn('expires_on', 'text', (c) => c.notNull())
      .addColumn('uploaded_on', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('mtls_certificates_account_idx').on('mtls_certificates').column('account_id').execute();

    await db.schema
      .createTable('client_certificates')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('zone_id', 'text', (c) => c.notNull().references('zones.id'))
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
    await db.schema
      .createIndex('client_certificates_zone_issued_idx')
      .on('client_certificates')
      .columns(['zone_id', 'issued_on', 'id'])
      .execute();

    await db.schema
      .createTable('hostname_associations')
      .addColumn('zone_id', 'text', (c) => c.notNull().references('zones.id'))
      .addColumn('hostname', 'text', (c) => c.notNull())
      .addColumn('ca_key', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('hostname_associations_pk', ['zone_id', 'hostname', 'ca_key'])
      .execute();
    await db.schema.createIndex('hostname_associations_ca_idx').on('hostname_associations').column('ca_key').execute();

    await db.schema
      .createTable('edge_certificates')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('zone_id', 'text', (c) => c.notNull().references('zones.id'))
      .addColumn('hosts', 'text', (c) => c.notNull())
      .addColumn('certificate_pem', 'text', (c) => c.notNull())
      .addColumn('sealed_private_key', 'text', (c) => c.notNull())
      .addColumn('issuer', 'text', (c) => c.notNull())
      .addColumn('signature', 'text', (c) => c.notNull())
      .addColumn('expires_on', 'text', (c) => c.notNull())
      .addColumn('uploaded_on', 'text', (c) => c.notNull())
      .addColumn('modified_on', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('edge_certificates_zone_idx').on('edge_certificates').column('zone_id').execute();

    await db.schema
      .createTable('settings')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('value', 'text', (c) => c.notNull())
      .execute();
  },
};
