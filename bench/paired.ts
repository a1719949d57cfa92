/**
 * `npm run bench:paired`: the ratio of two targets (B / A), measured so that the machine's own
 * drift cancels out. On the shared 2-core machine this bench runs on, one target's throughput
 * moves by ±25 % between 8-second windows a minute apart (run.ts: keep-alive of one target ranged
 * 9.3k–16.2k req/s over five rounds), more than the 10–15 % differences the gateway goals are
 * about. Here both targets run at once on the target core, only one under load at a time, and the
 * load alternates A, B, A, B, …, A in short slices; each B slice is compared with the mean of the
 * A slices on either side of it, and the report gives the median of those ratios with quartiles.
 *
 * BENCH_PAIRED_MODE=concurrent loads A and B at the same time instead: both share the target core
 * (the scheduler gives each about half), so every moment of the machine's drift hits both alike;
 * with each CPU-bound, B / A per target CPU-second is the ratio of their costs per request.
 *
 * Settings (environment, as run.ts): BENCH_TARGETS=A,B (default gateway-1-host,gateway-1-host-dynamic-mtls),
 * BENCH_SLICES (B slices, default 10), BENCH_SECONDS (per slice, default 3), BENCH_WARMUP_SECONDS
 * (before each slice, default 1), BENCH_PHASES (default keep-alive), BENCH_PAIRED_MODE (alternate, the
 * default, or concurrent), and the rest of bench/config.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pinCores, runBenchMain, startUpstream, targetEnvironment } from './bench-setup.ts';
import { writeBenchPki } from './bench-pki.ts';
import { loadConfig } from './config.ts';
import { benchLoad, runLoadJob, type LoadJobResult } from './load-job.ts';
import { machineInfo } from './machine.ts';
import { waitForPort } from './node-script.ts';
import { probeTarget } from './probe.ts';
import { waitForQuiet } from './quiet.ts';
import { projectedRate } from './report.ts';
import { TARGETS } from './targets/all-targets.ts';
import type { RunningTarget } from './targets/target.ts';

const PAIRED_DEFAULTS: Record<string, string> = {
  BENCH_TARGETS: 'gateway-1-host,gateway-1-host-dynamic-mtls',
  BENCH_SECONDS: '3',
  BENCH_WARMUP_SECONDS: '1',
  BENCH_PHASES: 'keep-alive',
};
const MAX_SLICES = 50;

const log = (line: string): void => {
  process.stderr.write(`[paired] ${line}\n`);
};

function slicesFromEnv(): number {
  const raw = process.env.BENCH_SLICES ?? '10';
  const slices = Number(raw);
  if (!Number.isInteger(slices) || slices < 1 || slices > MAX_SLICES) {
    throw new Error(`BENCH_SLICES must be an integer in [1, ${MAX_SLICES}], got ${JSON.stringify(raw)}`);
  }
  return slices;
}

/** The value at quantile q (0–1) of sorted numbers, interpolated. */
function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  return (sorted[low] ?? Number.NaN) + ((sorted[high] ?? Number.NaN) - (sorted[low] ?? Number.NaN)) * (position - low);
}

interface SliceRatio {
  a: number;
  b: number;
  ratio: number;
  ratioPerCpu: number;
  aCpu: number;
  bCpu: number;
}

/** One B slice against the mean of the A slices given (its two neighbours, or the one run beside it). */
function sliceRatio(aSlices: readonly LoadJobResult[], bSlice: LoadJobResult): SliceRatio {
  const mean = (values: number[]): number => values.reduce((x, y) => x + y, 0) / values.length;
  const aRate = mean(aSlices.map((r) => r.perSecondRate));
  const aPerCpu = mean(aSlices.map((r) => projectedRate(r)));
  return {
    a: aRate,
    b: bSlice.perSecondRate,
    ratio: bSlice.perSecondRate / aRate,
    ratioPerCpu: projectedRate(bSlice) / aPerCpu,
    aCpu: mean(aSlices.map((r) => r.watchedCpu.target ?? Number.NaN)),
    bCpu: bSlice.watchedCpu.target ?? Number.NaN,
  };
}

function summarize(values: readonly number[]): string {
  const sorted = values.toSorted((x, y) => x - y);
  const f = (n: number): string => `${n.toFixed(3)}×`;
  return `**${f(quantile(sorted, 0.5))}** (quartiles ${f(quantile(sorted, 0.25))}–${f(quantile(sorted, 0.75))}, range ${f(sorted[0] ?? Number.NaN)}–${f(sorted.at(-1) ?? Number.NaN)})`;
}

