/** Routes: hostname + path prefix → upstream, per zone. */
import type { HexId, RouteRecord } from '../../model/records.ts';
import type { Db, RoutesTable } from './schema.ts';
import { guardUnique, insertUnique } from './conflicts.ts';
import { byCodeUnits, fromFlag, toFlag } from './columns.ts';

function toRoute(row: RoutesTable): RouteRecord {
  return {
    id: row.id,
    zoneId: row.zone_id,
    hostname: row.hostname,
    pathPrefix: row.path_prefix,
    upstreamUrl: row.upstream_url,
    stripPrefix: fromFlag(row.strip_prefix, 'routes.strip_prefix'),
    upstreamTimeoutMs: row.upstream_timeout_ms,
    description: row.description,
    createdOn: row.created_on,
    modifiedOn: row.modified_on,
  };
}

function toRow(record: RouteRecord): RoutesTable {
  return {
    id: record.id,
    zone_id: record.zoneId,
    hostname: record.hostname,
    path_prefix: record.pathPrefix,
    upstream_url: record.upstreamUrl,
    strip_prefix: toFlag(record.stripPrefix),
    upstream_timeout_ms: record.upstreamTimeoutMs,
    description: record.description,
    created_on: record.createdOn,
    modified_on: record.modifiedOn,
  };
}

/** Hostname, then longer prefixes first (the order routes are matched in). */
function byHostnameThenPrefix(a: RouteRecord, b: RouteRecord): number {
  return byCodeUnits(a.hostname, b.hostname) || b.pathPrefix.length - a.pathPrefix.length || byCodeUnits(a.id, b.id);
}

const DUPLICATE = 'A route for this hostname and path prefix already exists';

export async function createRoute(db: Db, record: RouteRecord): Promise<void> {
  // ON CONFLICT DO NOTHING: a duplicate must not abort a PostgreSQL transaction (conflicts.ts).
  await insertUnique(db, 'routes', toRow(record), DUPLICATE);
}

export async function updateRoute(db: Db, record: RouteRecord): Promise<void> {
  const { id, zone_id, ...row } = toRow(record);
  const changes: Partial<RoutesTable> = { ...row };
  delete changes.created_on; // set once, by createRoute
  await guardUnique(DUPLICATE, () =>
    db.updateTable('routes').set(changes).where('id', '=', id).where('zone_id', '=', zone_id).execute(),
  );
}

export async function getRoute(db: Db, zoneId: HexId, id: HexId): Promise<RouteRecord | undefined> {
  const row = await db
    .selectFrom('routes')
    .selectAll()
    .where('zone_id', '=', zoneId)
    .where('id', '=', id)
    .executeTakeFirst();
  return row === undefined ? undefined : toRoute(row);
}

export async function listRoutes(db: Db, zoneId: HexId): Promise<RouteRecord[]> {
  const rows = await db.selectFrom('routes').selectAll().where('zone_id', '=', zoneId).execute();
  return rows.map(toRoute).sort(byHostnameThenPrefix);
}

export async function deleteRoute(db: Db, zoneId: HexId, id: HexId): Promise<void> {
  await db.deleteFrom('routes').where('zone_id', '=', zoneId).where('id', '=', id).execute();
}

export async function listAllRoutes(db: Db): Promise<RouteRecord[]> {
  const rows = await db.selectFrom('routes').selectAll().execute();
  return rows.map(toRoute).sort(byHostnameThenPrefix);
}
