/**
 * RuleHitCounters: the in-process RuleHitStore (runtime-config/rule-hits.ts), the default without
 * Redis. `record` runs per request: it allocates nothing after a rule's first hit.
 */
import type { RuleHitCount, RuleHitReport, RuleHitStore } from '../../runtime-config/rule-hits.ts';

interface MutableCount {
  rulesetId: string;
  ruleId: string;
  hits: number;
  lastHitMs: number;
}

/** The in-process adapter: counts start at zero at each start and are this process's only. */
export class RuleHitCounters implements RuleHitStore {
  /** Ruleset id → rule id → count: rule ids are chosen by users, so only the pair is unique. */
  readonly #byRuleset = new Map<string, Map<string, MutableCount>>();

  record(rulesetId: string, ruleId: string, nowMs: number = Date.now()): void {
    let rules = this.#byRuleset.get(rulesetId);
    if (rules === undefined) {
      rules = new Map();
      this.#byRuleset.set(rulesetId, rules);
    }
    const count = rules.get(ruleId);
    if (count === undefined) {
      rules.set(ruleId, { rulesetId, ruleId, hits: 1, lastHitMs: nowMs });
      return;
    }
    count.hits += 1;
    count.lastHitMs = nowMs;
  }

  /** Adds `hits` matches at once (a worker's batch, store/ipc/ipc-rule-hits.ts). */
  add(rulesetId: string, ruleId: string, hits: number, lastHitMs: number): void {
    this.record(rulesetId, ruleId, lastHitMs);
    const count = this.#byRuleset.get(rulesetId)?.get(ruleId);
    if (count === undefined) return;
    count.hits += hits - 1;
    count.lastHitMs = Math.max(count.lastHitMs, lastHitMs);
  }

  forRuleset(rulesetId: string): Promise<RuleHitReport> {
    const counts: RuleHitCount[] = [];
    for (const count of this.#byRuleset.get(rulesetId)?.values() ?? []) {
      counts.push({
        rulesetId,
        ruleId: count.ruleId,
        hits: count.hits,
        lastHitAt: new Date(count.lastHitMs).toISOString(),
      });
    }
    return Promise.resolve({ counts, sharedUnavailable: undefined });
  }
}
