/**
 * Target: the built `portcullis proxy` (dist/main.js, run with plain node — what users run),
 * forwarding to the shared upstream. Ready when it logs {"msg":"listening","address":"HOST:PORT"}.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { newestSourceMtime } from '../source-tree.ts';
import type { RunningTarget, Target, TargetEnvironment } from './target.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = join(ROOT, 'dist', 'main.js');
const READY_TIMEOUT_MS = 20_000;

function listeningPort(line: string): number {
  const record = JSON.parse(line) as { address?: unknown; port?: unknown };
  const address = typeof record.address === 'string' ? record.address : '';
  const port = Number(/:(\d+)$/.exec(address)?.[1] ?? record.port);
  if (!Number.isInteger(port) || port <= 0) throw new Error(`no port in the listening line: ${line}`);
  return port;
}

export const portcullisTarget: Target = {
  name: 'portcullis',
  description: '`portcullis proxy` (dist/main.js) → upstream over its own keep-alive pool (ADR 0006)',
  unavailable: () => (existsSync(MAIN) ? null : 'dist/main.js is not built (run `npm run build`)'),
  async start(env: TargetEnvironment): Promise<RunningTarget> {
    const { pki, config } = env;
    const args = [
      ...config.nodeArgs,
      MAIN,
      'proxy',
      '--listen',
      '127.0.0.1:0',
      '--cert',
      pki.serverCertFile,
      '--key',
      pki.serverKeyFile,
      '--client-ca',
      pki.caFile,
      '--upstream',
      `http://127.0.0.1:${env.upstreamPort}`,
      '--forward-identity',
      config.forwardIdentity,
      '--session-tickets',
      config.sessionTickets,
    ];
    const child = env.spawn('portcullis', process.execPath, args);
    try {
      const line = await child.waitForLine((l) => l.includes('"msg":"listening"'), READY_TIMEOUT_MS);
      const notes: string[] = [];
      const srcDir = join(ROOT, 'src');
      if (existsSync(srcDir) && newestSourceMtime(srcDir) > statSync(MAIN).mtimeMs) {
        notes.push('dist/ is older than src/: rebuild (`npm run build`) to measure the current code');
      }
      const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
      return {
        port: listeningPort(line),
        pid: child.pid,
        version: `portcullis ${version} on node ${process.version}`,
        notes,
        stop: () => child.stop(),
      };
    } catch (err) {
      await child.stop();
      throw err;
    }
  },
};
