/**
 * Protocol strictness of the listener both commands share (mtls-listener.ts), over real TLS with
 * raw bytes where a client library would refuse to send the input:
 *  - malformed HTTP/1.1 gets our JSON error with `Connection: close` (400, or 431 for oversized
 *    headers), never the input echoed, and the upstream sees nothing;
 *  - the host must be unambiguous: one valid Host on HTTP/1.1, Host = :authority on HTTP/2;
 *  - HTTP/2 fields RFC 9113 §8.2 calls malformed never reach the upstream.
 * `portcullis proxy` carries most cases; the last suite shows `serve` answers the same way.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestPki, serverCaPem, startTestProxy, type TestPki } from '../helpers/proxy-fixture.ts';
import { startHttp1Echo, type RunningUpstream } from '../helpers/upstreams.ts';
import type { Issued } from '../helpers/pki.ts';
import { connectH2, h2Request } from '../helpers/h2-client.ts';
import {
  H2_PROTOCOL_ERROR,
  hpackLiteral,
  hpackRequest,
  sendRawHttp1,
  sendRawHttp2,
  type RawHttp1Answer,
  type RawTlsTarget,
} from '../helpers/raw-tls.ts';
import { createTenant, startAdminServer, type AdminServer } from '../helpers/admin-server.ts';
import { edgeCaPem } from '../helpers/gateway-pki.ts';

/** Appears in every bad input below: an answer that contains it echoed the input. */
const MARKER = 'm4rker';

function assertJsonRefusal(answer: RawHttp1Answer, status: number, code: string, detail?: RegExp): void {
  assert.equal(answer.status, status, answer.raw.slice(0, 200));
  assert.equal(answer.headers['content-type'], 'application/json');
  assert.equal(answer.headers.connection, 'close');
  const body = JSON.parse(answer.body) as { error: { code: string; message: string } };
  assert.equal(body.error.code, code);
  if (detail !== undefined) assert.match(body.error.message, detail);
  assert.equal(answer.raw.includes(MARKER), false, 'the input is never echoed');
  assert.ok(answer.closed, 'the connection is closed after the answer');
}

