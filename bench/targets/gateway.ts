/**
 * Targets: the multi-host gateway data plane of `portcullis serve` (gateway-server.ts), built
 * in-process without a store, in three set-ups measured in the same run:
 *  - gateway-1-host: one hostname (`localhost`), no revocations, no rules — the baseline;
 *  - gateway-1000-hosts: the same host plus 999 others, each with its own certificate and TLS
 *    server, and 100,000 revoked serials in every host's revocation index (issue 4: within 10%);
 *  - gateway-1-host-20-rules: the baseline plus a 20-rule custom ruleset (issue 5: within 5%);
 *  - gateway-1-host-dynamic-mtls: route `/` is an mtls_dynamic API (the client's certificate finds
 *    its key, with a rate limit), analytics to SQLite and metrics on (issue 6: within 15%).
 * The load always goes to `localhost`. The extra hosts' certificates are issued once per run.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { writeHostCertificates } from '../bench-pki.ts';
import { primeHosts } from '../prime-hosts.ts';
import { treeMemory } from '../proc-memory.ts';
import { newestSourceMtime, sourceRevision } from '../source-tree.ts';
import type { TargetName } from '../config.ts';
import type { GatewayJob, GatewayReady } from './gateway-setup.ts';
import type { RunningTarget, Target, TargetEnvironment } from './target.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** 1,000 policies × 100,000 serials build in ~20 s on a quiet core, 50 s on a busy one: allow ten minutes. */
const READY_TIMEOUT_MS = 600_000;
const HOSTNAME = 'localhost';

interface GatewaySpec {
  name: TargetName;
  description: string;
  hosts: number;
  revokedSerials: number;
  rules: boolean;
  dynamicMtls: boolean;
}

/** Newest src/ file when the first gateway target started: each round loads src/ anew. */
let sourceMtimeAtFirstStart: number | undefined;

interface OtherHosts {
  file: string;
  hostnames: string[];
  /** Time taken to issue their certificates. */
  ms: number;
}

/** The other hostnames' certificates, issued once per run and work dir (about 1.5 ms each). */
const issued = new Map<string, Promise<OtherHosts>>();

function otherHosts(env: TargetEnvironment, count: number): Promise<OtherHosts> {
  const file = join(env.workDir, `hosts-${count}.json`);
  let pending = issued.get(file);
  if (pending === undefined) {
    const hostnames = Array.from({ length: count }, (_, i) => `h${i + 1}.bench.test`);
    const start = performance.now();
    pending = writeHostCertificates(env.pki, file, hostnames).then(() => ({
      file,
      hostnames,
      ms: performance.now() - start,
    }));
    issued.set(file, pending);
  }
  return pending;
}

function gatewayTarget(spec: GatewaySpec): Target {
  return {
    name: spec.name,
    description: spec.description,
    withoutClientCertificate: spec.rules || spec.dynamicMtls ? 'refused' : 'served',
    unavailable: () => null,
    async start(env: TargetEnvironment): Promise<RunningTarget> {
      const { pki, config } = env;
      const notes: string[] = [];
      const mtime = newestSourceMtime(join(ROOT, 'src'));
      sourceMtimeAtFirstStart ??= mtime;
      if (mtime !== sourceMtimeAtFirstStart) {
        notes.push(
          `src/ CHANGED during the run (newest file ${new Date(mtime).toISOString()}): rounds measured different code`,
        );
      }
      if (spec.dynamicMtls && config.dynamicWithout.length > 0) {
        notes.push(`DIAGNOSIS: without ${config.dynamicWithout.join(' and ')} (BENCH_DYNAMIC_WITHOUT)`);
      }
      const others = spec.hosts > 1 ? await otherHosts(env, spec.hosts - 1) : undefined;
      if (others !== undefined) {
        notes.push(
          `${others.hostnames.length} extra server certificates (one shared P-256 key) issued in ${(others.ms / 1000).toFixed(1)} s`,
        );
      }
      const job: GatewayJob = {
        hostname: HOSTNAME,
        serverCertFile: pki.serverCertFile,
        serverKeyFile: pki.serverKeyFile,
        caFile: pki.caFile,
        clientSerialHex: pki.clientSerialHex,
        otherHostsFile: others?.file ?? null,
        revokedSerials: spec.revokedSerials,
        rules: spec.rules,
        dynamicMtls: spec.dynamicMtls,
        dynamicWithout: spec.dynamicMtls ? config.dynamicWithout : [],
        clientSha256: new X509Certificate(pki.clientCertPem).fingerprint256.replaceAll(':', '').toLowerCase(),
        workDir: env.workDir,
        upstreamPort: env.upstreamPort,
        identity: config.forwardIdentity,
        sessionTickets: config.sessionTickets === 'on',
      };
      const jobFile = join(env.workDir, `${spec.name}.job.json`);
      writeFileSync(jobFile, JSON.stringify(job), { mode: 0o600 });
      const child = env.spawnScript(spec.name, new URL('./gateway-server.ts', import.meta.url), [jobFile]);
      try {
        const line = await child.waitForLine((l) => l.startsWith('{"port":'), READY_TIMEOUT_MS);
        const ready = JSON.parse(line) as GatewayReady;
        // Every host's TLS server is created by its first connection: make them all exist.
        const primeStart = performance.now();
        await primeHosts(ready.port, [HOSTNAME, ...(others?.hostnames ?? [])], {
          certPem: pki.clientCertPem,
          keyPem: pki.clientKeyPem,
        });
        const primeMs = Math.round(performance.now() - primeStart);
        const rssMb = Math.round(treeMemory(child.pid).rssMb);
        const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
        return {
          port: ready.port,
          pid: child.pid,
          version: `portcullis ${version} (src/ through tsx, ${sourceRevision(ROOT) || 'no git'}) on node ${process.version}`,
          notes,
          startup: { ...ready.figures, primeMs, rssMb },
          stop: () => child.stop(),
        };
      } catch (err) {
        await child.stop();
        throw err;
      }
    },
  };
}

export const gateway1HostTarget = gatewayTarget({
  name: 'gateway-1-host',
  description:
    "`serve`'s data plane without a store: SNI router + GatewayRequestHandler, 1 hostname, client auth optional, no rules, route / → upstream",
  hosts: 1,
  revokedSerials: 0,
  rules: false,
  dynamicMtls: false,
});

export const gateway1000HostsTarget = gatewayTarget({
  name: 'gateway-1000-hosts',
  description:
    'as gateway-1-host, plus 999 hostnames (own certificate and TLS server each, all touched before the bench) and 100,000 revoked serials of the bench CA in every host policy',
  hosts: 1000,
  revokedSerials: 100_000,
  rules: false,
  dynamicMtls: false,
});

export const gateway1Host20RulesTarget = gatewayTarget({
  name: 'gateway-1-host-20-rules',
  description:
    'as gateway-1-host, plus a 20-rule custom ruleset (the mTLS rule + 19 realistic rules, none matching the bench request: all 20 evaluated per request)',
  hosts: 1,
  revokedSerials: 0,
  rules: true,
  dynamicMtls: false,
});

export const gateway1HostDynamicMtlsTarget = gatewayTarget({
  name: 'gateway-1-host-dynamic-mtls',
  description:
    'as gateway-1-host, with route / as an mtls_dynamic API: the client certificate finds its key (leaf SHA-256), a rate limit is counted per request, and analytics (batched to SQLite) and Prometheus metrics are on',
  hosts: 1,
  revokedSerials: 0,
  rules: false,
  dynamicMtls: true,
});
