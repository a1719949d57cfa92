/**
 * Waits (bounded) until the machine is quiet before a phase starts: on a shared 2-core machine a
 * test suite or a compiler running beside the bench would take CPU from the target or the load
 * generator and skew the figures. The report also shows the CPU nobody in the bench used.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { coreBusyPercent, coreTimes } from './proc-cpu.ts';

export interface QuietResult {
  quiet: boolean;
  /** Busy percent (sum over cores) at the last sample. */
  busy: number;
  waitedMs: number;
}

/** Samples all cores every `sampleMs` until their summed busy percent is below `threshold`, or `maxWaitMs`. */
export async function waitForQuiet(threshold = 20, maxWaitMs = 60_000, sampleMs = 1_000): Promise<QuietResult> {
  const start = Date.now();
  let busy = NaN;
  for (let i = 0; i < 1_000 && Date.now() - start < maxWaitMs; i++) {
    const before = coreTimes();
    await sleep(sampleMs);
    busy = Object.values(coreBusyPercent(before, coreTimes())).reduce((a, b) => a + b, 0);
    if (!(busy >= threshold)) return { quiet: true, busy, waitedMs: Date.now() - start };
  }
  return { quiet: false, busy, waitedMs: Date.now() - start };
}
