/**
 * What a zone holds, counted, and the zone's removal (DELETE /zones/{id}). A removed zone takes its
 * configuration with it — associations, edge certificates, routes, APIs, rulesets with their
 * versions, settings — and leaves its client certificates: their revocations must outlive the zone
 * (migration 0008, docs/adr/0007-zone-ownership.md).
 */
import type { ZoneUsage } from '../../model/read-models.ts';
import type { HexId } from '../../model/records.ts';
import type { Db } from './schema.ts';
import { atomically } from './atomically.ts';
import { toCount } from './columns.ts';

/** Client certificates that still authenticate (the statuses a zone deletion refuses to strand). */
const LIVE_STATUSES = ['active', 'pending_reactivation'];

export async function zoneUsage(db: Db, zoneId: HexId): Promise<ZoneUsage> {
  const count = async (
    table: 'routes' | 'gateway_apis' | 'hostname_associations' | 'edge_certificates',
  ): Promise<number> => {
    const row = await db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<string | number>().as('n'))
      .where('zone_id', '=', zoneId)
      .executeTakeFirstOrThrow();
    return toCount(row.n);
  };
  const live = await db
    .selectFrom('client_certificate_states')
    .select((eb) => eb.fn.countAll<string | number>().as('n'))
    .where('zone_id', '=', zoneId)
    .where('status', 'in', LIVE_STATUSES)
    .executeTakeFirstOrThrow();
  return {
    routes: await count('routes'),
    apis: await count('gateway_apis'),
    hostnameAssociations: await count('hostname_associations'),
    edgeCertificates: await count('edge_certificates'),
    liveClientCertificates: toCount(live.n),
  };
}

export async function deleteZone(db: Db, zoneId: HexId): Promise<void> {
  await atomically(db, async (trx) => {
    const rulesets = trx.selectFrom('rulesets').select('id').where('zone_id', '=', zoneId);
    await trx.deleteFrom('ruleset_versions').where('ruleset_id', 'in', rulesets).execute();
    for (const table of [
      'rulesets',
      'zone_settings',
      'hostname_associations',
      'edge_certificates',
      'routes',
      'gateway_apis',
      // EST (migration 0011): enrollments and tags stay, with the certificates they describe.
      'est_profiles',
      'est_bootstrap_secrets',
      'est_approvals',
    ] as const) {
      await trx.deleteFrom(table).where('zone_id', '=', zoneId).execute();
    }
    await trx.deleteFrom('zones').where('id', '=', zoneId).execute();
  });
}
