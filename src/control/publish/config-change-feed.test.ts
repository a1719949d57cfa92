/**
 * ConfigChangeFeed over a real SQLite store, two feeds standing for two gateway processes: a change
 * announced by one is seen by the other at its poll, or at once when nudged; a nudge without a
 * change, or after stop, recompiles nothing. A rebuild (or a token write) that fails is retried
 * until it succeeds, and one that keeps failing makes the feed stale, logged once per state change.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { openStore } from '../../store/open-store.ts';
import type { SettingsStore, Store } from '../../store/ports.ts';
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
  const announcer = new ConfigChangeFeed(store, () => Promise.resolve(), logger, { pollMs: HOUR_MS });
  const watcher = new ConfigChangeFeed(
    store,
    () => {
      changes += 1;
      return Promise.resolve();
    },
    logger,
    { pollMs },
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

test('a change that only revoked: the other process updates its revocation sets and does not rebuild', async () => {
  const store = await freshStore();
  const counts = { rebuilds: 0, revocationUpdates: 0 };
  const announcer = new ConfigChangeFeed(store, () => Promise.resolve(), logger, { pollMs: HOUR_MS });
  const watcher = new ConfigChangeFeed(
    store,
    () => {
      counts.rebuilds += 1;
      return Promise.resolve();
    },
    logger,
    {
      pollMs: HOUR_MS,
      applyRevocations: () => {
        counts.revocationUpdates += 1;
        return Promise.resolve();
      },
    },
  );
  await Promise.all([announcer.prime(), watcher.prime()]);
  watcher.start();
  let appliedHere = 0;
  await announcer.announceRevocationsAndApply(() => {
    appliedHere += 1;
    return Promise.resolve();
  });
  assert.equal(appliedHere, 1, 'the announcing process applies it before it answers');
  watcher.nudge();
  await until(() => counts.revocationUpdates === 1, 2000);
  assert.equal(counts.rebuilds, 0, 'no snapshot rebuild for a revocation');
  // Its own poll finds nothing left to do: the token it wrote counts as applied there.
  announcer.start();
  announcer.nudge();
  await new Promise((resolve) => setTimeout(resolve, 50));

  // A configuration change and then a revocation before the next poll: the revocation's token does not hide the
  // configuration's, and the one rebuild covers both.
  await announcer.announce();
  await announcer.announceRevocationsAndApply(() => Promise.resolve());
  watcher.nudge();
  await until(() => counts.rebuilds === 1, 2000);
  watcher.nudge();
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.deepEqual(counts, { rebuilds: 1, revocationUpdates: 1 }, 'nothing more to apply after the rebuild');
  await Promise.all([watcher.stop(), announcer.stop()]);
});

test('without applyRevocations, a revocation announced elsewhere rebuilds (the safe default)', async () => {
  const { announcer, watcher, seen } = await twoProcesses(HOUR_MS);
  watcher.start();
  await announcer.announceRevocationsAndApply(() => Promise.resolve());
  watcher.nudge();
  await until(() => seen() === 1, 2000);
  await watcher.stop();
});

/** A pino logger whose lines (parsed) land in `lines`. */
function capturingLogger(): { logger: pino.Logger; lines: { level: number; msg: string }[] } {
  const lines: { level: number; msg: string }[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { logger, lines };
}

async function freshStore(): Promise<Store> {
  const store = await openStore({ kind: 'sqlite', file: path.join(dir, `${Date.now()}-${Math.random()}.db`) });
  stores.push(store);
  return store;
}

test('a rebuild that fails is retried until it succeeds; the change counts as applied only then', async () => {
  const store = await freshStore();
  const { logger, lines } = capturingLogger();
  let attempts = 0;
  const watcher = new ConfigChangeFeed(
    store,
    () => {
      attempts += 1;
      return attempts <= 2 ? Promise.reject(new Error('store went away')) : Promise.resolve();
    },
    logger,
    { pollMs: 20 },
  );
  const announcer = new ConfigChangeFeed(store, () => Promise.resolve(), pino({ level: 'silent' }), {
    pollMs: HOUR_MS,
  });
  await watcher.prime();
  watcher.start();
  await announcer.announce();
  // Two failures, then a retry that succeeds: about 0.25–0.5 s, then 0.5–1 s of backoff.
  await until(() => attempts === 3, 3000);
  await new Promise((resolve) => setTimeout(resolve, 200)); // ten more polls
  assert.equal(attempts, 3, 'applied once it succeeded, never again for the same change');
  assert.equal(watcher.staleSeconds(), 0);
  assert.ok(watcher.isFresh());
  assert.deepEqual(
    lines.map((line) => line.msg),
    ['configuration not brought up to date: retrying with backoff', 'configuration up to date again'],
    'one line per state change, none per retry',
  );
  await watcher.stop();
});

test('backoff: retries of a failing rebuild are spaced out, not one per poll', async () => {
  const store = await freshStore();
  let attempts = 0;
  const watcher = new ConfigChangeFeed(
    store,
    () => {
      attempts += 1;
      return Promise.reject(new Error('still failing'));
    },
    pino({ level: 'silent' }),
    { pollMs: 10, random: () => 1 },
  );
  await watcher.prime();
  watcher.start();
  await new ConfigChangeFeed(store, () => Promise.resolve(), pino({ level: 'silent' })).announce();
  await new Promise((resolve) => setTimeout(resolve, 1700));
  // At 0, then 0.5 s later, then 1 s after that (the delays double): 3 attempts, where a retry per
  // 10 ms poll would have made about 170.
  assert.ok(attempts >= 2 && attempts <= 4, String(attempts));
  await watcher.stop();
});

test('failing past the bound: stale (one error line), and up to date again once a rebuild succeeds', async () => {
  const store = await freshStore();
  const { logger, lines } = capturingLogger();
  let healthy = false;
  let attempts = 0;
  const watcher = new ConfigChangeFeed(
    store,
    () => {
      attempts += 1;
      return healthy ? Promise.resolve() : Promise.reject(new Error('relation "zones" is locked'));
    },
    logger,
    { pollMs: 20, staleAfterMs: 600 },
  );
  await watcher.prime();
  watcher.start();
  await new ConfigChangeFeed(store, () => Promise.resolve(), pino({ level: 'silent' })).announce();
  await until(() => !watcher.isFresh(), 3000);
  assert.ok(watcher.staleSeconds() > 0.6, String(watcher.staleSeconds()));
  await until(() => attempts >= 3, 5000);
  healthy = true;
  await until(() => watcher.isFresh(), 6000);
  assert.equal(watcher.staleSeconds(), 0);
  const messages = lines.map((line) => `${line.level} ${line.msg}`);
  assert.deepEqual(messages, [
    '40 configuration not brought up to date: retrying with backoff',
    '50 configuration stale: changes made through other gateways may not be enforced here (readyz fails)',
    '30 configuration up to date again',
  ]);
  assert.match(JSON.stringify(lines[0]), /relation \\"zones\\" is locked/);
  await watcher.stop();
});

test('a local change whose rebuild fails is retried by the feed; so is a token write that failed', async () => {
  const store = await freshStore();
  let tokenWrites = 0;
  // The real store, but its first token write fails (the database went away for a moment).
  const flaky: SettingsStore = {
    getSetting: (key) => store.getSetting(key),
    putSettingIfAbsent: (key, value) => store.putSettingIfAbsent(key, value),
    lockSetting: (key) => store.lockSetting(key),
    putSetting: (key, value) => {
      tokenWrites += 1;
      return tokenWrites === 1 ? Promise.reject(new Error('connection terminated')) : store.putSetting(key, value);
    },
  };
  let rebuilt = 0;
  const local = new ConfigChangeFeed(
    flaky,
    () => {
      rebuilt += 1;
      return Promise.resolve();
    },
    pino({ level: 'silent' }),
    { pollMs: HOUR_MS },
  );
  const { watcher, seen } = await (async () => {
    let changes = 0;
    const other = new ConfigChangeFeed(
      store,
      () => {
        changes += 1;
        return Promise.resolve();
      },
      pino({ level: 'silent' }),
      { pollMs: 20 },
    );
    await other.prime();
    return { watcher: other, seen: () => changes };
  })();
  await local.prime();
  local.start();
  watcher.start();
  // Neither the token write nor the rebuild here succeeds; the call still resolves (the write is committed).
  await local.announceAndApply(() => Promise.reject(new Error('compile failed')));
  assert.equal(tokenWrites, 1);
  // The retry writes the token (the other process hears of the change) and rebuilds here.
  await until(() => tokenWrites === 2 && rebuilt === 1 && seen() === 1, 3000);
  assert.equal(local.staleSeconds(), 0);
  await Promise.all([local.stop(), watcher.stop()]);
});
