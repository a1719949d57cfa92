/** What the orchestrator needs from each server under test. */
import type { BenchChild } from '../bench-child.ts';
import type { BenchPki } from '../bench-pki.ts';
import type { BenchConfig, TargetName } from '../config.ts';

export interface TargetEnvironment {
  config: BenchConfig;
  pki: BenchPki;
  upstreamPort: number;
  /** Per-run scratch directory (configs, logs). */
  workDir: string;
  /** Starts a process pinned (when pinning is on) to the target core. */
  spawn(name: string, command: string, args: string[]): BenchChild;
  /** Starts one of the bench's scripts, pinned to the target core. */
  spawnScript(name: string, script: URL, args: string[]): BenchChild;
}

export interface RunningTarget {
  port: number;
  /** Root pid; CPU is summed over it and its descendants. */
  pid: number;
  /** Version string for the report. */
  version: string;
  /** Anything the reader should know about this run of the target. */
  notes: string[];
  /** Figures the target measured while starting (e.g. snapshot build time in ms, RSS in MB), by name. */
  startup?: Readonly<Record<string, number>>;
  stop(): Promise<void>;
}

export interface Target {
  name: TargetName;
  /** One line describing what is measured. */
  description: string;
  /**
   * What the probe expects for a request without a client certificate: 'refused' (default), or
   * 'served' for a gateway host with client auth 'optional' and no mTLS rule (nothing refuses it).
   */
  withoutClientCertificate?: 'refused' | 'served';
  /** Null when the target can run here, else why it is skipped. */
  unavailable(): string | null;
  start(env: TargetEnvironment): Promise<RunningTarget>;
}
