/**
 * Portcullis' own HTTP/1.1 upstream client, through `portcullis proxy`, against scripted upstreams
 * that answer with raw bytes: connection reuse, the stale keep-alive race, and every case where the
 * upstream's framing is doubtful, which must close that connection and never hand one client's
 * bytes to another (response desync).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import { TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { createTestPki, serverCaPem, startTestProxy, type TestPki } from '../helpers/proxy-fixture.ts';
import { request, type ClientResponse } from '../helpers/https-client.ts';
import type { Issued } from '../helpers/pki.ts';

/** One request as the upstream read it. */
interface SeenRequest {
  readonly head: string;
  readonly body: Buffer;
  /** Which connection (0-based, in accept order) carried it. */
  readonly connection: number;
}

type Answer = (request: SeenRequest, socket: net.Socket) => void;

interface ScriptedUpstream {
  readonly url: string;
  readonly seen: SeenRequest[];
  connections(): number;
  answer: Answer;
  close(): Promise<void>;
}

const HEAD_END = Buffer.from('\r\n\r\n');

/** A raw upstream: frames each request (head, then a Content-Length or chunked body) and lets the test answer. */
async function scriptedUpstream(): Promise<ScriptedUpstream> {
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  const upstream: ScriptedUpstream = {
    url: '',
    seen: [],
    connections: () => accepted,
    answer: () => undefined,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  const server = net.createServer((socket) => {
    const connection = accepted++;
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    let data = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      for (let guard = 0; guard < 100; guard++) {
        const end = data.indexOf(HEAD_END);
        if (end < 0) return;
        const head = data.subarray(0, end).toString('latin1');
        let rest = data.subarray(end + 4);
        let body: Buffer;
        if (/\r\ntransfer-encoding: chunked/i.test(head)) {
          const last = rest.indexOf('0\r\n\r\n');
          if (last < 0) return;
          body = dechunk(rest.subarray(0, last + 5));
          rest = rest.subarray(last + 5);
        } else {
          const length = Number(/\r\ncontent-length: (\d+)/i.exec(head)?.[1] ?? 0);
          if (rest.length < length) return;
          body = rest.subarray(0, length);
          rest = rest.subarray(length);
        }
        data = rest;
        const seen = { head, body, connection };
        upstream.seen.push(seen);
        upstream.answer(seen, socket);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(upstream, { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
}

function dechunk(framed: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (let at = 0, guard = 0; guard < 10_000; guard++) {
    const lineEnd = framed.indexOf('\r\n', at);
    const size = Number.parseInt(framed.subarray(at, lineEnd).toString(), 16);
    if (size === 0) return Buffer.concat(parts);
    parts.push(framed.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  throw new Error('malformed chunked body');
}

const ok = (body: string, extra = ''): string =>
  `HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;

describe('HTTP/1.1 upstream client', () => {
  let pki: TestPki;
  let ca: string;
  let client: Issued;
  let upstream: ScriptedUpstream;
  let port: number;
  let stopProxy: () => Promise<void>;

  before(async () => {
    pki = await createTestPki();
    ca = await serverCaPem(pki);
    client = await pki.ca.issue({ subject: 'CN=client' });
    upstream = await scriptedUpstream();
    const proxy = await startTestProxy(pki, upstream.url, { upstreamTimeout: '1s' });
    port = proxy.port;
    stopProxy = () => proxy.stop();
  });

  after(async () => {
    await stopProxy();
    await upstream.close();
    await pki.cleanup();
  });

  type CallInit = { method?: string; body?: string; headers?: Record<string, string> };
  /** A request with the client certificate through the proxy listening on `proxyPort`. */
  const callVia = (proxyPort: number, path: string, init: CallInit = {}) =>
    request({ port: proxyPort, ca, cert: client.certPem, key: client.keyPem, path, ...init });
  /** The same through this suite's proxy (to the scripted upstream). */
  const call = (path: string, init: CallInit = {}) => callVia(port, path, init);
  /** A PUT of `body` with its Content-Length. */
  const put = (body: string): CallInit => ({ method: 'PUT', body, headers: { 'content-length': String(body.length) } });

  /** Fresh state per test: everything idle is dropped by asking for a close-delimited answer first. */
  const reset = async (): Promise<void> => {
    upstream.answer = (_request, socket) => {
      socket.end('HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    };
    await call('/reset');
    upstream.seen.length = 0;
  };

  test('sequential requests reuse one keep-alive connection; the head is written as the client sent it', async () => {
    await reset();
    upstream.answer = (seen, socket) => socket.write(ok(`hello ${upstream.seen.length}`));
    const before = upstream.connections();
    const first = await call('/one?x=1', { headers: { 'x-custom': 'a' } });
    const second = await call('/two');
    assert.equal(first.body, 'hello 1');
    assert.equal(second.body, 'hello 2');
    assert.equal(upstream.connections() - before, 1, 'one upstream connection for both');
    const [one] = upstream.seen;
    assert.match(one?.head ?? '', /^GET \/one\?x=1 HTTP\/1\.1\r\nhost: localhost\r\n/);
    assert.match(one?.head ?? '', /\r\nx-custom: a(\r\n|$)/);
  });

  test('a chunked response and a close-delimited one are relayed whole', async () => {
    await reset();
    upstream.answer = (_seen, socket) =>
      socket.write(
        'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nx-trailer: t\r\n\r\n',
      );
    assert.equal((await call('/chunked')).body, 'hello world');
    upstream.answer = (_seen, socket) => socket.end('HTTP/1.1 200 OK\r\n\r\nuntil the end');
    assert.equal((await call('/close-delimited')).body, 'until the end');
  });

  test('request bodies: a declared length is sent as is, and its bytes arrive exactly', async () => {
    await reset();
    upstream.answer = (seen, socket) => socket.write(ok(`got ${seen.body.length}`));
    const body = 'x'.repeat(70_000);
    const res = await call('/upload', { method: 'POST', body, headers: { 'content-length': String(body.length) } });
    assert.equal(res.body, 'got 70000');
    const seen = upstream.seen.at(-1);
    assert.match(seen?.head ?? '', /\r\ncontent-length: 70000(\r\n|$)/);
    assert.equal(seen?.body.toString(), body);
  });

  test('Expect: 100-continue is answered by the proxy itself and not forwarded; the body goes through', async () => {
    await reset();
    upstream.answer = (seen, socket) => socket.write(ok(`got ${seen.body.toString()}`));
    const res = await call('/expect', {
      method: 'PUT',
      body: 'payload',
      headers: { 'content-length': '7', expect: '100-continue' },
    });
    assert.equal(res.status, 200);
    assert.equal(res.body, 'got payload');
    assert.doesNotMatch(upstream.seen.at(-1)?.head ?? '', /\r\nexpect:/i);
  });

  test('a reused connection the upstream closed without answering: a GET is sent again once, on a new connection', async () => {
    await reset();
    upstream.answer = (seen, socket) => socket.write(ok('warm'));
    assert.equal((await call('/warm')).body, 'warm');
    // The upstream now drops the next request on that connection unanswered (its idle close raced ours).
    const warmConnection = upstream.seen.at(-1)?.connection;
    upstream.answer = (seen, socket) => {
      if (seen.connection === warmConnection) socket.destroy();
      else socket.write(ok('fresh'));
    };
    const res = await call('/retried');
    assert.equal(res.status, 200);
    assert.equal(res.body, 'fresh');
    assert.equal(upstream.seen.filter((seen) => seen.head.startsWith('GET /retried ')).length, 2);
  });

  test('…but a POST is never sent twice: 502', async () => {
    await reset();
    upstream.answer = (seen, socket) => socket.write(ok('warm'));
    await call('/warm');
    const warmConnection = upstream.seen.at(-1)?.connection;
    upstream.answer = (seen, socket) => {
      if (seen.connection === warmConnection) socket.destroy();
      else socket.write(ok('second copy'));
    };
    const res = await call('/pay', { method: 'POST', body: 'once', headers: { 'content-length': '4' } });
    assert.equal(res.status, 502);
    assert.equal(res.json<{ error: { code: string } }>().error.code, 'GW_ERR_UPSTREAM_UNAVAILABLE');
    assert.equal(upstream.seen.filter((seen) => seen.head.startsWith('POST /pay ')).length, 1);
  });

  test('smuggling-shaped responses are refused with 502 and their connection is not reused', async () => {
    const hostile = [
      'HTTP/1.1 200 OK\r\ncontent-length: 5\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n',
      'HTTP/1.1 200 OK\r\ncontent-length: 5\r\ncontent-length: 6\r\n\r\nhello!',
      'HTTP/1.1 200 OK\r\ntransfer-encoding: gzip, chunked\r\n\r\n0\r\n\r\n',
      'HTTP/1.1 200 OK\r\ncontent-length : 5\r\n\r\nhello',
      'HTTP/1.1 200 OK\r\nx-a: b\r\n c\r\ncontent-length: 0\r\n\r\n',
      'HTTP/1.1 200 OK\nContent-Length: 0\n\n',
      'HTTP/2.0 200 OK\r\ncontent-length: 0\r\n\r\n',
    ];
    for (const raw of hostile) {
      await reset();
      upstream.answer = (_seen, socket) => socket.write(raw);
      const before = upstream.connections();
      const res = await call('/hostile');
      assert.equal(res.status, 502, JSON.stringify(raw));
      upstream.answer = (_seen, socket) => socket.write(ok('clean'));
      assert.equal((await call('/after')).body, 'clean');
      assert.equal(upstream.connections() - before, 2, `a new connection after ${JSON.stringify(raw)}`);
    }
  });

  test('a malformed chunk after the head was relayed: the client’s response is cut off, and the connection not reused', async () => {
    await reset();
    upstream.answer = (_seen, socket) =>
      socket.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\n');
    const before = upstream.connections();
    const outcome = await call('/bad-chunk').then(
      (res) => `complete ${res.status}`,
      (error: unknown) => `aborted ${(error as NodeJS.ErrnoException).code ?? ''}`,
    );
    assert.match(outcome, /^aborted/);
    upstream.answer = (_seen, socket) => socket.write(ok('clean'));
    assert.equal((await call('/after')).body, 'clean');
    assert.equal(upstream.connections() - before, 2);
  });

  test('an upstream that answers twice to one request: the second answer reaches nobody', async () => {
    await reset();
    upstream.answer = (_seen, socket) => socket.write(ok('mine') + ok('someone else’s'));
    assert.equal((await call('/double')).body, 'mine');
    upstream.answer = (_seen, socket) => socket.write(ok('yours'));
    const results: ClientResponse[] = [];
    for (let index = 0; index < 3; index++) results.push(await call(`/next${index}`));
    assert.deepEqual(
      results.map((res) => res.body),
      ['yours', 'yours', 'yours'],
    );
  });

  test('a Keep-Alive timeout hint of 1 s or less: the connection is not kept', async () => {
    await reset();
    upstream.answer = (_seen, socket) => socket.write(ok('short', 'keep-alive: timeout=1\r\n'));
    const before = upstream.connections();
    await call('/a');
    await call('/b');
    assert.equal(upstream.connections() - before, 2);
  });

  /**
   * Uploads `size` bytes through a proxy of its own to a one-off upstream that acts on the first
   * bytes it reads (the scripted upstream waits for whole bodies); resolves with what the client got.
   */
  const uploadTo = async (onFirstBytes: (socket: net.Socket) => void, size: number): Promise<ClientResponse> => {
    const oneOff = net.createServer((socket) => {
      socket.on('error', () => undefined);
      socket.once('data', () => onFirstBytes(socket));
    });
    await new Promise<void>((resolve) => oneOff.listen(0, '127.0.0.1', resolve));
    const proxy = await startTestProxy(pki, `http://127.0.0.1:${(oneOff.address() as AddressInfo).port}`);
    try {
      return await callVia(proxy.port, '/upload', put('u'.repeat(size)));
    } finally {
      await proxy.stop();
      await new Promise<void>((resolve) => oneOff.close(() => resolve()));
    }
  };

  test('an early answer while the request body is still coming reaches the client (the rest of its upload is dropped)', async () => {
    const res = await uploadTo(
      (socket) => socket.write('HTTP/1.1 413 Payload Too Large\r\ncontent-length: 8\r\n\r\ntoo big\n'),
      2 * 1024 * 1024,
    );
    assert.equal(res.status, 413);
    assert.equal(res.body, 'too big\n');
  });

  test('the upstream resets in the middle of an upload: the client still gets its 502', async () => {
    const res = await uploadTo((socket) => socket.resetAndDestroy(), 4 * 1024 * 1024);
    assert.equal(res.status, 502);
    assert.equal(res.json<{ error: { code: string } }>().error.code, 'GW_ERR_UPSTREAM_UNAVAILABLE');
  });

  test('an https:// upstream: verified against --upstream-ca with SNI, refused (502) when its certificate is not trusted', async () => {
    const servernames: (string | false | null)[] = [];
    const upstreamTls = https.createServer({ cert: pki.server.certPem, key: pki.server.keyPem }, (req, res) => {
      servernames.push(req.socket instanceof TLSSocket ? req.socket.servername : false);
      res.end(`tls ${req.method} ${req.url}`);
    });
    await new Promise<void>((resolve) => upstreamTls.listen(0, '127.0.0.1', resolve));
    const origin = `https://localhost:${(upstreamTls.address() as AddressInfo).port}`;
    const trusting = await startTestProxy(pki, origin, { upstreamCa: path.join(pki.dir, 'server-ca.pem') });
    const untrusting = await startTestProxy(pki, origin);
    try {
      const first = await callVia(trusting.port, '/secure');
      const second = await callVia(trusting.port, '/secure');
      assert.equal(first.status, 200);
      assert.equal(first.body, 'tls GET /secure');
      assert.equal(second.body, 'tls GET /secure');
      assert.deepEqual(servernames, ['localhost', 'localhost']);
      const refused = await callVia(untrusting.port, '/secure');
      assert.equal(refused.status, 502);
      assert.equal(servernames.length, 2, 'nothing reached an upstream whose certificate was not verified');
    } finally {
      await trusting.stop();
      await untrusting.stop();
      upstreamTls.closeAllConnections();
      await new Promise<void>((resolve) => upstreamTls.close(() => resolve()));
    }
  });

  test('--connect-timeout holds for a request with a body too: an https:// upstream that never finishes its handshake → 504 in time', async () => {
    // Accepts TCP, never answers the TLS ClientHello: the connection is never up.
    const silent = net.createServer((socket) => socket.on('error', () => undefined));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const origin = `https://localhost:${(silent.address() as AddressInfo).port}`;
    const proxy = await startTestProxy(pki, origin, { connectTimeout: '300ms', upstreamTimeout: '20s' });
    try {
      const started = Date.now();
      const res = await callVia(proxy.port, '/slow-connect', put('body bytes'));
      assert.equal(res.status, 504);
      assert.equal(res.json<{ error: { code: string } }>().error.code, 'GW_ERR_UPSTREAM_TIMEOUT');
      assert.ok(Date.now() - started < 10_000, 'the connect timeout, not the 20 s upstream timeout');
    } finally {
      await proxy.stop();
      silent.close();
    }
  });

  test('a response body that stalls past --upstream-timeout is cut off', async () => {
    await reset();
    upstream.answer = (_seen, socket) => socket.write('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nonly part');
    const outcome = await call('/stall').then(
      (res) => `complete ${res.status} ${res.body.length}`,
      (error: unknown) => `aborted ${(error as NodeJS.ErrnoException).code ?? ''}`,
    );
    assert.match(outcome, /^aborted/);
  });
});
