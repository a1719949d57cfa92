/**
 * `portcullis serve --workers 2` as a user runs it (a child process, SQLite): two workers behind one
 * gateway port, the primary running the admin API. Which worker served a request is read from the
 * upstream's side: the test's upstream looks up which process owns the connection it accepted
 * (/proc), and answers with that pid; the product has no debug header for it.
 */
import 'reflect-metadata';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TLSSocket } from 'node:tls';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import https from 'node:https';
import { X509Crl } from '@peculiar/x509';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnServe, untilListening, type ListeningNode } from '../helpers/serve-node.ts';
import { OpensslWorkdir } from '../helpers/openssl.ts';
import { requestOnSocket, type SocketReply } from '../helpers/https-client.ts';
import { startPidUpstream, within, WorkersGateway, type PidUpstream } from '../helpers/serve-workers.ts';

const HOST = 'api.workers.test';

describe('serve --workers 2', () => {
  let dataDir: string;
  let gateway: WorkersGateway;
  let node: ListeningNode;
  let upstream: PidUpstream;
  let apiUpstream: PidUpstream;
  let openssl: OpensslWorkdir;
  let zoneId: string;
  const workerPids = (): number[] => gateway.workerPids();
  const api = (method: string, route: string, body?: unknown): Promise<any> => gateway.api(method, route, body);
  const connect = (options: { session?: Buffer; servername?: string } = {}): Promise<TLSSocket> =>
    gateway.connect(options.servername ?? HOST, options.session === undefined ? {} : { session: options.session });
  const get = (socket: TLSSocket, requestPath = '/'): Promise<SocketReply> =>
    requestOnSocket(socket, HOST, requestPath);
  const getOnce = (requestPath = '/'): Promise<SocketReply> => gateway.getOnce(HOST, requestPath);
  const metric = (name: string): Promise<number> => gateway.metric(name);

  before(async () => {
    [upstream, apiUpstream] = await Promise.all([startPidUpstream(), startPidUpstream('api')]);
    openssl = new OpensslWorkdir();
    dataDir = await mkdtemp(path.join(tmpdir(), 'portcullis-workers-'));
    node = await untilListening(spawnServe(dataDir, ['--workers', '2', '--shutdown-timeout', '10s']), 90_000);
    gateway = await WorkersGateway.open(node, dataDir);
    for (const server of [upstream, apiUpstream]) server.watch(workerPids);
    zoneId = await gateway.configureMtlsHost(openssl, {
      account: 'workers',
      zone: 'workers.test',
      host: HOST,
      upstreamUrl: upstream.url,
    });
    // Both workers learn the hostname: fresh connections until each has answered 200.
    await gateway.untilEveryWorkerServes(HOST, 2);
  });

  after(async () => {
    await node.stop(15_000);
    openssl.remove();
    await Promise.all([upstream.close(), apiUpstream.close()]);
    await rm(dataDir, { recursive: true, force: true });
  });

  test('every log line of a worker names it; both workers answer requests', async () => {
    const pids = workerPids();
    assert.equal(pids.length, 2);
    const served = new Set<number>();
    for (let i = 0; i < 20 && served.size < 2; i++) {
      const reply = await getOnce();
      assert.equal(reply.status, 200);
      served.add(reply.body.pid as number);
    }
    assert.deepEqual([...served].sort(), [...pids].sort());
    const workerIds = new Set(
      node
        .logs()
        .filter((line) => line.msg === 'usage counters')
        .map((line) => line.worker),
    );
    assert.deepEqual([...workerIds].sort(), [undefined, 1, 2].sort());
  });

  test('/metrics on the admin listener counts the requests of both workers', async () => {
    const before = await metric('portcullis_requests_total');
    const pids = new Set<number>();
    for (let i = 0; i < 6; i++) pids.add((await getOnce()).body.pid as number);
    assert.equal(pids.size, 2, 'both workers served some of them');
    assert.equal((await metric('portcullis_requests_total')) - before, 6);
  });

  test('a rate limit of 5 per minute gives exactly 5 × 200 across both workers', async () => {
    await api('POST', `/zones/${zoneId}/gateway/apis`, {
      name: 'limited',
      hostname: HOST,
      listen_path: '/limited',
      upstream_url: upstream.url,
      auth: { mode: 'keyless' },
      rate_limit: { rate: 5, per: 60 },
    });
    await gateway.untilEveryWorkerHasApis(zoneId, HOST, 2, apiUpstream);
    // One request on each worker (node:cluster hands connections round robin), then ten at once.
    const first = [await getOnce('/limited/x'), await getOnce('/limited/x')];
    assert.equal(new Set(first.map((reply) => reply.body.pid)).size, 2, 'one on each worker');
    const rest = await Promise.all(Array.from({ length: 10 }, () => getOnce('/limited/x')));
    const statuses = [...first, ...rest].map((reply) => reply.status);
    assert.equal(statuses.filter((status) => status === 200).length, 5, String(statuses));
    assert.equal(statuses.filter((status) => status === 429).length, statuses.length - 5, String(statuses));
  });

  test('analytics count every request once, from both workers', async () => {
    const since = new Date(Date.now() - 1000).toISOString();
    const totals = async (): Promise<number> =>
      (await api('GET', `/zones/${zoneId}/gateway/analytics?since=${encodeURIComponent(since)}`)).totals
        .requests as number;
    // The requests of the tests before are written within a second or two: wait until none is pending.
    let start = await totals();
    for (let stable = 0; stable < 2;) {
      await new Promise((resolve) => setTimeout(resolve, 1_200));
      const now = await totals();
      stable = now === start ? stable + 1 : 0;
      start = now;
    }
    const pids = new Set<number>();
    for (let i = 0; i < 10; i++) pids.add((await getOnce('/counted')).body.pid as number);
    assert.equal(pids.size, 2);
    await within(5_000, async () => (await totals()) - start >= 10);
    await new Promise((resolve) => setTimeout(resolve, 1_500)); // a second flush adds nothing
    assert.equal((await totals()) - start, 10);
  });

  test('a session ticket issued by one worker resumes on the other, and not for another hostname', async () => {
    const first = await connect();
    const sessions: Buffer[] = [];
    first.on('session', (ticket: Buffer) => sessions.push(ticket));
    const issuer = (await get(first)).body.pid;
    // TLS 1.3 tickets come after the handshake as 'session' events; TLS 1.2's is in the handshake.
    const session = sessions.at(-1) ?? first.getSession();
    first.destroy();
    assert.ok(session !== undefined, 'the worker issued a session');
    let resumedElsewhere = false;
    for (let i = 0; i < 20 && !resumedElsewhere; i++) {
      const socket = await connect({ session });
      const reply = await get(socket);
      assert.equal(reply.status, 200);
      if (reply.body.pid !== issuer && socket.isSessionReused()) resumedElsewhere = true;
      socket.destroy();
    }
    assert.ok(resumedElsewhere, 'a connection served by the other worker resumed the session');
    // The same ticket for the gateway's own name (another trust set): a full handshake, on any worker.
    for (let i = 0; i < 4; i++) {
      const socket = await connect({ session, servername: 'localhost' });
      assert.equal(socket.isSessionReused(), false);
      socket.destroy();
    }
  });

  test('a revocation through the API reaches open keep-alive connections on both workers within a second', async () => {
    const sockets = await gateway.connectionPerWorker(HOST, 2);
    const device = gateway.device!;
    try {
      await api('DELETE', `/zones/${zoneId}/client_certificates/${device.id}`);
      const took = await within(1_000, async () => {
        const statuses = await Promise.all(sockets.map((socket) => get(socket).then((reply) => reply.status)));
        return statuses.every((status) => status === 403);
      });
      assert.ok(took < 1_000);
      // Reactivated for the tests after this one.
      await api('PATCH', `/zones/${zoneId}/client_certificates/${device.id}`, { reactivate: true });
      await within(1_000, async () => (await get(sockets[0]!)).status === 200);
    } finally {
      for (const socket of sockets) socket.destroy();
    }
  });

  /** The managed CA's CRL, over a new connection (node:cluster hands them to the workers in turn). */
  const fetchCrl = async (caId: string): Promise<Buffer> => {
    const edgeCa = await readFile(path.join(dataDir, 'edge-ca.pem'), 'utf8');
    return new Promise((resolve, reject) => {
      const request = https.get(
        {
          host: '127.0.0.1',
          port: node.gatewayPort,
          servername: HOST,
          path: `/.well-known/portcullis/crl/${caId}.crl`,
          ca: edgeCa,
          agent: false,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () =>
            response.statusCode === 200 ? resolve(Buffer.concat(chunks)) : reject(new Error(`${response.statusCode}`)),
          );
        },
      );
      request.on('error', reject);
    });
  };
  /** Six fetches: both workers answer some of them. */
  const crlsServed = (caId: string): Promise<Buffer[]> => Promise.all(Array.from({ length: 6 }, () => fetchCrl(caId)));
  const deviceRecord = async (): Promise<{ certificate_authority: { id: string }; serial_number: string }> =>
    api('GET', `/zones/${zoneId}/client_certificates/${gateway.device!.id}`);

  test('one CRL per revocation, made by the primary: both workers serve the same bytes, one CRL number later', async () => {
    const device = gateway.device!;
    const record = await deviceRecord();
    const caId = record.certificate_authority.id;
    const crlNumberOf = (der: Buffer): bigint => {
      const extension = new X509Crl(der).extensions.find((item) => item.type === '2.5.29.20');
      assert.ok(extension !== undefined, 'the CRL has a CRL number');
      // extnValue holds the INTEGER's DER (RFC 5280 §5.2.3): tag, one length octet, the content octets.
      return BigInt(`0x${Buffer.from(extension.value).subarray(2).toString('hex')}`);
    };
    const before = await crlsServed(caId);
    assert.ok(
      before.every((crl) => crl.equals(before[0]!)),
      'the same CRL from every worker before',
    );
    const serialOctets = Buffer.from(record.serial_number, 'hex');
    try {
      await api('DELETE', `/zones/${zoneId}/client_certificates/${device.id}`);
      let after: Buffer[] = [];
      await within(5_000, async () => {
        after = await crlsServed(caId);
        return after.every((crl) => crl.includes(serialOctets));
      });
      assert.ok(
        after.every((crl) => crl.equals(after[0]!)),
        'the same bytes from every worker',
      );
      assert.equal(crlNumberOf(after[0]!), crlNumberOf(before[0]!) + 1n, 'one CRL number for the revocation');
    } finally {
      await api('PATCH', `/zones/${zoneId}/client_certificates/${device.id}`, { reactivate: true });
    }
  });

  test('kill -9 of a worker: logged, replaced, and the gateway keeps serving', async () => {
    const [victim] = workerPids();
    assert.ok(victim !== undefined);
    process.kill(victim, 'SIGKILL');
    await within(30_000, () => node.logs().some((line) => line.msg === 'worker started'));
    const died = node.logs().find((line) => line.msg === 'worker died: starting another');
    assert.equal(died?.signal, 'SIGKILL');
    assert.equal(workerPids().length, 2);
    assert.ok(!workerPids().includes(victim));
    for (let i = 0; i < 4; i++) assert.equal((await getOnce()).status, 200);
    // The replacement serves the CRL the primary made before it started (listed to it at start).
    const caId = (await deviceRecord()).certificate_authority.id;
    const crls = await crlsServed(caId);
    assert.ok(
      crls.every((crl) => crl.equals(crls[0]!)),
      'the same CRL from the replacement and the other worker',
    );
  });

  test('SIGTERM drains: a slow request in flight completes, then every process exits 0', async () => {
    const socket = await connect();
    const inFlight = get(socket, '/slow?ms=1500');
    await new Promise((resolve) => setTimeout(resolve, 300));
    node.child.kill('SIGTERM');
    const reply = await inFlight;
    assert.equal(reply.status, 200);
    socket.destroy();
    assert.equal(await node.exited, 0);
    assert.equal(node.logs().filter((line) => line.msg === 'stopped').length, 3);
    // Each worker ended on its own once drained: none had to be killed.
    assert.ok(!node.logs().some((line) => line.msg === 'workers still running after the drain: killed'));
  });
});
