/**
 * A child process of the bench (target, upstream or load generator), optionally pinned to a
 * core with taskset. Its stdout/stderr go to files, never to a pipe the orchestrator must
 * drain: a target that logs per request is then neither blocked nor read by us under load,
 * and its logs remain in the work dir for diagnosis.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface BenchChildOptions {
  /** Short name, used for the log files. */
  name: string;
  logDir: string;
  /** Core to pin to with taskset; null = unpinned. */
  cpu: number | null;
  env?: NodeJS.ProcessEnv;
}

const live = new Set<ChildProcess>();

/** SIGKILLs every child still running (called on exit and on interruption). */
export function killAllChildren(): void {
  for (const child of live) child.kill('SIGKILL');
  live.clear();
}

export class BenchChild {
  readonly name: string;
  readonly pid: number;
  readonly stdoutFile: string;
  readonly stderrFile: string;
  /** Resolves with the exit code (or signal name) when the process ends. */
  readonly exited: Promise<string>;
  #exitedWith: string | null = null;
  readonly #process: ChildProcess;

  private constructor(name: string, child: ChildProcess, stdoutFile: string, stderrFile: string) {
    this.name = name;
    this.#process = child;
    this.stdoutFile = stdoutFile;
    this.stderrFile = stderrFile;
    if (child.pid === undefined) throw new Error(`${name}: could not start`);
    this.pid = child.pid;
    live.add(child);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        live.delete(child);
        this.#exitedWith = signal ?? String(code);
        resolve(this.#exitedWith);
      });
    });
  }

  static start(command: string, args: string[], options: BenchChildOptions): BenchChild {
    const stdoutFile = join(options.logDir, `${options.name}.out`);
    const stderrFile = join(options.logDir, `${options.name}.err`);
    const out = openSync(stdoutFile, 'w');
    const err = openSync(stderrFile, 'w');
    // taskset execs the command, so the pid we get is the command's own.
    const [file, argv] =
      options.cpu === null ? [command, args] : ['taskset', ['-c', String(options.cpu), command, ...args]];
    try {
      const child = spawn(file, argv, { stdio: ['ignore', out, err], env: options.env ?? process.env });
      return new BenchChild(options.name, child, stdoutFile, stderrFile);
    } finally {
      closeSync(out);
      closeSync(err);
    }
  }

  get running(): boolean {
    return this.#exitedWith === null;
  }

  stdout(): string {
    return readFileSync(this.stdoutFile, 'utf8');
  }

  /** Last lines of stderr and stdout, for error messages. */
  tail(lines = 15): string {
    const last = (file: string): string => readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    return `--- ${this.name} stderr ---\n${last(this.stderrFile)}\n--- ${this.name} stdout ---\n${last(this.stdoutFile)}`;
  }

  /** Polls stdout for a line matching `match`; rejects when the process exits first or on timeout. */
  async waitForLine(match: (line: string) => boolean, timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const line = this.stdout().split('\n').find(match);
      if (line !== undefined) return line;
      if (!this.running)
        throw new Error(`${this.name} exited (${this.#exitedWith}) before it was ready\n${this.tail()}`);
      await sleep(50);
    }
    throw new Error(`${this.name} not ready within ${timeoutMs} ms\n${this.tail()}`);
  }

  /** Waits for the process to end by itself; SIGKILLs it after `timeoutMs`. */
  async waitForExit(timeoutMs: number): Promise<string> {
    const timer = sleep(timeoutMs, null, { ref: false });
    const code = await Promise.race([this.exited, timer]);
    if (code !== null) return code;
    this.#process.kill('SIGKILL');
    throw new Error(`${this.name} did not finish within ${timeoutMs} ms\n${this.tail()}`);
  }

  /** SIGTERM, then SIGKILL if still running after `graceMs`. */
  async stop(graceMs = 5_000): Promise<void> {
    if (!this.running) return;
    this.#process.kill('SIGTERM');
    const ended = await Promise.race([this.exited.then(() => true), sleep(graceMs, false, { ref: false })]);
    if (!ended) {
      this.#process.kill('SIGKILL');
      await this.exited;
    }
  }
}
