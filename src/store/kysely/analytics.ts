/**
 * Analytics, stored as one-second rollups (src/store/analytics-rollups.ts, docs/adr/0004):
 * batched inserts, aggregates and retention, in SQL that runs unchanged on SQLite and PostgreSQL.
 * Portability notes:
 *  - sums come back as numbers from SQLite and as bigint/numeric text from PostgreSQL: every
 *    aggregate goes through Number().
 *  - Literals in the CASE and COALESCE are inlined (sql.lit): PostgreSQL cannot type a bare
 *    parameter inside sum(), and a parameter in SELECT is not "the same expression" as one in
 *    GROUP BY.
 *  - Time ranges compare the ISO text of the bucket (every writer uses `toISOString()`), which the
 *    (zone_id, bucket) index serves; a range is counted in whole buckets (AnalyticsService rounds
 *    it to whole seconds).
 */
import { sql, type Expression, type RawBuilder, type ExpressionBuilder, type SqlBool } from 'kysely';
import type { AnalyticsRecord, HexId, MtlsStatus } from '../../model/records.ts';
import type {
  AnalyticsAggregate,
  AnalyticsFilter,
  AnalyticsGroup,
  AnalyticsGrouping,
  AnalyticsRange,
  AnalyticsRequestEntry,
  AnalyticsRequestFilter,
  AnalyticsSummary,
  CertificateUsage,
  AnalyticsInterval,
  AnalyticsPoint,
  KeysDayUsage,
  MtlsStatusCount,
} from '../../model/read-models.ts';
import { rollUpAnalytics, type AnalyticsRequestDetail, type AnalyticsRollup } from '../analytics-rollups.ts';
import type { AnalyticsRollupsTable, Database, Db } from './schema.ts';
import { atomically } from './atomically.ts';

/** Rows per INSERT: 17 columns × 500 stays under SQLite's 32 766 and PostgreSQL's 65 535 parameters. */
const ROWS_PER_INSERT = 500;

type Eb = ExpressionBuilder<Database, 'analytics_rollups'>;

/**
 * `withMtlsStatus` false: for the migration that writes rollups (0005) before 0010 adds the column;
 * its old records have no status anyway (the column's default, '').
 */
function toRow(rollup: AnalyticsRollup, withMtlsStatus: boolean): AnalyticsRollupsTable {
  const row: AnalyticsRollupsTable = {
    bucket: rollup.bucket,
    zone_id: rollup.zoneId,
    api_id: rollup.apiId,
    key_id: rollup.keyId,
    hostname: rollup.hostname,
    method: rollup.method,
    status: rollup.status,
    fingerprint: rollup.fingerprint,
    serial: rollup.serial,
    issuer: rollup.issuer,
    requests: rollup.requests,
    bytes_in: rollup.bytesIn,
    bytes_out: rollup.bytesOut,
    latency_sum_ms: rollup.latencySumMs,
    latency_max_ms: rollup.latencyMaxMs,
    last_time: rollup.lastTime,
    requests_detail: JSON.stringify(rollup.details),
    mtls_status: rollup.mtlsStatus,
  };
  if (!withMtlsStatus) delete (row as Partial<AnalyticsRollupsTable>).mtls_status;
  return row;
}

/**
 * Writes rollups as they are (the migration from per-request rows writes its own), all or nothing:
 * a batch the recorder writes again after a store outage must not have been half written before
 * (its requests would be counted twice), and a transaction cut before COMMIT is known not to have
 * been written, where a lone INSERT cut in flight may or may not have been.
 */
export async function appendAnalyticsRollups(
  db: Db,
  rollups: readonly AnalyticsRollup[],
  withMtlsStatus = true,
): Promise<void> {
  await atomically(db, async (trx) => {
    for (let start = 0; start < rollups.length; start += ROWS_PER_INSERT) {
      const rows = rollups.slice(start, start + ROWS_PER_INSERT).map((rollup) => toRow(rollup, withMtlsStatus));
      await trx.insertInto('analytics_rollups').values(rows).execute();
    }
  });
}

export function appendAnalytics(db: Db, records: readonly AnalyticsRecord[]): Promise<void> {
  return appendAnalyticsRollups(db, rollUpAnalytics(records));
}

function inRange(eb: Eb, zoneId: HexId, range: AnalyticsRange): Expression<SqlBool> {
  return eb.and([eb('zone_id', '=', zoneId), eb('bucket', '>=', range.since), eb('bucket', '<', range.until)]);
}

/** The aggregate columns, shared by the totals and the groups. */
function aggregates(eb: Eb) {
  return [
    eb.fn.sum<number | string | null>('requests').as('requests'),
    eb.fn
      .sum<number | string | null>(sql`case when status >= ${sql.lit(400)} then requests else ${sql.lit(0)} end`)
      .as('errors'),
    eb.fn.sum<number | string | null>('bytes_in').as('bytes_in'),
    eb.fn.sum<number | string | null>('bytes_out').as('bytes_out'),
    eb.fn.sum<number | string | null>('latency_sum_ms').as('latency_sum'),
    eb.fn.max<number | string | null>('latency_max_ms').as('latency_max'),
  ] as const;
}