describe('proxy: malformed HTTP/1.1 is answered with JSON and Connection: close', () => {
  let pki: TestPki;
  let upstream: RunningUpstream;
  let proxy: Awaited<ReturnType<typeof startTestProxy>>;
  let target: RawTlsTarget;

  before(async () => {
    pki = await createTestPki();
    upstream = await startHttp1Echo();
    proxy = await startTestProxy(pki, upstream.url);
    const client: Issued = await pki.ca.issue({ subject: 'CN=strict-client' });
    target = { port: proxy.port, ca: await serverCaPem(pki), cert: client.certPem, key: client.keyPem };
  });

  after(async () => {
    await proxy.stop();
    await upstream.close();
    await pki.cleanup();
  });

  const refusedBeforeUpstream = async (bytes: string, status: number, code: string, detail: RegExp) => {
    const seen = upstream.received.length;
    assertJsonRefusal(await sendRawHttp1(target, bytes), status, code, detail);
    assert.equal(upstream.received.length, seen, 'the upstream saw no request');
  };

  test('Content-Length with Transfer-Encoding (either order): 400', async () => {
    await refusedBeforeUpstream(
      `POST /${MARKER} HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
      400,
      'GW_ERR_REQUEST_INVALID',
      /Transfer-Encoding/,
    );
    await refusedBeforeUpstream(
      `POST /${MARKER} HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n`,
      400,
      'GW_ERR_REQUEST_INVALID',
      /Content-Length/,
    );
  });

  test('two Content-Length headers: 400', async () => {
    await refusedBeforeUpstream(
      `POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 6\r\nContent-Length: 7\r\n\r\n${MARKER}x`,
      400,
      'GW_ERR_REQUEST_INVALID',
      /more than one Content-Length/,
    );
  });

  test('an obs-folded header line: 400', async () => {
    await refusedBeforeUpstream(
      `GET / HTTP/1.1\r\nHost: localhost\r\nX-Folded: a\r\n  ${MARKER}\r\n\r\n`,
      400,
      'GW_ERR_REQUEST_INVALID',
      /folded line/,
    );
  });

  test('64 KB of headers: 431', async () => {
    const headers = Array.from({ length: 640 }, (_, i) => `X-${MARKER}-${i}: ${'v'.repeat(90)}\r\n`).join('');
    await refusedBeforeUpstream(
      `GET / HTTP/1.1\r\nHost: localhost\r\n${headers}\r\n`,
      431,
      'GW_ERR_REQUEST_HEADERS_TOO_LARGE',
      /too large/,
    );
  });

  test('a bad chunk size after valid headers: 400 (the upstream answer never started)', async () => {
    const answer = await sendRawHttp1(
      target,
      `POST /hang HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n${MARKER}\r\nabc\r\n0\r\n\r\n`,
    );
    assertJsonRefusal(answer, 400, 'GW_ERR_REQUEST_INVALID', /chunk size/);
  });

  test('a well-formed request on the same listener is still served', async () => {
    const answer = await sendRawHttp1(target, 'GET /fine HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
    assert.equal(answer.status, 200);
  });

  test('two Host headers, none, or an invalid one: 400 before the upstream', async () => {
    await refusedBeforeUpstream(
      `GET /${MARKER} HTTP/1.1\r\nHost: localhost\r\nHost: other.example\r\n\r\n`,
      400,
      'GW_ERR_REQUEST_INVALID',
      /more than one Host header/,
    );
    await refusedBeforeUpstream(`GET /${MARKER} HTTP/1.1\r\n\r\n`, 400, 'GW_ERR_REQUEST_INVALID', /no Host header/);
    await refusedBeforeUpstream(
      `GET / HTTP/1.1\r\nHost: user@${MARKER}\r\n\r\n`,
      400,
      'GW_ERR_REQUEST_INVALID',
      /not a valid host/,
    );
  });

  test('an absolute-form target whose authority differs from Host: 400 before the upstream', async () => {
    await refusedBeforeUpstream(
      `GET https://${MARKER}.example/ HTTP/1.1\r\nHost: localhost\r\n\r\n`,
      400,
      'GW_ERR_REQUEST_INVALID',
      /origin-form/,
    );
  });
});

