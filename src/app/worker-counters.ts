/**
 * The counters of `serve --workers N` (docs/adr/0018-workers.md). With `--redis`, every process
 * opens Redis as one gateway of a cluster does (store/counters/open-counters.ts). Without it, the
 * primary holds the gateway's one set of in-process counters and serves them to its workers over
 * IPC (store/ipc/), so limits, quotas and rule-hit counts are exact across workers, and relays the
 * change hints between them.
 */
import type { Logger } from 'pino';
import { openCounters, type OpenCounters } from '../store/counters/open-counters.ts';
import { MemoryUsageCounters } from '../store/counters/memory-usage-counters.ts';
import { RuleHitCounters } from '../store/counters/memory-rule-hits.ts';
import { IpcCounterHost } from '../store/ipc/ipc-counter-host.ts';
import { IpcUsageCounters } from '../store/ipc/ipc-usage-counters.ts';
import { IpcRuleHits } from '../store/ipc/ipc-rule-hits.ts';
import { IpcChangeChannel } from '../store/ipc/ipc-change-channel.ts';
import type { IpcPort } from '../store/ipc/ipc-port.ts';

export interface PrimaryCounters extends OpenCounters {
  /** Serves a worker's counters and hints; returns what detaches it. */
  attach(port: IpcPort): () => void;
}

export async function openPrimaryCounters(redisUrl: string | undefined, logger: Logger): Promise<PrimaryCounters> {
  if (redisUrl !== undefined) {
    return { ...(await openCounters(redisUrl, logger)), attach: () => () => undefined };
  }
  const usage = new MemoryUsageCounters();
  const ruleHits = new RuleHitCounters();
  const host = new IpcCounterHost(usage, ruleHits);
  return {
    usage,
    ruleHits,
    location: 'memory (in the primary process, shared by the workers)',
    changeHints: host.changeHints,
    redisReady: undefined,
    close: () => Promise.resolve(),
    attach: (port) => host.attach(port),
  };
}

export async function openWorkerCounters(
  port: IpcPort,
  redisUrl: string | undefined,
  logger: Logger,
): Promise<OpenCounters> {
  if (redisUrl !== undefined) return openCounters(redisUrl, logger);
  const usage = new IpcUsageCounters(port, {
    onOutage: (down) =>
      down
        ? logger.error('the primary process does not answer: requests under a rate limit or quota are refused (503)')
        : logger.info('the primary process answers again: rate limits and quotas are counted'),
  });
  const ruleHits = new IpcRuleHits(port);
  const changeHints = new IpcChangeChannel(port);
  return {
    usage,
    ruleHits,
    location: 'the primary process',
    changeHints,
    redisReady: undefined,
    async close() {
      ruleHits.close();
      usage.close();
      await changeHints.close();
    },
  };
}
