/**
 * Entry point of the load-generator child process. It runs in its own process so that it can be
 * pinned to a core apart from the target, and so that its CPU is measured without the
 * orchestrator's. It also samples the CPU of the watched processes (target, upstream) and of
 * each core at the exact edges of its measured window. Reads LoadJob as JSON from the file named by argv[2];
 * prints one JSON LoadJobResult line on stdout; exits.
 */
import { readFileSync } from 'node:fs';
import type { LoadJob, LoadJobResult } from './load-job.ts';
import { runLoad } from './load-generator.ts';
import { coreBusyPercent, coreTimes, treeCpuSeconds } from './proc-cpu.ts';

const file = process.argv[2];
if (file === undefined) {
  process.stderr.write('usage: load-generator-main.ts JOB.json\n');
  process.exit(2);
}
const job = JSON.parse(readFileSync(file, 'utf8')) as LoadJob;
const sample = (): Record<string, number> =>
  Object.fromEntries(Object.entries(job.watch).map(([role, pid]) => [role, treeCpuSeconds(pid)]));
let before: Record<string, number> = {};
let after: Record<string, number> = {};
let coresBefore = coreTimes();
let coresAfter = coresBefore;
const result = await runLoad(job.load, {
  onWindowStart: () => {
    before = sample();
    coresBefore = coreTimes();
  },
  onWindowEnd: () => {
    after = sample();
    coresAfter = coreTimes();
  },
});
const watchedCpu = Object.fromEntries(
  Object.keys(job.watch).map((role) => [role, (((after[role] ?? NaN) - (before[role] ?? NaN)) / result.seconds) * 100]),
);
const output: LoadJobResult = { ...result, watchedCpu, coreBusy: coreBusyPercent(coresBefore, coresAfter) };
process.stdout.write(JSON.stringify(output) + '\n', () => process.exit(0));
