import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Probe } from './probe.ts';

test('an answer is ok, a rejection failed, no answer in time a timeout', async () => {
  assert.equal(await new Probe(() => Promise.resolve(1), 1000).run(), 'ok');
  assert.equal(await new Probe(() => Promise.reject(new Error('down')), 1000).run(), 'failed');
  assert.equal(await new Probe(() => new Promise(() => undefined), 20).run(), 'timeout');
});

test('one question at a time: calls during a pending one share it, and a new one is asked after', async () => {
  let asked = 0;
  let answer: (() => void) | undefined;
  const probe = new Probe(() => {
    asked += 1;
    return new Promise<void>((resolve) => {
      answer = resolve;
    });
  }, 20);
  assert.deepEqual(await Promise.all([probe.run(), probe.run(), probe.run()]), ['timeout', 'timeout', 'timeout']);
  assert.equal(await probe.run(), 'timeout');
  assert.equal(asked, 1, 'a hung dependency is asked once, not once per call');
  answer?.();
  await new Promise((resolve) => setImmediate(resolve));
  const next = probe.run();
  answer?.();
  assert.equal(await next, 'ok');
  assert.equal(asked, 2);
});
