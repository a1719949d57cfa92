/**
 * An HTTP/1.1 client of an HTTP/2 upstream whose answer has no body (one HEADERS frame with
 * END_STREAM, e.g. a 204): the client gets the whole answer. It used to wait forever, since nobody
 * ended the HTTP/1.1 response when the upstream stream ended with its headers.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { createTestPki, serverCaPem, startTestProxy, type TestPki } from '../helpers/proxy-fixture.ts';
import { request } from '../helpers/https-client.ts';
import type { Issued } from '../helpers/pki.ts';

let pki: TestPki;
let upstream: http2.Http2Server;
let proxy: Awaited<ReturnType<typeof startTestProxy>>;
let client: Issued;

before(async () => {
  pki = await createTestPki();
  upstream = http2.createServer();
  upstream.on('stream', (stream) => stream.respond({ ':status': 204, 'x-bodiless': 'yes' }, { endStream: true }));
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  proxy = await startTestProxy(pki, `h2c://127.0.0.1:${(upstream.address() as AddressInfo).port}`);
  client = await pki.ca.issue({ subject: 'CN=bodiless-client' });
});

after(async () => {
  await proxy.stop();
  await new Promise<void>((resolve) => upstream.close(() => resolve()));
  await pki.cleanup();
});

test('HTTP/1.1 client, h2c upstream, HEADERS with END_STREAM: the answer ends', async () => {
  const answer = await Promise.race([
    request({ port: proxy.port, ca: await serverCaPem(pki), cert: client.certPem, key: client.keyPem }),
    new Promise<'no end'>((resolve) => setTimeout(() => resolve('no end'), 3_000).unref()),
  ]);
  assert.notEqual(answer, 'no end', 'the response never ended');
  if (answer === 'no end') return;
  assert.equal(answer.status, 204);
  assert.equal(answer.headers['x-bodiless'], 'yes');
});
