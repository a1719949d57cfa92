/**
 * 0004: an index on analytics_records(time) alone, for the hourly retention delete
 * (`WHERE time < ?` across all zones), which the (zone_id, time) index of 0003 cannot serve.
 */
import type { Kysely, Migration } from 'kysely';

export const analyticsTimeIndex: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.createIndex('analytics_records_time_idx').on('analytics_records').column('time').execute();
  },
};
