/**
 * 0010: analytics rollups carry each request's mTLS status (ok, absent, untrusted, notyetvalid,
 * expired, revoked: src/data-plane/pipeline/mtls-status.ts) as one more dimension. Rows written before have
 * '' (not recorded), which the analytics API reports as such rather than guessing.
 */
import type { Kysely, Migration } from 'kysely';

export const analyticsMtlsStatus: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .alterTable('analytics_rollups')
      .addColumn('mtls_status', 'text', (column) => column.notNull().defaultTo(''))
      .execute();
  },
};