async function main(): Promise<number> {
  for (const [key, value] of Object.entries(PAIRED_DEFAULTS)) process.env[key] ??= value;
  const config = loadConfig();
  const slices = slicesFromEnv();
  const concurrent = process.env.BENCH_PAIRED_MODE === 'concurrent';
  if (!['concurrent', 'alternate', undefined].includes(process.env.BENCH_PAIRED_MODE)) {
    throw new Error('BENCH_PAIRED_MODE must be alternate or concurrent');
  }
  const [nameA, nameB, ...extra] = config.targets;
  if (nameA === undefined || nameB === undefined || extra.length > 0)
    throw new Error('BENCH_TARGETS must name two targets');
  const machine = machineInfo();
  const cores = pinCores(config, machine);
  const pinned = cores.pinned;
  const driverCpu = cores.driverCpu;
  const workDir = mkdtempSync(join(tmpdir(), 'portcullis-paired-'));
  const pki = await writeBenchPki(workDir);
  const upstream = startUpstream(config, workDir, cores);
  const running: RunningTarget[] = [];
  const lines: string[] = [];
  try {
    const env = targetEnvironment(config, pki, await waitForPort(upstream), workDir, cores);
    for (const name of [nameA, nameB]) {
      const target = TARGETS[name];
      const reason = target.unavailable();
      if (reason !== null) throw new Error(`${name} cannot run here: ${reason}`);
      const started = await target.start(env);
      running.push(started);
      const probe = await probeTarget(started.port, pki, target.withoutClientCertificate, config.tlsGroups);
      log(`${name}: port ${started.port}, ${probe.negotiated}, no cert → ${probe.noCertRefusal}`);
    }
    const [a, b] = running as [RunningTarget, RunningTarget];
    lines.push(
      `## Paired: ${nameB} / ${nameA}`,
      '',
      `- date: ${new Date().toISOString()}; node ${process.version}; ${machine.cores} cores; ${pinned ? `both targets pinned to CPU ${config.targetCpu}, load generator + upstream to CPU ${config.driverCpu}` : 'not pinned'}`,
      concurrent
        ? `- concurrent: ${slices} slices of ${config.seconds} s (after ${config.warmupSeconds} s warm-up), A and B loaded at the same time (${config.connections} connections each), sharing the target core`
        : `- alternate: ${slices} B slices between ${slices + 1} A slices of ${config.seconds} s each (after ${config.warmupSeconds} s warm-up), ${config.connections} connections`,
      `- A = ${nameA}: ${TARGETS[nameA].description}`,
      `- B = ${nameB}: ${TARGETS[nameB].description}`,
      '',
    );
    for (const mode of config.phases) {
      const load = async (which: 'a' | 'b', target: RunningTarget, index: number): Promise<LoadJobResult> => {
        const result = await runLoadJob(
          {
            load: benchLoad(config, pki, mode, target.port),
            watch: { target: target.pid, bench: process.pid, upstream: upstream.pid },
          },
          { name: `paired-${mode}-${which}${index}`, logDir: workDir, cpu: driverCpu },
        );
        const errors = result.errors.status + result.errors.socket + result.errors.timeout + result.errors.parse;
        if (errors > 0)
          throw new Error(`${which === 'a' ? nameA : nameB} ${mode}: ${errors} errors (first: ${result.firstError})`);
        log(
          `${mode} ${which.toUpperCase()}${index}: ${result.perSecondRate.toFixed(0)}/s, target CPU ${(result.watchedCpu.target ?? NaN).toFixed(0)}%`,
        );
        return result;
      };
      const ratios: SliceRatio[] = [];
      if (concurrent) {
        for (let i = 0; i < slices; i++) {
          await waitForQuiet(20, 10_000);
          const [resultA, resultB] = await Promise.all([load('a', a, i), load('b', b, i)]);
          ratios.push(sliceRatio([resultA], resultB));
        }
      } else {
        const results: Record<'a' | 'b', LoadJobResult[]> = { a: [], b: [] };
        for (let i = 0; i <= slices; i++) {
          await waitForQuiet(20, 10_000);
          results.a.push(await load('a', a, i));
          if (i === slices) break;
          await waitForQuiet(20, 10_000);
          results.b.push(await load('b', b, i));
        }
        results.b.forEach((resultB, i) => ratios.push(sliceRatio(results.a.slice(i, i + 2), resultB)));
      }
      lines.push(
        `### ${mode}`,
        '',
        `- B / A, measured: ${summarize(ratios.map((r) => r.ratio))}`,
        `- B / A, per target CPU-second: ${summarize(ratios.map((r) => r.ratioPerCpu))}`,
        '',
        `| slice | A${concurrent ? '' : ' (mean of neighbours)'} /s | B /s | B / A | A CPU | B CPU |`,
        '|--:|--:|--:|--:|--:|--:|',
        ...ratios.map(
          (r, i) =>
            `| ${i + 1} | ${r.a.toFixed(0)} | ${r.b.toFixed(0)} | ${r.ratio.toFixed(3)} | ${r.aCpu.toFixed(0)}% | ${r.bCpu.toFixed(0)}% |`,
        ),
        '',
      );
    }
  } finally {
    for (const target of running) await target.stop();
    await upstream.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

await runBenchMain(main);
