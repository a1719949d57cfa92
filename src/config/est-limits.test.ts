import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_EST_LIMITS, parseCountPerWindow, parseEstLimits } from './est-limits.ts';

test('EST limits: <count>/<duration>, defaults when absent, usage errors otherwise', () => {
  assert.deepEqual(parseEstLimits({}), DEFAULT_EST_LIMITS);
  assert.deepEqual(parseEstLimits({ estFailuresPerSecret: '3/30s' }).failuresPerSecret, { count: 3, seconds: 30 });
  assert.deepEqual(parseCountPerWindow('5/1500ms', '--x', DEFAULT_EST_LIMITS.attemptsPerAddress), {
    count: 5,
    seconds: 2,
  });
  for (const bad of ['0/1m', '5', '5/', 'x/1m', '5/1h', '-1/1m']) {
    assert.throws(() => parseCountPerWindow(bad, '--est-x', DEFAULT_EST_LIMITS.attemptsPerAddress), /--est-x/, bad);
  }
});
