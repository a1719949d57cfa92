/**
 * What both bench entry points (run.ts, paired.ts) set up the same way: the core layout, the
 * upstream, the environment targets start in, and a main() that leaves no child behind.
 */
import { spawnSync } from 'node:child_process';
import { BenchChild, killAllChildren } from './bench-child.ts';
import type { BenchPki } from './bench-pki.ts';
import type { BenchConfig } from './config.ts';
import type { MachineInfo } from './machine.ts';
import { startNodeScript } from './node-script.ts';
import type { TargetEnvironment } from './targets/target.ts';

export interface CoreLayout {
  pinned: boolean;
  /** Core of the targets, null when not pinned. */
  targetCpu: number | null;
  /** Core of the load generator and the upstream, null when not pinned. */
  driverCpu: number | null;
}

/**
 * Pins when asked, taskset exists and two distinct cores are there; then moves this process to the
 * driver core too (it is idle during phases, but stays off the target's core all the same).
 */
export function pinCores(config: BenchConfig, machine: MachineInfo): CoreLayout {
  const pinned =
    config.pin &&
    machine.tasksetAvailable &&
    config.targetCpu !== config.driverCpu &&
    Math.max(config.targetCpu, config.driverCpu) < machine.cores;
  if (!pinned) return { pinned, targetCpu: null, driverCpu: null };
  spawnSync('taskset', ['-a', '-p', '-c', String(config.driverCpu), String(process.pid)], { stdio: 'ignore' });
  return { pinned, targetCpu: config.targetCpu, driverCpu: config.driverCpu };
}

/** The shared upstream every proxied target forwards to, on the driver core. */
export function startUpstream(config: BenchConfig, workDir: string, cores: CoreLayout): BenchChild {
  return startNodeScript(new URL('./upstream-server.ts', import.meta.url), [config.upstream], {
    name: 'upstream',
    logDir: workDir,
    cpu: cores.driverCpu,
  });
}

/** Where targets start: their processes on the target core. */
export function targetEnvironment(
  config: BenchConfig,
  pki: BenchPki,
  upstreamPort: number,
  workDir: string,
  cores: CoreLayout,
): TargetEnvironment {
  const cpu = cores.targetCpu;
  return {
    config,
    pki,
    upstreamPort,
    workDir,
    spawn: (name, command, args) => BenchChild.start(command, args, { name, logDir: workDir, cpu }),
    spawnScript: (name, script, args) => startNodeScript(script, args, { name, logDir: workDir, cpu }, config.nodeArgs),
  };
}

/** Runs main() as the process; every child is killed on exit and on SIGINT/SIGTERM. */
export async function runBenchMain(main: () => Promise<number>): Promise<void> {
  process.on('exit', killAllChildren);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      killAllChildren();
      process.exit(130);
    });
  }
  process.exitCode = await main();
}
