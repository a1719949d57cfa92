/**
 * `serve --redis` when its Redis stops answering, as an operator sees it. Frozen (SIGSTOP: the
 * connection stays open, nothing answers) the gateway finds out — from a command that timed out or
 * from its own heartbeat — and marks Redis down: `portcullis_redis_up` 0, `/readyz` 503, and
 * requests under a limit refused at once with 503 GW_ERR_LIMITS_UNAVAILABLE instead of each
 * waiting for a command timeout; requests without a limit are served. Resumed, it is marked up
 * again by the probe and limits are counted. Killed and restarted, the same. Each outage is one log
 * line when it begins and one when it ends, however many requests were refused in between.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { createTenant, startAdminServer, type AdminServer } from '../helpers/admin-server.ts';
import { within } from '../helpers/cluster.ts';
import { edgeCaPem } from '../helpers/gateway-pki.ts';
import { request } from '../helpers/https-client.ts';
import { redisSkipReason, startRedis, type TestRedis } from '../helpers/redis.ts';
import { startHttp1Echo, type RunningUpstream } from '../helpers/upstreams.ts';

const HOST = 'api.outage.test';

describe('serve --redis: Redis frozen, killed, back', { skip: redisSkipReason() ?? false }, () => {
  let redis: TestRedis;
  let server: AdminServer;
  let upstream: RunningUpstream;
  /** The gateway's warnings and errors, and its lines about Redis. */
  const lines: { level: number; msg: string }[] = [];

  before(async () => {
    redis = await startRedis();
    upstream = await startHttp1Echo();
    const logger = pino(
      { level: 'info' },
      {
        write(line: string) {
          const { level, msg } = JSON.parse(line) as { level: number; msg: string };
          if (level >= 40 || /redis/i.test(msg)) lines.push({ level, msg });
        },
      },
    );
    server = await startAdminServer(undefined, undefined, { logger, options: { redisUrl: redis.url } });
    const { zoneId } = await createTenant(server, 'outage.test');
    for (const [name, extra] of [
      ['limited', { rate_limit: { rate: 1000, per: 60 } }],
      ['open', {}],
    ] as const) {
      const created = await server.call('POST', `/zones/${zoneId}/gateway/apis`, {
        name,
        hostname: HOST,
        listen_path: `/${name}`,
        upstream_url: upstream.url,
        auth: { mode: 'keyless' },
        ...extra,
      });
      assert.equal(created.status, 200, JSON.stringify(created.body.errors));
    }
  });

  after(async () => {
    await server.stop();
    await Promise.all([upstream.close(), redis.stop()]);
  });

  const call = (path: string) =>
    request({ port: server.gatewayPort, ca: edgeCaPem(server), servername: HOST, path, headers: { host: HOST } });
  const redisUp = async () => {
    const text = await (await fetch(new URL('/metrics', server.baseUrl))).text();
    return /^portcullis_redis_up (\d)$/m.exec(text)?.[1];
  };
  const readyz = async () => {
    const response = await fetch(new URL('/readyz', server.baseUrl));
    return { status: response.status, body: (await response.json()) as { checks: Record<string, string> } };
  };

  /** While Redis is down: ten limited requests refused, none waiting for a timeout; the others served. */
  async function refusedFast(): Promise<void> {
    await within(5000, 'Redis marked down', async () => (await redisUp()) === '0');
    assert.deepEqual((await readyz()).body.checks, { config: 'ok', store: 'ok', redis: 'failed' });
    const started = Date.now();
    for (let i = 0; i < 10; i++) {
      const refused = await call('/limited/x');
      assert.equal(refused.status, 503);
      assert.equal(refused.headers['retry-after'], '1');
      assert.equal(refused.json<{ error: { code: string } }>().error.code, 'GW_ERR_LIMITS_UNAVAILABLE');
    }
    // Each would take the 1 s command timeout if Redis were asked: ten take well under that each.
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 5000, `ten refusals took ${elapsed} ms`);
    assert.equal((await call('/open/x')).status, 200, 'requests without limits are served');
  }

  async function countingAgain(): Promise<void> {
    await within(8000, 'Redis marked up', async () => (await redisUp()) === '1');
    await within(3000, 'limited requests counted again', async () => (await call('/limited/x')).status === 200);
    assert.equal((await readyz()).status, 200);
  }

  test('frozen, then resumed: marked down, refusals at once, marked up; one log line each way', async () => {
    assert.equal((await call('/limited/x')).status, 200);
    assert.equal(await redisUp(), '1');
    lines.length = 0;
    redis.freeze();
    try {
      await refusedFast();
    } finally {
      redis.thaw();
    }
    await countingAgain();
    assert.deepEqual(
      lines.map((line) => `${line.level} ${line.msg}`),
      [
        '50 Redis unavailable: requests under a rate limit or quota are refused (503) until it answers',
        '30 Redis answers again: rate limits and quotas are counted',
      ],
    );
  });

  test('killed, then restarted: the same', async () => {
    lines.length = 0;
    await redis.kill();
    try {
      await refusedFast();
    } finally {
      await redis.restart();
    }
    await countingAgain();
    assert.deepEqual(
      lines.map((line) => `${line.level} ${line.msg}`),
      [
        '50 Redis unavailable: requests under a rate limit or quota are refused (503) until it answers',
        '30 Redis answers again: rate limits and quotas are counted',
      ],
    );
  });
});
