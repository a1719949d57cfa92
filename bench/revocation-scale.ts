/**
 * Revocation at fleet scale in `portcullis serve` (SQLite): a managed CA with N revoked certificates (default
 * 100,000). Reports what an operator feels:
 *
 * - start: seconds from spawn to "listening", and the RSS once started and after a republish;
 * - one revocation through the API: its latency, and the latency of gateway requests sent meanwhile
 *   (a probe on a kept-alive connection, one request every 5 ms), against the same probe when nothing changes.
 *   Revocations are REVOCATION_GAP_MS apart (each gets a CRL of its own) and the probe runs on until the CRL
 *   served by the gateway lists the last one: a CRL generated after the answer is measured too (ADR 0021);
 * - how long after the last revocation's answer the served CRL lists it.
 *
 * The N revoked rows are copies of one issued certificate's row with fresh ids and serials, written straight
 * into the SQLite file while the gateway is stopped (issuing 100,000 certificates through the API would
 * measure issuance, not revocation). Goals (throughput issue): start ≤ 3 s and RSS ≤ 300 MB with 100,000
 * revoked; p99 during revocations ≤ 2× the quiet p99.
 *
 * Run: `npx tsx bench/revocation-scale.ts` (REVOKED=100000 REVOCATIONS=20 REVOCATION_GAP_MS=250;
 * BENCH_CPU_PROF=DIR for CPU profiles; BENCH_DIST=1 for the built gateway). Needs the openssl CLI.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { OpensslWorkdir } from '../test/helpers/openssl.ts';
import { spawnServe, untilListening, type ListeningNode } from '../test/helpers/serve-node.ts';

const REVOKED = Number(process.env.REVOKED ?? 100_000);
const REVOCATIONS = Number(process.env.REVOCATIONS ?? 20);
const REVOCATION_GAP_MS = Number(process.env.REVOCATION_GAP_MS ?? 250);
/** How long the served CRL may take to list the last revocation before the bench gives up waiting. */
const CRL_LAG_LIMIT_MS = 30_000;
const HOST = 'api.scale.test';
const PROBE_INTERVAL_MS = 5;

interface Issued {
  id: string;
  serial: string;
  caId: string;
  certPem: string;
  keyPem: string;
}

const openssl = new OpensslWorkdir();
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'portcullis-revocation-scale-'));
const env = { PORTCULLIS_ADMIN_TOKEN: randomBytes(24).toString('base64url') };

