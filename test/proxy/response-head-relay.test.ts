/**
 * The upstream's HTTP/1.1 response head relayed as bytes to an HTTP/1.1 client (ADR 0023): its validated lines as
 * they came, less the hop-by-hop ones (RFC 9110 §7.6.1) and the fields Connection names, with our own framing and
 * Connection (chunked upstream, HEAD, 204/304, a close-delimited HTTP/1.0 body), every field once. HTTP/2 clients
 * keep the header-object path (test/proxy/http2.test.ts).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestPki, serverCaPem, startTestProxy, type TestPki } from '../helpers/proxy-fixture.ts';
import { startTcpServer, type TcpServer } from '../helpers/tcp-server.ts';
import { sendRawHttp1, type RawHttp1Answer } from '../helpers/raw-tls.ts';
import type { Issued } from '../helpers/pki.ts';

/** What the scripted upstream answers to a path, as raw bytes; `close`: it closes the connection after. */
const ANSWERS: Record<string, { bytes: string; close?: boolean }> = {
  '/listed': {
    bytes:
      'HTTP/1.1 200 OK\r\nConnection: keep-alive, X-Secret\r\nX-Secret: s\r\nKeep-Alive: timeout=5\r\n' +
      'X-Kept:\t as\xe9 sent \r\nProxy-Connection: keep-alive\r\nUpgrade: h2c\r\nContent-Length: 2\r\n\r\nok',
  },
  '/chunked': {
    bytes:
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: T\r\nX-Kept: 1\r\n\r\n' +
      '3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nT: 1\r\n\r\n',
  },
  '/listed-length': {
    bytes:
      'HTTP/1.1 200 OK\r\nConnection: Content-Length, Date\r\nDate: Mon, 07 Dec 2026 00:00:00 GMT\r\nContent-Length: 2\r\n\r\nok',
  },
  '/no-content': { bytes: 'HTTP/1.1 204 No Content\r\nX-Kept: 1\r\nDate: Mon, 07 Dec 2026 00:00:00 GMT\r\n\r\n' },
  '/not-modified': { bytes: 'HTTP/1.1 304 Not Modified\r\nETag: "x"\r\nContent-Length: 10\r\n\r\n' },
  '/cookies': {
    bytes:
      'HTTP/1.1 200 OK\r\nDate: Mon, 07 Dec 2026 00:00:00 GMT\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n' +
      'Content-Length: 0\r\n\r\n',
  },
  '/http10': { bytes: 'HTTP/1.0 200 OK\r\nX-Kept: 1\r\n\r\nuntil close', close: true },
};

/** A keep-alive HTTP/1.1 upstream that answers each request head with the scripted bytes of its path. */
async function scriptedUpstream(): Promise<TcpServer> {
  return startTcpServer((socket) => {
    let pending = '';
    socket.on('data', (chunk: Buffer) => {
      pending += chunk.toString('latin1');
      for (let end = pending.indexOf('\r\n\r\n'); end !== -1; end = pending.indexOf('\r\n\r\n')) {
        const [method = '', path = ''] = pending.slice(0, pending.indexOf('\r\n')).split(' ');
        pending = pending.slice(end + 4);
        const answer = ANSWERS[path] ?? { bytes: 'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n' };
        // A HEAD answer is the head alone, whatever the framing fields say (RFC 9112 §6.3).
        const bytes = method === 'HEAD' ? answer.bytes.slice(0, answer.bytes.indexOf('\r\n\r\n') + 4) : answer.bytes;
        socket.write(bytes, 'latin1');
        if (answer.close === true) socket.end();
      }
    });
  });
}

/** The field lines of an answer's head (status line and body left out). */
function fieldLines(answer: RawHttp1Answer): string[] {
  const head = answer.raw.slice(0, answer.raw.indexOf('\r\n\r\n'));
  return head.split('\r\n').slice(1);
}

function linesNamed(answer: RawHttp1Answer, name: string): string[] {
  return fieldLines(answer).filter((line) => line.slice(0, line.indexOf(':')).toLowerCase() === name);
}

