/**
 * The upstream timeout of `portcullis serve`: a default (`--upstream-timeout`) and a route's or an
 * API's own `upstream_timeout_ms`, over real TLS to real slow upstreams (HTTP/1.1 and h2c), and
 * the field's validation through the admin API (a 400 naming the field, never a half-applied write).
 * The gateway default here is 300 ms; the upstreams answer after 1 s.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { createTenant, startAdminServer, type AdminServer } from '../helpers/admin-server.ts';
import { edgeCaPem } from '../helpers/gateway-pki.ts';
import { request } from '../helpers/https-client.ts';
import { startHttp1Echo, type RunningUpstream } from '../helpers/upstreams.ts';

const SLOW = '/slow?ms=1000';

describe('serve: upstream timeouts, by default and per route or API', () => {
  let server: AdminServer;
  let echo: RunningUpstream;
  let slowH2: http2.Http2Server;
  let slowH2Url: string;
  let zoneId: string;

  const call = (host: string, path: string) =>
    request({ port: server.gatewayPort, ca: edgeCaPem(server), servername: host, path, headers: { host } });

  const mustSucceed = async (method: string, route: string, body?: unknown) => {
    const response = await server.call(method, route, body);
    assert.equal(response.status, 200, `${method} ${route}: ${JSON.stringify(response.body.errors)}`);
    return response.body.result;
  };

  before(async () => {
    server = await startAdminServer(undefined, undefined, { flags: { upstreamTimeout: '300ms' } });
    echo = await startHttp1Echo();
    // An h2c upstream that answers after 1 s.
    slowH2 = http2.createServer();
    slowH2.on('stream', (stream) => {
      const timer = setTimeout(() => {
        if (!stream.destroyed) stream.respond({ ':status': 200 }, { endStream: true });
      }, 1_000);
      stream.on('close', () => clearTimeout(timer));
    });
    await new Promise<void>((resolve) => slowH2.listen(0, '127.0.0.1', resolve));
    slowH2Url = `h2c://127.0.0.1:${(slowH2.address() as AddressInfo).port}`;
    ({ zoneId } = await createTenant(server, 'timeouts.test'));
  });

  after(async () => {
    await server.stop();
    await echo.close();
    await new Promise<void>((resolve) => slowH2.close(() => resolve()));
  });

  test('a route without its own timeout gets 504 after --upstream-timeout', async () => {
    await mustSucceed('POST', `/zones/${zoneId}/gateway/routes`, {
      hostname: 'default.timeouts.test',
      upstream: echo.url,
    });
    const answer = await call('default.timeouts.test', SLOW);
    assert.equal(answer.status, 504);
    assert.equal(answer.json<{ error: { code: string } }>().error.code, 'GW_ERR_UPSTREAM_TIMEOUT');
  });

  test("a route's own upstream_timeout_ms replaces the default, to an HTTP/1.1 and to an h2c upstream", async () => {
    const h1 = (await mustSucceed('POST', `/zones/${zoneId}/gateway/routes`, {
      hostname: 'patient.timeouts.test',
      upstream: echo.url,
      upstream_timeout_ms: 5_000,
    })) as { upstream_timeout_ms: number };
    assert.equal(h1.upstream_timeout_ms, 5_000);
    await mustSucceed('POST', `/zones/${zoneId}/gateway/routes`, {
      hostname: 'patient-h2.timeouts.test',
      upstream: slowH2Url,
      upstream_timeout_ms: 5_000,
    });
    assert.equal((await call('patient.timeouts.test', SLOW)).status, 200);
    assert.equal((await call('patient-h2.timeouts.test', '/')).status, 200);

    await mustSucceed('POST', `/zones/${zoneId}/gateway/routes`, {
      hostname: 'hasty-h2.timeouts.test',
      upstream: slowH2Url,
    });
    assert.equal((await call('hasty-h2.timeouts.test', '/')).status, 504, 'the h2c upstream without its own: 504');
  });

  test("an API's own upstream_timeout_ms, and PATCH back to the default with null", async () => {
    const api = (await mustSucceed('POST', `/zones/${zoneId}/gateway/apis`, {
      name: 'slow-api',
      hostname: 'api.timeouts.test',
      upstream_url: echo.url,
      upstream_timeout_ms: 5_000,
      auth: { mode: 'keyless' },
    })) as { id: string; upstream_timeout_ms: number | null };
    assert.equal(api.upstream_timeout_ms, 5_000);
    assert.equal((await call('api.timeouts.test', SLOW)).status, 200);

    const patched = (await mustSucceed('PATCH', `/zones/${zoneId}/gateway/apis/${api.id}`, {
      upstream_timeout_ms: null,
    })) as { upstream_timeout_ms: number | null };
    assert.equal(patched.upstream_timeout_ms, null);
    assert.equal((await call('api.timeouts.test', SLOW)).status, 504);
  });

  test('nonsense is a 400 naming the field, and nothing is written', async () => {
    const before = ((await mustSucceed('GET', `/zones/${zoneId}/gateway/routes`)) as unknown[]).length;
    for (const value of [0, -5, 1.5, 86_400_001, '30s', 'soon', [], {}]) {
      const response = await server.call('POST', `/zones/${zoneId}/gateway/routes`, {
        hostname: 'bad.timeouts.test',
        upstream: echo.url,
        upstream_timeout_ms: value,
      });
      assert.equal(response.status, 400, JSON.stringify(value));
      assert.equal(response.body.errors[0]?.code, 12101);
      assert.match(response.body.errors[0].message, /upstream_timeout_ms/);
      const apiResponse = await server.call('POST', `/zones/${zoneId}/gateway/apis`, {
        name: 'bad',
        hostname: 'bad.timeouts.test',
        upstream_url: echo.url,
        upstream_timeout_ms: value,
        auth: { mode: 'keyless' },
      });
      assert.equal(apiResponse.status, 400, JSON.stringify(value));
    }
    assert.equal(((await mustSucceed('GET', `/zones/${zoneId}/gateway/routes`)) as unknown[]).length, before);
  });

  test('the OpenAPI document describes upstream_timeout_ms on routes and APIs', async () => {
    const document = (await (await fetch(`${server.baseUrl}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: unknown }> } }>>;
    };
    for (const path of ['/zones/{zone_id}/gateway/routes', '/zones/{zone_id}/gateway/apis']) {
      const schema = JSON.stringify(document.paths[path]?.post?.requestBody?.content['application/json']?.schema);
      assert.match(schema, /"upstream_timeout_ms"/, path);
      assert.match(schema, /"maximum":86400000/, path);
    }
  });
});
