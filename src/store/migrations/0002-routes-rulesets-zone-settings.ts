/**
 * 0002: routes (hostname + path prefix → upstream), the zones' phase rulesets with their version
 * history, and per-zone settings. Portable like 0001: text, integer, JSON as text.
 */
import type { Kysely, Migration } from 'kysely';

export const routesRulesetsZoneSettings: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('routes')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('zone_id', 'text', (c) => c.notNull().references('zones.id'))
      .addColumn('hostname', 'text', (c) => c.notNull())
      .addColumn('path_prefix', 'text', (c) => c.notNull())
      .addColumn('upstream_url', 'text', (c) => c.notNull())
      .addColumn('strip_prefix', 'integer', (c) => c.notNull())
      .addColumn('description', 'text', (c) => c.notNull())
      .addColumn('created_on', 'text', (c) => c.notNull())
      .addColumn('modified_on', 'text', (c) => c.notNull())
      // One upstream per (hostname, prefix) across zones: a hostname belongs to one zone.
      .addUniqueConstraint('routes_hostname_prefix_unique', ['hostname', 'path_prefix'])
      .execute();
    await db.schema.createIndex('routes_zone_idx').on('routes').column('zone_id').execute();

    await db.schema
      .createTable('rulesets')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('zone_id', 'text', (c) => c.notNull().references('zones.id'))
      .addColumn('phase', 'text', (c) => c.notNull())
      .addColumn('document', 'text', (c) => c.notNull())
      .addUniqueConstraint('rulesets_zone_phase_unique', ['zone_id', 'phase'])
      .execute();

    await db.schema
      .createTable('ruleset_versions')
      .addColumn('ruleset_id', 'text', (c) => c.notNull().references('rulesets.id'))
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('document', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('ruleset_versions_pk', ['ruleset_id', 'version'])
      .execute();

    await db.schema
      .createTable('zone_settings')
      .addColumn('zone_id', 'text', (c) => c.notNull().references('zones.id'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('value', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('zone_settings_pk', ['zone_id', 'name'])
      .execute();
  },
};
