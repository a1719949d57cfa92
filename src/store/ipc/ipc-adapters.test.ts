import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CountersUnavailableError } from '../../policy/usage-counters.ts';
import { MemoryUsageCounters } from '../counters/memory-usage-counters.ts';
import { RuleHitCounters } from '../counters/memory-rule-hits.ts';
import type { IpcMessage, IpcPort } from './ipc-port.ts';
import { IpcUsageCounters } from './ipc-usage-counters.ts';
import { IpcRuleHits } from './ipc-rule-hits.ts';
import { IpcChangeChannel } from './ipc-change-channel.ts';
import { IpcCounterHost } from './ipc-counter-host.ts';

/** Two ends of a channel; messages are copied and delivered asynchronously, as over a pipe. */
function linkedPorts(): [IpcPort, IpcPort] {
  const listeners: [Set<(message: IpcMessage) => void>, Set<(message: IpcMessage) => void>] = [new Set(), new Set()];
  const end = (own: number): IpcPort => ({
    send(message) {
      const copy = structuredClone(message);
      setImmediate(() => {
        for (const listener of listeners[1 - own]!) listener(copy);
      });
    },
    onMessage(listener) {
      listeners[own]!.add(listener);
      return () => listeners[own]!.delete(listener);
    },
  });
  return [end(0), end(1)];
}

function twoWorkers() {
  const usage = new MemoryUsageCounters();
  const ruleHits = new RuleHitCounters();
  const host = new IpcCounterHost(usage, ruleHits);
  const [primaryA, workerA] = linkedPorts();
  const [primaryB, workerB] = linkedPorts();
  host.attach(primaryA);
  host.attach(primaryB);
  return { host, usage, ruleHits, workerA, workerB };
}

test('a rate limit of N holds exactly across two workers counting through the primary', async () => {
  const { workerA, workerB } = twoWorkers();
  const a = new IpcUsageCounters(workerA);
  const b = new IpcUsageCounters(workerB);
  const limit = { rate: 7, per: 60 };
  const decisions = await Promise.all(
    Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).consumeRate('key:1', limit)),
  );
  assert.equal(decisions.filter((decision) => decision.allowed).length, 7);
  const quota = { max: 3, renewalRate: 3600 };
  await a.consumeQuota('k', quota);
  assert.equal(await b.quotaRemaining('k', quota), 2);
  a.close();
  b.close();
});

test('a primary that does not answer: the consume rejects with CountersUnavailableError, logged once', async () => {
  const [worker] = linkedPorts(); // nothing attached on the other end
  const outages: boolean[] = [];
  const counters = new IpcUsageCounters(worker, { timeoutMs: 20, onOutage: (down) => outages.push(down) });
  await assert.rejects(counters.consumeRate('b', { rate: 1, per: 1 }), CountersUnavailableError);
  await assert.rejects(counters.consumeRate('b', { rate: 1, per: 1 }), CountersUnavailableError);
  assert.deepEqual(outages, [true]);
  counters.close();
});

test('rule hits of two workers add up in the primary, each hit once', async () => {
  const { ruleHits, workerA, workerB } = twoWorkers();
  const a = new IpcRuleHits(workerA, 60_000);
  const b = new IpcRuleHits(workerB, 60_000);
  for (let i = 0; i < 5; i++) a.record('rs', 'r1', 1000 + i);
  for (let i = 0; i < 3; i++) b.record('rs', 'r1', 2000 + i);
  a.flush();
  a.flush(); // nothing new: nothing sent twice
  b.close();
  a.record('rs', 'r2');
  a.close();
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
  const report = await ruleHits.forRuleset('rs');
  const hits = Object.fromEntries(report.counts.map((count) => [count.ruleId, count.hits]));
  assert.deepEqual(hits, { r1: 8, r2: 1 });
  assert.equal(report.counts.find((count) => count.ruleId === 'r1')?.lastHitAt, new Date(2002).toISOString());
});

test('a change hint from one worker reaches the other workers and the primary, not itself', async () => {
  const { host, workerA, workerB } = twoWorkers();
  const a = new IpcChangeChannel(workerA);
  const b = new IpcChangeChannel(workerB);
  const seen: string[] = [];
  a.onHint(() => seen.push('a'));
  b.onHint(() => seen.push('b'));
  host.changeHints.onHint(() => seen.push('primary'));
  await a.publish();
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.deepEqual(seen.sort(), ['b', 'primary']);
  seen.length = 0;
  await host.changeHints.publish();
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.deepEqual(seen.sort(), ['a', 'b']);
});

test('malformed messages from a worker are dropped, not thrown on', async () => {
  const { ruleHits, workerA } = twoWorkers();
  workerA.send({ portcullis: 'usage-request', id: 'x' });
  workerA.send({ portcullis: 'rule-hits', entries: [['rs', 'r', -1, 0], 'junk', ['rs', 'r', 2, 5]] });
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.equal((await ruleHits.forRuleset('rs')).counts[0]?.hits, 2);
});
