/**
 * Runs the real `portcullis` CLI as a child process: the command bundled from src/ as `npm run build` bundles it
 * (docs/adr/0025-bundled-dist.md), built once per change of the sources and shared by the test processes of a run.
 * A process of the bundle starts in a third of the CPU time of src/main.ts through tsx, and the suite starts hundreds.
 * PORTCULLIS_TEST_FROM_SOURCE=1 runs src/main.ts through tsx instead (stack traces in the sources, no build).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { bundleGateway, gatewayEntries } from '../../scripts/bundle-gateway.ts';
import { underBuildLock } from './build-lock.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const MAIN = path.join(ROOT, 'src/main.ts');
/** Two levels under dist/, so that the bundle finds dist/web and dist/portal-web as dist/main.js does. */
const BUNDLES = path.join(ROOT, 'dist', '.test-command');
/** Bundles of other sources are removed once this old (a run in progress may still start one). */
const STALE_BUNDLE_MS = 3_600_000;

/** What the bundle is made from: every file under src/ (path, size, modification time), the bundler and the lock file. */
function sourcesKey(): string {
  const hash = createHash('sha256');
  const visit = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) visit(file);
      else {
        const { size, mtimeMs } = statSync(file);
        hash.update(`${file}\0${size}\0${mtimeMs}\n`);
      }
    }
  };
  visit(path.join(ROOT, 'src'));
  for (const file of ['scripts/bundle-gateway.ts', 'package-lock.json']) {
    const { size, mtimeMs } = statSync(path.join(ROOT, file));
    hash.update(`${file}\0${size}\0${mtimeMs}\n`);
  }
  return hash.digest('hex').slice(0, 16);
}

let bundledMain: string | undefined;

/** dist/.test-command/<key>/main.js for the sources as they are, bundled by the first test process that needs it. */
export function bundledCommand(): string {
  if (bundledMain !== undefined) return bundledMain;
  const dir = path.join(BUNDLES, sourcesKey());
  const main = path.join(dir, 'main.js');
  if (!existsSync(main)) {
    underBuildLock('command', () => {
      if (existsSync(main)) return; // another test process made it meanwhile
      const building = `${dir}.building`;
      rmSync(building, { recursive: true, force: true });
      bundleGateway(gatewayEntries(path.join(ROOT, 'src'), '.ts'), building);
      renameSync(building, dir);
      for (const other of readdirSync(BUNDLES)) {
        const otherDir = path.join(BUNDLES, other);
        if (otherDir !== dir && Date.now() - statSync(otherDir).mtimeMs > STALE_BUNDLE_MS)
          rmSync(otherDir, { recursive: true, force: true });
      }
    });
  }
  bundledMain = main;
  return main;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * `nodeArgs`: flags for node itself (e.g. `--cpu-prof` for a benchmark's profile); `entry`: a built entry point
 * (dist/main.js) to run instead of the tests' bundle of src/.
 */
export function spawnCli(
  args: string[],
  env: Record<string, string> = {},
  nodeArgs: string[] = [],
  entry?: string,
): ChildProcess {
  const main =
    entry !== undefined
      ? [entry]
      : process.env.PORTCULLIS_TEST_FROM_SOURCE === '1'
        ? ['--import', 'tsx', MAIN]
        : [bundledCommand()];
  return spawn(process.execPath, [...nodeArgs, ...main, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
}

/** Runs to completion (bounded by `timeoutMs`, then killed: generous, a loaded CI machine starts processes slowly). */
export function runCli(args: string[], timeoutMs = 60_000): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawnCli(args);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Resolves with the first stdout JSON log line whose msg is `msg`. */
export function waitForLog(child: ChildProcess, msg: string, timeoutMs = 60_000): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => reject(new Error(`no "${msg}" log line within ${timeoutMs} ms`)), timeoutMs);
    child.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      for (const line of buffer.split('\n')) {
        if (!line.startsWith('{')) continue;
        try {
          const parsed = JSON.parse(line) as Record<string, unknown>;
          if (parsed.msg === msg) {
            clearTimeout(timer);
            resolve(parsed);
            return;
          }
        } catch {
          // partial line; wait for more
        }
      }
    });
    child.on('close', () => reject(new Error(`exited before "${msg}"`)));
  });
}
