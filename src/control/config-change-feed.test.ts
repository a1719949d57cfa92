/**
 * ConfigChangeFeed over a real SQLite store, two feeds standing for two gateway processes: a change
 * announced by one is seen by the other at its poll, or at once when nudged; a nudge without a
 * change, or after stop, recompiles nothing.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { openStore } from '../store/open-store.ts';
import type { Store } from '../store/ports.ts';
import { ConfigChangeFeed } from './config-change-feed.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'portcullis-feed-'));
const stores: Store[] = [];
after(async () => {
  for (const store of stores) await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const HOUR_MS = 3_600_000;
const logger = pino({ level: 'silent' });

async function twoProcesses(
  pollMs: number,
): Promise<{ announcer: ConfigChangeFeed; watcher: ConfigChangeFeed; seen: () => number }> {
  const store = await openStore({ kind: 'sqlite', file: path.join(dir, `${Date.now()}-${Math.random()}.db`) });
  stores.push(store);
  let changes = 0;
  const announcer = new ConfigChangeFeed(store, () => Promise.resolve(), logger, HOUR_MS);
  const watcher = new ConfigChangeFeed(
    store,
    () => {
      changes += 1;
      return Promise.resolve();
    },
    logger,
    pollMs,
  );
  await Promise.all([announcer.prime(), watcher.prime()]);
  return { announcer, watcher, seen: () => changes };
}

async function until(condition: () => boolean, limitMs: number): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > limitMs) assert.fail(`not within ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

test('the poll finds a change another process announced, once', async () => {
  const { announcer, watcher, seen } = await twoProcesses(20);
  watcher.start();
  await announcer.announce();
  await until(() => seen() === 1, 2000);
  await new Promise((resolve) => setTimeout(resolve, 100)); // several more polls
  assert.equal(seen(), 1);
  await watcher.stop();
});

test('a nudge checks at once; without a change it recompiles nothing', async () => {
  // An hour between polls: only the nudge can find the change within the test.
  const { announcer, watcher, seen } = await twoProcesses(HOUR_MS);
  watcher.start();
  watcher.nudge();
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(seen(), 0, 'nothing changed');
  await announcer.announce();
  watcher.nudge();
  await until(() => seen() === 1, 2000);
  // Nudges during a poll collapse into one more poll, which finds no further change.
  for (let i = 0; i < 5; i++) watcher.nudge();
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(seen(), 1);
  await watcher.stop();
});

test('a change announced during a poll is found by the poll a nudge queued', async () => {
  const { announcer, watcher, seen } = await twoProcesses(HOUR_MS);
  watcher.start();
  watcher.nudge(); // poll 1 starts: it reads the token before the change below
  await announcer.announce();
  watcher.nudge(); // arrives while poll 1 runs: queued
  await until(() => seen() === 1, 2000);
  await watcher.stop();
});

test('after stop, nudges do nothing', async () => {
  const { announcer, watcher, seen } = await twoProcesses(HOUR_MS);
  watcher.start();
  await watcher.stop();
  await announcer.announce();
  watcher.nudge();
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(seen(), 0);
});
