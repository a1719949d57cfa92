/**
 * Memory of a target: resident set of its process tree now, and the peak resident set of its root
 * process since it started (VmHWM), from /proc/<pid>/status. Linux only; elsewhere NaN.
 */
import { readFileSync } from 'node:fs';
import { processTree } from './proc-cpu.ts';

export interface MemorySample {
  /** Resident set of the process and its descendants, MiB. */
  rssMb: number;
  /** Peak resident set of the root process since it started (VmHWM, at least its VmRSS now), MiB. */
  peakRssMb: number;
}

/** A `VmRSS:`-style line of /proc/<pid>/status in MiB; NaN when absent. */
function statusMb(pid: number, field: string): number {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'latin1');
  } catch {
    return NaN;
  }
  const kb = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1];
  return kb === undefined ? NaN : Number(kb) / 1024;
}

export function treeMemory(pid: number): MemorySample {
  const pids = processTree(pid);
  const rssMb = pids.length === 0 ? NaN : pids.reduce((sum, p) => sum + statusMb(p, 'VmRSS'), 0);
  // The kernel updates VmHWM lazily: it can read a little below the current VmRSS.
  return { rssMb, peakRssMb: Math.max(statusMb(pid, 'VmHWM'), statusMb(pid, 'VmRSS')) };
}
