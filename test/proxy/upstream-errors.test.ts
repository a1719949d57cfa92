/**
 * Upstream failures answer with the registry's JSON errors: 502 when the upstream refuses the
 * connection, 504 when it does not answer in time (HTTP/1.1 and HTTP/2 upstreams), and gRPC to an
 * HTTP/1.1-only upstream is refused as a protocol error (an HTTP/1.1 request is never gRPC).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { createTestPki, serverCaPem, startTestProxy, type TestPki } from '../helpers/proxy-fixture.ts';
import { startTcpServer, type TcpServer } from '../helpers/tcp-server.ts';
import { startHttp1Echo, type RunningUpstream } from '../helpers/upstreams.ts';
import { request } from '../helpers/https-client.ts';
import { connectH2, h2Request } from '../helpers/h2-client.ts';
import type { Issued } from '../helpers/pki.ts';

/** A port on which nothing listens (bound then released). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A TCP server that accepts connections and never answers. */
function blackHole(): Promise<TcpServer> {
  return startTcpServer(() => undefined);
}

describe('upstream failures', () => {
  let pki: TestPki;
  let ca: string;
  let client: Issued;
  let echo: RunningUpstream;
  let hole: Awaited<ReturnType<typeof blackHole>>;
  const proxies: Awaited<ReturnType<typeof startTestProxy>>[] = [];

  before(async () => {
    pki = await createTestPki();
    ca = await serverCaPem(pki);
    client = await pki.ca.issue({ subject: 'CN=client' });
    echo = await startHttp1Echo();
    hole = await blackHole();
  });

  after(async () => {
    await Promise.all(proxies.map((proxy) => proxy.stop()));
    await echo.close();
    await hole.close();
    await pki.cleanup();
  });

  const proxyTo = async (upstream: string, upstreamTimeout = '5s'): Promise<number> => {
    const proxy = await startTestProxy(pki, upstream, { upstreamTimeout });
    proxies.push(proxy);
    return proxy.port;
  };
  const call = (port: number, path = '/', headers: Record<string, string> = {}) =>
    request({ port, ca, cert: client.certPem, key: client.keyPem, path, headers });

  test('connection refused → 502 GW_ERR_UPSTREAM_UNAVAILABLE', async () => {
    const res = await call(await proxyTo(`http://127.0.0.1:${await closedPort()}`));
    assert.equal(res.status, 502);
    assert.deepEqual(res.json(), {
      error: { code: 'GW_ERR_UPSTREAM_UNAVAILABLE', message: 'The upstream service is unavailable' },
    });
  });

  test('h2c upstream refused → 502 over HTTP/2', async () => {
    const port = await proxyTo(`h2c://127.0.0.1:${await closedPort()}`);
    const session = await connectH2(port, ca, client.certPem, client.keyPem);
    try {
      const res = await h2Request(session, { ':path': '/' });
      assert.equal(res.status, 502);
      assert.equal((JSON.parse(res.body) as { error: { code: string } }).error.code, 'GW_ERR_UPSTREAM_UNAVAILABLE');
    } finally {
      session.destroy();
    }
  });

  test('no answer within --upstream-timeout → 504 GW_ERR_UPSTREAM_TIMEOUT', async () => {
    const port = await proxyTo(echo.url, '300ms');
    const res = await call(port, '/hang');
    assert.equal(res.status, 504);
    assert.equal(res.json<{ error: { code: string } }>().error.code, 'GW_ERR_UPSTREAM_TIMEOUT');
  });

  test('h2c upstream that never answers → 504', async () => {
    const port = await proxyTo(`h2c://127.0.0.1:${hole.port}`, '300ms');
    const session = await connectH2(port, ca, client.certPem, client.keyPem);
    try {
      const res = await h2Request(session, { ':path': '/' });
      assert.equal(res.status, 504);
    } finally {
      session.destroy();
    }
  });

  test('gRPC to an http:// upstream → 502 protocol error as a gRPC status', async () => {
    const port = await proxyTo(echo.url);
    const session = await connectH2(port, ca, client.certPem, client.keyPem);
    try {
      const res = await h2Request(
        session,
        { ':method': 'POST', ':path': '/svc/Method', 'content-type': 'application/grpc', te: 'trailers' },
        '',
      );
      assert.equal(res.status, 200);
      assert.equal(res.headers['grpc-status'], '14');
      assert.match(decodeURIComponent(String(res.headers['grpc-message'])), /GW_ERR_UPSTREAM_PROTOCOL/);
    } finally {
      session.destroy();
    }
  });

  test('an HTTP/1.1 request with a gRPC content type is an ordinary request: proxied to an http:// upstream', async () => {
    // gRPC exists only over HTTP/2: this used to be taken for a gRPC call and answered 502.
    const res = await call(await proxyTo(echo.url), '/svc/Method', { 'content-type': 'application/grpc' });
    assert.equal(res.status, 200, res.body);
    assert.equal(res.json<{ url: string }>().url, '/svc/Method');
  });

  test('the proxy keeps serving after upstream failures', async () => {
    const res = await call(await proxyTo(echo.url), '/ok');
    assert.equal(res.status, 200);
  });
});
