import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkReadiness, workersOutcome } from './readiness.ts';
import { Probe } from './probe.ts';

const storeOk = (): Probe => new Probe(() => Promise.resolve(1), 1000);

test('workers: all listening is ok, some degraded, none down', () => {
  assert.equal(workersOutcome(4, 4), 'ok');
  assert.equal(workersOutcome(3, 4), 'degraded');
  assert.equal(workersOutcome(1, 4), 'degraded');
  assert.equal(workersOutcome(0, 4), 'down');
});

test('a degraded pool of workers is still ready; none listening is not', async () => {
  const report = (listening: number) =>
    checkReadiness({ config: () => 'ok', store: storeOk(), workers: { listening: () => listening, wanted: 2 } });
  assert.deepEqual(await report(2), { ready: true, checks: { config: 'ok', store: 'ok', workers: 'ok' } });
  assert.deepEqual(await report(1), { ready: true, checks: { config: 'ok', store: 'ok', workers: 'degraded' } });
  assert.deepEqual(await report(0), { ready: false, checks: { config: 'ok', store: 'ok', workers: 'down' } });
});

test('without workers there is no workers check; any other check failing is not ready', async () => {
  assert.deepEqual(await checkReadiness({ config: () => 'ok', store: storeOk() }), {
    ready: true,
    checks: { config: 'ok', store: 'ok' },
  });
  const stale = await checkReadiness({
    config: () => 'stale',
    store: storeOk(),
    workers: { listening: () => 2, wanted: 2 },
  });
  assert.equal(stale.ready, false);
});
