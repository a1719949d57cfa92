/**
 * RuleHitCounters: how often each custom rule matched, counted by the data plane (one increment
 * per match, no allocation after a rule's first hit) and read by the admin API for analytics.
 * Shared by reference between the two planes through runtime-config (DESIGN.md §2). Counts are per
 * process and start at zero at each start; analytics persistence comes with the analytics issue.
 */

export interface RuleHitCount {
  readonly rulesetId: string;
  readonly ruleId: string;
  readonly hits: number;
  /** ISO-8601 time of the last match. */
  readonly lastHitAt: string;
}

interface MutableCount {
  rulesetId: string;
  ruleId: string;
  hits: number;
  lastHitMs: number;
}

export class RuleHitCounters {
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

  /** Counts of the given ruleset's rules that matched at least once, in no particular order. */
  forRuleset(rulesetId: string): RuleHitCount[] {
    const counts: RuleHitCount[] = [];
    for (const count of this.#byRuleset.get(rulesetId)?.values() ?? []) {
      counts.push({
        rulesetId,
        ruleId: count.ruleId,
        hits: count.hits,
        lastHitAt: new Date(count.lastHitMs).toISOString(),
      });
    }
    return counts;
  }
}
