/**
 * 0007: the compatibility of an uploaded CA (docs/adr/0008): `strict` (the default, and what every CA uploaded
 * before this migration gets) or `legacy`, which relaxes the client-chain rules on key identifiers and the root's
 * critical basicConstraints for chains ending at that CA. Meaningless for leaves (`ca = 0`), which keep `strict`.
 */
import type { Kysely, Migration } from 'kysely';

export const caCompatibility: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .alterTable('mtls_certificates')
      .addColumn('compatibility', 'text', (column) => column.notNull().defaultTo('strict'))
      .execute();
  },
};
