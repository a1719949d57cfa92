/**
 * 0007: zones.delegated — the operator's permission for a zone to overlap zones of other accounts
 * (docs/adr/0007-zone-ownership.md). Existing zones start undelegated: an overlap across accounts
 * already stored then serves the older zone's account only, until the operator delegates the newer
 * zone (PATCH /zones/{id}) or removes it.
 */
import type { Kysely, Migration } from 'kysely';

export const zoneDelegation: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .alterTable('zones')
      .addColumn('delegated', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
  },
};
