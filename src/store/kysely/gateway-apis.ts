/**
 * Gateway APIs (Tyk's API definitions): hostname + listen path → upstream with an auth mode, per
 * zone. The (hostname, listen path) pair is unique across the installation (a table constraint).
 */
import { API_AUTH_MODES, type AllowedCertificate, type ApiDefinitionRecord, type HexId } from '../../model/records.ts';
import type { Db, GatewayApisTable } from './schema.ts';
import { guardUnique, insertUnique } from './conflicts.ts';
import { byCodeUnits, fromFlag, oneOf, toFlag } from './columns.ts';
import { parseRateLimit, rateLimitToJson } from './gateway-policies.ts';

const PROTOCOLS = ['http', 'grpc'] as const;
const DUPLICATE = 'An API for this hostname and listen path already exists';

/** Writes only the fields of the entry's kind, so nothing else ever reaches the column. */
function allowedToJson(entries: readonly AllowedCertificate[]): string {
  return JSON.stringify(
    entries.map((entry) =>
      entry.kind === 'sha256' ? { kind: entry.kind, value: entry.value } : { kind: entry.kind, id: entry.id },
    ),
  );
}

function parseAllowed(text: string, column: string): AllowedCertificate[] {
  const value: unknown = JSON.parse(text);
  if (!Array.isArray(value)) throw new Error(`Store column ${column} does not hold a JSON array`);
  return value.map((item: unknown): AllowedCertificate => {
    const entry = (typeof item === 'object' && item !== null ? item : {}) as Record<string, unknown>;
    if (entry.kind === 'sha256' && typeof entry.value === 'string') return { kind: 'sha256', value: entry.value };
    if ((entry.kind === 'mtls_certificate' || entry.kind === 'client_certificate') && typeof entry.id === 'string') {
      return { kind: entry.kind, id: entry.id };
    }
    throw new Error(`Store column ${column} holds an entry that is not an allowed certificate`);
  });
}

function toApi(row: GatewayApisTable): ApiDefinitionRecord {
  return {
    id: row.id,
    zoneId: row.zone_id,
    name: row.name,
    hostname: row.hostname,
    listenPath: row.listen_path,
    upstreamUrl: row.upstream_url,
    stripListenPath: fromFlag(row.strip_listen_path, 'gateway_apis.strip_listen_path'),
    upstreamTimeoutMs: row.upstream_timeout_ms,
    protocol: oneOf(row.protocol, PROTOCOLS, 'gateway_apis.protocol'),
    active: fromFlag(row.active, 'gateway_apis.active'),
    authMode: oneOf(row.auth_mode, API_AUTH_MODES, 'gateway_apis.auth_mode'),
    tokenRequired: fromFlag(row.token_required, 'gateway_apis.token_required'),
    allowedCertificates: parseAllowed(row.allowed_certificates, 'gateway_apis.allowed_certificates'),
    rateLimit: parseRateLimit(row.rate_limit, 'gateway_apis.rate_limit'),
    createdOn: row.created_on,
    modifiedOn: row.modified_on,
  };
}

function toRow(record: ApiDefinitionRecord): GatewayApisTable {
  return {
    id: record.id,
    zone_id: record.zoneId,
    name: record.name,
    hostname: record.hostname,
    listen_path: record.listenPath,
    upstream_url: record.upstreamUrl,
    strip_listen_path: toFlag(record.stripListenPath),
    upstream_timeout_ms: record.upstreamTimeoutMs,
    protocol: record.protocol,
    active: toFlag(record.active),
    auth_mode: record.authMode,
    token_required: toFlag(record.tokenRequired),
    allowed_certificates: allowedToJson(record.allowedCertificates),
    rate_limit: rateLimitToJson(record.rateLimit),
    created_on: record.createdOn,
    modified_on: record.modifiedOn,
  };
}

/** Hostname, then longer listen paths first (the order they are matched in), then id. */
function byHostnameThenPath(a: ApiDefinitionRecord, b: ApiDefinitionRecord): number {
  return byCodeUnits(a.hostname, b.hostname) || b.listenPath.length - a.listenPath.length || byCodeUnits(a.id, b.id);
}

export async function createApi(db: Db, record: ApiDefinitionRecord): Promise<void> {
  // ON CONFLICT DO NOTHING: a duplicate must not abort a PostgreSQL transaction (conflicts.ts).
  await insertUnique(db, 'gateway_apis', toRow(record), DUPLICATE);
}

export async function updateApi(db: Db, record: ApiDefinitionRecord): Promise<void> {
  const { id, zone_id, ...row } = toRow(record);
  const changes: Partial<GatewayApisTable> = { ...row };
  delete changes.created_on; // set once, by createApi
  await guardUnique(DUPLICATE, () =>
    db.updateTable('gateway_apis').set(changes).where('id', '=', id).where('zone_id', '=', zone_id).execute(),
  );
}

export async function getApi(db: Db, zoneId: HexId, id: HexId): Promise<ApiDefinitionRecord | undefined> {
  const row = await db
    .selectFrom('gateway_apis')
    .selectAll()
    .where('zone_id', '=', zoneId)
    .where('id', '=', id)
    .executeTakeFirst();
  return row === undefined ? undefined : toApi(row);
}

export async function listApis(db: Db, zoneId: HexId): Promise<ApiDefinitionRecord[]> {
  const rows = await db.selectFrom('gateway_apis').selectAll().where('zone_id', '=', zoneId).execute();
  return rows.map(toApi).sort(byHostnameThenPath);
}

export async function deleteApi(db: Db, zoneId: HexId, id: HexId): Promise<void> {
  await db.deleteFrom('gateway_apis').where('zone_id', '=', zoneId).where('id', '=', id).execute();
}

export async function listAllApis(db: Db): Promise<ApiDefinitionRecord[]> {
  const rows = await db.selectFrom('gateway_apis').selectAll().execute();
  return rows.map(toApi).sort(byHostnameThenPath);
}
