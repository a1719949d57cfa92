/**
 * AnalyticsRecorder over a real SQLite store: every record recorded is one row after a flush,
 * written in batches of at most batchSize by one writer at a time; a full buffer drops and counts
 * (one warning, not one per record); a refused batch is counted, never thrown; the store being down
 * (the failures a PostgreSQL restart or a full disk raise) keeps the records, within the bound, until
 * it is back; close() writes what is left; retention deletes only records older than the period.
 */
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { openStore } from '../../store/open-store.ts';
import type { AnalyticsStore, Store } from '../../store/ports.ts';
import type { AnalyticsRecord } from '../../model/records.ts';
import { StoreOutcomeUnknownError, StoreUnavailableError } from '../../store/store-failure.ts';
import { AnalyticsRecorder, type AnalyticsDropReason } from './analytics-recorder.ts';

const DAY = 86_400_000;
const ZONE = randomBytes(16).toString('hex');
const EVERYTHING = { since: new Date(0).toISOString(), until: new Date(Date.now() + DAY).toISOString() };

function analyticsRecord(overrides: Partial<AnalyticsRecord> = {}): AnalyticsRecord {
  return {
    timeMs: Date.now(),
    zoneId: ZONE,
    apiId: null,
    keyId: null,
    hostname: 'api.example.com',
    method: 'GET',
    path: '/orders',
    status: 200,
    fingerprint: '',
    serial: '',
    issuer: '',
    latencyMs: 3,
    bytesIn: 0,
    bytesOut: 10,
    ruleHits: [],
    ...overrides,
  };
}

/** A logger whose lines are kept, parsed. */
function capturingLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

/** The store, watched: batch sizes, the most writers at once, and an optional gate or failure. */
class WatchedStore implements AnalyticsStore {
  batches: number[] = [];
  concurrent = 0;
  maxConcurrent = 0;
  gate: Promise<void> | undefined;
  failure: Error | undefined;
  readonly #store: Store;

  constructor(store: Store) {
    this.#store = store;
  }

  async appendAnalytics(records: readonly AnalyticsRecord[]): Promise<void> {
    this.concurrent += 1;
    this.maxConcurrent = Math.max(this.maxConcurrent, this.concurrent);
    try {
      await this.gate;
      if (this.failure !== undefined) throw this.failure;
      await this.#store.appendAnalytics(records);
      this.batches.push(records.length);
    } finally {
      this.concurrent -= 1;
    }
  }
  queryAnalytics: Store['queryAnalytics'] = (filter) => this.#store.queryAnalytics(filter);
  lastSeenByCertificate: Store['lastSeenByCertificate'] = (zoneId, range) =>
    this.#store.lastSeenByCertificate(zoneId, range);
  listAnalyticsRequests: Store['listAnalyticsRequests'] = (filter) => this.#store.listAnalyticsRequests(filter);
  mtlsStatusByHostname: Store['mtlsStatusByHostname'] = (zoneId, range) =>
    this.#store.mtlsStatusByHostname(zoneId, range);
  analyticsOverTime: Store['analyticsOverTime'] = (zoneId, range) => this.#store.analyticsOverTime(zoneId, range);
  keysUsageByDay: Store['keysUsageByDay'] = (zoneIds, keyIds, range) =>
    this.#store.keysUsageByDay(zoneIds, keyIds, range);
  deleteAnalyticsBefore: Store['deleteAnalyticsBefore'] = (time) => this.#store.deleteAnalyticsBefore(time);
}

