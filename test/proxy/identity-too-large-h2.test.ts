/**
 * A verified client certificate so large that the identity headers made from it (here a 30 KB
 * common name, sent as x-forwarded-client-cert and three cf-cert-*-dn headers) do not fit in an
 * HTTP/2 header block the proxy can send to an h2c upstream (Node's 64 KiB): the request never
 * leaves the proxy, and the client gets 431 GW_ERR_REQUEST_HEADERS_TOO_LARGE (gRPC: 8
 * RESOURCE_EXHAUSTED), as an HTTP/1.1 upstream's own 431 would be relayed. It was a 502 "upstream
 * unavailable" for an upstream that never saw the request. Found by the certificate mutator.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestPki, serverCaPem, startTestProxy, type TestPki } from '../helpers/proxy-fixture.ts';
import { startH2cEcho, type RunningUpstream } from '../helpers/upstreams.ts';
import { request } from '../helpers/https-client.ts';
import { connectH2, h2Request } from '../helpers/h2-client.ts';
import type { Issued } from '../helpers/pki.ts';

describe('identity headers too large for an HTTP/2 upstream', () => {
  let pki: TestPki;
  let ca: string;
  let upstream: RunningUpstream;
  let proxy: Awaited<ReturnType<typeof startTestProxy>>;
  let huge: Issued;
  let normal: Issued;

  before(async () => {
    pki = await createTestPki();
    ca = await serverCaPem(pki);
    upstream = await startH2cEcho();
    proxy = await startTestProxy(pki, upstream.url, { forwardIdentity: 'xfcc,cf' });
    const words = Array.from({ length: 3_000 }, (_, index) => `w${(index * 7919) % 10_007}`).join(' ');
    huge = await pki.ca.issue({ subject: `CN=${words.slice(0, 30_000)}` });
    normal = await pki.ca.issue({ subject: 'CN=normal-device' });
  });

  after(async () => {
    await proxy.stop();
    await upstream.close();
    await pki.cleanup();
  });

  test('HTTP/1.1 and HTTP/2 clients get 431; the upstream sees nothing; the proxy keeps serving', async () => {
    const overH1 = await request({ port: proxy.port, ca, cert: huge.certPem, key: huge.keyPem, path: '/h1' });
    assert.equal(overH1.status, 431, overH1.body);
    assert.deepEqual(overH1.json(), {
      error: {
        code: 'GW_ERR_REQUEST_HEADERS_TOO_LARGE',
        message: 'Request header fields too large',
      },
    });
    const session = await connectH2(proxy.port, ca, huge.certPem, huge.keyPem);
    try {
      const overH2 = await h2Request(session, { ':path': '/h2' });
      assert.equal(overH2.status, 431);
      const grpc = await h2Request(
        session,
        { ':method': 'POST', ':path': '/svc/Method', 'content-type': 'application/grpc', te: 'trailers' },
        '',
      );
      assert.equal(grpc.headers['grpc-status'], '8', 'RESOURCE_EXHAUSTED');
    } finally {
      session.destroy();
    }
    assert.deepEqual(upstream.received, [], 'nothing reached the upstream');
    const fine = await request({ port: proxy.port, ca, cert: normal.certPem, key: normal.keyPem, path: '/normal' });
    assert.equal(fine.status, 200);
  });
});
