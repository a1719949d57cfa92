/**
 * describeOnBothStores: runs one API test suite twice, on SQLite (the embedded default) and on a
 * real PostgreSQL started for it (skipped, with the reason, when PostgreSQL is not installed).
 * `defineSuite` gets a function that returns the store URL for one gateway: undefined for SQLite,
 * a fresh schema for PostgreSQL.
 */
import { after, before, describe } from 'node:test';
import { postgresSkipReason, startPostgres, type TestPostgres } from './postgres.ts';

export function describeOnBothStores(
  name: string,
  database: string,
  defineSuite: (storeUrl: () => Promise<string | undefined>) => void,
): void {
  describe(`${name}: SQLite`, () => {
    defineSuite(() => Promise.resolve(undefined));
  });

  describe(`${name}: PostgreSQL`, { skip: postgresSkipReason() ?? false }, () => {
    let postgres: TestPostgres;
    before(async () => {
      postgres = await startPostgres();
      await postgres.createDatabase(database);
    });
    defineSuite(() => postgres.createSchema(database, 'api'));
    // Registered after the suite's own hooks: node:test runs `after` hooks in the order they were
    // added, and PostgreSQL must outlive the gateways the suite stops (a query in flight on a
    // server that went away is an uncaught error in the test process).
    after(async () => {
      await postgres.stop();
    });
  });
}
