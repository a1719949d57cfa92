/**
 * IpcCounterHost: the primary's side of the counters and hints of `serve --workers N` without Redis
 * (docs/adr/0018-workers.md). The primary holds the one MemoryUsageCounters and RuleHitCounters of
 * the gateway; each worker's port is attached here:
 *
 *   usage-request  (ipc-usage-counters.ts) → counted here, answered on the same port
 *   rule-hits      (ipc-rule-hits.ts)      → added to the primary's counts (what the admin API reads)
 *   config-changed (ipc-change-channel.ts) → relayed to every other worker, and to the primary's own feed
 *
 * `changeHints` is the primary's own ChangeHint: its announcements go to every worker.
 */
import type { MemoryUsageCounters } from '../counters/memory-usage-counters.ts';
import type { RuleHitCounters } from '../counters/memory-rule-hits.ts';
import type { IpcPort } from './ipc-port.ts';
import { readUsageRequest, USAGE_ANSWER, USAGE_REQUEST } from './ipc-usage-counters.ts';
import { readRuleHitBatch, RULE_HITS_BATCH } from './ipc-rule-hits.ts';
import { CHANGE_HINT } from './ipc-change-channel.ts';

export class IpcCounterHost {
  readonly #usage: MemoryUsageCounters;
  readonly #ruleHits: RuleHitCounters;
  readonly #ports = new Set<IpcPort>();
  #onHint: () => void = () => undefined;

  readonly changeHints = {
    publish: (): Promise<void> => {
      for (const port of this.#ports) port.send({ portcullis: CHANGE_HINT });
      return Promise.resolve();
    },
    onHint: (callback: () => void): void => {
      this.#onHint = callback;
    },
  };

  constructor(usage: MemoryUsageCounters, ruleHits: RuleHitCounters) {
    this.#usage = usage;
    this.#ruleHits = ruleHits;
  }

  /** Serves one worker; returns the function that detaches it (when the worker is gone). */
  attach(port: IpcPort): () => void {
    this.#ports.add(port);
    const unsubscribe = port.onMessage((message) => {
      if (message.portcullis === USAGE_REQUEST) this.#answer(port, message);
      else if (message.portcullis === RULE_HITS_BATCH) {
        for (const [rulesetId, ruleId, hits, lastHitMs] of readRuleHitBatch(message)) {
          this.#ruleHits.add(rulesetId, ruleId, hits, lastHitMs);
        }
      } else if (message.portcullis === CHANGE_HINT) {
        for (const other of this.#ports) if (other !== port) other.send({ portcullis: CHANGE_HINT });
        this.#onHint();
      }
    });
    return () => {
      unsubscribe();
      this.#ports.delete(port);
    };
  }

  #answer(port: IpcPort, message: unknown): void {
    const request = readUsageRequest(message);
    if (request === undefined) return;
    const { id, op, key, count, seconds } = request;
    try {
      // Synchronous, in arrival order: exact under concurrency (memory-usage-counters.ts).
      const result =
        op === 'rate'
          ? this.#usage.consumeRateNow(key, { rate: count, per: seconds })
          : op === 'quota'
            ? this.#usage.consumeQuotaNow(key, { max: count, renewalRate: seconds })
            : undefined;
      if (op !== 'remaining') {
        port.send({ portcullis: USAGE_ANSWER, id, result });
        return;
      }
      this.#usage.quotaRemaining(key, { max: count, renewalRate: seconds }).then(
        (remaining) => port.send({ portcullis: USAGE_ANSWER, id, result: remaining }),
        (error: unknown) => port.send({ portcullis: USAGE_ANSWER, id, error: (error as Error).message }),
      );
    } catch (error) {
      port.send({ portcullis: USAGE_ANSWER, id, error: (error as Error).message });
    }
  }
}
