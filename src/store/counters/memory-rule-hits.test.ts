import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RuleHitCounters } from './memory-rule-hits.ts';

test('hits are counted per (ruleset, rule): the same rule id in two rulesets does not mix', async () => {
  const hits = new RuleHitCounters();
  hits.record('rs-a', 'rule-1', 1_000);
  hits.record('rs-a', 'rule-1', 2_000);
  hits.record('rs-b', 'rule-1', 3_000);
  assert.deepEqual(await hits.forRuleset('rs-a'), {
    counts: [{ rulesetId: 'rs-a', ruleId: 'rule-1', hits: 2, lastHitAt: new Date(2_000).toISOString() }],
    sharedUnavailable: undefined,
  });
  assert.equal((await hits.forRuleset('rs-b')).counts[0]?.hits, 1);
  assert.deepEqual((await hits.forRuleset('rs-none')).counts, []);
});
