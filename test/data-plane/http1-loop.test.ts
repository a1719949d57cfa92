/**
 * The lean HTTP/1.1 loop (listeners/h1/client-connection.ts, ADR 0022) on a real TLS listener, with
 * a handler that answers by itself (no upstream): what the loop promises a client whatever the
 * handler does. Pipelined requests are answered in order, keep-alive follows RFC 9112 §9.3 (HTTP/1.0
 * only when asked, `Connection: close` both ways), HEAD answers carry no body, 100 Continue is sent
 * when the body is read, an unread body is read and dropped, request bodies stream with
 * backpressure, and the keep-alive, headers and request timeouts close or answer 408.
 * Small timeouts are given to the listener so that the waits stay short; every wait is bounded.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import tls, { type TLSSocket } from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestPki, serverCaPem, type TestPki } from '../helpers/proxy-fixture.ts';
import type { Issued } from '../helpers/pki.ts';
import { loadProxyConfig } from '../../src/config/proxy-config.ts';
import { MtlsListener, type RequestHandler } from '../../src/data-plane/listeners/mtls-listener.ts';
import type { Http1Exchange } from '../../src/data-plane/listeners/h1/http1-exchange.ts';
import { FaultGuard } from '../../src/data-plane/guard/fault-guard.ts';
import { createLogger } from '../../src/observability/logger.ts';

/**
 * Answers `{method, target, body}` once the body is read; `/late/N` after N ms; `/unread` at once
 * without reading the body; `/stream` with a chunked body in two writes; `/slow-reader` reads its
 * body 64 KiB at a time with pauses.
 */
class LoopTestHandler implements RequestHandler {
  draining = false;

  handleHttp2(): void {
    throw new Error('HTTP/2 is not used here');
  }

  handleHttp1(exchange: Http1Exchange): void {
    const answer = (body: string): void => {
      const text = JSON.stringify({ method: exchange.method, target: exchange.target, body });
      exchange.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      exchange.end(text);
    };
    if (exchange.target === '/unread') {
      answer('not read');
      return;
    }
    if (exchange.target === '/stream') {
      exchange.writeHead(200, { 'content-type': 'text/plain' });
      exchange.write('first,');
      setTimeout(() => exchange.end('second'), 20);
      return;
    }
    const late = /^\/late\/(\d+)/.exec(exchange.target);
    const body = exchange.body();
    const chunks: Buffer[] = [];
    const done = (): void => {
      const text = Buffer.concat(chunks).toString('latin1');
      if (late === null) answer(text);
      else setTimeout(() => answer(text), Number(late[1]));
    };
    if (body === null) {
      done();
      return;
    }
    if (exchange.target === '/slow-reader') {
      body.pause();
      const pull = (): void => {
        let chunk: Buffer | null;
        while ((chunk = body.read() as Buffer | null) !== null) chunks.push(chunk);
        if (!body.readableEnded && !body.destroyed) setTimeout(pull, 5);
      };
      body.on('end', done);
      body.on('readable', () => undefined);
      pull();
      return;
    }
    body.on('data', (chunk: Buffer) => chunks.push(chunk));
    body.on('end', done);
  }
}

/** A TLS connection to the listener, reading everything it receives. */
class RawConnection {
  readonly socket: TLSSocket;
  received = '';
  closed = false;

  private constructor(socket: TLSSocket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => (this.received += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => (this.closed = true));
  }

  static open(port: number, ca: string, client: Issued): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = tls.connect(
        { host: '127.0.0.1', port, ca, servername: 'localhost', cert: client.certPem, key: client.keyPem },
        () => resolve(new RawConnection(socket)),
      );
      socket.once('error', reject);
    });
  }

  /** Waits (at most 5 s) until `ready()` holds. */
  async until(ready: () => boolean, what: string): Promise<void> {
    for (let waited = 0; !ready(); waited += 10) {
      if (waited > 5_000) assert.fail(`timed out waiting for ${what}; received: ${JSON.stringify(this.received)}`);
      await sleep(10);
    }
  }

  /** Waits for `count` complete answers and returns their heads and bodies (Content-Length or chunked). */
  async answers(count: number): Promise<{ head: string; body: string }[]> {
    let parsed: { head: string; body: string }[] = [];
    await this.until(() => {
      parsed = parseAnswers(this.received);
      return parsed.length >= count;
    }, `${count} answers`);
    return parsed;
  }
}