async function api<T>(node: ListeningNode, method: string, route: string, body?: unknown): Promise<T> {
  const response = await fetch(`${node.adminUrl}${route}`, {
    method,
    headers: { authorization: `Bearer ${env.PORTCULLIS_ADMIN_TOKEN}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = (await response.json()) as { success: boolean; result: T; errors: unknown };
  if (!json.success) throw new Error(`${method} ${route}: ${JSON.stringify(json.errors)}`);
  return json.result;
}

async function issue(node: ListeningNode, zoneId: string, cn: string): Promise<Issued> {
  const request = openssl.csr('p256', `/CN=${cn}`);
  const result = await api<{
    id: string;
    certificate: string;
    serial_number: string;
    certificate_authority: { id: string };
  }>(node, 'POST', `/zones/${zoneId}/client_certificates`, { csr: request.csrPem, validity_days: 30 });
  return {
    id: result.id,
    serial: result.serial_number,
    caId: result.certificate_authority.id,
    certPem: result.certificate,
    keyPem: request.keyPem,
  };
}

/** CPU time the process has used so far (user + system, every thread), ms: compared across phases. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

/**
 * The N revoked rows: copies of `template`'s certificate row and state row (migration 0014), straight into the
 * store while the gateway is stopped.
 */
function insertRevoked(templateId: string): void {
  const db = new Database(path.join(dataDir, 'portcullis.db'));
  const copier = (table: string, idColumn: string) => {
    const template = db.prepare(`SELECT * FROM ${table} WHERE ${idColumn} = ?`).get(templateId) as Record<
      string,
      unknown
    >;
    const columns = Object.keys(template);
    const insert = db.prepare(
      `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')})`,
    );
    return (changes: Record<string, unknown>) => insert.run({ ...template, ...changes });
  };
  const certificate = copier('client_certificates', 'id');
  const state = copier('client_certificate_states', 'certificate_id');
  const revokedAt = new Date().toISOString();
  db.transaction(() => {
    for (let index = 0; index < REVOKED; index += 1) {
      const id = randomUUID().replaceAll('-', '');
      const serial = randomBytes(16).toString('hex');
      certificate({ id, serial_number: serial });
      state({ certificate_id: id, serial_number: serial, status: 'revoked', revoked_at: revokedAt });
    }
  })();
  db.close();
}

/** Requests on one kept-alive connection, one every PROBE_INTERVAL_MS, until stopped; latencies in ms. */
function probe(node: ListeningNode, client: Issued, ca: string) {
  const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
  const latencies: number[] = [];
  const state = { running: true };
  const done = (async () => {
    while (state.running) {
      const started = performance.now();
      await new Promise<void>((resolve, reject) => {
        const req = https.request(
          {
            host: '127.0.0.1',
            port: node.gatewayPort,
            servername: HOST,
            headers: { host: HOST },
            ca,
            cert: client.certPem,
            key: client.keyPem,
            agent,
          },
          (res) => {
            res.resume();
            res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode}`))));
          },
        );
        req.on('error', reject);
        req.end();
      });
      latencies.push(performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, PROBE_INTERVAL_MS));
    }
  })();
  return {
    async stop(): Promise<number[]> {
      state.running = false;
      await done;
      agent.destroy();
      return latencies;
    },
  };
}

/** The CRL the gateway serves for `caId` (DER), or undefined while it has none (404). */
async function fetchCrl(node: ListeningNode, caId: string, ca: string): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const req = https.get(
      {
        host: '127.0.0.1',
        port: node.gatewayPort,
        servername: HOST,
        path: `/.well-known/portcullis/crl/${caId}.crl`,
        ca,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve(res.statusCode === 200 ? Buffer.concat(chunks) : undefined));
      },
    );
    req.on('error', reject);
  });
}

/** Ms from now until the served CRL holds `serial` (its content octets: random 16 octets, unique in practice). */
async function untilCrlLists(node: ListeningNode, issued: Issued, ca: string): Promise<number> {
  const started = performance.now();
  const octets = Buffer.from(issued.serial.length % 2 === 0 ? issued.serial : `0${issued.serial}`, 'hex');
  while (performance.now() - started < CRL_LAG_LIMIT_MS) {
    const crl = await fetchCrl(node, issued.caId, ca);
    if (crl !== undefined && crl.includes(octets)) return performance.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return Number.POSITIVE_INFINITY;
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

const describe = (values: number[]): string =>
  `n=${values.length} p50 ${quantile(values, 0.5).toFixed(1)} ms, p99 ${quantile(values, 0.99).toFixed(1)} ms, max ${Math.max(...values).toFixed(1)} ms`;

/** The gateway's CPU since `since`, as a share of one core (all its threads: the CRL thread's too). */
function cpuShareOf(pid: number, since: { at: number; cpu: number }): string {
  return `${((100 * (cpuMs(pid) - since.cpu)) / (performance.now() - since.at)).toFixed(0)} % of a core`;
}

async function startNode(): Promise<{ node: ListeningNode; startSeconds: number }> {
  const started = performance.now();
  // BENCH_CPU_PROF=DIR: a V8 CPU profile of each gateway process, written when it stops.
  const profile = process.env.BENCH_CPU_PROF;
  const nodeArgs = profile === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profile}`];
  // BENCH_DIST=1: the built gateway (dist/main.js, `npm run build`) as users run it, instead of src/ through tsx.
  const entry = process.env.BENCH_DIST === '1' ? path.resolve(import.meta.dirname, '../dist/main.js') : undefined;
  const node = await untilListening(spawnServe(dataDir, [], env, nodeArgs, entry), 300_000);
  return { node, startSeconds: (performance.now() - started) / 1000 };
}

const upstream = http.createServer((_req, res) => res.end('ok'));
await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
const upstreamUrl = `http://127.0.0.1:${(upstream.address() as { port: number }).port}`;

try {
  const first = await startNode();
  let node = first.node;
  console.log(
    `start, empty store (the baseline): ${first.startSeconds.toFixed(2)} s (CPU ${cpuMs(node.child.pid!).toFixed(0)} ms)`,
  );
  const account = await api<{ id: string }>(node, 'POST', '/accounts', { name: 'scale' });
  const zone = await api<{ id: string }>(node, 'POST', '/zones', { name: 'scale.test', account: { id: account.id } });
  await api(node, 'PUT', `/zones/${zone.id}/certificate_authorities/hostname_associations`, { hostnames: [HOST] });
  await api(node, 'POST', `/zones/${zone.id}/gateway/routes`, { hostname: HOST, upstream: upstreamUrl });
  await api(node, 'POST', `/zones/${zone.id}/gateway/mtls_rule`, { hostnames: [HOST] });
  const client = await issue(node, zone.id, 'probe');
  const doomed: Issued[] = [];
  for (let index = 0; index < REVOCATIONS; index += 1) doomed.push(await issue(node, zone.id, `doomed-${index}`));
  await node.stop();

  const insertStarted = performance.now();
  insertRevoked(client.id);
  console.log(`inserted ${REVOKED} revoked rows in ${((performance.now() - insertStarted) / 1000).toFixed(1)} s`);

  const restarted = await startNode();
  node = restarted.node;
  const pid = node.child.pid!;
  const startCpuMs = cpuMs(pid);
  const cpuShare = (since: { at: number; cpu: number }): string => cpuShareOf(pid, since);
  console.log(
    `start with ${REVOKED} revoked: ${restarted.startSeconds.toFixed(2)} s (CPU ${startCpuMs.toFixed(0)} ms), ` +
      `RSS ${rssMb(pid).toFixed(0)} MB`,
  );
  const edgeCa = readFileSync(path.join(dataDir, 'edge-ca.pem'), 'utf8');

  const quietStarted = { at: performance.now(), cpu: cpuMs(pid) };
  const quiet = probe(node, client, edgeCa);
  await new Promise((resolve) => setTimeout(resolve, 5_000));
  const quietLatencies = await quiet.stop();
  const quietCpu = cpuShare(quietStarted);
  console.log(`probe, nothing changing: ${describe(quietLatencies)}; gateway CPU ${quietCpu}`);

  const busyStarted = { at: performance.now(), cpu: cpuMs(pid) };
  const busy = probe(node, client, edgeCa);
  const revocationMs: number[] = [];
  // RSS after each quarter of the revocations: whether it levels off or keeps growing with each one.
  const rssAlong: string[] = [];
  for (const certificate of doomed) {
    const started = performance.now();
    await api(node, 'DELETE', `/zones/${zone.id}/client_certificates/${certificate.id}`);
    revocationMs.push(performance.now() - started);
    await new Promise((resolve) => setTimeout(resolve, REVOCATION_GAP_MS));
    if (revocationMs.length % Math.max(1, Math.floor(REVOCATIONS / 4)) === 0) {
      rssAlong.push(`${revocationMs.length}: ${rssMb(pid).toFixed(0)}`);
    }
  }
  const lastDoomed = doomed.at(-1);
  const crlLagMs = lastDoomed === undefined ? 0 : await untilCrlLists(node, lastDoomed, edgeCa);
  const busyLatencies = await busy.stop();
  const busyCpu = cpuShare(busyStarted);
  console.log(
    `${REVOCATIONS} revocations through the API, one at a time, ${REVOCATION_GAP_MS} ms apart: ${describe(revocationMs)}`,
  );
  console.log(`the served CRL listed the last one ${crlLagMs.toFixed(0)} ms after the bench started looking`);
  console.log(`probe during them: ${describe(busyLatencies)}; gateway CPU ${busyCpu}`);
  console.log(
    `p99 during / quiet: ${(quantile(busyLatencies, 0.99) / quantile(quietLatencies, 0.99)).toFixed(2)}×; ` +
      `RSS after: ${rssMb(pid).toFixed(0)} MB (after revocation n: ${rssAlong.join(', ')} MB)`,
  );
  await node.stop();
  if (process.env.BENCH_STDERR) console.log(node.stderr());
} finally {
  upstream.close();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(openssl.dir, { recursive: true, force: true });
}
