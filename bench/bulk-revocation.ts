/**
 * The two-gateway bulk-revocation benchmark (docs/adr/0016, "Bulk revocation"): how long after one bulk
 * call through gateway A every device of a revoked tag is refused by gateway A and gateway B, on new
 * handshakes and on connections opened before the call. Goal: 10,000 certificates in one call refused
 * everywhere within 1 second.
 *
 *   PostgreSQL + Redis, started here from Debian's binaries (test/helpers), no Docker
 *   gateways A and B: two `portcullis serve` child processes on that store and Redis (BENCH_DIST=1: the
 *     built dist/main.js, else src/ through tsx), and a one-line upstream
 *   A's API makes the tenant, the mTLS hostname and route, and one certificate (which creates the managed CA)
 *   R sets of N certificates, tagged `bench-1` … `bench-R`, signed in this process with the managed CA's
 *     key and inserted straight into PostgreSQL before B starts (bulk-revocation-fleet.ts)
 *   per round r: on each gateway K open connections (one certificate of set r each, a request every
 *     BENCH_PROBE_INTERVAL_MS) and H new-handshake loops (certificates of set r), all answering 200; then
 *     t0 = the start of POST /zones/{zone}/client_certificates/revoke?per_page=1 {tag: bench-r} to A; each probe
 *     stops at its first refusal (403, or its connection closed) or at BENCH_DEADLINE_MS
 *
 * Reported (markdown on stdout, progress on stderr): per round and gateway the time from t0 to the first
 * refusal, to the last handshake loop's refusal and to the last open connection's; their distribution
 * over rounds (p50, p90, max) per gateway and overall; every probe's time by gateway and kind; and
 * whether every probe saw the revocation within 1 s. A time includes the probe's own round trip and up
 * to one probe interval: the probes run in this process, the gateways in theirs.
 *
 *   BENCH_N=500 BENCH_R=2 node --import tsx bench/bulk-revocation.ts
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { OpensslWorkdir } from '../test/helpers/openssl.ts';
import { postgresSkipReason, startPostgres } from '../test/helpers/postgres.ts';
import { redisSkipReason, startRedis } from '../test/helpers/redis.ts';
import { spawnServe, untilListening, type ListeningNode } from '../test/helpers/serve-node.ts';
import { insertFleet, type FleetDevice } from './bulk-revocation-fleet.ts';
import {
  probeNewHandshakes,
  probeOpenConnection,
  type ProbeCredentials,
  type ProbeGateway,
  type Refusal,
  type RevocationClock,
  type RunningProbe,
} from './bulk-revocation-probes.ts';
import { roundReport, type GatewayRound, type RoundResult } from './bulk-revocation-report.ts';

const N = positive('BENCH_N', 10_000);
const R = positive('BENCH_R', 5);
const K = positive('BENCH_K', 8);
const HANDSHAKE_LOOPS = positive('BENCH_HANDSHAKE_LOOPS', 2);
const PROBE_INTERVAL_MS = positive('BENCH_PROBE_INTERVAL_MS', 5);
const DEADLINE_MS = positive('BENCH_DEADLINE_MS', 30_000);
/** Certificates each handshake loop goes through (a new one per handshake, so no session or cache helps). */
const CERTIFICATES_PER_LOOP = 20;
const HOST = 'fleet.bench.test';
const VALIDITY_DAYS = 7;
const READY_TIMEOUT_MS = 30_000;

function positive(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
}

function log(message: string): void {
  process.stderr.write(`[bulk-revocation] ${message}\n`);
}

const seconds = (since: number) => `${((performance.now() - since) / 1000).toFixed(1)} s`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Gateway {
  readonly node: ListeningNode;
  readonly probe: ProbeGateway;
}

class AdminApi {
  constructor(
    private readonly node: ListeningNode,
    private readonly token: string,
  ) {}

  async call<T>(method: string, route: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.node.adminUrl}${route}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json = (await response.json()) as { success: boolean; result: T; errors: unknown };
    if (!json.success) throw new Error(`${method} ${route}: ${JSON.stringify(json.errors)}`);
    return json.result;
  }
}

