/**
 * One phase of load against one target, as handed to the load-generator child process, and the
 * parent side that runs it: write the job, start the child pinned to the driver core, wait
 * (bounded), read its one-line JSON result.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchChildOptions } from './bench-child.ts';
import type { BenchPki } from './bench-pki.ts';
import type { BenchConfig, PhaseName } from './config.ts';
import type { LoadOptions, LoadResult } from './load-generator.ts';
import { startNodeScript } from './node-script.ts';

export interface LoadJob {
  load: LoadOptions;
  /** Processes whose CPU (tree) is measured over the window, by role. */
  watch: Record<string, number>;
}

export interface LoadJobResult extends LoadResult {
  /** Percent of one core used by each watched process tree during the window. */
  watchedCpu: Record<string, number>;
  /** Percent busy of each core ("cpu0", "cpu1", ...) during the window, whoever used it (incl. softirq, steal). */
  coreBusy: Record<string, number>;
}

/** The load every phase applies to a target on `port`: the bench client, GET /bench to localhost, as configured. */
export function benchLoad(config: BenchConfig, pki: BenchPki, mode: PhaseName, port: number): LoadOptions {
  return {
    mode,
    host: '127.0.0.1',
    port,
    servername: 'localhost',
    path: '/bench',
    connections: config.connections,
    warmupMs: config.warmupSeconds * 1000,
    durationMs: config.seconds * 1000,
    certPem: pki.clientCertPem,
    keyPem: pki.clientKeyPem,
    maxVersion: config.tlsMaxVersion,
    ...(config.tlsGroups === undefined ? {} : { groups: config.tlsGroups }),
  };
}

/** Slack for the child's start-up (tsx loading) and shut-down beyond warm-up + duration. */
const SLACK_MS = 60_000;

export async function runLoadJob(job: LoadJob, child: BenchChildOptions): Promise<LoadJobResult> {
  const jobFile = join(child.logDir, `${child.name}.json`);
  writeFileSync(jobFile, JSON.stringify(job), { mode: 0o600 });
  const generator = startNodeScript(new URL('./load-generator-main.ts', import.meta.url), [jobFile], child);
  const code = await generator.waitForExit(job.load.warmupMs + job.load.durationMs + SLACK_MS);
  const line = generator.stdout().trim().split('\n').pop() ?? '';
  if (code !== '0' || !line.startsWith('{')) {
    throw new Error(`load generator failed (exit ${code})\n${generator.tail()}`);
  }
  return JSON.parse(line) as LoadJobResult;
}
