/**
 * HTTP/2 clients through `portcullis proxy`: to an HTTP/1.1 upstream (translated) and to an h2c
 * upstream (trailers relayed), identity per connection for every stream, and HTTP/1.1 clients to an
 * h2c upstream.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClientHttp2Session } from 'node:http2';
import { createTestPki, serverCaPem, startTestProxy, type TestPki } from '../helpers/proxy-fixture.ts';
import { startH2cEcho, startHttp1Echo, type EchoRecord, type RunningUpstream } from '../helpers/upstreams.ts';
import { connectH2, h2Request } from '../helpers/h2-client.ts';
import { request } from '../helpers/https-client.ts';
import type { Issued } from '../helpers/pki.ts';

describe('HTTP/2 through the proxy', () => {
  let pki: TestPki;
  let h1Upstream: RunningUpstream;
  let h2cUpstream: RunningUpstream;
  let toH1: Awaited<ReturnType<typeof startTestProxy>>;
  let toH2c: Awaited<ReturnType<typeof startTestProxy>>;
  let client: Issued;
  let ca: string;
  const sessions: ClientHttp2Session[] = [];

  before(async () => {
    pki = await createTestPki();
    ca = await serverCaPem(pki);
    client = await pki.ca.issue({ subject: 'CN=h2-client' });
    h1Upstream = await startHttp1Echo();
    h2cUpstream = await startH2cEcho();
    toH1 = await startTestProxy(pki, h1Upstream.url);
    toH2c = await startTestProxy(pki, h2cUpstream.url);
  });

  after(async () => {
    for (const session of sessions) session.destroy();
    await Promise.all([toH1.stop(), toH2c.stop()]);
    await Promise.all([h1Upstream.close(), h2cUpstream.close()]);
    await pki.cleanup();
  });

  const open = async (port: number, withCert = true): Promise<ClientHttp2Session> => {
    const session = await connectH2(
      port,
      ca,
      withCert ? client.certPem : undefined,
      withCert ? client.keyPem : undefined,
    );
    sessions.push(session);
    return session;
  };

  test('h2 client → HTTP/1.1 upstream: request, body and identity forwarded', async () => {
    const session = await open(toH1.port);
    const res = await h2Request(
      session,
      { ':method': 'POST', ':path': '/items?a=1', 'content-type': 'text/plain' },
      'payload',
    );
    assert.equal(res.status, 200);
    const echoed = JSON.parse(res.body) as EchoRecord;
    assert.equal(echoed.protocol, 'HTTP/1.1');
    assert.equal(echoed.method, 'POST');
    assert.equal(echoed.url, '/items?a=1');
    assert.equal(echoed.body, 'payload');
    assert.equal(echoed.headers.host, 'localhost:' + String(toH1.port));
    assert.match(String(echoed.headers['x-forwarded-client-cert']), new RegExp(`^Hash=${client.sha256};`));
    assert.equal(res.headers['x-upstream'], 'h1');
    assert.equal(res.headers['x-private'], undefined, 'connection-listed response header removed');
  });

  test('many concurrent streams on one connection all carry the connection identity', async () => {
    const session = await open(toH1.port);
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => h2Request(session, { ':path': `/s/${i}` })),
    );
    for (const [i, res] of responses.entries()) {
      assert.equal(res.status, 200);
      const echoed = JSON.parse(res.body) as EchoRecord;
      assert.equal(echoed.url, `/s/${i}`);
      assert.match(String(echoed.headers['x-forwarded-client-cert']), new RegExp(client.sha256));
    }
  });

  test('h2 client → h2c upstream: trailers are relayed', async () => {
    const session = await open(toH2c.port);
    const res = await h2Request(session, { ':method': 'PUT', ':path': '/h2c', 'x-client-cert': 'spoofed' }, 'body');
    assert.equal(res.status, 200);
    const echoed = JSON.parse(res.body) as EchoRecord;
    assert.equal(echoed.protocol, 'HTTP/2');
    assert.equal(echoed.body, 'body');
    assert.equal(echoed.headers['x-client-cert'], undefined);
    assert.equal(res.trailers?.['x-trailer'], 'done');
  });

  test('HTTP/1.1 client → h2c upstream', async () => {
    const res = await request({
      port: toH2c.port,
      ca,
      cert: client.certPem,
      key: client.keyPem,
      method: 'POST',
      path: '/from-h1',
      body: 'abc',
      headers: { 'content-type': 'text/plain' },
    });
    assert.equal(res.status, 200);
    const echoed = res.json<EchoRecord>();
    assert.equal(echoed.protocol, 'HTTP/2');
    assert.equal(echoed.url, '/from-h1');
    assert.equal(echoed.body, 'abc');
  });

  test('h2 without a client certificate gets a JSON 401 on the stream', async () => {
    const session = await open(toH1.port, false);
    const res = await h2Request(session, { ':path': '/' });
    assert.equal(res.status, 401);
    assert.equal((JSON.parse(res.body) as { error: { code: string } }).error.code, 'GW_ERR_CERT_MISSING');
  });
});