interface AggregateRow {
  requests: number | string | null;
  errors: number | string | null;
  bytes_in: number | string | null;
  bytes_out: number | string | null;
  latency_sum: number | string | null;
  latency_max: number | string | null;
}

function toAggregate(row: AggregateRow | undefined): AnalyticsAggregate {
  const number = (value: number | string | null | undefined): number => (value == null ? 0 : Number(value));
  const requests = number(row?.requests);
  return {
    requests,
    errors: number(row?.errors),
    bytesIn: number(row?.bytes_in),
    bytesOut: number(row?.bytes_out),
    latencyAvgMs: requests === 0 ? 0 : Math.round((number(row?.latency_sum) / requests) * 100) / 100,
    latencyMaxMs: number(row?.latency_max),
  };
}

/** The column a grouping reads, and how its key is written ('' stands for "none" in SQL). */
const GROUP_COLUMNS = {
  api: 'api_id',
  key: 'key_id',
  certificate: 'fingerprint',
  status: 'status',
  hostname: 'hostname',
  mtls_status: 'mtls_status',
} as const satisfies Record<AnalyticsGrouping, keyof AnalyticsRollupsTable>;

export async function queryAnalytics(db: Db, filter: AnalyticsFilter): Promise<AnalyticsSummary> {
  const totals = await db
    .selectFrom('analytics_rollups')
    .where((eb) => inRange(eb, filter.zoneId, filter))
    .select(aggregates)
    .executeTakeFirst();
  if (filter.groupBy === undefined) return { totals: toAggregate(totals), groups: [] };

  const column = GROUP_COLUMNS[filter.groupBy];
  // NULL and '' are one group, "none": null sorts differently in the two databases, '' does not.
  const key: RawBuilder<string | number> =
    column === 'status' ? sql`status` : sql`coalesce(${sql.ref(column)}, ${sql.lit('')})`;
  const rows = await db
    .selectFrom('analytics_rollups')
    .where((eb) => inRange(eb, filter.zoneId, filter))
    .groupBy(column)
    .select((eb) => [key.as('group_key'), ...aggregates(eb)])
    .orderBy(sql`sum(requests)`, 'desc')
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
    .selectFrom('analytics_rollups')
    .where((eb) => eb.and([inRange(eb, zoneId, range), eb('fingerprint', '<>', '')]))
    .groupBy(['fingerprint', 'serial', 'issuer'])
    .select((eb) => [
      'fingerprint',
      'serial',
      'issuer',
      eb.fn.sum<number | string>('requests').as('requests'),
      eb.fn.max('last_time').as('last_seen'),
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

/** The rows of the requests a filter asks for (range, then each dimension given). */
function matchingRequests(eb: Eb, filter: AnalyticsRequestFilter): Expression<SqlBool> {
  const conditions = [inRange(eb, filter.zoneId, filter)];
  if (filter.apiId !== undefined) conditions.push(eb('api_id', '=', filter.apiId));
  if (filter.keyId !== undefined) conditions.push(eb('key_id', '=', filter.keyId));
  if (filter.fingerprint !== undefined) conditions.push(eb('fingerprint', '=', filter.fingerprint));
  if (filter.status !== undefined) conditions.push(eb('status', '=', filter.status));
  return eb.and(conditions);
}

/**
 * Newest first. A row holds at least one request, so the newest `limit` rows hold at least `limit`
 * requests; but rows of the oldest bucket among them may have been cut off, and their requests can
 * be newer than some kept (within that second). So: find the bucket of the limit-th newest row,
 * read every matching row from that bucket on, expand their details and keep the newest `limit`.
 */
export async function listAnalyticsRequests(db: Db, filter: AnalyticsRequestFilter): Promise<AnalyticsRequestEntry[]> {
  const boundary = await db
    .selectFrom('analytics_rollups')
    .where((eb) => matchingRequests(eb, filter))
    .select('bucket')
    .orderBy('bucket', 'desc')
    .offset(filter.limit - 1)
    .limit(1)
    .executeTakeFirst();
  const rows = await db
    .selectFrom('analytics_rollups')
    .where((eb) =>
      boundary === undefined
        ? matchingRequests(eb, filter)
        : eb.and([matchingRequests(eb, filter), eb('bucket', '>=', boundary.bucket)]),
    )
    .select([
      'bucket',
      'api_id',
      'key_id',
      'hostname',
      'method',
      'status',
      'fingerprint',
      'serial',
      'issuer',
      'mtls_status',
      'requests_detail',
    ])
    .execute();
  const entries: (AnalyticsRequestEntry & { timeMs: number })[] = [];
  for (const row of rows) {
    const bucketMs = Date.parse(row.bucket);
    for (const [offsetMs, path, latencyMs, bytesIn, bytesOut, ruleHits] of JSON.parse(
      row.requests_detail,
    ) as AnalyticsRequestDetail[]) {
      const timeMs = bucketMs + offsetMs;
      entries.push({
        timeMs,
        time: new Date(timeMs).toISOString(),
        apiId: row.api_id,
        keyId: row.key_id,
        hostname: row.hostname,
        method: row.method,
        path,
        status: row.status,
        fingerprint: row.fingerprint,
        serial: row.serial,
        issuer: row.issuer,
        latencyMs,
        bytesIn,
        bytesOut,
        ruleHits: ruleHits ?? [],
        ...(row.mtls_status === '' ? {} : { mtlsStatus: row.mtls_status as MtlsStatus }),
      });
    }
  }
  entries.sort((a, b) => b.timeMs - a.timeMs);
  return entries.slice(0, filter.limit).map(({ timeMs: _timeMs, ...entry }) => entry);
}

export async function deleteAnalyticsBefore(db: Db, time: string): Promise<number> {
  // Whole buckets: a bucket is older than `time` when it starts at least a second before it.
  const result = await db
    .deleteFrom('analytics_rollups')
    .where('bucket', '<=', new Date(Date.parse(time) - 1000).toISOString())
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Requests per hostname and mTLS status in the range, the busiest first. */
export async function mtlsStatusByHostname(
  db: Db,
  zoneId: HexId,
  range: AnalyticsRange & { limit: number },
): Promise<MtlsStatusCount[]> {
  const rows = await db
    .selectFrom('analytics_rollups')
    .where((eb) => inRange(eb, zoneId, range))
    .groupBy(['hostname', 'mtls_status'])
    .select((eb) => ['hostname', 'mtls_status', eb.fn.sum<number | string>('requests').as('requests')])
    .orderBy(sql`sum(requests)`, 'desc')
    .orderBy('hostname')
    .orderBy('mtls_status')
    .limit(range.limit)
    .execute();
  return rows.map((row) => ({ hostname: row.hostname, status: row.mtls_status, requests: Number(row.requests) }));
}

/**
 * Requests and errors per minute or hour: the bucket's ISO text cut to the minute (16 characters,
 * `YYYY-MM-DDTHH:MM`) or the hour (13); substr runs the same on SQLite and PostgreSQL. Intervals
 * without requests are absent (the caller fills them).
 */
export async function keysUsageByDay(
  db: Db,
  zoneIds: readonly HexId[],
  keyIds: readonly HexId[],
  range: AnalyticsRange,
): Promise<KeysDayUsage[]> {
  if (zoneIds.length === 0 || keyIds.length === 0) return [];
  const day = sql<string>`substr(bucket, 1, ${sql.lit(10)})`;
  const rows = await db
    .selectFrom('analytics_rollups')
    .where((eb) =>
      eb.and([
        eb('zone_id', 'in', [...zoneIds]),
        eb('key_id', 'in', [...keyIds]),
        eb('bucket', '>=', range.since),
        eb('bucket', '<', range.until),
      ]),
    )
    .groupBy(day)
    .select((eb) => [
      day.as('day'),
      eb.fn.sum<number | string>('requests').as('requests'),
      eb.fn
        .sum<number | string | null>(sql`case when status >= ${sql.lit(400)} then requests else ${sql.lit(0)} end`)
        .as('errors'),
      eb.fn
        .sum<number | string | null>(sql`case when status = ${sql.lit(429)} then requests else ${sql.lit(0)} end`)
        .as('rate_limited'),
    ])
    .orderBy(day)
    .execute();
  return rows.map((row) => ({
    day: row.day,
    requests: Number(row.requests),
    errors: row.errors == null ? 0 : Number(row.errors),
    rateLimited: row.rate_limited == null ? 0 : Number(row.rate_limited),
  }));
}

export async function analyticsOverTime(
  db: Db,
  zoneId: HexId,
  range: AnalyticsRange & { interval: AnalyticsInterval },
): Promise<AnalyticsPoint[]> {
  const length = sql.lit(range.interval === 'minute' ? 16 : 13);
  const slot = sql<string>`substr(bucket, 1, ${length})`;
  const rows = await db
    .selectFrom('analytics_rollups')
    .where((eb) => inRange(eb, zoneId, range))
    .groupBy(slot)
    .select((eb) => [
      slot.as('slot'),
      eb.fn.sum<number | string>('requests').as('requests'),
      eb.fn
        .sum<number | string | null>(sql`case when status >= ${sql.lit(400)} then requests else ${sql.lit(0)} end`)
        .as('errors'),
    ])
    .orderBy(slot)
    .execute();
  const suffix = range.interval === 'minute' ? ':00.000Z' : ':00:00.000Z';
  return rows.map((row) => ({
    time: `${row.slot}${suffix}`,
    requests: Number(row.requests),
    errors: row.errors == null ? 0 : Number(row.errors),
  }));
}
