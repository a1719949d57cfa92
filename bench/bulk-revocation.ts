/**
 * The two-gateway bulk-revocation benchmark (docs/adr/0016, "Bulk revocation"): how long after one
 * bulk call through gateway A a revoked certificate is refused by gateway B (and by A), on new
 * handshakes and on connections opened before the call.
 *
 *   PostgreSQL + Redis, started here from Debian's binaries (test/helpers), no Docker
 *   gateways A and B: `portcullis serve` (startGateway, in this process) on that store and Redis
 *   N client certificates issued through A's API, tagged `bench` (batched, BENCH_CONCURRENCY at a time)
 *   per certificate and gateway: one kept-alive HTTP/1.1 connection, checked to answer 200
 *   t0: POST /zones/{zone}/client_certificates/revoke {tag: bench} to A
 *   then until each is refused (403) or BENCH_DEADLINE_MS: a request on every open connection, and
 *   new handshakes for a sample of BENCH_HANDSHAKE_SAMPLE certificates, per gateway
 *
 * Reported (markdown on stdout): the bulk call's own time, and per gateway and kind the distribution
 * of (first 403 − t0) over certificates: p50, p90, p99, max, and how many were never refused. A
 * time includes the probe's own round trip: the probes run in this process, as do both gateways,
 * so on a small machine the figures are an upper bound of what separate processes would show.
 *
 *   BENCH_N=500 node --import tsx bench/bulk-revocation.ts
 */
import { randomBytes } from 'node:crypto';
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import { createTenant, startAdminServer, type AdminServer } from '../test/helpers/admin-server.ts';
import { edgeCaPem } from '../test/helpers/gateway-pki.ts';
import { request } from '../test/helpers/https-client.ts';
import { OpensslWorkdir } from '../test/helpers/openssl.ts';
import { postgresSkipReason, startPostgres } from '../test/helpers/postgres.ts';
import { redisSkipReason, startRedis } from '../test/helpers/redis.ts';
import { startHttp1Echo } from '../test/helpers/upstreams.ts';

const N = positive('BENCH_N', 500);
const CONCURRENCY = positive('BENCH_CONCURRENCY', 16);
const HANDSHAKE_SAMPLE = Math.min(N, positive('BENCH_HANDSHAKE_SAMPLE', 100));
const DEADLINE_MS = positive('BENCH_DEADLINE_MS', 15_000);
/** Pause between two probes of one certificate: the probes share the gateways' process, and unpaced they starve it. */
const PROBE_INTERVAL_MS = positive('BENCH_PROBE_INTERVAL_MS', 100);
const HOST = 'fleet.bench.test';
const TAG = 'bench';

function positive(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
}

function log(message: string): void {
  process.stderr.write(`[bulk-revocation] ${message}\n`);
}

/** Runs `work` over `items`, `limit` at a time. */
async function inBatches<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  });
  await Promise.all(lanes);
  return results;
}

interface Client {
  readonly cert: string;
  readonly key: string;
}

interface Gateway {
  readonly name: string;
  readonly server: AdminServer;
  readonly ca: string;
}

/** One kept-alive connection: an agent with one socket, reused by every request. */
class KeptAlive {
  readonly #agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
  readonly #sockets = new Set<unknown>();

  constructor(
    readonly gateway: Gateway,
    readonly client: Client,
  ) {}

  get socketCount(): number {
    return this.#sockets.size;
  }

