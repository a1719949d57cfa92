/**
 * 0012: the developer portal (docs/adr/0017): products, developers, one-time links (invitations
 * and password resets), apps and access requests. Records are JSON beside the columns they are
 * found by (store/portal/portal-schema.ts). Keys and certificates an approval makes are the
 * ordinary gateway_keys and client_certificates rows; requests name them by id.
 */
import type { Kysely, Migration } from 'kysely';

export const developerPortal: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('portal_products')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
      .addColumn('record', 'text', (c) => c.notNull())
      .addColumn('created_on', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('portal_developers')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('email', 'text', (c) => c.notNull().unique())
      .addColumn('record', 'text', (c) => c.notNull())
      .addColumn('created_on', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('portal_links')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('secret_hash', 'text', (c) => c.notNull().unique())
      .addColumn('used_on', 'text')
      .addColumn('record', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('portal_apps')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('developer_id', 'text', (c) => c.notNull().references('portal_developers.id'))
      .addColumn('record', 'text', (c) => c.notNull())
      .addColumn('created_on', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('portal_apps_developer').on('portal_apps').column('developer_id').execute();
    await db.schema
      .createTable('portal_access_requests')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('developer_id', 'text', (c) => c.notNull().references('portal_developers.id'))
      .addColumn('app_id', 'text', (c) => c.notNull())
      .addColumn('product_id', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('record', 'text', (c) => c.notNull())
      .addColumn('requested_on', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('portal_access_requests_developer')
      .on('portal_access_requests')
      .column('developer_id')
      .execute();
  },
};
