/**
 * IpcRuleHits: the RuleHitStore (runtime-config/rule-hits.ts) of a worker of `serve --workers N`
 * without Redis. `record` runs per request, so it never waits: it counts in this process (no
 * allocation after a rule's first hit), and about once a second the hits counted since the last
 * batch go to the primary, which adds them to its one RuleHitCounters (ipc-counter-host.ts) that
 * the admin API reads (docs/adr/0018-workers.md). `close` sends the last batch.
 *
 * A batch is sent once: the IPC channel to the primary is a pipe that either delivers it or dies
 * with the primary (and then the counts die with it too), so there is no retry to double-count.
 * Reading here answers this worker's own counts: the admin API runs in the primary, not here.
 */
import type { RuleHitCount, RuleHitReport, RuleHitStore } from '../../runtime-config/rule-hits.ts';
import { isIpcMessage, type IpcPort } from './ipc-port.ts';

export const RULE_HITS_BATCH = 'rule-hits';
const FLUSH_INTERVAL_MS = 1_000;

interface Tally {
  readonly rulesetId: string;
  readonly ruleId: string;
  hits: number;
  lastHitMs: number;
  /** Of `hits`, how many were sent to the primary. */
  sent: number;
}

/** One rule's hits in a batch: [rulesetId, ruleId, hits since the last batch, last hit (ms)]. */
export type RuleHitEntry = readonly [string, string, number, number];

export class IpcRuleHits implements RuleHitStore {
  readonly #port: IpcPort;
  readonly #byRuleset = new Map<string, Map<string, Tally>>();
  readonly #timer: NodeJS.Timeout;

  constructor(port: IpcPort, flushIntervalMs = FLUSH_INTERVAL_MS) {
    this.#port = port;
    this.#timer = setInterval(() => this.flush(), flushIntervalMs);
    this.#timer.unref();
  }

  record(rulesetId: string, ruleId: string, nowMs: number = Date.now()): void {
    let rules = this.#byRuleset.get(rulesetId);
    if (rules === undefined) {
      rules = new Map();
      this.#byRuleset.set(rulesetId, rules);
    }
    const tally = rules.get(ruleId);
    if (tally === undefined) {
      rules.set(ruleId, { rulesetId, ruleId, hits: 1, lastHitMs: nowMs, sent: 0 });
      return;
    }
    tally.hits += 1;
    tally.lastHitMs = nowMs;
  }

  forRuleset(rulesetId: string): Promise<RuleHitReport> {
    const counts: RuleHitCount[] = [];
    for (const tally of this.#byRuleset.get(rulesetId)?.values() ?? []) {
      counts.push({
        rulesetId,
        ruleId: tally.ruleId,
        hits: tally.hits,
        lastHitAt: new Date(tally.lastHitMs).toISOString(),
      });
    }
    return Promise.resolve({ counts, sharedUnavailable: 'read in a worker: these are its own counts' });
  }

  /** Sends the hits counted since the last batch, if any. */
  flush(): void {
    const entries: RuleHitEntry[] = [];
    for (const rules of this.#byRuleset.values()) {
      for (const tally of rules.values()) {
        if (tally.hits === tally.sent) continue;
        entries.push([tally.rulesetId, tally.ruleId, tally.hits - tally.sent, tally.lastHitMs]);
        tally.sent = tally.hits;
      }
    }
    if (entries.length > 0) this.#port.send({ portcullis: RULE_HITS_BATCH, entries });
  }

  /** Stops the timer and sends the last batch (after the data plane has drained). */
  close(): void {
    clearInterval(this.#timer);
    this.flush();
  }
}

/** The entries of a rule-hits batch as the host reads them: malformed entries are skipped. */
export function readRuleHitBatch(message: unknown): RuleHitEntry[] {
  if (!isIpcMessage(message, RULE_HITS_BATCH) || !Array.isArray(message.entries)) return [];
  const entries: RuleHitEntry[] = [];
  for (const entry of message.entries as unknown[]) {
    if (!Array.isArray(entry) || entry.length !== 4) continue;
    const [rulesetId, ruleId, hits, lastHitMs] = entry as unknown[];
    if (typeof rulesetId !== 'string' || typeof ruleId !== 'string') continue;
    if (!Number.isSafeInteger(hits) || (hits as number) <= 0 || typeof lastHitMs !== 'number') continue;
    entries.push([rulesetId, ruleId, hits as number, lastHitMs]);
  }
  return entries;
}
