/**
 * Custom-rule hit counts: how often each rule matched, counted by the data plane (one `record` per
 * match) and read by the admin API (`/zones/{id}/gateway/rule_hits`). Shared by reference between
 * the two planes through runtime-config (DESIGN.md §2).
 *
 * The port has two adapters: RuleHitCounters here (this process only: the default), and
 * store/counters/redis-rule-hits.ts (`serve --redis`: the cluster's gateways add up their counts).
 * `record` is synchronous and allocates nothing after a rule's first hit in either, since it runs per
 * request; reading may wait for Redis, so it is async.
 */

export interface RuleHitCount {
  readonly rulesetId: string;
  readonly ruleId: string;
  readonly hits: number;
  /** ISO-8601 time of the last match. */
  readonly lastHitAt: string;
}

/** What the data plane needs: counting, never reading. */
export interface RuleHitRecorder {
  record(rulesetId: string, ruleId: string, nowMs?: number): void;
}

export interface RuleHitReport {
  /** The ruleset's rules that matched at least once, in no particular order. */
  readonly counts: RuleHitCount[];
  /**
   * Why the shared (cluster) counts could not be read, in which case `counts` are this process's
   * own; undefined when they are what they claim to be.
   */
  readonly sharedUnavailable: string | undefined;
}

export interface RuleHitStore extends RuleHitRecorder {
  forRuleset(rulesetId: string): Promise<RuleHitReport>;
}

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