describe('AnalyticsRecorder (SQLite)', () => {
  let dir: string;
  let store: Store;
  let watched: WatchedStore;

  const rows = async (): Promise<number> =>
    (await store.queryAnalytics({ zoneId: ZONE, ...EVERYTHING, groupLimit: 1 })).totals.requests;

  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'portcullis-analytics-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  beforeEach(async () => {
    store = await openStore({ kind: 'sqlite', file: path.join(dir, `${Date.now()}-${Math.random()}.db`) });
    watched = new WatchedStore(store);
  });
  afterEach(() => store.close());

  test('N records recorded → exactly N rows after flush, in batches of at most 500, one writer at a time', async () => {
    const recorder = new AnalyticsRecorder({ store: watched, logger: pino({ level: 'silent' }) });
    for (let i = 0; i < 1234; i++) recorder.record(analyticsRecord({ path: `/r/${i}` }));
    assert.equal(recorder.buffered, 1234);
    assert.deepEqual(watched.batches, [], 'nothing is written inside record()');
    await recorder.flush();
    assert.equal(await rows(), 1234);
    assert.deepEqual(watched.batches, [500, 500, 234]);
    assert.equal(watched.maxConcurrent, 1);
    assert.equal(recorder.buffered, 0);
    assert.equal(recorder.dropped, 0);
    await recorder.close();
  });

  test('a full batch is written without flush() or the timer; the rest waits for the timer', async () => {
    const recorder = new AnalyticsRecorder({
      store: watched,
      logger: pino({ level: 'silent' }),
      batchSize: 10,
      flushIntervalMs: 60_000,
    });
    recorder.start();
    for (let i = 0; i < 25; i++) recorder.record(analyticsRecord());
    await waitFor(() => watched.batches.length === 2);
    assert.deepEqual(watched.batches, [10, 10]);
    assert.equal(recorder.buffered, 5);
    await recorder.close();
    assert.deepEqual(watched.batches, [10, 10, 5]);
    assert.equal(await rows(), 25);
  });

  test('the timer writes a partial batch', async () => {
    const recorder = new AnalyticsRecorder({ store: watched, logger: pino({ level: 'silent' }), flushIntervalMs: 20 });
    recorder.start();
    for (let i = 0; i < 3; i++) recorder.record(analyticsRecord());
    await waitFor(() => watched.batches.length === 1);
    assert.equal(await rows(), 3);
    await recorder.close();
  });

  test('a full buffer drops and counts the overflow, with one warning; what was buffered is still written', async () => {
    const { logger, lines } = capturingLogger();
    const drops: [AnalyticsDropReason, number][] = [];
    let release = (): void => undefined;
    watched.gate = new Promise((resolve) => (release = resolve));
    const recorder = new AnalyticsRecorder({
      store: watched,
      logger,
      bufferLimit: 100,
      batchSize: 50,
      onDrop: (reason, count) => drops.push([reason, count]),
    });
    for (let i = 0; i < 130; i++) recorder.record(analyticsRecord());
    assert.equal(recorder.buffered, 100);
    assert.equal(recorder.dropped, 30);
    assert.equal(drops.length, 30);
    assert.ok(drops.every(([reason, count]) => reason === 'buffer_full' && count === 1));
    const warnings = lines.filter((line) => line.msg === 'analytics records dropped');
    assert.equal(warnings.length, 1, 'at most one warning per minute');
    assert.deepEqual(warnings[0]?.dropped, { buffer_full: 1, store_unavailable: 0, write_failed: 0 });

    release();
    await recorder.close();
    assert.equal(await rows(), 100);
    assert.equal(recorder.dropped, 30);
  });

  test('a batch the store refuses is counted as dropped (write_failed) and flush() does not reject', async () => {
    const { logger, lines } = capturingLogger();
    const drops: [AnalyticsDropReason, number][] = [];
    watched.failure = new Error('disk full');
    const recorder = new AnalyticsRecorder({ store: watched, logger, onDrop: (r, c) => drops.push([r, c]) });
    for (let i = 0; i < 7; i++) recorder.record(analyticsRecord());
    await recorder.flush();
    assert.deepEqual(drops, [['write_failed', 7]]);
    assert.equal(recorder.dropped, 7);
    assert.equal(lines.filter((line) => line.err === 'disk full').length, 1);

    watched.failure = undefined;
    recorder.record(analyticsRecord());
    await recorder.close();
    assert.equal(await rows(), 1);
  });

  test('the store down: the records are kept, in order, and written once it is back; nothing is dropped', async () => {
    const { logger, lines } = capturingLogger();
    const drops: [AnalyticsDropReason, number][] = [];
    const recorder = new AnalyticsRecorder({ store: watched, logger, onDrop: (r, c) => drops.push([r, c]) });
    watched.failure = new StoreUnavailableError('Cannot connect to PostgreSQL: connect ECONNREFUSED', { lost: false });
    for (let i = 0; i < 7; i++) recorder.record(analyticsRecord({ path: `/before/${i}` }));
    await recorder.flush();
    for (let i = 0; i < 3; i++) recorder.record(analyticsRecord({ path: `/during/${i}` }));
    await recorder.flush();
    assert.equal(recorder.buffered, 10);
    assert.deepEqual(drops, []);
    const down = lines.filter((line) => String(line.msg).startsWith('analytics: the store is unavailable'));
    assert.equal(down.length, 1, 'one line per minute while it lasts');
    assert.equal(down[0]?.err, 'Cannot connect to PostgreSQL: connect ECONNREFUSED');

    watched.failure = undefined;
    await recorder.flush();
    assert.equal(recorder.buffered, 0);
    assert.equal(await rows(), 10);
    const paths = (await store.listAnalyticsRequests({ zoneId: ZONE, ...EVERYTHING, limit: 20 })).map((r) => r.path);
    assert.deepEqual([...paths].sort(), [
      ...Array.from({ length: 7 }, (_, i) => `/before/${i}`),
      ...Array.from({ length: 3 }, (_, i) => `/during/${i}`),
    ]);
    assert.ok(lines.some((line) => String(line.msg).startsWith('analytics: the store is back')));
    await recorder.close();
  });

  test('a full disk keeps the records too (SQLITE_FULL)', async () => {
    const recorder = new AnalyticsRecorder({ store: watched, logger: pino({ level: 'silent' }) });
    watched.failure = Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    for (let i = 0; i < 4; i++) recorder.record(analyticsRecord());
    await recorder.flush();
    assert.equal(recorder.buffered, 4);
    watched.failure = undefined;
    await recorder.close();
    assert.equal(await rows(), 4);
    assert.equal(recorder.dropped, 0);
  });

  test('the store down too long: the bound holds (the batch being retried included), the overflow is counted as store_unavailable', async () => {
    const { logger, lines } = capturingLogger();
    const drops: [AnalyticsDropReason, number][] = [];
    const recorder = new AnalyticsRecorder({
      store: watched,
      logger,
      bufferLimit: 10,
      batchSize: 5,
      onDrop: (r, c) => drops.push([r, c]),
    });
    watched.failure = new StoreUnavailableError('The connection to PostgreSQL was lost', { lost: true });
    let release = (): void => undefined;
    watched.gate = new Promise((resolve) => (release = resolve));
    for (let i = 0; i < 5; i++) recorder.record(analyticsRecord());
    await waitFor(() => watched.concurrent === 1); // a full batch is being written (and will fail)
    for (let i = 0; i < 8; i++) recorder.record(analyticsRecord());
    assert.deepEqual(
      drops,
      [
        ['buffer_full', 1],
        ['buffer_full', 1],
        ['buffer_full', 1],
      ],
      'not known to be down yet',
    );
    release();
    await recorder.flush();
    assert.equal(recorder.buffered, 10);
    recorder.record(analyticsRecord());
    assert.deepEqual(drops.at(-1), ['store_unavailable', 1]);

    await recorder.close();
    assert.deepEqual(drops.at(-1), ['store_unavailable', 10], 'what close() could not write');
    assert.equal(recorder.dropped, 14);
    const last = lines.filter((line) => line.msg === 'analytics records dropped').at(-1);
    assert.deepEqual(
      last?.dropped,
      { buffer_full: 2, store_unavailable: 11, write_failed: 0 },
      'since the first warning',
    );
    assert.equal(await rows(), 0);
  });

  test('a batch whose write may have been applied (outcome unknown) is not written again', async () => {
    const drops: [AnalyticsDropReason, number][] = [];
    const recorder = new AnalyticsRecorder({
      store: watched,
      logger: pino({ level: 'silent' }),
      onDrop: (r, c) => drops.push([r, c]),
    });
    watched.failure = new StoreOutcomeUnknownError('lost after the write was sent', new Error('reset'));
    for (let i = 0; i < 3; i++) recorder.record(analyticsRecord());
    await recorder.flush();
    assert.deepEqual(drops, [['write_failed', 3]]);
    assert.equal(recorder.buffered, 0);
    watched.failure = undefined;
    await recorder.close();
    assert.equal(await rows(), 0);
  });

  test('close() writes what is left; records after close are ignored', async () => {
    const recorder = new AnalyticsRecorder({ store: watched, logger: pino({ level: 'silent' }) });
    recorder.start();
    for (let i = 0; i < 7; i++) recorder.record(analyticsRecord());
    await recorder.close();
    assert.equal(await rows(), 7);
    recorder.record(analyticsRecord());
    await recorder.flush();
    assert.equal(await rows(), 7);
  });

  test('retention deletes only the records older than the period', async () => {
    const now = Date.now();
    await store.appendAnalytics([
      analyticsRecord({ timeMs: now - 40 * DAY }),
      analyticsRecord({ timeMs: now - 31 * DAY }),
      analyticsRecord({ timeMs: now - 29 * DAY }),
      analyticsRecord({ timeMs: now - 1000 }),
    ]);
    const recorder = new AnalyticsRecorder({ store: watched, logger: pino({ level: 'silent' }), now: () => now });
    assert.equal(await recorder.applyRetention(), 2);
    assert.equal(await rows(), 2);
    assert.equal(await recorder.applyRetention(), 0);

    const shorter = new AnalyticsRecorder({
      store,
      logger: pino({ level: 'silent' }),
      retentionMs: DAY,
      now: () => now,
    });
    assert.equal(await shorter.applyRetention(), 1);
    const forever = new AnalyticsRecorder({ store, logger: pino({ level: 'silent' }), retentionMs: 0, now: () => now });
    assert.equal(await forever.applyRetention(), 0);
    assert.equal(await rows(), 1);
  });

  test('start() runs retention at once', async () => {
    await store.appendAnalytics([analyticsRecord({ timeMs: Date.now() - 60 * DAY })]);
    const recorder = new AnalyticsRecorder({ store, logger: pino({ level: 'silent' }) });
    recorder.start();
    await waitFor(async () => (await rows()) === 0);
    await recorder.close();
  });
});

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
