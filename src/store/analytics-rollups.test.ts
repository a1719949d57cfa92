import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { AnalyticsRecord } from '../model/records.ts';
import { rollUpAnalytics, storableText } from './analytics-rollups.ts';

const ZONE = 'a'.repeat(32);
const FINGERPRINT = 'f'.repeat(64);

function record(overrides: Partial<AnalyticsRecord> = {}): AnalyticsRecord {
  return {
    timeMs: Date.parse('2026-12-02T15:06:09.672Z'),
    zoneId: ZONE,
    apiId: null,
    keyId: null,
    hostname: 'api.example.com',
    method: 'GET',
    path: '/orders',
    status: 200,
    fingerprint: FINGERPRINT,
    serial: '0a',
    issuer: 'CN=CA',
    latencyMs: 3,
    bytesIn: 0,
    bytesOut: 10,
    ruleHits: [],
    ...overrides,
  };
}

describe('rollUpAnalytics', () => {
  test('records of one second with the same dimensions become one rollup with exact sums and every request kept', () => {
    const rollups = rollUpAnalytics([
      record({ timeMs: Date.parse('2026-12-02T15:06:09.001Z'), latencyMs: 1.4, bytesIn: 5, bytesOut: 100, path: '/a' }),
      record({
        timeMs: Date.parse('2026-12-02T15:06:09.999Z'),
        latencyMs: 30,
        bytesOut: 7,
        path: '/b',
        ruleHits: ['r1'],
      }),
      record({ timeMs: Date.parse('2026-12-02T15:06:09.500Z'), latencyMs: 2.6, path: '/c' }),
    ]);
    assert.equal(rollups.length, 1);
    const [rollup] = rollups;
    assert.deepEqual(
      { ...rollup, details: undefined },
      {
        bucket: '2026-12-02T15:06:09.000Z',
        zoneId: ZONE,
        apiId: null,
        keyId: null,
        hostname: 'api.example.com',
        method: 'GET',
        status: 200,
        fingerprint: FINGERPRINT,
        serial: '0a',
        issuer: 'CN=CA',
        mtlsStatus: '',
        requests: 3,
        bytesIn: 5,
        bytesOut: 117,
        latencySumMs: 1 + 30 + 3,
        latencyMaxMs: 30,
        lastTime: '2026-12-02T15:06:09.999Z',
        details: undefined,
      },
    );
    assert.deepEqual(rollup?.details, [
      [1, '/a', 1, 5, 100],
      [999, '/b', 30, 0, 7, ['r1']],
      [500, '/c', 3, 0, 10],
    ]);
  });

  test('a different second, zone, API, key, certificate, hostname, method or status is another rollup', () => {
    const variants: Partial<AnalyticsRecord>[] = [
      {},
      { timeMs: Date.parse('2026-12-02T15:06:10.000Z') },
      { zoneId: null },
      { apiId: 'b'.repeat(32) },
      { keyId: 'c'.repeat(32) },
      { fingerprint: '' },
      { hostname: 'other.example.com' },
      { method: 'POST' },
      { status: 503 },
    ];
    const rollups = rollUpAnalytics(variants.map((overrides) => record(overrides)));
    assert.equal(rollups.length, variants.length);
    assert.ok(rollups.every((rollup) => rollup.requests === 1));
    // The same dimensions again, later in the batch, join the first group.
    assert.equal(rollUpAnalytics([record(), record({ status: 503 }), record()]).length, 2);
  });

  test('runs of records with the same dimensions and interleaved clients group exactly as by their full key', () => {
    const base = Date.parse('2026-12-02T15:06:09.000Z');
    const arbitraryRecord = fc
      .record({
        offset: fc.constantFrom(0, 400, 999, 1000, 1500),
        zoneId: fc.constantFrom(ZONE, null),
        keyId: fc.constantFrom(null, 'c'.repeat(32)),
        hostname: fc.constantFrom('api.example.com', 'b.example.com'),
        method: fc.constantFrom('GET', 'POST'),
        status: fc.constantFrom(200, 200.4, 503),
        mtlsStatus: fc.constantFrom(undefined, 'ok' as const),
      })
      .map(({ offset, mtlsStatus, ...dimensions }) =>
        record({ ...dimensions, timeMs: base + offset, ...(mtlsStatus === undefined ? {} : { mtlsStatus }) }),
      );
    fc.assert(
      fc.property(fc.array(arbitraryRecord, { maxLength: 40 }), (records) => {
        const keyOf = (r: AnalyticsRecord): string =>
          JSON.stringify([
            Math.floor(r.timeMs / 1000),
            r.zoneId,
            r.keyId,
            r.hostname,
            r.method,
            Math.trunc(r.status),
            r.mtlsStatus ?? '',
          ]);
        const expected = new Map<string, number>();
        for (const r of records) expected.set(keyOf(r), (expected.get(keyOf(r)) ?? 0) + 1);
        const rollups = rollUpAnalytics(records);
        const actual = new Map(
          rollups.map((rollup) => [
            JSON.stringify([
              Date.parse(rollup.bucket) / 1000,
              rollup.zoneId,
              rollup.keyId,
              rollup.hostname,
              rollup.method,
              rollup.status,
              rollup.mtlsStatus,
            ]),
            rollup.requests,
          ]),
        );
        assert.equal(actual.size, rollups.length, 'no two rollups with the same dimensions');
        assert.deepEqual(actual, expected);
      }),
      { numRuns: 300 },
    );
  });

  test('a time a Date cannot hold lands at the epoch, not in a crash', () => {
    for (const timeMs of [Number.NaN, Number.POSITIVE_INFINITY, 9e15]) {
      const [rollup] = rollUpAnalytics([record({ timeMs })]);
      assert.equal(rollup?.bucket, '1970-01-01T00:00:00.000Z');
    }
    const [fractional] = rollUpAnalytics([record({ timeMs: Date.parse('2026-12-02T15:06:09.250Z') + 0.7 })]);
    assert.ok(fractional);
    assert.equal(fractional.lastTime, '2026-12-02T15:06:09.250Z');
    assert.deepEqual(fractional.details[0]?.[0], 250);
  });

  test('negative, fractional and non-finite numbers become whole and non-negative', () => {
    const [rollup] = rollUpAnalytics([
      record({ latencyMs: -4, bytesIn: Number.NaN, bytesOut: Number.POSITIVE_INFINITY }),
      record({ latencyMs: 2.5, bytesIn: 1.2, bytesOut: 0 }),
    ]);
    assert.ok(rollup);
    assert.equal(rollup.latencySumMs, 3);
    assert.equal(rollup.bytesIn, 1);
    assert.equal(rollup.bytesOut, 0);
    assert.equal(rollup.latencyMaxMs, 3);
  });

  test('text PostgreSQL would refuse or that is too long is made storable', () => {
    assert.equal(storableText('a\u0000b'), 'ab');
    assert.equal(storableText('x'.repeat(5000)).length, 1024);
    const [rollup] = rollUpAnalytics([record({ path: `/${'p'.repeat(4000)}\u0000`, method: 'G\u0000ET' })]);
    assert.ok(rollup);
    assert.equal(rollup.method, 'GET');
    assert.equal(rollup.details[0]?.[1].length, 2048);
  });

  test('no records, no rollups', () => {
    assert.deepEqual(rollUpAnalytics([]), []);
  });
});
