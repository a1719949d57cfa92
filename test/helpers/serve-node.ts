/**
 * One `portcullis serve` child process (src/main.ts through tsx), for tests about a process that
 * must stay up or must exit cleanly: its stdout log lines and stderr are kept, `listening` says where
 * it serves, `exited` resolves with its exit code.
 */
import type { ChildProcess } from 'node:child_process';
import { spawnCli } from './cli.ts';

export interface ServeNode {
  readonly child: ChildProcess;
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  /** The JSON log lines written so far. */
  logs(): Record<string, unknown>[];
  stderr(): string;
  /** Still running. */
  alive(): boolean;
  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  stop(graceMs?: number): Promise<number | null>;
}

export interface ListeningNode extends ServeNode {
  /** The admin API base URL (`http://127.0.0.1:<port>/client/v4`). */
  readonly adminUrl: string;
  readonly gatewayPort: number;
}

/** `serve` on free loopback ports over `dataDir`, with `extraArgs` (e.g. `--store …`). */
export function spawnServe(
  dataDir: string,
  extraArgs: string[],
  env: Record<string, string> = {},
  nodeArgs: string[] = [],
  entry?: string,
): ServeNode {
  const child = spawnCli(
    ['serve', '--data-dir', dataDir, '--admin-listen', '127.0.0.1:0', '--listen', '127.0.0.1:0', ...extraArgs],
    env,
    nodeArgs,
    entry,
  );
  const lines: Record<string, unknown>[] = [];
  let partial = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    const text = partial + chunk.toString();
    const complete = text.split('\n');
    partial = complete.pop() ?? '';
    for (const line of complete) {
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        lines.push({ msg: line });
      }
    }
  });
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return {
    child,
    exited,
    logs: () => lines,
    stderr: () => stderr,
    alive: () => child.exitCode === null && child.signalCode === null,
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** Waits for the `listening` log line; rejects with the node's stderr when it exits first. */
export async function untilListening(node: ServeNode, timeoutMs = 30_000): Promise<ListeningNode> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const line = node.logs().find((entry) => entry.msg === 'listening');
    if (line !== undefined) {
      const address = String(line.address);
      return {
        ...node,
        adminUrl: String(line.admin),
        gatewayPort: Number(address.slice(address.lastIndexOf(':') + 1)),
      };
    }
    if (!node.alive()) throw new Error(`serve exited before listening: ${node.stderr()}`);
    if (Date.now() > deadline) throw new Error(`serve did not listen within ${timeoutMs} ms: ${node.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
