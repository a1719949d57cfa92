/**
 * `portcullis serve --workers 2 --store postgres://… --redis redis://…` as a user runs it (a child process over a
 * real PostgreSQL and a real Redis, both started by the test): both workers answer; a change through the API (a
 * route's upstream, a revocation) reaches open keep-alive connections on both workers within a second (the hint
 * goes through Redis); a rate limit is exact across the workers and counted in Redis; analytics written by both
 * workers to PostgreSQL count each request once. Last, a crash loop a user can meet: PostgreSQL goes down and a
 * worker dies; every replacement fails to open the store at its start; while the other worker serves, the primary
 * keeps trying every 30 s and a replacement starts once PostgreSQL is back; when every worker is gone, after five
 * such deaths it gives up, exits 1 and leaves no process behind (docs/adr/0018-workers.md, Supervision).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { Redis } from 'ioredis';
import { spawnServe, untilListening } from '../helpers/serve-node.ts';
import { OpensslWorkdir } from '../helpers/openssl.ts';
import { requestOnSocket } from '../helpers/https-client.ts';
import { postgresSkipReason, startPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { redisSkipReason, startRedis, type TestRedis } from '../helpers/redis.ts';
import {
  exitWithin,
  processesMentioning,
  startPidUpstream,
  within,
  WorkersGateway,
  type PidUpstream,
} from '../helpers/serve-workers.ts';

const HOST = 'api.pgworkers.test';
const skip = postgresSkipReason() ?? redisSkipReason() ?? false;

describe('serve --workers 2 on PostgreSQL with Redis', { skip }, () => {
  let postgres: TestPostgres;
  let redis: TestRedis;
  let dataDir: string;
  let gateway: WorkersGateway;
  let upstream: PidUpstream;
  let otherUpstream: PidUpstream;
  let openssl: OpensslWorkdir;
  let zoneId: string;

  before(async () => {
    [postgres, redis, upstream, otherUpstream] = await Promise.all([
      startPostgres(),
      startRedis(),
      startPidUpstream('first'),
      startPidUpstream('second'),
    ]);
    await postgres.createDatabase('workers');
    const storeUrl = await postgres.createSchema('workers', 'gw');
    openssl = new OpensslWorkdir();
    dataDir = await mkdtemp(path.join(tmpdir(), 'portcullis-pg-workers-'));
    const node = await untilListening(
      spawnServe(dataDir, ['--workers', '2', '--store', storeUrl, '--redis', redis.url, '--shutdown-timeout', '2s']),
      90_000,
    );
    gateway = await WorkersGateway.open(node, dataDir);
    for (const server of [upstream, otherUpstream]) server.watch(() => gateway.workerPids());
    zoneId = await gateway.configureMtlsHost(openssl, {
      account: 'pgworkers',
      zone: 'pgworkers.test',
      host: HOST,
      upstreamUrl: upstream.url,
    });
    await gateway.untilEveryWorkerServes(HOST, 2);
  });

  // PostgreSQL and Redis stop themselves when the test process exits, even if `before` failed half way.
  after(async () => {
    await gateway.node.stop(15_000);
    openssl.remove();
    await Promise.all([upstream.close(), otherUpstream.close(), redis.stop(), postgres.stop()]);
    await rm(dataDir, { recursive: true, force: true });
  });

  test('every process counts in Redis; both workers answer', async () => {
    const counterLines = gateway.node.logs().filter((line) => line.msg === 'usage counters');
    assert.equal(counterLines.length, 3, 'the primary and both workers');
    for (const line of counterLines) assert.equal(line.counters, redis.url);
    const served = new Set<number>();
    for (let i = 0; i < 20 && served.size < 2; i++) {
      const reply = await gateway.getOnce(HOST);
      assert.equal(reply.status, 200);
      served.add(reply.body.pid as number);
    }
    assert.deepEqual([...served].sort(), gateway.workerPids().sort());
  });

  test("a route's new upstream reaches open keep-alive connections on both workers within a second", async () => {
    const sockets = await gateway.connectionPerWorker(HOST, 2);
    try {
      const [route] = (await gateway.api('GET', `/zones/${zoneId}/gateway/routes`)) as { id: string }[];
      assert.ok(route !== undefined);
      await gateway.api('PUT', `/zones/${zoneId}/gateway/routes/${route.id}`, {
        hostname: HOST,
        upstream: otherUpstream.url,
      });
      const took = await within(1_000, async () => {
        const replies = await Promise.all(sockets.map((socket) => requestOnSocket(socket, HOST, '/')));
        return replies.every((reply) => reply.status === 200 && reply.body.upstream === 'second');
      });
      assert.ok(took < 1_000);
      // Back to the first upstream for the tests after this one.
      await gateway.api('PUT', `/zones/${zoneId}/gateway/routes/${route.id}`, {
        hostname: HOST,
        upstream: upstream.url,
      });
      await within(1_000, async () =>
        (await Promise.all(sockets.map((socket) => requestOnSocket(socket, HOST, '/')))).every(
          (reply) => reply.body.upstream === 'first',
        ),
      );
    } finally {
      for (const socket of sockets) socket.destroy();
    }
  });

  test('a revocation through the API reaches open keep-alive connections on both workers within a second', async () => {
    const sockets: TLSSocket[] = await gateway.connectionPerWorker(HOST, 2);
    const device = gateway.device!;
    try {
      await gateway.api('DELETE', `/zones/${zoneId}/client_certificates/${device.id}`);
      const took = await within(1_000, async () => {
        const replies = await Promise.all(sockets.map((socket) => requestOnSocket(socket, HOST, '/')));
        return replies.every((reply) => reply.status === 403);
      });
      assert.ok(took < 1_000);
      await gateway.api('PATCH', `/zones/${zoneId}/client_certificates/${device.id}`, { reactivate: true });
      await within(1_000, async () =>
        (await Promise.all(sockets.map((socket) => requestOnSocket(socket, HOST, '/')))).every(
          (reply) => reply.status === 200,
        ),
      );
    } finally {
      for (const socket of sockets) socket.destroy();
    }
  });

  test('a rate limit of 5 per minute gives exactly 5 × 200 across both workers, counted in Redis', async () => {
    await gateway.api('POST', `/zones/${zoneId}/gateway/apis`, {
      name: 'limited',
      hostname: HOST,
      listen_path: '/limited',
      upstream_url: upstream.url,
      auth: { mode: 'keyless' },
      rate_limit: { rate: 5, per: 60 },
    });
    await gateway.untilEveryWorkerHasApis(zoneId, HOST, 2, otherUpstream);
    // One request on each worker (node:cluster hands connections round robin), then ten at once.
    const first = [await gateway.getOnce(HOST, '/limited/x'), await gateway.getOnce(HOST, '/limited/x')];
    assert.equal(new Set(first.map((reply) => reply.body.pid)).size, 2, 'one on each worker');
    const rest = await Promise.all(Array.from({ length: 10 }, () => gateway.getOnce(HOST, '/limited/x')));
    const statuses = [...first, ...rest].map((reply) => reply.status);
    assert.equal(statuses.filter((status) => status === 200).length, 5, String(statuses));
    assert.equal(statuses.filter((status) => status === 429).length, statuses.length - 5, String(statuses));
    // rate-limiter-flexible counts every attempt in one Redis key per bucket: all of them, from both workers.
    const client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await client.connect();
      const keys = await client.keys('portcullis:rate:5:60*');
      assert.equal(keys.length, 1, String(keys));
      assert.equal(Number(await client.get(keys[0]!)), statuses.length);
    } finally {
      client.disconnect();
    }
  });

  test('analytics count every request once, from both workers', async () => {
    const since = new Date(Date.now() - 1000).toISOString();
    const totals = async (): Promise<number> =>
      (await gateway.api('GET', `/zones/${zoneId}/gateway/analytics?since=${encodeURIComponent(since)}`)).totals
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
    for (let i = 0; i < 10; i++) pids.add((await gateway.getOnce(HOST, '/counted')).body.pid as number);
    assert.equal(pids.size, 2);
    await within(5_000, async () => (await totals()) - start >= 10);
    await new Promise((resolve) => setTimeout(resolve, 1_500)); // a second flush adds nothing
    assert.equal((await totals()) - start, 10);
  });

  test('PostgreSQL down and a worker dies: the other serves on, a replacement is tried every 30 s and starts once PostgreSQL is back', async () => {
    const { node } = gateway;
    const [victim, survivor] = gateway.workerPids();
    assert.ok(victim !== undefined && survivor !== undefined);
    await postgres.pause();
    // The surviving worker serves from its snapshot meanwhile (ADR 0009): only the replacements need the store.
    process.kill(victim, 'SIGKILL');
    const retrying = 'workers keep dying within seconds of starting; the others still serve: trying again every 30 s';
    // Five deaths with backoffs of 0.2 + 0.4 + 0.8 + 1.6 s, each after its start and a connection attempt refused
    // at once (a start takes seconds here: the code is compiled by tsx in every worker).
    await within(120_000, () => node.logs().some((line) => line.msg === retrying));
    assert.ok(node.alive(), 'the gateway did not give up while a worker serves');
    const reply = await gateway.getOnce(HOST);
    assert.equal(reply.status, 200);
    assert.equal(reply.body.pid, survivor, 'the surviving worker answers');
    const backoffs = node
      .logs()
      .filter((line) => line.msg === 'worker died: starting another' && Number(line.restartInMs) > 0)
      .map((line) => line.restartInMs);
    assert.deepEqual(backoffs.slice(0, 4), [200, 400, 800, 1_600]);
    assert.ok(
      backoffs.slice(4).every((ms) => ms === 30_000),
      `then every 30 s: ${backoffs.join(', ')}`,
    );
    // A replacement says why it could not start (its own error, on stderr).
    assert.match(node.stderr(), /GW_ERR_STORE_UNAVAILABLE/);

    const started = () => node.logs().filter((line) => line.msg === 'worker started').length;
    const startedBefore = started();
    await postgres.resume();
    await within(90_000, () => started() > startedBefore);
    await gateway.untilEveryWorkerServes(HOST, 2);
    // The replacement has listened for 10 s: its death would no longer count as one at start (the next test).
    await new Promise((resolve) => setTimeout(resolve, 10_500));
  });

  test('PostgreSQL down and every worker dies: the replacements cannot start, the primary gives up, exits 1, nothing left', async () => {
    const { node } = gateway;
    await postgres.pause();
    for (const pid of gateway.workerPids()) process.kill(pid, 'SIGKILL');
    const code = await exitWithin(node, 120_000);
    assert.equal(code, 1);
    const gaveUp = node.logs().find((line) => line.msg === 'workers keep dying within seconds of starting: giving up');
    assert.ok(gaveUp !== undefined, 'the primary says why it stops');
    assert.equal(gaveUp.deaths, 5);
    await within(5_000, () => processesMentioning(dataDir).length === 0);
    await postgres.resume();
  });
});
