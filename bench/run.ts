/**
 * `npm run bench`: measures Portcullis against the Node ceiling (bare node:https) and nginx, and
 * the multi-host gateway data plane at 1 and 1,000 hosts and with 20 rules (targets/gateway.ts),
 * all in one run on loopback, and prints a markdown report (stdout; progress goes to stderr).
 * For each target: start it, probe it (mTLS enforced, upstream body served), then a keep-alive
 * phase and a new-handshake phase, each with warm-up, by a load generator in its own process.
 * On a 2-core machine the target gets one core and the load generator + upstream share the other
 * (taskset), so every target is measured with the same driver on the same core. Settings: the
 * BENCH_* environment variables read in bench/config.ts and listed in bench/README.md;
 * BENCH_KEEP=1 keeps the work dir (certificates, configs, logs, results.json).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { setPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pinCores, runBenchMain, startUpstream, targetEnvironment } from './bench-setup.ts';
import { writeBenchPki } from './bench-pki.ts';
import { loadConfig } from './config.ts';
import { benchLoad, runLoadJob, type LoadJobResult } from './load-job.ts';
import { machineInfo } from './machine.ts';
import { waitForPort } from './node-script.ts';
import { probeTarget } from './probe.ts';
import { treeMemory } from './proc-memory.ts';
import { waitForQuiet } from './quiet.ts';
import { boundBy, isNoisy, renderReport, unattributedCpu, type Layout, type TargetOutcome } from './report.ts';
import { TARGETS } from './targets/all-targets.ts';
import type { RunningTarget, Target, TargetEnvironment } from './targets/target.ts';

const PAUSE_BETWEEN_PHASES_MS = 1_000;

const log = (line: string): void => {
  process.stderr.write(`[bench] ${line}\n`);
};

function commandLine(): string {
  const settings = Object.entries(process.env)
    .filter(([key]) => key.startsWith('BENCH_'))
    .map(([key, value]) => `${key}=${value ?? ''}`)
    .sort();
  const command = process.env.npm_lifecycle_event === 'bench' ? 'npm run bench' : 'npx tsx bench/run.ts';
  return [...settings, command].join(' ');
}

function summary(r: LoadJobResult, layout: Layout): string {
  const errors = r.errors.status + r.errors.socket + r.errors.timeout + r.errors.parse;
  return (
    `${r.perSecondRate.toFixed(0)}/s p50 ${r.latency.p50.toFixed(2)} ms p99 ${r.latency.p99.toFixed(2)} ms, ` +
    `errors ${errors}${r.firstError === null ? '' : ` (first: ${r.firstError})`}, CPU target ${(r.watchedCpu.target ?? NaN).toFixed(0)}% ` +
    `load-gen ${r.cpu.percentOfCore.toFixed(0)}% upstream ${(r.watchedCpu.upstream ?? NaN).toFixed(0)}% ` +
    `unattributed ${unattributedCpu(r).toFixed(0)}%, cores ` +
    `${Object.entries(r.coreBusy)
      .map(([core, busy]) => `${core} ${busy.toFixed(0)}%`)
      .join(' ')} → ${boundBy(r, layout)}`
  );
}

/** The round whose rate is the median (the lower middle one for an even count), among undisturbed rounds if any. */
function medianRound(results: LoadJobResult[]): LoadJobResult | undefined {
  const clean = results.filter((r) => !isNoisy(r));
  const sorted = (clean.length > 0 ? clean : results).toSorted((a, b) => a.perSecondRate - b.perSecondRate);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

/** One round of one target: start it, probe it, run each phase, stop it. */
async function measureTarget(
  target: Target,
  env: TargetEnvironment,
  layout: Layout,
  upstreamPid: number,
  outcome: TargetOutcome,
  round: number,
): Promise<void> {
  const { config, pki, workDir } = env;
  let running: RunningTarget | undefined;
  try {
    log(`${target.name}: starting (round ${round})`);
    running = await target.start(env);
    if (round === 1) outcome.version = running.version;
    for (const note of running.notes) if (!outcome.notes.includes(note)) outcome.notes.push(note);
    if (running.startup !== undefined) {
      outcome.startup.push(running.startup);
      log(`${target.name}: started: ${JSON.stringify(running.startup)}`);
    }
    const probe = await probeTarget(running.port, pki, target.withoutClientCertificate, config.tlsGroups);
    outcome.probe ??= probe;
    log(
      `${target.name}: port ${running.port}, ${probe.negotiated}, ${probe.tickets} tickets, ` +
        `no cert → ${probe.noCertRefusal}`,
    );
    for (const mode of config.phases) {
      // A phase disturbed by other programs is measured again (bounded), after the machine is quiet.
      let result: LoadJobResult | undefined;
      for (let attempt = 1; attempt <= 1 + config.noisyRetries; attempt++) {
        const quiet = await waitForQuiet();
        if (!quiet.quiet) log(`${target.name} ${mode}: machine not quiet after ${quiet.waitedMs} ms, measuring anyway`);
        else if (quiet.waitedMs > 2_000)
          log(`${target.name} ${mode}: waited ${quiet.waitedMs} ms for other load to end`);
        const watch: Record<string, number> = { target: running.pid, bench: process.pid };
        if (target.name !== 'node-bare') watch.upstream = upstreamPid;
        result = await runLoadJob(
          {
            load: benchLoad(config, pki, mode, running.port),
            watch,
          },
          {
            name: `load-${target.name}-${mode}-r${round}-a${attempt}`,
            logDir: workDir,
            cpu: layout.pinned ? layout.driverCpu : null,
          },
        );
        log(`${target.name} ${mode}: ${summary(result, layout)}`);
        await sleep(PAUSE_BETWEEN_PHASES_MS);
        if (!isNoisy(result)) break;
      }
      if (result !== undefined) outcome.rounds[mode].push(result);
    }
    const memory = treeMemory(running.pid);
    outcome.memory.push(memory);
    log(
      `${target.name}: RSS after the phases ${memory.rssMb.toFixed(0)} MiB (peak ${memory.peakRssMb.toFixed(0)} MiB)`,
    );
  } catch (err) {
    outcome.failed = (err as Error).message;
    log(`${target.name}: FAILED: ${outcome.failed}`);
  } finally {
    await running?.stop();
  }
}

async function main(): Promise<number> {
  const config = loadConfig();
  const machine = machineInfo();
  const cores = pinCores(config, machine);
  const pinned = cores.pinned;
  const layout: Layout = { pinned, targetCpu: config.targetCpu, driverCpu: config.driverCpu };
  if (!pinned) {
    log('not pinning (BENCH_PIN=0, no taskset, or fewer than 2 cores): figures include scheduling noise');
  }
  if (config.nice !== 0) {
    // Children inherit it: targets, upstream and load generator all run at this priority.
    try {
      setPriority(config.nice);
    } catch (err) {
      log(`BENCH_NICE=${config.nice} not applied: ${(err as Error).message}`);
    }
  }
  const workDir = mkdtempSync(join(tmpdir(), 'portcullis-bench-'));
  log(`work dir ${workDir}`);
  const pki = await writeBenchPki(workDir);
  const upstream = startUpstream(config, workDir, cores);
  const outcomes: TargetOutcome[] = [];
  try {
    const upstreamPort = await waitForPort(upstream);
    log(`upstream on 127.0.0.1:${upstreamPort}`);
    const env = targetEnvironment(config, pki, upstreamPort, workDir, cores);
    for (const name of config.targets) {
      const target = TARGETS[name];
      const outcome: TargetOutcome = {
        name,
        description: target.description,
        notes: [],
        rounds: { 'keep-alive': [], handshake: [] },
        startup: [],
        memory: [],
      };
      outcomes.push(outcome);
      const reason = target.unavailable();
      if (reason !== null) {
        outcome.skipped = reason;
        log(`${name}: skipped: ${reason}`);
      }
    }
    // Rounds interleave the targets, so that a slow spell of the machine does not land on one target only.
    for (let round = 1; round <= config.rounds; round++) {
      for (const outcome of outcomes) {
        if (outcome.skipped !== undefined || outcome.failed !== undefined) continue;
        await measureTarget(TARGETS[outcome.name], env, layout, upstream.pid, outcome, round);
      }
    }
    for (const outcome of outcomes) {
      outcome.keepAlive = medianRound(outcome.rounds['keep-alive']);
      outcome.handshake = medianRound(outcome.rounds.handshake);
    }
  } finally {
    await upstream.stop();
  }
  const report = renderReport({ date: new Date(), command: commandLine(), config, machine, layout, outcomes });
  process.stdout.write(report);
  writeFileSync(join(workDir, 'report.md'), report);
  writeFileSync(join(workDir, 'results.json'), JSON.stringify({ config, machine, outcomes }, null, 2));
  const failed = outcomes.some((o) => o.failed !== undefined);
  if (process.env.BENCH_KEEP === '1' || failed) log(`kept ${workDir} (logs, configs, results.json)`);
  else rmSync(workDir, { recursive: true, force: true });
  return failed ? 1 : 0;
}

await runBenchMain(main);
