/**
 * Custom-rule hit counts: how often each rule matched, counted by the data plane (one `record` per
 * match) and read by the admin API (`/zones/{id}/gateway/rule_hits`). Shared by reference between
 * the two planes through runtime-config.
 *
 * The port has two adapters: store/counters/memory-rule-hits.ts (this process only: the default), and
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
