/**
 * 0003: the Tyk model — APIs, keys, policies — and analytics records. Portable like 0001: text,
 * integer, JSON as text. Lists inside a record (allowlists, access rights, policy ids) are JSON:
 * they are always read and written with their record.
 */
import type { Kysely, Migration } from 'kysely';

export const apisKeysPoliciesAnalytics: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('gateway_apis')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('zone_id', 'text', (c) => c.notNull().references('zones.id'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('hostname', 'text', (c) => c.notNull())
      .addColumn('listen_path', 'text', (c) => c.notNull())
      .addColumn('upstream_url', 'text', (c) => c.notNull())
      .addColumn('strip_listen_path', 'integer', (c) => c.notNull())
      .addColumn('protocol', 'text', (c) => c.notNull())
      .addColumn('active', 'integer', (c) => c.notNull())
      .addColumn('auth_mode', 'text', (c) => c.notNull())
      .addColumn('token_required', 'integer', (c) => c.notNull())
      .addColumn('allowed_certificates', 'text', (c) => c.notNull())
      .addColumn('rate_limit', 'text')
      .addColumn('created_on', 'text', (c) => c.notNull())
      .addColumn('modified_on', 'text', (c) => c.notNull())
      .addUniqueConstraint('gateway_apis_hostname_path_unique', ['hostname', 'listen_path'])
      .execute();
    await db.schema.createIndex('gateway_apis_zone_idx').on('gateway_apis').column('zone_id').execute();

    await db.schema
      .createTable('gateway_policies')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('access_rights', 'text', (c) => c.notNull())
      .addColumn('rate_limit', 'text')
      .addColumn('quota', 'text')
      .addColumn('active', 'integer', (c) => c.notNull())
      .addColumn('created_on', 'text', (c) => c.notNull())
      .addColumn('modified_on', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('gateway_policies_account_idx').on('gateway_policies').column('account_id').execute();

    await db.schema
      .createTable('gateway_keys')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
      .addColumn('alias', 'text', (c) => c.notNull())
      .addColumn('binding_kind', 'text')
      .addColumn('binding_value', 'text')
      .addColumn('secret_hash', 'text')
      .addColumn('policy_ids', 'text', (c) => c.notNull())
      .addColumn('access_rights', 'text', (c) => c.notNull())
      .addColumn('rate_limit', 'text')
      .addColumn('quota', 'text')
      .addColumn('expires_on', 'text')
      .addColumn('metadata', 'text', (c) => c.notNull())
      .addColumn('active', 'integer', (c) => c.notNull())
      .addColumn('created_on', 'text', (c) => c.notNull())
      .addColumn('modified_on', 'text', (c) => c.notNull())
      // One key per certificate binding and per secret: a presented certificate finds exactly one key.
      .addUniqueConstraint('gateway_keys_binding_unique', ['binding_kind', 'binding_value'])
      .addUniqueConstraint('gateway_keys_secret_unique', ['secret_hash'])
      .execute();
    await db.schema.createIndex('gateway_keys_account_idx').on('gateway_keys').column('account_id').execute();

    await db.schema
      .createTable('analytics_records')
      .addColumn('time', 'text', (c) => c.notNull())
      .addColumn('zone_id', 'text')
      .addColumn('api_id', 'text')
      .addColumn('key_id', 'text')
      .addColumn('hostname', 'text', (c) => c.notNull())
      .addColumn('method', 'text', (c) => c.notNull())
      .addColumn('path', 'text', (c) => c.notNull())
      .addColumn('status', 'integer', (c) => c.notNull())
      .addColumn('fingerprint', 'text', (c) => c.notNull())
      .addColumn('serial', 'text', (c) => c.notNull())
      .addColumn('issuer', 'text', (c) => c.notNull())
      .addColumn('latency_ms', 'integer', (c) => c.notNull())
      .addColumn('bytes_in', 'integer', (c) => c.notNull())
      .addColumn('bytes_out', 'integer', (c) => c.notNull())
      .addColumn('rule_hits', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('analytics_records_zone_time_idx')
      .on('analytics_records')
      .columns(['zone_id', 'time'])
      .execute();
  },
};
