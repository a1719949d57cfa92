/**
 * 0005: analytics stored as one-second rollups (docs/adr/0004) instead of one row per request.
 * Creates analytics_rollups, moves every analytics_records row into it (nothing is lost: each
 * request's detail is kept inside its rollup), then drops analytics_records and its indexes.
 *
 * The move reads the old rows in chunks ordered by time. A chunk never splits one millisecond (the
 * rows at the chunk's last time are read whole), so no row is read twice or skipped; a second split
 * across two chunks becomes two rollups of that second, which every query sums anyway.
 */
import type { Kysely, Migration } from 'kysely';
import { rollUpAnalytics } from '../analytics-rollups.ts';
import type { AnalyticsRecord } from '../../model/records.ts';
import { appendAnalyticsRollups } from '../kysely/analytics.ts';

const CHUNK_ROWS = 5000;

interface OldRow {
  time: string;
  zone_id: string | null;
  api_id: string | null;
  key_id: string | null;
  hostname: string;
  method: string;
  path: string;
  status: number | string;
  fingerprint: string;
  serial: string;
  issuer: string;
  latency_ms: number | string;
  bytes_in: number | string;
  bytes_out: number | string;
  rule_hits: string;
}

function ruleHitsOf(text: string): string[] {
  try {
    const parsed: unknown = JSON.parse(text);
    return Array.isArray(parsed) ? parsed.filter((id): id is string => typeof id === 'string') : [];
  } catch {
    return [];
  }
}

function toRecord(row: OldRow): AnalyticsRecord {
  return {
    timeMs: Date.parse(row.time),
    zoneId: row.zone_id,
    apiId: row.api_id,
    keyId: row.key_id,
    hostname: row.hostname,
    method: row.method,
    path: row.path,
    status: Number(row.status),
    fingerprint: row.fingerprint,
    serial: row.serial,
    issuer: row.issuer,
    latencyMs: Number(row.latency_ms),
    bytesIn: Number(row.bytes_in),
    bytesOut: Number(row.bytes_out),
    ruleHits: ruleHitsOf(row.rule_hits),
  };
}

async function moveRecords(db: Kysely<unknown>): Promise<void> {
  const untyped = db as Kysely<{ analytics_records: OldRow }>;
  let after: string | undefined;
  for (;;) {
    let query = untyped.selectFrom('analytics_records').selectAll().orderBy('time').limit(CHUNK_ROWS);
    if (after !== undefined) query = query.where('time', '>', after);
    const rows = await query.execute();
    const last = rows.at(-1)?.time;
    if (last === undefined) return;
    const chunk = rows.filter((row) => row.time < last);
    chunk.push(...(await untyped.selectFrom('analytics_records').selectAll().where('time', '=', last).execute()));
    // Without mtls_status: this runs before 0010 adds that column.
    await appendAnalyticsRollups(db, rollUpAnalytics(chunk.map(toRecord)), false);
    after = last;
  }
}

export const analyticsRollups: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('analytics_rollups')
      .addColumn('bucket', 'text', (c) => c.notNull())
      .addColumn('zone_id', 'text')
      .addColumn('api_id', 'text')
      .addColumn('key_id', 'text')
      .addColumn('hostname', 'text', (c) => c.notNull())
      .addColumn('method', 'text', (c) => c.notNull())
      .addColumn('status', 'integer', (c) => c.notNull())
      .addColumn('fingerprint', 'text', (c) => c.notNull())
      .addColumn('serial', 'text', (c) => c.notNull())
      .addColumn('issuer', 'text', (c) => c.notNull())
      // 64-bit: sums over many requests outgrow PostgreSQL's integer.
      .addColumn('requests', 'bigint', (c) => c.notNull())
      .addColumn('bytes_in', 'bigint', (c) => c.notNull())
      .addColumn('bytes_out', 'bigint', (c) => c.notNull())
      .addColumn('latency_sum_ms', 'bigint', (c) => c.notNull())
      .addColumn('latency_max_ms', 'bigint', (c) => c.notNull())
      .addColumn('last_time', 'text', (c) => c.notNull())
      .addColumn('requests_detail', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('analytics_rollups_zone_bucket_idx')
      .on('analytics_rollups')
      .columns(['zone_id', 'bucket'])
      .execute();
    // Retention deletes by bucket across all zones.
    await db.schema.createIndex('analytics_rollups_bucket_idx').on('analytics_rollups').column('bucket').execute();

    await moveRecords(db);
    await db.schema.dropTable('analytics_records').execute();
  },
};