function parseAnswers(text: string): { head: string; body: string }[] {
  const answers: { head: string; body: string }[] = [];
  let at = 0;
  while (at < text.length) {
    const end = text.indexOf('\r\n\r\n', at);
    if (end === -1) break;
    const head = text.slice(at, end);
    at = end + 4;
    if (head.startsWith('HTTP/1.1 1')) {
      answers.push({ head, body: '' });
      continue;
    }
    const length = /\r\ncontent-length: (\d+)/i.exec(head);
    if (length !== null) {
      const size = Number(length[1]);
      if (text.length - at < size) break;
      answers.push({ head, body: text.slice(at, at + size) });
      at += size;
    } else if (/\r\ntransfer-encoding: chunked/i.test(head)) {
      let body = '';
      for (;;) {
        const lineEnd = text.indexOf('\r\n', at);
        if (lineEnd === -1) return answers;
        const size = parseInt(text.slice(at, lineEnd), 16);
        if (size === 0) {
          at = lineEnd + 4;
          break;
        }
        body += text.slice(lineEnd + 2, lineEnd + 2 + size);
        at = lineEnd + 2 + size + 2;
      }
      answers.push({ head, body });
    } else {
      answers.push({ head, body: text.slice(at) });
      break;
    }
  }
  return answers;
}

const GET = (target: string, fields = ''): string => `GET ${target} HTTP/1.1\r\nHost: localhost\r\n${fields}\r\n`;

