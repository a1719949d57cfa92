/**
 * A cluster of `portcullis serve` processes when its PostgreSQL fails, as an operator would see it:
 *  - PostgreSQL restarted (`pg_ctl restart -m fast`) and sessions terminated (`pg_terminate_backend`)
 *    under admin API and data-plane load. The nodes are child processes: the question is whether
 *    they stay up. They must; the data plane keeps serving from its last snapshot, the admin API
 *    answers 503 GW_ERR_STORE_UNAVAILABLE (Retry-After) rather than 500, and writes work again once
 *    PostgreSQL is back.
 *  - PostgreSQL down for a while under one gateway (in this process): every admin call answers 503
 *    with Retry-After, reads and writes alike; the requests served meanwhile are in the analytics
 *    once it is back, none dropped.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { OpensslWorkdir } from '../helpers/openssl.ts';
import { postgresSkipReason, startPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { request } from '../helpers/https-client.ts';
import { createTenant, startAdminServer, type AdminServer } from '../helpers/admin-server.ts';
import { edgeCaPem } from '../helpers/gateway-pki.ts';
import { spawnServe, untilListening, type ListeningNode } from '../helpers/serve-node.ts';
import { startHttp1Echo, type RunningUpstream } from '../helpers/upstreams.ts';

const HOST = 'api.faults.test';
const STORE_UNAVAILABLE_V4 = 12010;

interface Answer {
  status: number;
  retryAfter: string | null;
  codes: number[];
  result: unknown;
}

async function adminCall(node: ListeningNode, token: string, method: string, route: string, body?: unknown) {
  const response = await fetch(node.adminUrl + route, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(15_000),
  });
  const parsed = (await response.json()) as { errors: { code: number }[]; result: unknown };
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    codes: parsed.errors.map((error) => error.code),
    result: parsed.result,
  } satisfies Answer;
}

/** Polls `probe` every 100 ms until it returns true, or fails after `limitMs`. */
async function until(limitMs: number, what: string, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (
    !(await probe().catch((error: unknown) => {
      if (error instanceof assert.AssertionError) throw error;
      return false;
    }))
  ) {
    if (Date.now() > deadline) assert.fail(`${what}: not within ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Runs `worker` in `count` loops until `stop` resolves; every loop pauses `pauseMs` between calls. */
function load(
  count: number,
  pauseMs: number,
  stop: Promise<void>,
  worker: (loop: number) => Promise<void>,
): Promise<void> {
  let stopped = false;
  void stop.then(() => (stopped = true));
  return Promise.all(
    Array.from({ length: count }, async (_, loop) => {
      while (!stopped) {
        await worker(loop);
        await new Promise((resolve) => setTimeout(resolve, pauseMs));
      }
    }),
  ).then(() => undefined);
}

describe('cluster faults: PostgreSQL restarts under load', { skip: postgresSkipReason() ?? false }, () => {
  let postgres: TestPostgres;
  let upstream: RunningUpstream;
  let openssl: OpensslWorkdir;
  const dataDirs: string[] = [];
  const nodes: ListeningNode[] = [];
  const adminToken = randomBytes(24).toString('base64url');

  before(async () => {
    postgres = await startPostgres();
    await postgres.createDatabase('faults');
    const url = await postgres.createSchema('faults', 'gw');
    upstream = await startHttp1Echo();
    openssl = new OpensslWorkdir();
    const env = { PORTCULLIS_MASTER_KEY: randomBytes(32).toString('hex'), PORTCULLIS_ADMIN_TOKEN: adminToken };
    for (let i = 0; i < 2; i++) {
      const dataDir = await mkdtemp(path.join(tmpdir(), 'portcullis-faults-'));
      dataDirs.push(dataDir);
      nodes.push(await untilListening(spawnServe(dataDir, ['--store', url], env)));
    }
  });

  after(async () => {
    openssl.remove();
    await Promise.all(nodes.map((node) => node.stop()));
    await Promise.all([upstream.close(), postgres.stop()]);
    await Promise.all(dataDirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  test('no node dies, the data plane serves throughout, the admin API answers 503 then works again', async () => {
    const [first, second] = nodes as [ListeningNode, ListeningNode];
    const ok = async (method: string, route: string, body?: unknown) => {
      const answer = await adminCall(first, adminToken, method, route, body);
      assert.equal(answer.status, 200, JSON.stringify(answer));
      return answer.result as Record<string, string>;
    };
    const account = await ok('POST', '/accounts', { name: 'faults' });
    const zone = await ok('POST', '/zones', { name: 'faults.test', account: { id: account.id } });
    const { csrPem, keyPem } = openssl.csr('p256', '/CN=faults-device');
    const issued = await ok('POST', `/zones/${zone.id}/client_certificates`, { csr: csrPem, validity_days: 7 });
    await ok('PUT', `/zones/${zone.id}/certificate_authorities/hostname_associations`, { hostnames: [HOST] });
    await ok('POST', `/zones/${zone.id}/gateway/routes`, { hostname: HOST, upstream: upstream.url });
    const ca = await readFile(path.join(dataDirs[0] ?? '', 'edge-ca.pem'), 'utf8');
    const callGateway = (node: ListeningNode) =>
      request({
        port: node.gatewayPort,
        ca,
        servername: HOST,
        headers: { host: HOST },
        cert: issued.certificate,
        key: keyPem,
      }).then((response) => response.status);
    await until(5000, 'the second node serves the route', async () => (await callGateway(second)) === 200);

    let endLoad!: () => void;
    const stop = new Promise<void>((resolve) => (endLoad = resolve));
    const adminAnswers: Answer[] = [];
    const gatewayStatuses: (number | string)[] = [];
    // 8 admin readers on each node, back to back, and 4 data-plane clients.
    const readers = load(16, 0, stop, async (loop) => {
      const node = nodes[loop % 2] as ListeningNode;
      const route = loop % 4 < 2 ? '/zones' : '/user/tokens/verify';
      adminAnswers.push(
        await adminCall(node, adminToken, 'GET', route).catch((error: unknown) => ({
          status: 0,
          retryAfter: null,
          codes: [],
          result: String(error),
        })),
      );
    });
    const clients = load(4, 20, stop, async (loop) => {
      gatewayStatuses.push(
        await callGateway(nodes[loop % 2] as ListeningNode).catch((error: unknown) => String(error)),
      );
    });
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      await postgres.restart();
      await new Promise((resolve) => setTimeout(resolve, 500));
      await postgres.terminateSessions();
      await new Promise((resolve) => setTimeout(resolve, 500));
      // Writes work again on both nodes once PostgreSQL is back.
      for (const [index, node] of nodes.entries()) {
        await until(10_000, `a write through node ${index + 1}`, async () => {
          assert.ok(node.alive(), `node ${index + 1} died: ${node.stderr()}`);
          const created = await adminCall(node, adminToken, 'POST', '/accounts', { name: `after ${index}` });
          return created.status === 200;
        });
      }
    } finally {
      endLoad();
      await Promise.all([readers, clients]);
    }

    for (const [index, node] of nodes.entries()) {
      assert.ok(node.alive(), `node ${index + 1} died: ${node.stderr()}`);
    }
    assert.ok(gatewayStatuses.length > 20, `only ${gatewayStatuses.length} data-plane requests`);
    assert.deepEqual(
      gatewayStatuses.filter((status) => status !== 200),
      [],
      'the data plane serves from its snapshot',
    );
    const refused = adminAnswers.filter((answer) => answer.status !== 200);
    for (const answer of refused) {
      assert.equal(answer.status, 503, JSON.stringify(answer));
      assert.deepEqual(answer.codes, [STORE_UNAVAILABLE_V4]);
      assert.match(answer.retryAfter ?? '', /^\d+$/);
    }
    assert.ok(adminAnswers.length - refused.length > 20, `only ${adminAnswers.length - refused.length} answers`);
  });
});

describe('cluster faults: PostgreSQL down under one gateway', { skip: postgresSkipReason() ?? false }, () => {
  let postgres: TestPostgres;
  let upstream: RunningUpstream;
  let openssl: OpensslWorkdir;
  let server: AdminServer;

  before(async () => {
    postgres = await startPostgres();
    await postgres.createDatabase('down');
    const url = await postgres.createSchema('down', 'gw');
    upstream = await startHttp1Echo();
    openssl = new OpensslWorkdir();
    server = await startAdminServer(
      { kind: 'postgres', url },
      {
        PORTCULLIS_MASTER_KEY: randomBytes(32).toString('hex'),
        PORTCULLIS_ADMIN_TOKEN: randomBytes(24).toString('base64url'),
      },
    );
  });

  after(async () => {
    openssl.remove();
    await server.stop();
    await Promise.all([upstream.close(), postgres.stop()]);
  });

  test('the admin API answers 503 GW_ERR_STORE_UNAVAILABLE with Retry-After; the analytics of the outage are written once it is back', async () => {
    const { zoneId } = await createTenant(server, 'down.test');
    const host = 'api.down.test';
    const ok = async (method: string, route: string, body?: unknown) => {
      const answer = await server.call(method, route, body);
      assert.equal(answer.status, 200, JSON.stringify(answer.body.errors));
      return answer.body.result as Record<string, string>;
    };
    const { csrPem, keyPem } = openssl.csr('p256', '/CN=down-device');
    const issued = await ok('POST', `/zones/${zoneId}/client_certificates`, { csr: csrPem, validity_days: 7 });
    await ok('PUT', `/zones/${zoneId}/certificate_authorities/hostname_associations`, { hostnames: [host] });
    await ok('POST', `/zones/${zoneId}/gateway/routes`, { hostname: host, upstream: upstream.url });
    const callGateway = async () =>
      (
        await request({
          port: server.gatewayPort,
          ca: edgeCaPem(server),
          servername: host,
          headers: { host },
          cert: issued.certificate,
          key: keyPem,
        })
      ).status;
    const requestsCounted = async () =>
      ((await ok('GET', `/zones/${zoneId}/gateway/analytics`)) as unknown as { totals: { requests: number } }).totals
        .requests;
    for (let i = 0; i < 5; i++) assert.equal(await callGateway(), 200);
    await until(5000, 'the first requests counted', async () => (await requestsCounted()) === 5);

    await postgres.pause();
    try {
      for (const [method, route, body] of [
        ['GET', '/zones', undefined],
        ['POST', '/accounts', { name: 'while down' }],
      ] as const) {
        const refused = await server.call(method, route, body);
        assert.equal(refused.status, 503, `${method} ${route}: ${JSON.stringify(refused.body)}`);
        assert.deepEqual(
          refused.body.errors.map((error) => error.code),
          [STORE_UNAVAILABLE_V4],
        );
        assert.equal(refused.headers.get('retry-after'), '1');
      }
      // The data plane serves from its snapshot; the analytics recorder keeps what it cannot write.
      for (let i = 0; i < 20; i++) assert.equal(await callGateway(), 200);
      await new Promise((resolve) => setTimeout(resolve, 1500)); // a flush or two fail meanwhile
    } finally {
      await postgres.resume();
    }
    await until(10_000, 'a write once PostgreSQL is back', async () => {
      return (await server.call('POST', '/accounts', { name: 'after' })).status === 200;
    });
    await until(10_000, 'every request counted', async () => (await requestsCounted()) === 25);
    const metrics = await (await fetch(new URL('/metrics', server.baseUrl))).text();
    assert.doesNotMatch(metrics, /^portcullis_analytics_dropped_total\{[^}]*\} [1-9]/m);
  });
});
