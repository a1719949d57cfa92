/**
 * CPU time of a process and all its descendants (e.g. nginx's master + worker), read from
 * /proc/<pid>/stat, so the report can show whether the target, the upstream or the load
 * generator saturated its core. Linux only; elsewhere it returns NaN and the report says so.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

interface Stat {
  ppid: number;
  /** utime + stime, in clock ticks. */
  ticks: number;
}

function readStat(pid: number): Stat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return null;
  }
  // The command name (field 2) is parenthesised and may contain spaces: split after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) };
}

/** Stats of `pid` and its live descendants (one pass over /proc); null when `pid` is gone. */
function treeStats(pid: number): Map<number, Stat> | null {
  const root = readStat(pid);
  if (root === null) return null;
  const children = new Map<number, number[]>();
  const stats = new Map<number, Stat>([[pid, root]]);
  for (const entry of readdirSync('/proc')) {
    const child = Number(entry);
    if (!Number.isInteger(child) || child === pid) continue;
    const stat = readStat(child);
    if (stat === null) continue;
    stats.set(child, stat);
    const siblings = children.get(stat.ppid);
    if (siblings) siblings.push(child);
    else children.set(stat.ppid, [child]);
  }
  const tree = new Map<number, Stat>();
  const queue = [pid];
  for (let i = 0; i < queue.length && i < 10_000; i++) {
    const current = queue[i]!;
    const stat = stats.get(current);
    if (stat !== undefined) tree.set(current, stat);
    queue.push(...(children.get(current) ?? []));
  }
  return tree;
}

/** Seconds of CPU (user + system) used so far by `pid` and its live descendants. */
export function treeCpuSeconds(pid: number): number {
  const tree = treeStats(pid);
  if (tree === null) return NaN;
  let total = 0;
  for (const stat of tree.values()) total += stat.ticks;
  return total / clockTicks();
}

/** `pid` and its live descendants (e.g. nginx's master + worker); empty when `pid` is gone. */
export function processTree(pid: number): number[] {
  return [...(treeStats(pid)?.keys() ?? [])];
}

export interface CoreTimes {
  busy: number;
  total: number;
}

/** Busy and total jiffies per core from /proc/stat (busy = all but idle and iowait; includes softirq and steal). */
export function coreTimes(): Map<number, CoreTimes> {
  const cores = new Map<number, CoreTimes>();
  let text: string;
  try {
    text = readFileSync('/proc/stat', 'latin1');
  } catch {
    return cores;
  }
  for (const line of text.split('\n')) {
    const match = /^cpu(\d+) (.*)$/.exec(line);
    if (!match) continue;
    const values = match[2]!.trim().split(/\s+/).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is already counted in user).
    const total = values.slice(0, 8).reduce((a, b) => a + b, 0);
    const idle = (values[3] ?? 0) + (values[4] ?? 0);
    cores.set(Number(match[1]), { busy: total - idle, total });
  }
  return cores;
}

/** Percent busy of each core between two coreTimes() samples. */
export function coreBusyPercent(before: Map<number, CoreTimes>, after: Map<number, CoreTimes>): Record<string, number> {
  const result: Record<string, number> = {};
  for (const [core, end] of after) {
    const start = before.get(core);
    if (start === undefined || end.total === start.total) continue;
    result[`cpu${core}`] = ((end.busy - start.busy) / (end.total - start.total)) * 100;
  }
  return result;
}