describe('proxy: the upstream response head relayed as bytes to HTTP/1.1 clients', () => {
  let pki: TestPki;
  let ca: string;
  let client: Issued;
  let upstream: Awaited<ReturnType<typeof scriptedUpstream>>;
  let proxy: Awaited<ReturnType<typeof startTestProxy>>;

  before(async () => {
    pki = await createTestPki();
    ca = await serverCaPem(pki);
    client = await pki.ca.issue({ subject: 'CN=client' });
    upstream = await scriptedUpstream();
    proxy = await startTestProxy(pki, `http://127.0.0.1:${upstream.port}`);
  });

  after(async () => {
    await proxy.stop();
    await upstream.close();
    await pki.cleanup();
  });

  const send = (requests: string): Promise<RawHttp1Answer> =>
    sendRawHttp1({ port: proxy.port, ca, cert: client.certPem, key: client.keyPem }, requests);
  const get = (path: string, method = 'GET'): Promise<RawHttp1Answer> =>
    send(`${method} ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);

  test('hop-by-hop fields and those Connection names are not relayed; the other lines are, byte for byte', async () => {
    const answer = await get('/listed');
    assert.equal(answer.status, 200);
    for (const name of ['x-secret', 'keep-alive', 'proxy-connection', 'upgrade', 'transfer-encoding']) {
      assert.deepEqual(linesNamed(answer, name), [], name);
    }
    // The upstream's line as it came: its name's case, its whitespace, its obs-text.
    assert.deepEqual(linesNamed(answer, 'x-kept'), ['X-Kept:\t as\xe9 sent ']);
    assert.deepEqual(linesNamed(answer, 'content-length'), ['Content-Length: 2']);
    // Ours: one Connection (the client asked to close), one Date (the upstream sent none).
    assert.deepEqual(linesNamed(answer, 'connection'), ['connection: close']);
    assert.equal(linesNamed(answer, 'date').length, 1);
    assert.equal(answer.body, 'ok');
  });

  test('a Content-Length or Date that Connection names is not relayed, and neither frames nor dates the answer', async () => {
    const answer = await get('/listed-length');
    assert.equal(answer.status, 200);
    assert.deepEqual(linesNamed(answer, 'content-length'), []);
    assert.deepEqual(linesNamed(answer, 'transfer-encoding'), ['transfer-encoding: chunked']);
    assert.equal(linesNamed(answer, 'date').length, 1);
    assert.doesNotMatch(answer.raw, /Mon, 07 Dec 2026 00:00:00 GMT/);
    assert.equal(answer.body, '2\r\nok\r\n0\r\n\r\n');
  });

  test('a chunked upstream body is re-framed by us: one Transfer-Encoding, no extensions, no trailers', async () => {
    const answer = await get('/chunked');
    assert.equal(answer.status, 200);
    assert.deepEqual(linesNamed(answer, 'transfer-encoding'), ['transfer-encoding: chunked']);
    assert.deepEqual(linesNamed(answer, 'trailer'), []);
    assert.deepEqual(linesNamed(answer, 'x-kept'), ['X-Kept: 1']);
    assert.equal(answer.body, '3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n');
  });

  test('HEAD, 204 and 304: no body and no framing of ours, the upstream Content-Length of a 304 kept', async () => {
    const head = await get('/chunked', 'HEAD');
    assert.equal(head.status, 200);
    assert.deepEqual(linesNamed(head, 'transfer-encoding'), []);
    assert.equal(head.body, '');
    const noContent = await get('/no-content');
    assert.equal(noContent.status, 204);
    assert.deepEqual(linesNamed(noContent, 'date'), ['Date: Mon, 07 Dec 2026 00:00:00 GMT']);
    assert.deepEqual(linesNamed(noContent, 'transfer-encoding'), []);
    assert.equal(noContent.body, '');
    const notModified = await get('/not-modified');
    assert.equal(notModified.status, 304);
    assert.deepEqual(linesNamed(notModified, 'content-length'), ['Content-Length: 10']);
    assert.equal(notModified.body, '');
  });

  test('repeated fields stay repeated, and every field appears once per line the upstream sent', async () => {
    const answer = await get('/cookies');
    assert.deepEqual(linesNamed(answer, 'set-cookie'), ['Set-Cookie: a=1', 'Set-Cookie: b=2']);
    assert.deepEqual(linesNamed(answer, 'date'), ['Date: Mon, 07 Dec 2026 00:00:00 GMT']);
    assert.deepEqual(linesNamed(answer, 'content-length'), ['Content-Length: 0']);
  });

  test('a close-delimited HTTP/1.0 upstream body reaches an HTTP/1.1 client chunked, on a kept connection', async () => {
    const answer = await send(
      'GET /http10 HTTP/1.1\r\nHost: localhost\r\n\r\nGET /cookies HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n',
    );
    assert.match(answer.raw, /^HTTP\/1\.1 200 OK\r\n/);
    const first = answer.raw.slice(0, answer.raw.indexOf('\r\n\r\n') + 2);
    assert.match(first, /\r\nX-Kept: 1\r\n/);
    assert.match(first, /\r\ntransfer-encoding: chunked\r\n/i);
    assert.doesNotMatch(first, /\r\nconnection:/i);
    assert.match(answer.raw, /\r\n\r\nb\r\nuntil close\r\n0\r\n\r\nHTTP\/1\.1 200 OK\r\n/);
    assert.match(answer.raw, /\r\nSet-Cookie: b=2\r\n/);
  });
});