describe('the lean HTTP/1.1 loop', () => {
  let pki: TestPki;
  let client: Issued;
  let ca: string;
  let listener: MtlsListener;
  let port: number;

  before(async () => {
    pki = await createTestPki();
    ca = await serverCaPem(pki);
    client = await pki.ca.issue({ subject: 'CN=loop-client' });
    const config = await loadProxyConfig({
      listen: '127.0.0.1:0',
      cert: pki.files.serverCert,
      key: pki.files.serverKey,
      clientCa: [pki.files.caPem],
      upstream: 'http://127.0.0.1:9',
      forwardIdentity: 'none',
      upstreamTimeout: '1s',
      connectTimeout: '1s',
      shutdownTimeout: '1s',
    });
    const logger = createLogger('silent');
    listener = new MtlsListener({
      listen: config.listen,
      material: { certPem: config.serverCertPem, keyPem: config.serverKeyPem, clientCaPems: config.clientCas.pems },
      trustedCas: config.clientCas.certificates,
      handler: new LoopTestHandler(),
      logger,
      guard: new FaultGuard({ logger }),
      http1Timeouts: { keepAliveMs: 400, headersMs: 400, requestMs: 2_500 },
    });
    port = (await listener.start()).port;
  });

  after(async () => {
    await listener.drain(200);
    await pki.cleanup();
  });

  test('pipelined requests are answered in order, the slow first one included', async () => {
    const connection = await RawConnection.open(port, ca, client);
    try {
      connection.socket.write(GET('/late/80') + GET('/b') + GET('/c'));
      const answers = await connection.answers(3);
      assert.deepEqual(
        answers.map((a) => (JSON.parse(a.body) as { target: string }).target),
        ['/late/80', '/b', '/c'],
      );
      assert.ok(answers.every((a) => a.head.startsWith('HTTP/1.1 200 OK') && !/connection:/i.test(a.head)));
      assert.ok(
        answers.every((a) => /\r\ndate: /.test(a.head)),
        'a Date field (RFC 9110 §6.6.1)',
      );
      assert.equal(connection.closed, false, 'kept alive');
    } finally {
      connection.socket.destroy();
    }
  });

  test('HTTP/1.0: closed after the answer unless keep-alive is asked', async () => {
    const once = await RawConnection.open(port, ca, client);
    once.socket.write('GET /one HTTP/1.0\r\n\r\n');
    const [only] = await once.answers(1);
    assert.match(only?.head ?? '', /\r\nconnection: close/);
    await once.until(() => once.closed, 'the close');

    const kept = await RawConnection.open(port, ca, client);
    try {
      kept.socket.write('GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
      const [first] = await kept.answers(1);
      assert.match(first?.head ?? '', /\r\nconnection: keep-alive/);
      kept.socket.write('GET /b HTTP/1.0\r\n\r\n');
      await kept.answers(2);
      await kept.until(() => kept.closed, 'the close after the second');
    } finally {
      kept.socket.destroy();
    }
  });

  test('HTTP/1.0 and a body of unknown length: close-delimited, never chunked', async () => {
    const connection = await RawConnection.open(port, ca, client);
    connection.socket.write('GET /stream HTTP/1.0\r\n\r\n');
    await connection.until(() => connection.closed, 'the close that ends the body');
    assert.doesNotMatch(connection.received, /transfer-encoding/i);
    assert.ok(connection.received.endsWith('\r\n\r\nfirst,second'), connection.received);
  });

  test('HTTP/1.1 and a body of unknown length: chunked, and the connection stays', async () => {
    const connection = await RawConnection.open(port, ca, client);
    try {
      connection.socket.write(GET('/stream') + GET('/after'));
      const [streamed, after] = await connection.answers(2);
      assert.match(streamed?.head ?? '', /\r\ntransfer-encoding: chunked/);
      assert.equal(streamed?.body, 'first,second');
      assert.equal((JSON.parse(after?.body ?? '{}') as { target: string }).target, '/after');
    } finally {
      connection.socket.destroy();
    }
  });

  test('Connection: close from the client: the answer says so and the connection ends', async () => {
    const connection = await RawConnection.open(port, ca, client);
    connection.socket.write(GET('/bye', 'Connection: close\r\n') + GET('/never'));
    const [answer] = await connection.answers(1);
    assert.match(answer?.head ?? '', /\r\nconnection: close/);
    await connection.until(() => connection.closed, 'the close');
    assert.equal(parseAnswers(connection.received).length, 1, 'nothing after the closing request is answered');
  });

  test('HEAD: the head only, and the next pipelined answer follows it directly', async () => {
    const connection = await RawConnection.open(port, ca, client);
    try {
      connection.socket.write(`HEAD /h HTTP/1.1\r\nHost: localhost\r\n\r\n${GET('/after-head')}`);
      await connection.until(() => connection.received.includes('after-head'), 'the second answer');
      const heads = connection.received.split('HTTP/1.1 200 OK').length - 1;
      assert.equal(heads, 2);
      const second = connection.received.indexOf('HTTP/1.1 200 OK', 1);
      assert.ok(connection.received.slice(0, second).endsWith('\r\n\r\n'), 'no body bytes after the HEAD answer');
      assert.match(connection.received.slice(0, second), /\r\ncontent-length: \d+/, 'the length a GET would have');
    } finally {
      connection.socket.destroy();
    }
  });

  test('Expect: 100-continue: 100 Continue when the body is read, then the answer', async () => {
    const connection = await RawConnection.open(port, ca, client);
    try {
      connection.socket.write(
        'POST /upload HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n',
      );
      await connection.until(() => connection.received.startsWith('HTTP/1.1 100 Continue\r\n\r\n'), '100 Continue');
      connection.socket.write('hello');
      const answers = await connection.answers(2);
      assert.equal((JSON.parse(answers[1]?.body ?? '{}') as { body: string }).body, 'hello');
    } finally {
      connection.socket.destroy();
    }
  });

  test('Expect: 100-continue answered without reading: no 100, and the connection closes', async () => {
    const connection = await RawConnection.open(port, ca, client);
    connection.socket.write(
      'POST /unread HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n',
    );
    const [answer] = await connection.answers(1);
    assert.match(answer?.head ?? '', /^HTTP\/1\.1 200 OK[^]*\r\nconnection: close/);
    await connection.until(() => connection.closed, 'the close');
  });

  test('a body the handler did not read is read and dropped; the next request is served', async () => {
    const connection = await RawConnection.open(port, ca, client);
    try {
      connection.socket.write(`POST /unread HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10\r\n\r\n01234`);
      await connection.answers(1);
      connection.socket.write(`56789${GET('/next')}`);
      const answers = await connection.answers(2);
      assert.equal((JSON.parse(answers[1]?.body ?? '{}') as { target: string }).target, '/next');
    } finally {
      connection.socket.destroy();
    }
  });

  test('a large body to a slow reader arrives whole (backpressure pauses the socket)', async () => {
    const connection = await RawConnection.open(port, ca, client);
    try {
      const body = 'x'.repeat(1024 * 1024);
      connection.socket.write(
        `POST /slow-reader HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
      );
      const [answer] = await connection.answers(1);
      assert.equal((JSON.parse(answer?.body ?? '{}') as { body: string }).body.length, body.length);
    } finally {
      connection.socket.destroy();
    }
  });

  test('chunked request bodies are de-chunked for the handler', async () => {
    const connection = await RawConnection.open(port, ca, client);
    try {
      connection.socket.write(
        'POST /c HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nT: x\r\n\r\n',
      );
      const [answer] = await connection.answers(1);
      assert.equal((JSON.parse(answer?.body ?? '{}') as { body: string }).body, 'abcde');
    } finally {
      connection.socket.destroy();
    }
  });

  test('an idle connection is closed after the keep-alive timeout', async () => {
    const connection = await RawConnection.open(port, ca, client);
    connection.socket.write(GET('/a'));
    await connection.answers(1);
    await connection.until(() => connection.closed, 'the keep-alive close');
    assert.equal(parseAnswers(connection.received).length, 1, 'closed quietly, without an answer');
  });

  test('a request head that does not complete in time: 408 JSON, closed', async () => {
    const connection = await RawConnection.open(port, ca, client);
    connection.socket.write(GET('/a'));
    await connection.answers(1);
    connection.socket.write('GET /slowloris HTTP/1.1\r\nHost: local');
    await connection.until(() => connection.closed, 'the close');
    const answers = parseAnswers(connection.received);
    assert.equal(answers.length, 2);
    assert.match(answers[1]?.head ?? '', /^HTTP\/1\.1 408 /);
    assert.match(answers[1]?.body ?? '', /GW_ERR_REQUEST_TIMEOUT/);
  });

  test('a request body that does not complete in time: 408 JSON, closed', async () => {
    const connection = await RawConnection.open(port, ca, client);
    connection.socket.write('POST /body HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10\r\n\r\n0123');
    await connection.until(() => connection.closed, 'the close');
    const [answer] = parseAnswers(connection.received);
    assert.match(answer?.head ?? '', /^HTTP\/1\.1 408 /);
    assert.match(answer?.head ?? '', /\r\nconnection: close/);
  });

  test('a malformed request after a good one: the good one answered, then 400 JSON and closed', async () => {
    const connection = await RawConnection.open(port, ca, client);
    connection.socket.write(`${GET('/good')}GET / HTTP/1.1\r\nHost: localhost\r\nX : y\r\n\r\n`);
    await connection.until(() => connection.closed, 'the close');
    const answers = parseAnswers(connection.received);
    assert.equal(answers.length, 2);
    assert.match(answers[1]?.head ?? '', /^HTTP\/1\.1 400 /);
    assert.match(answers[1]?.body ?? '', /GW_ERR_REQUEST_INVALID/);
  });

  test('CONNECT asks for a tunnel the gateway never opens: 400 JSON and closed, the handler never called', async () => {
    const connection = await RawConnection.open(port, ca, client);
    connection.socket.write('CONNECT localhost:443 HTTP/1.1\r\nHost: localhost:443\r\n\r\n');
    await connection.until(() => connection.closed, 'the close');
    const answers = parseAnswers(connection.received);
    assert.equal(answers.length, 1);
    assert.match(answers[0]?.head ?? '', /^HTTP\/1\.1 400 /);
    assert.match(answers[0]?.body ?? '', /GW_ERR_REQUEST_INVALID.*CONNECT/);
  });

  test('drain closes idle connections and ends busy ones after their answer', async () => {
    // Last: the listener stops accepting.
    const idle = await RawConnection.open(port, ca, client);
    idle.socket.write(GET('/x'));
    await idle.answers(1);
    const busy = await RawConnection.open(port, ca, client);
    busy.socket.write(GET('/late/150'));
    await sleep(20);
    await listener.drain(2_000);
    assert.equal(idle.closed, true);
    await busy.until(() => busy.closed, 'the busy close');
    const [answer] = parseAnswers(busy.received);
    assert.match(answer?.head ?? '', /^HTTP\/1\.1 200 OK[^]*\r\nconnection: close/);
  });
});
