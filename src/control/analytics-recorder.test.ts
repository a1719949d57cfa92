/**
 * AnalyticsRecorder over a real SQLite store: every record recorded is one row after a flush,
 * written in batches of at most batchSize by one writer at a time; a full buffer drops and counts
 * (one warning, not one per record); a refused batch is counted, never thrown; close() writes what
 * is left; retention deletes only records older than the period.
 */
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { openStore } from '../store/open-store.ts';
import type { AnalyticsStore, Store } from '../store/ports.ts';
import type { AnalyticsRecord } from '../store/records.ts';
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
    assert.deepEqual(warnings[0]?.dropped, { buffer_full: 1, write_failed: 0 });

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