  status(): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = https.request(
        {
          host: '127.0.0.1',
          port: this.gateway.server.gatewayPort,
          servername: HOST,
          ca: this.gateway.ca,
          cert: this.client.cert,
          key: this.client.key,
          headers: { host: HOST },
          agent: this.#agent,
        },
        (res) => {
          this.#sockets.add(res.socket);
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end();
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}

function handshakeStatus(gateway: Gateway, client: Client): Promise<number> {
  return request({
    port: gateway.server.gatewayPort,
    ca: gateway.ca,
    servername: HOST,
    cert: client.cert,
    key: client.key,
    headers: { host: HOST, connection: 'close' },
  }).then((response) => response.status);
}

/** Probes until the first 403; ms after t0, or undefined past the deadline. */
async function refusedAfter(probe: () => Promise<number>, t0: number): Promise<number | undefined> {
  while (performance.now() - t0 < DEADLINE_MS) {
    const status = await probe().catch(() => 0);
    if (status === 403) return performance.now() - t0;
    if (status !== 200 && status !== 0) throw new Error(`unexpected status ${status}`);
    await new Promise((resolve) => setTimeout(resolve, PROBE_INTERVAL_MS));
  }
  return undefined;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

function row(label: string, times: readonly (number | undefined)[]): string {
  const done = times.filter((time): time is number => time !== undefined).sort((a, b) => a - b);
  const ms = (value: number) => (Number.isNaN(value) ? '–' : value.toFixed(0));
  const cells = [50, 90, 99].map((p) => ms(percentile(done, p)));
  return `| ${label} | ${times.length} | ${cells.join(' | ')} | ${ms(done.at(-1) ?? Number.NaN)} | ${times.length - done.length} |`;
}

async function main(): Promise<void> {
  const skip = postgresSkipReason() ?? redisSkipReason();
  if (skip !== undefined) throw new Error(`cannot run: ${skip}`);
  log(`N=${N}, handshake sample ${HANDSHAKE_SAMPLE}, deadline ${DEADLINE_MS} ms`);
  const postgres = await startPostgres();
  const redis = await startRedis();
  const upstream = await startHttp1Echo();
  const openssl = new OpensslWorkdir();
  const gateways: Gateway[] = [];
  const kept: KeptAlive[] = [];
  try {
    await postgres.createDatabase('bench');
    const url = await postgres.createSchema('bench', 'gw');
    const env = {
      PORTCULLIS_MASTER_KEY: randomBytes(32).toString('hex'),
      PORTCULLIS_ADMIN_TOKEN: randomBytes(24).toString('base64url'),
    };
    for (const name of ['A', 'B']) {
      const server = await startAdminServer({ kind: 'postgres', url, redisUrl: redis.url }, env);
      gateways.push({ name, server, ca: edgeCaPem(server) });
    }
    const [a] = gateways as [Gateway, Gateway];
    const ok = async <T>(method: string, route: string, body?: unknown): Promise<T> => {
      const response = await a.server.call<T>(method, route, body);
      if (response.status !== 200) throw new Error(`${method} ${route}: ${JSON.stringify(response.body.errors)}`);
      return response.body.result;
    };
    const { zoneId } = await createTenant(a.server, 'bench.test');
    await ok('PUT', `/zones/${zoneId}/certificate_authorities/hostname_associations`, { hostnames: [HOST] });
    await ok('POST', `/zones/${zoneId}/gateway/routes`, { hostname: HOST, upstream: upstream.url });
    await ok('POST', `/zones/${zoneId}/gateway/mtls_rule`, { hostnames: [HOST] });

    // One key for every certificate: what is measured is revocation by certificate, not key work.
    const { csrPem, keyPem } = openssl.csr('p256', '/CN=bench-device');
    let started = performance.now();
    const clients = await inBatches(
      Array.from({ length: N }, (_, index) => index),
      CONCURRENCY,
      async () => {
        const issued = await ok<{ id: string; certificate: string }>('POST', `/zones/${zoneId}/client_certificates`, {
          csr: csrPem,
          validity_days: 7,
        });
        await ok('PUT', `/zones/${zoneId}/client_certificates/${issued.id}/tags`, { tags: [TAG] });
        return { cert: issued.certificate, key: keyPem };
      },
    );
    log(`issued and tagged ${N} certificates in ${((performance.now() - started) / 1000).toFixed(1)} s`);

    started = performance.now();
    for (const gateway of gateways) for (const client of clients) kept.push(new KeptAlive(gateway, client));
    const wait = Date.now() + 10_000;
    // B learns the new hostname through the change feed: retry until every connection answers 200.
    await inBatches(kept, CONCURRENCY * 4, async (connection) => {
      for (;;) {
        const status = await connection.status().catch(() => 0);
        if (status === 200) return;
        if (Date.now() > wait)
          throw new Error(`gateway ${connection.gateway.name} answers ${status} before revocation`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    });
    log(`opened ${kept.length} kept-alive connections in ${((performance.now() - started) / 1000).toFixed(1)} s`);

    const sample = clients.slice(0, HANDSHAKE_SAMPLE);
    const t0 = performance.now();
    const revoking = ok<{ revoked: number }>('POST', `/zones/${zoneId}/client_certificates/revoke`, { tag: TAG }).then(
      (result) => ({ result, ms: performance.now() - t0 }),
    );
    const [bulk, openTimes, newTimes] = await Promise.all([
      revoking,
      Promise.all(kept.map((connection) => refusedAfter(() => connection.status(), t0))),
      Promise.all(
        gateways.map((gateway) =>
          Promise.all(sample.map((client) => refusedAfter(() => handshakeStatus(gateway, client), t0))),
        ),
      ),
    ]);
    if (bulk.result.revoked !== N) throw new Error(`the bulk call revoked ${bulk.result.revoked}, not ${N}`);
    const reused = kept.every((connection) => connection.socketCount === 1);

    const lines = [
      `## Bulk revocation across two gateways (N = ${N})`,
      '',
      `PostgreSQL + Redis; gateways A and B in one Node ${process.version} process with the probes; ` +
        `bulk call through A: ${bulk.ms.toFixed(0)} ms for ${bulk.result.revoked} certificates. ` +
        `Times are ms from the start of the bulk call to the first 403${reused ? '' : ' (some kept-alive connections were reopened: their times are not of open connections)'}.`,
      '',
      '| gateway, kind | count | p50 | p90 | p99 | max | never refused |',
      '|---|---:|---:|---:|---:|---:|---:|',
      ...gateways.flatMap((gateway, index) => [
        row(
          `${gateway.name}, open connection`,
          openTimes.filter((_, at) => kept[at]?.gateway === gateway),
        ),
        row(`${gateway.name}, new handshake (sample)`, newTimes[index] ?? []),
      ]),
      '',
    ];
    process.stdout.write(lines.join('\n'));
  } finally {
    for (const connection of kept) connection.close();
    await Promise.all(gateways.map((gateway) => gateway.server.stop()));
    await upstream.close();
    openssl.remove();
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
