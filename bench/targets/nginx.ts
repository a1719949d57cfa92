/**
 * Target: nginx (where installed) with one worker process, verifying client certificates and
 * proxying to the shared upstream. Skipped cleanly when no nginx binary is found; BENCH_NGINX
 * may name one. Run in the foreground (`daemon off`) so the bench owns and measures its processes.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { freePort, waitForListening } from '../net-util.ts';
import { nginxConfig } from './nginx-config.ts';
import type { RunningTarget, Target, TargetEnvironment } from './target.ts';

const READY_TIMEOUT_MS = 10_000;

function findNginx(): string | null {
  const named = process.env.BENCH_NGINX;
  if (named !== undefined && named !== '') return existsSync(named) ? named : null;
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin', '/usr/local/nginx/sbin'];
  for (const dir of dirs) {
    const candidate = join(dir, 'nginx');
    if (dir !== '' && existsSync(candidate)) return candidate;
  }
  return null;
}

/** "nginx/1.22.1 (OpenSSL 3.0.x)" from `nginx -V`. */
export function nginxVersion(binary: string): string {
  const out = spawnSync(binary, ['-V'], { encoding: 'utf8', timeout: 5_000 }).stderr;
  const version = /nginx version: (\S+)/.exec(out)?.[1] ?? 'nginx (unknown version)';
  const openssl = (/running with (OpenSSL [^\s)]+)/.exec(out) ?? /built with (OpenSSL \S+)/.exec(out))?.[1];
  return openssl === undefined ? version : `${version} (${openssl})`;
}

export const nginxTarget: Target = {
  name: 'nginx',
  description: 'nginx, worker_processes 1, ssl_verify_client on, proxy_pass to upstream (keepalive pool)',
  unavailable: () => (findNginx() === null ? 'nginx is not installed (apt-get install nginx-light)' : null),
  async start(env: TargetEnvironment): Promise<RunningTarget> {
    const binary = findNginx();
    if (binary === null) throw new Error('nginx not found');
    const prefix = join(env.workDir, 'nginx');
    mkdirSync(join(prefix, 'tmp'), { recursive: true });
    // Workers drop to an unprivileged user when started as root: let it reach its temp dirs.
    chmodSync(env.workDir, 0o755);
    chmodSync(prefix, 0o755);
    const port = await freePort();
    const confFile = join(prefix, 'nginx.conf');
    writeFileSync(
      confFile,
      nginxConfig({
        port,
        upstreamPort: env.upstreamPort,
        certFile: env.pki.serverCertFile,
        keyFile: env.pki.serverKeyFile,
        caFile: env.pki.caFile,
        xfcc: env.config.forwardIdentity === 'xfcc',
        sessionTickets: env.config.sessionTickets === 'on',
      }),
    );
    const child = env.spawn('nginx', binary, ['-p', prefix + '/', '-c', confFile, '-e', 'stderr']);
    try {
      await waitForListening(port, READY_TIMEOUT_MS, () => child.running);
    } catch (err) {
      await child.stop();
      throw new Error(`nginx did not start: ${(err as Error).message}\n${child.tail()}`, { cause: err });
    }
    return { port, pid: child.pid, version: nginxVersion(binary), notes: [], stop: () => child.stop() };
  },
};