async function startGateway(name: string, dataDir: string, args: string[], env: Record<string, string>) {
  // BENCH_DIST=1: the built gateway (dist/main.js, `npm run build`) as users run it, instead of src/ through tsx.
  const entry = process.env.BENCH_DIST === '1' ? path.resolve(import.meta.dirname, '../dist/main.js') : undefined;
  // BENCH_CPU_PROF=DIR: a V8 CPU profile of each gateway process, written when it stops.
  const profile = process.env.BENCH_CPU_PROF;
  const nodeArgs = profile === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profile}`];
  const started = performance.now();
  const node = await untilListening(spawnServe(dataDir, args, env, nodeArgs, entry), 120_000);
  log(`gateway ${name} listening after ${seconds(started)} (pid ${node.child.pid})`);
  const gateway: Gateway = {
    node,
    probe: { name, port: node.gatewayPort, ca: readFileSync(path.join(dataDir, 'edge-ca.pem'), 'utf8'), host: HOST },
  };
  return gateway;
}

/** Rejects after `ms` unless `promise` settles first. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function runRound(
  round: number,
  gateways: readonly Gateway[],
  api: AdminApi,
  zoneId: string,
  fleet: readonly FleetDevice[],
  keyPem: string,
): Promise<RoundResult> {
  const credentials = (device: FleetDevice | undefined): ProbeCredentials => {
    if (device === undefined) throw new Error(`BENCH_N is too small for BENCH_K and BENCH_HANDSHAKE_LOOPS`);
    return { certPem: device.certPem, keyPem };
  };
  const clock: RevocationClock = { t0: undefined };
  let next = 0;
  const probes = gateways.map((gateway) => ({
    gateway,
    open: Array.from({ length: K }, () =>
      probeOpenConnection(gateway.probe, credentials(fleet[next++]), clock, PROBE_INTERVAL_MS),
    ),
    handshakes: Array.from({ length: HANDSHAKE_LOOPS }, () => {
      const certificates = Array.from({ length: CERTIFICATES_PER_LOOP }, () => credentials(fleet[next++]));
      return probeNewHandshakes(gateway.probe, certificates, clock, PROBE_INTERVAL_MS);
    }),
  }));
  const all: RunningProbe[] = probes.flatMap((set) => [...set.open, ...set.handshakes]);
  // Settles once every probe is refused or stopped; rejects at once when one fails (a refusal before t0, a bad
  // status), which must end the run rather than leave it waiting.
  const refusals = Promise.all(all.map((probe) => probe.refused));
  refusals.catch(() => undefined);
  await within(Promise.race([Promise.all(all.map((probe) => probe.ready)), refusals]), READY_TIMEOUT_MS, 'probes');
  await sleep(500);

  const tag = `bench-${round}`;
  const t0 = performance.now();
  clock.t0 = t0;
  // One id in the answer, as `cert revoke-bulk` asks: the count is what is checked, not 10,000 ids of JSON.
  const route = `/zones/${zoneId}/client_certificates/revoke?per_page=1`;
  const bulk = await api.call<{ revoked: number }>('POST', route, { tag });
  const bulkMs = performance.now() - t0;
  if (bulk.revoked !== N) throw new Error(`the bulk call revoked ${bulk.revoked}, not ${N}`);
  const deadline = setTimeout(() => all.forEach((probe) => probe.stop()), Math.max(0, DEADLINE_MS - bulkMs));
  let outcomes: (Refusal | undefined)[];
  try {
    outcomes = await refusals;
  } finally {
    clearTimeout(deadline);
  }
  let at = 0;
  const perGateway: GatewayRound[] = probes.map((set) => {
    const open = outcomes.slice(at, at + set.open.length);
    at += set.open.length;
    const handshakes = outcomes.slice(at, at + set.handshakes.length);
    at += set.handshakes.length;
    return { gateway: set.gateway.probe.name, open, handshakes };
  });
  return { round, bulkMs, perGateway };
}

async function main(): Promise<void> {
  const skip = postgresSkipReason() ?? redisSkipReason();
  if (skip !== undefined) throw new Error(`cannot run: ${skip}`);
  log(`N=${N} R=${R} K=${K} handshake loops=${HANDSHAKE_LOOPS} interval=${PROBE_INTERVAL_MS} ms`);
  const postgres = await startPostgres();
  const redis = await startRedis();
  const upstream = http.createServer((_request, response) => response.end('ok'));
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const upstreamUrl = `http://127.0.0.1:${(upstream.address() as { port: number }).port}`;
  const openssl = new OpensslWorkdir();
  const dirs = ['A', 'B'].map((name) => mkdtempSync(path.join(os.tmpdir(), `portcullis-bulk-${name}-`)));
  const gateways: Gateway[] = [];
  try {
    await postgres.createDatabase('bench');
    const storeUrl = await postgres.createSchema('bench', 'gw');
    const masterKeyHex = randomBytes(32).toString('hex');
    const token = randomBytes(24).toString('base64url');
    const env = { PORTCULLIS_MASTER_KEY: masterKeyHex, PORTCULLIS_ADMIN_TOKEN: token };
    const args = ['--store', storeUrl, '--redis', redis.url];

    const a = await startGateway('A', dirs[0] as string, args, env);
    gateways.push(a);
    const api = new AdminApi(a.node, token);
    const account = await api.call<{ id: string }>('POST', '/accounts', { name: 'fleet' });
    const zone = await api.call<{ id: string }>('POST', '/zones', { name: 'bench.test', account: { id: account.id } });
    await api.call('PUT', `/zones/${zone.id}/certificate_authorities/hostname_associations`, { hostnames: [HOST] });
    await api.call('POST', `/zones/${zone.id}/gateway/routes`, { hostname: HOST, upstream: upstreamUrl });
    await api.call('POST', `/zones/${zone.id}/gateway/mtls_rule`, { hostnames: [HOST] });
    const { csrPem, keyPem } = openssl.csr('p256', '/CN=bench-device');
    // The account's managed CA is made on its first certificate.
    await api.call('POST', `/zones/${zone.id}/client_certificates`, { csr: csrPem, validity_days: VALIDITY_DAYS });

    const issuing = performance.now();
    const fleets: FleetDevice[][] = [];
    for (let round = 1; round <= R; round += 1) {
      fleets.push(
        await insertFleet({
          storeUrl,
          accountId: account.id,
          zoneId: zone.id,
          masterKeyHex,
          csrPem,
          count: N,
          tag: `bench-${round}`,
          validityDays: VALIDITY_DAYS,
        }),
      );
    }
    log(`issued and inserted ${R} × ${N} certificates in ${seconds(issuing)}`);
    gateways.push(await startGateway('B', dirs[1] as string, args, env));

    const results: RoundResult[] = [];
    for (let round = 1; round <= R; round += 1) {
      const result = await runRound(round, gateways, api, zone.id, fleets[round - 1] as FleetDevice[], keyPem);
      log(`round ${round}: bulk call ${result.bulkMs.toFixed(0)} ms`);
      results.push(result);
    }
    const runner = process.env.BENCH_DIST === '1' ? 'dist/main.js' : 'src/ through tsx';
    process.stdout.write(
      roundReport(results, {
        n: N,
        k: K,
        handshakeLoops: HANDSHAKE_LOOPS,
        intervalMs: PROBE_INTERVAL_MS,
        deadlineMs: DEADLINE_MS,
        setting: `PostgreSQL + Redis; gateways A and B: two \`serve\` processes (${runner}) on Node ${process.version}`,
      }),
    );
  } catch (error) {
    for (const gateway of gateways) log(`gateway ${gateway.probe.name} stderr:\n${gateway.node.stderr().slice(-4000)}`);
    throw error;
  } finally {
    await Promise.all(gateways.map((gateway) => gateway.node.stop()));
    upstream.close();
    openssl.remove();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    await redis.stop();
    await postgres.stop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`[bulk-revocation] failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
