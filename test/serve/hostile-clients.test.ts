/**
 * `portcullis serve` stays up whatever a client does: regressions for the remote crashes found by
 * the hardening review. The gateway runs in this test process, so a crash fails the whole file.
 *  - an HTTP/2 stream reset before response headers were sent (the analytics close handler read
 *    `:status` of headers that were never sent);
 *  - an HTTP/1.1 client that goes away before the answer (recorded as 200 before: now 499);
 *  - a client certificate our parser refuses (a duplicate subjectAltName extension): the analytics
 *    record threw while reading the leaf's fields, after the 403 was sent.
 * And what the fuzzers (test/fuzz/) found:
 *  - an HTTP/1.1 request with `content-type: application/grpc` was taken for a gRPC call and got
 *    502 from an http:// upstream; gRPC exists only over HTTP/2, so it is an ordinary request.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http, { type Server } from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTenant, startAdminServer, type AdminServer } from '../helpers/admin-server.ts';
import { edgeCaPem } from '../helpers/gateway-pki.ts';
import { request } from '../helpers/https-client.ts';
import { startHttp1Echo, type RunningUpstream } from '../helpers/upstreams.ts';
import { createCa, SubjectAlternativeNameExtension, type CaHandle, type Issued } from '../helpers/pki.ts';

const HOST = 'hostile.example.test';

interface RequestEntry {
  path: string;
  status: number;
  fingerprint: string | null;
}

describe('serve: hostile clients cannot end the process', () => {
  let server: AdminServer;
  let echo: RunningUpstream;
  let silent: Server;
  /** Resolved when the silent upstream's connection of each path closes. */
  const upstreamClosed = new Map<string, Promise<void>>();
  let accountId: string;
  let zoneId: string;
  let ca: CaHandle;
  let good: Issued;

  const mustSucceed = async (method: string, route: string, body?: unknown) => {
    const response = await server.call(method, route, body);
    assert.equal(response.status, 200, `${method} ${route}: ${JSON.stringify(response.body.errors)}`);
    return response.body.result;
  };

  const get = (path: string, client?: Issued) =>
    request({
      port: server.gatewayPort,
      ca: edgeCaPem(server),
      servername: HOST,
      path,
      headers: { host: HOST },
      ...(client === undefined ? {} : { cert: client.certPem, key: client.keyPem }),
    });

  /** The analytics entry for `path`, once the recorder has flushed it (bounded wait). */
  const entryFor = async (path: string): Promise<RequestEntry> => {
    for (let attempt = 0; attempt < 50; attempt++) {
      const entries = (await mustSucceed('GET', `/zones/${zoneId}/gateway/analytics/requests`)) as RequestEntry[];
      const entry = entries.find((candidate) => candidate.path === path);
      if (entry !== undefined) return entry;
      await sleep(100);
    }
    throw new Error(`no analytics entry for ${path}`);
  };

  before(async () => {
    server = await startAdminServer();
    echo = await startHttp1Echo();
    // An upstream that reads the request and never answers: the client gives up first.
    silent = http.createServer((req) => {
      const socket = req.socket;
      upstreamClosed.set(req.url ?? '', new Promise((resolve) => socket.once('close', () => resolve())));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const silentPort = (silent.address() as AddressInfo).port;
    ({ accountId, zoneId } = await createTenant(server, 'example.test'));
    ca = await createCa('CN=Hostile Test Root');
    const uploaded = (await mustSucceed('POST', `/accounts/${accountId}/mtls_certificates`, {
      certificates: ca.certPem,
      ca: true,
    })) as { id: string };
    await mustSucceed('PUT', `/zones/${zoneId}/certificate_authorities/hostname_associations`, {
      hostnames: [HOST],
      mtls_certificate_id: uploaded.id,
    });
    await mustSucceed('POST', `/zones/${zoneId}/gateway/routes`, { hostname: HOST, upstream: echo.url });
    await mustSucceed('POST', `/zones/${zoneId}/gateway/routes`, {
      hostname: HOST,
      path_prefix: '/slow',
      upstream: `http://127.0.0.1:${silentPort}`,
    });
    good = await ca.issue({ subject: 'CN=good-device' });
  });

  after(async () => {
    silent.closeAllConnections();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
    await server.stop();
    await echo.close();
  });

  test('an HTTP/2 stream reset before the response headers is recorded as 499; the gateway keeps serving', async () => {
    const session = http2.connect(`https://127.0.0.1:${server.gatewayPort}`, {
      ca: edgeCaPem(server),
      servername: HOST,
      cert: good.certPem,
      key: good.keyPem,
    });
    try {
      const stream = session.request({ ':path': '/slow/h2-reset', ':authority': HOST });
      stream.on('error', () => undefined);
      stream.on('response', () => assert.fail('the silent upstream never answers'));
      await sleep(300); // the request reached the upstream and waits there
      const closed = new Promise<void>((resolve) => stream.once('close', resolve));
      stream.close(http2.constants.NGHTTP2_CANCEL);
      await closed;
    } finally {
      session.destroy();
    }
    assert.equal((await entryFor('/slow/h2-reset')).status, 499);
    assert.equal((await get('/after-h2-reset', good)).status, 200);
  });

  test('an HTTP/1.1 client that leaves before the answer is recorded as 499, not 200, and its upstream exchange is abandoned', async () => {
    const aborted = new AbortController();
    const pending = request({
      port: server.gatewayPort,
      ca: edgeCaPem(server),
      servername: HOST,
      path: '/slow/h1-abort',
      headers: { host: HOST },
      cert: good.certPem,
      key: good.keyPem,
      signal: aborted.signal,
    });
    await sleep(300);
    aborted.abort();
    await assert.rejects(pending);
    // The response's one close listener tells the forwarder too: the upstream connection is let go.
    const closed = upstreamClosed.get('/slow/h1-abort');
    assert.ok(closed !== undefined, 'the request reached the upstream');
    const outcome = await Promise.race([closed.then(() => 'closed'), sleep(5_000).then(() => 'still open')]);
    assert.equal(outcome, 'closed');
    assert.equal((await entryFor('/slow/h1-abort')).status, 499);
    assert.equal((await get('/after-h1-abort', good)).status, 200);
  });

  test('an HTTP/1.1 request with a gRPC content type is an ordinary request, proxied to the http:// upstream', async () => {
    // gRPC exists only over HTTP/2: this used to be taken for a gRPC call and answered 502.
    const response = await request({
      port: server.gatewayPort,
      ca: edgeCaPem(server),
      servername: HOST,
      path: '/grpc-over-h1',
      method: 'POST',
      headers: { host: HOST, 'content-type': 'application/grpc' },
      body: 'not a gRPC frame',
      cert: good.certPem,
      key: good.keyPem,
    });
    assert.equal(response.status, 200, response.body);
    assert.equal(response.json<{ url: string }>().url, '/grpc-over-h1');
  });

  test('a certificate with two subjectAltName extensions is refused as unverified; the gateway keeps serving', async () => {
    const duplicated = await ca.issue({
      subject: 'CN=duplicate-san',
      dns: ['a.example.test'],
      extraExtensions: [new SubjectAlternativeNameExtension([{ type: 'dns', value: 'b.example.test' }])],
    });
    await mustSucceed('POST', `/zones/${zoneId}/gateway/mtls_rule`, { hostnames: [HOST] });
    try {
      const refused = await get('/duplicate-san', duplicated);
      assert.equal(refused.status, 403);
      const entry = await entryFor('/duplicate-san');
      assert.equal(entry.status, 403);
      assert.equal(entry.fingerprint, duplicated.sha256);
      assert.equal((await get('/after-duplicate-san', good)).status, 200);
    } finally {
      const rules = (await mustSucceed(
        'GET',
        `/zones/${zoneId}/rulesets/phases/http_request_firewall_custom/entrypoint`,
      )) as { id: string };
      await mustSucceed('PUT', `/zones/${zoneId}/rulesets/${rules.id}`, { rules: [] });
    }
  });
});