describe('proxy: HTTP/2 host and field validity', () => {
  let pki: TestPki;
  let upstream: RunningUpstream;
  let proxy: Awaited<ReturnType<typeof startTestProxy>>;
  let target: RawTlsTarget;
  let client: Issued;

  before(async () => {
    pki = await createTestPki();
    upstream = await startHttp1Echo();
    proxy = await startTestProxy(pki, upstream.url);
    client = await pki.ca.issue({ subject: 'CN=strict-h2-client' });
    target = { port: proxy.port, ca: await serverCaPem(pki), cert: client.certPem, key: client.keyPem };
  });

  after(async () => {
    await proxy.stop();
    await upstream.close();
    await pki.cleanup();
  });

  test('Host differing from :authority: 400 before the upstream (RFC 9113 §8.3.1)', async () => {
    const session = await connectH2(proxy.port, target.ca, client.certPem, client.keyPem);
    try {
      const seen = upstream.received.length;
      const refused = await h2Request(session, { ':authority': 'localhost', host: 'other.example' });
      assert.equal(refused.status, 400);
      assert.match(refused.body, /GW_ERR_REQUEST_INVALID.*another host than :authority/);
      assert.equal(upstream.received.length, seen);
      const same = await h2Request(session, { ':authority': 'localhost', host: 'LOCALHOST:443' });
      assert.equal(same.status, 200, 'the same authority, differently written, is fine');
    } finally {
      session.close();
    }
  });

  test('CR, LF or NUL in a field value never reaches the upstream (RFC 9113 §8.2.1)', async () => {
    for (const bad of ['a\rb', 'a\nX-Injected: 1', 'a\0b']) {
      const seen = upstream.received.length;
      const outcome = await sendRawHttp2(target, hpackRequest('localhost', '/crlf', [hpackLiteral('x-bad', bad)]));
      assert.ok(outcome.kind === 'reset' || outcome.kind === 'response', JSON.stringify(outcome));
      // nghttp2 under Node drops such a field (node_http2.cc OnInvalidHeader); a reset would do too.
      for (const record of upstream.received.slice(seen)) {
        assert.equal(record.headers['x-bad'], undefined, JSON.stringify(bad));
        assert.equal(record.headers['x-injected'], undefined);
      }
    }
  });

  test('an uppercase field name or a connection-specific field resets the stream (RFC 9113 §8.2.1, §8.2.2)', async () => {
    const malformed: [string, string][] = [
      ['X-Upper', 'a'],
      ['connection', 'close'],
      ['keep-alive', 'timeout=5'],
      ['proxy-connection', 'keep-alive'],
      ['transfer-encoding', 'chunked'],
      ['upgrade', 'websocket'],
      ['te', 'gzip'],
    ];
    for (const [name, value] of malformed) {
      const seen = upstream.received.length;
      const outcome = await sendRawHttp2(target, hpackRequest('localhost', '/malformed', [hpackLiteral(name, value)]));
      assert.deepEqual(outcome, { kind: 'reset', errorCode: H2_PROTOCOL_ERROR }, name);
      assert.equal(upstream.received.length, seen, `${name}: the upstream saw no request`);
    }
    const fine = await sendRawHttp2(target, hpackRequest('localhost', '/ok', [hpackLiteral('te', 'trailers')]));
    assert.deepEqual(fine, { kind: 'response' });
  });
});

describe('serve: the same strictness on the gateway listener', () => {
  const HOST = 'strict.example.test';
  let server: AdminServer;
  let upstream: RunningUpstream;
  let target: RawTlsTarget;

  before(async () => {
    server = await startAdminServer();
    upstream = await startHttp1Echo();
    const { zoneId } = await createTenant(server, 'example.test');
    const route = await server.call('POST', `/zones/${zoneId}/gateway/routes`, {
      hostname: HOST,
      upstream: upstream.url,
    });
    assert.equal(route.status, 200);
    target = { port: server.gatewayPort, ca: edgeCaPem(server), servername: HOST };
  });

  after(async () => {
    await server.stop();
    await upstream.close();
  });

  test('malformed HTTP/1.1 and a doubled Host get JSON 400s; a good request goes through', async () => {
    assertJsonRefusal(
      await sendRawHttp1(
        target,
        `POST /${MARKER} HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab`,
      ),
      400,
      'GW_ERR_REQUEST_INVALID',
    );
    assertJsonRefusal(
      await sendRawHttp1(target, `GET /${MARKER} HTTP/1.1\r\nHost: ${HOST}\r\nHost: other.example.test\r\n\r\n`),
      400,
      'GW_ERR_REQUEST_INVALID',
      /more than one Host/,
    );
    assert.equal(upstream.received.length, 0);
    const fine = await sendRawHttp1(target, `GET /fine HTTP/1.1\r\nHost: ${HOST}\r\nConnection: close\r\n\r\n`);
    assert.equal(fine.status, 200);
  });

  test('HTTP/2 Host differing from :authority: 400', async () => {
    const session = await connectH2(server.gatewayPort, target.ca, undefined, undefined, HOST);
    try {
      const refused = await h2Request(session, { ':authority': HOST, host: 'other.example.test' });
      assert.equal(refused.status, 400);
      assert.match(refused.body, /another host than :authority/);
    } finally {
      session.close();
    }
  });
});
