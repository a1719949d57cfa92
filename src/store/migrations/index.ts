/**
 * The migration set, provided in code (no directory scan: works the same from src/ under tsx and
 * from dist/), and the one function that brings a database up to date at start. Kysely's Migrator
 * takes a lock (a lock table on SQLite, an advisory lock on PostgreSQL), so nodes starting together
 * migrate once.
 */
import { Migrator, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { initial } from './0001-initial.ts';
import { routesRulesetsZoneSettings } from './0002-routes-rulesets-zone-settings.ts';
import { apisKeysPoliciesAnalytics } from './0003-apis-keys-policies-analytics.ts';
import { analyticsTimeIndex } from './0004-analytics-time-index.ts';
import { analyticsRollups } from './0005-analytics-rollups.ts';
import { upstreamTimeouts } from './0006-upstream-timeouts.ts';
import { caCompatibility } from './0007-ca-compatibility.ts';
import { tenantIsolation } from './0008-tenant-isolation.ts';
import { describeStoreFailure } from '../store-failure.ts';
import { caRevocation } from './0009-ca-revocation.ts';
import { analyticsMtlsStatus } from './0010-analytics-mtls-status.ts';
import { estEnrollment } from './0011-est-enrollment.ts';
import { developerPortal } from './0012-developer-portal.ts';
import { revocationVersion } from './0013-revocation-version.ts';
import { clientCertificateStates } from './0014-client-certificate-states.ts';

/** Names sort in the order they run. Append only. Exported for the migration tests. */
export const MIGRATIONS: Readonly<Record<string, Migration>> = {
  '0001-initial': initial,
  '0002-routes-rulesets-zone-settings': routesRulesetsZoneSettings,
  '0003-apis-keys-policies-analytics': apisKeysPoliciesAnalytics,
  '0004-analytics-time-index': analyticsTimeIndex,
  '0005-analytics-rollups': analyticsRollups,
  '0006-upstream-timeouts': upstreamTimeouts,
  '0007-ca-compatibility': caCompatibility,
  '0008-tenant-isolation': tenantIsolation,
  '0009-ca-revocation': caRevocation,
  '0010-analytics-mtls-status': analyticsMtlsStatus,
  '0011-est-enrollment': estEnrollment,
  '0012-developer-portal': developerPortal,
  '0013-revocation-version': revocationVersion,
  '0014-client-certificate-states': clientCertificateStates,
};

const provider: MigrationProvider = {
  getMigrations: () => Promise.resolve({ ...MIGRATIONS }),
};

/**
 * Runs every pending migration; returns the names it ran ([] when already up to date). On
 * PostgreSQL pass the schema the tables go to (current_schema()): Kysely otherwise takes migration
 * tables found in any schema of the database as its own.
 */
export async function migrateToLatest<Schema>(db: Kysely<Schema>, schema?: string): Promise<string[]> {
  const migrator = new Migrator({ db, provider, ...(schema === undefined ? {} : { migrationTableSchema: schema }) });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    // No failed migration: the migrator failed before running any (its own tables, or its lock).
    const failed = results?.find((result) => result.status === 'Error')?.migrationName;
    const what =
      failed === undefined
        ? 'Store migrations could not start (creating or locking the kysely_migration tables)'
        : `Store migration ${failed} failed`;
    throw new Error(`${what}: ${describeStoreFailure(error)}`, { cause: error });
  }
  return (results ?? []).filter((result) => result.status === 'Success').map((result) => result.migrationName);
}
