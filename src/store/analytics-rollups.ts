/**
 * Analytics rollups: how per-request analytics records are stored (docs/adr/0004). Records that
 * share a one-second bucket and every dimension a query groups or filters by (zone, API, key,
 * certificate, hostname, method, status, mTLS status) become one row: the sums the analytics API reads
 * (requests, bytes, latency) plus every request's own detail, in order, as compact JSON.
 *
 * Why: one SQLite row insert costs 4–7 µs of the gateway's only thread (binding 15 values,
 * two index updates), the largest part of what analytics cost a request. A busy client sends
 * many requests per second with the same dimensions, so a batch of 500 records becomes a
 * handful of rows; the aggregates are exact; each request's time, path, latency, bytes and rule
 * hits are kept. Time resolution for range queries is the bucket: one second.
 *
 * Pure: no I/O. The store turns rollups into rows; the migration from per-request rows uses it too.
 */
import type { AnalyticsRecord, HexId } from '../model/records.ts';

const MAX_PATH_LENGTH = 2048;
const MAX_SHORT_TEXT = 1024;
/** The largest time a Date holds (ECMA-262 §21.4.1.22: ±8.64e15 ms). */
const MAX_DATE_MS = 8.64e15;

/**
 * One request inside a rollup, as stored in its `requests` JSON array:
 * `[ms after the bucket start, path, latency ms, bytes in, bytes out]`, then the ids of the custom
 * rules that matched when there were any.
 */
export type AnalyticsRequestDetail =
  | [offsetMs: number, path: string, latencyMs: number, bytesIn: number, bytesOut: number]
  | [offsetMs: number, path: string, latencyMs: number, bytesIn: number, bytesOut: number, ruleHits: string[]];

export interface AnalyticsRollup {
  /** Start of the one-second bucket: ISO-8601, always `.000Z`. */
  bucket: string;
  zoneId: HexId | null;
  apiId: HexId | null;
  keyId: HexId | null;
  hostname: string;
  method: string;
  status: number;
  /** Lowercase hex SHA-256 of the client leaf; "" without a certificate. */
  fingerprint: string;
  serial: string;
  issuer: string;
  /** The requests' mTLS status (records.ts MtlsStatus); "" when not recorded. */
  mtlsStatus: string;
  requests: number;
  bytesIn: number;
  bytesOut: number;
  /** Sum of the requests' latencies, each in whole milliseconds. */
  latencySumMs: number;
  latencyMaxMs: number;
  /** Time of the latest request, ISO-8601 with milliseconds. */
  lastTime: string;
  details: AnalyticsRequestDetail[];
}

/** PostgreSQL refuses NUL in text (one bad row would lose the whole batch); long values are cut. */
export function storableText(value: string, max = MAX_SHORT_TEXT): string {
  const cut = value.length > max ? value.slice(0, max) : value;
  return cut.includes('\u0000') ? cut.replaceAll('\u0000', '') : cut;
}

/** Whole, non-negative, finite: what a byte count or a latency in ms may be. */
function wholeNonNegative(value: number): number {
  return Number.isFinite(value) && value > 0 ? Math.round(value) : 0;
}

function groupKey(bucket: number, record: AnalyticsRecord, method: string, status: number): string {
  // "\n" cannot occur in any of these (ids and fingerprints are hex, hostnames and methods are tokens).
  return `${bucket}\n${record.zoneId ?? ''}\n${record.apiId ?? ''}\n${record.keyId ?? ''}\n${record.fingerprint}\n${record.hostname}\n${method}\n${status}\n${record.mtlsStatus ?? ''}`;
}

/** Every dimension of groupKey but the bucket, as recorded (so equal here means the same key). */
function sameDimensions(a: AnalyticsRecord, b: AnalyticsRecord): boolean {
  return (
    a.zoneId === b.zoneId &&
    a.apiId === b.apiId &&
    a.keyId === b.keyId &&
    a.fingerprint === b.fingerprint &&
    a.hostname === b.hostname &&
    a.method === b.method &&
    Math.trunc(a.status) === Math.trunc(b.status) &&
    (a.mtlsStatus ?? '') === (b.mtlsStatus ?? '')
  );
}

/** A time the database can store: whole milliseconds within what an ISO-8601 string can say; else the epoch. */
function storableTime(timeMs: number): number {
  return Number.isFinite(timeMs) && Math.abs(timeMs) <= MAX_DATE_MS ? Math.trunc(timeMs) : 0;
}

interface Group {
  rollup: AnalyticsRollup;
  lastTimeMs: number;
}

/** Groups records into rollups, in the order each group first appears. */
export function rollUpAnalytics(records: readonly AnalyticsRecord[]): AnalyticsRollup[] {
  const groups = new Map<string, Group>();
  let previous: AnalyticsRecord | undefined;
  let previousBucketMs = 0;
  let previousGroup: Group | undefined;
  for (const record of records) {
    const timeMs = storableTime(record.timeMs);
    const offsetMs = ((timeMs % 1000) + 1000) % 1000;
    const bucketMs = timeMs - offsetMs;
    let group: Group | undefined;
    // A busy client's records come in runs with the same dimensions: such a record joins the previous one's
    // group without building its key (one string per record, most of what a rollup allocated).
    if (previous !== undefined && previousBucketMs === bucketMs && sameDimensions(previous, record)) {
      group = previousGroup;
    }
    if (group === undefined) {
      const method = storableText(record.method, 32);
      const status = Math.trunc(record.status);
      const key = groupKey(bucketMs, record, method, status);
      group = groups.get(key);
      if (group === undefined) {
        group = { rollup: newRollup(bucketMs, record, method, status), lastTimeMs: timeMs };
        groups.set(key, group);
      }
    }
    previous = record;
    previousBucketMs = bucketMs;
    previousGroup = group;
    const { rollup } = group;
    const latencyMs = wholeNonNegative(record.latencyMs);
    const bytesIn = wholeNonNegative(record.bytesIn);
    const bytesOut = wholeNonNegative(record.bytesOut);
    rollup.requests += 1;
    rollup.bytesIn += bytesIn;
    rollup.bytesOut += bytesOut;
    rollup.latencySumMs += latencyMs;
    if (latencyMs > rollup.latencyMaxMs) rollup.latencyMaxMs = latencyMs;
    if (timeMs > group.lastTimeMs) group.lastTimeMs = timeMs;
    const path = storableText(record.path, MAX_PATH_LENGTH);
    rollup.details.push(
      record.ruleHits.length === 0
        ? [offsetMs, path, latencyMs, bytesIn, bytesOut]
        : [offsetMs, path, latencyMs, bytesIn, bytesOut, record.ruleHits.map((id) => storableText(id, 64))],
    );
  }
  return [...groups.values()].map(({ rollup, lastTimeMs }) => {
    rollup.lastTime = new Date(lastTimeMs).toISOString();
    return rollup;
  });
}

function newRollup(bucketMs: number, record: AnalyticsRecord, method: string, status: number): AnalyticsRollup {
  return {
    bucket: new Date(bucketMs).toISOString(),
    zoneId: record.zoneId,
    apiId: record.apiId,
    keyId: record.keyId,
    hostname: storableText(record.hostname),
    method,
    status,
    fingerprint: storableText(record.fingerprint, 64),
    serial: storableText(record.serial, 128),
    issuer: storableText(record.issuer),
    mtlsStatus: record.mtlsStatus ?? '',
    requests: 0,
    bytesIn: 0,
    bytesOut: 0,
    latencySumMs: 0,
    latencyMaxMs: 0,
    lastTime: '',
    details: [],
  };
}
