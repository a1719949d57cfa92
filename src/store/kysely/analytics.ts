/**
 * Analytics records: batched inserts, aggregates and retention, in SQL that runs unchanged on
 * SQLite and PostgreSQL. Portability notes:
 *  - count/sum come back as numbers from SQLite and as bigint text from PostgreSQL, avg as numeric
 *    text: every aggregate goes through Number().
 *  - Literals in the CASE and COALESCE are inlined (sql.lit): PostgreSQL cannot type a bare
 *    parameter inside sum(), and a parameter in SELECT is not "the same expression" as one in
 *    GROUP BY.
 *  - Time ranges compare the ISO text column (every writer uses `toISOString()`), which the
 *    (zone_id, time) index serves.
 */
import { sql, type Expression, type RawBuilder, type ExpressionBuilder, type SqlBool } from 'kysely';
import type { AnalyticsRecord, HexId } from '../records.ts';
import type {
  AnalyticsAggregate,
  AnalyticsFilter,
  AnalyticsGroup,
  AnalyticsGrouping,
  AnalyticsRange,
  AnalyticsSummary,
  CertificateUsage,
} from '../read-models.ts';
import type { AnalyticsRecordsTable, Database, Db } from './schema.ts';

/** Rows per INSERT: 15 columns × 1000 stays under SQLite's 32 766 and PostgreSQL's 65 535 parameters. */
const ROWS_PER_INSERT = 1000;
/** The columns are PostgreSQL `integer` (int4). */
const INT4_MAX = 2_147_483_647;
const MAX_PATH_LENGTH = 2048;
const MAX_SHORT_TEXT = 1024;

type Eb = ExpressionBuilder<Database, 'analytics_records'>;

/** PostgreSQL refuses NUL in text (one bad row would lose the whole batch); long paths are cut. */
function text(value: string, max: number): string {
  const cut = value.length > max ? value.slice(0, max) : value;
  return cut.includes('\u0000') ? cut.replaceAll('\u0000', '') : cut;
}

function int4(value: number): number {
  if (!Number.isFinite(value) || value <= 0) return 0;
  return Math.min(INT4_MAX, Math.round(value));
}

function toRow(record: AnalyticsRecord): AnalyticsRecordsTable {
  return {
    time: record.time,
    zone_id: record.zoneId,
    api_id: record.apiId,
    key_id: record.keyId,
    hostname: text(record.hostname, MAX_SHORT_TEXT),
    method: text(record.method, 32),
    path: text(record.path, MAX_PATH_LENGTH),
    status: Math.trunc(record.status),
    fingerprint: text(record.fingerprint, 64),
    serial: text(record.serial, 128),
    issuer: text(record.issuer, MAX_SHORT_TEXT),
    latency_ms: int4(record.latencyMs),
    bytes_in: int4(record.bytesIn),
    bytes_out: int4(record.bytesOut),
    rule_hits: JSON.stringify(record.ruleHits),
  };
}

export async function appendAnalytics(db: Db, records: readonly AnalyticsRecord[]): Promise<void> {
  for (let start = 0; start < records.length; start += ROWS_PER_INSERT) {
    const rows = records.slice(start, start + ROWS_PER_INSERT).map(toRow);
    await db.insertInto('analytics_records').values(rows).execute();
  }
}

function inRange(eb: Eb, zoneId: HexId, range: AnalyticsRange): Expression<SqlBool> {
  return eb.and([eb('zone_id', '=', zoneId), eb('time', '>=', range.since), eb('time', '<', range.until)]);
}

/** The aggregate columns, shared by the totals and the groups. */
function aggregates(eb: Eb) {
  return [
    eb.fn.countAll<number | string>().as('requests'),
    eb.fn.sum<number | string | null>(sql`case when status >= ${sql.lit(400)} then 1 else 0 end`).as('errors'),
    eb.fn.sum<number | string | null>('bytes_in').as('bytes_in'),
    eb.fn.sum<number | string | null>('bytes_out').as('bytes_out'),
    eb.fn.avg<number | string | null>('latency_ms').as('latency_avg'),
    eb.fn.max<number | string | null>('latency_ms').as('latency_max'),
  ] as const;
}

interface AggregateRow {
  requests: number | string;
  errors: number | string | null;
  bytes_in: number | string | null;
  bytes_out: number | string | null;
  latency_avg: number | string | null;
  latency_max: number | string | null;
}

function toAggregate(row: AggregateRow | undefined): AnalyticsAggregate {
  const number = (value: number | string | null | undefined): number => (value == null ? 0 : Number(value));
  return {
    requests: number(row?.requests),
    errors: number(row?.errors),
    bytesIn: number(row?.bytes_in),
    bytesOut: number(row?.bytes_out),
    latencyAvgMs: Math.round(number(row?.latency_avg) * 100) / 100,
    latencyMaxMs: number(row?.latency_max),
  };
}

/** The column a grouping reads, and how its key is written ('' stands for "none" in SQL). */
const GROUP_COLUMNS = {
  api: 'api_id',
  key: 'key_id',
  certificate: 'fingerprint',
  status: 'status',
} as const satisfies Record<AnalyticsGrouping, keyof AnalyticsRecordsTable>;

export async function queryAnalytics(db: Db, filter: AnalyticsFilter): Promise<AnalyticsSummary> {
  const totals = await db
    .selectFrom('analytics_records')
    .where((eb) => inRange(eb, filter.zoneId, filter))
    .select(aggregates)
    .executeTakeFirst();
  if (filter.groupBy === undefined) return { totals: toAggregate(totals), groups: [] };

  const column = GROUP_COLUMNS[filter.groupBy];
  // NULL and '' are one group, "none": null sorts differently in the two databases, '' does not.
  const key: RawBuilder<string | number> =
    column === 'status' ? sql`status` : sql`coalesce(${sql.ref(column)}, ${sql.lit('')})`;
  const rows = await db
    .selectFrom('analytics_records')
    .where((eb) => inRange(eb, filter.zoneId, filter))
    .groupBy(column)
    .select((eb) => [key.as('group_key'), ...aggregates(eb)])
    .orderBy(sql`count(*)`, 'desc')
    .orderBy(key)
    .limit(filter.groupLimit)
    .execute();
  const groups = rows.map((row): AnalyticsGroup => {
    const value = row.group_key;
    const groupKey = column === 'status' ? Number(value) : value === '' ? null : String(value);
    return { key: groupKey, ...toAggregate(row) };
  });
  return { totals: toAggregate(totals), groups };
}

export async function lastSeenByCertificate(
  db: Db,
  zoneId: HexId,
  range: AnalyticsRange & { limit: number },
): Promise<CertificateUsage[]> {
  const rows = await db
    .selectFrom('analytics_records')
    .where((eb) => eb.and([inRange(eb, zoneId, range), eb('fingerprint', '<>', '')]))
    .groupBy(['fingerprint', 'serial', 'issuer'])
    .select((eb) => [
      'fingerprint',
      'serial',
      'issuer',
      eb.fn.countAll<number | string>().as('requests'),
      eb.fn.max('time').as('last_seen'),
    ])
    .orderBy('last_seen', 'desc')
    .orderBy('fingerprint')
    .limit(range.limit)
    .execute();
  return rows.map((row) => ({
    fingerprint: row.fingerprint,
    serial: row.serial,
    issuer: row.issuer,
    requests: Number(row.requests),
    lastSeen: row.last_seen,
  }));
}

export async function deleteAnalyticsBefore(db: Db, time: string): Promise<number> {
  const result = await db.deleteFrom('analytics_records').where('time', '<', time).executeTakeFirst();
  return Number(result.numDeletedRows);
}
