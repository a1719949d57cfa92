/**
 * 0006: a route's and an API's own upstream timeout (milliseconds), NULL for the gateway's default
 * (`serve --upstream-timeout`). Existing rows keep NULL, so they behave as before.
 */
import type { Kysely, Migration } from 'kysely';

export const upstreamTimeouts: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('routes').addColumn('upstream_timeout_ms', 'integer').execute();
    await db.schema.alterTable('gateway_apis').addColumn('upstream_timeout_ms', 'integer').execute();
  },
};
