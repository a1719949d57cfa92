/**
 * The HTTP/1.1 upstream pool on its own, with a small connection limit so requests queue: real
 * sockets to raw upstreams, and a sink that collects what the client would receive. Covers the
 * orderings the proxy tests cannot force: stray bytes while a request waits for the connection,
 * the queue's own timeout, and close() called twice.
 */
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { PassThrough, type Writable } from 'node:stream';
import { UpstreamPool } from '../../src/data-plane/upstream/h1/upstream-pool.ts';
import type { ResponseSink } from '../../src/data-plane/upstream/exchange.ts';
import type { HeaderMap } from '../../src/data-plane/upstream/hop-by-hop.ts';
import type { PublicError } from '../../src/data-plane/pipeline/gateway-response.ts';
import { FaultGuard } from '../../src/data-plane/guard/fault-guard.ts';
import { createLogger } from '../../src/observability/logger.ts';

const guard = new FaultGuard({ logger: createLogger('silent') });

interface Outcome {
  status?: number;
  body?: string;
  error?: string;
}

/** What a client would get: the status and body, or the error code the gateway would answer with. */
function collectingSink(): { sink: ResponseSink; outcome: Promise<Outcome> } {
  let resolve: (outcome: Outcome) => void = () => undefined;
  const outcome = new Promise<Outcome>((done) => (resolve = done));
  const sink: ResponseSink = {
    start(status: number, _headers: HeaderMap): Writable {
      const body = new PassThrough();
      const chunks: Buffer[] = [];
      body.on('data', (chunk: Buffer) => chunks.push(chunk));
      body.on('end', () => resolve({ status, body: Buffer.concat(chunks).toString() }));
      return body;
    },
    trailers: () => undefined,
    fail: (error: PublicError) => resolve({ error: error.code }),
    onAbort: () => undefined,
    sentBody: () => undefined,
  };
  return { sink, outcome };
}

const get = (path: string) => ({
  method: 'GET',
  path,
  authority: 'upstream.test',
  headers: { host: 'upstream.test' },
  body: null,
});

const ok = (body: string): string => `HTTP/1.1 200 OK\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

/** A raw upstream calling `answer(socket, connectionIndex, requestIndexOnConnection)` for each request head. */
async function rawUpstream(
  answer: (socket: net.Socket, connection: number, request: number) => void,
): Promise<{ origin: string; connections: () => number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  const server = net.createServer((socket) => {
    const connection = accepted++;
    let requests = 0;
    let buffered = '';
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('latin1');
      for (let end = buffered.indexOf('\r\n\r\n'); end >= 0; end = buffered.indexOf('\r\n\r\n')) {
        buffered = buffered.slice(end + 4);
        answer(socket, connection, requests++);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections: () => accepted,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('UpstreamPool', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  const pool = (origin: string, upstreamTimeoutMs = 2_000): UpstreamPool => {
    const created = new UpstreamPool({
      origin,
      connectTimeoutMs: 1_000,
      upstreamTimeoutMs,
      ca: undefined,
      connections: 1,
      guard,
    });
    cleanups.push(() => created.close(100));
    return created;
  };

  test('bytes after a response are never parsed as the answer of the request waiting for that connection', async () => {
    // The first connection answers its first request twice; any later request gets "fresh".
    const upstream = await rawUpstream((socket, connection, request) => {
      socket.write(connection === 0 && request === 0 ? ok('first') + ok('stray') : ok('fresh'));
    });
    cleanups.push(() => upstream.close());
    const one = pool(upstream.origin);
    const first = collectingSink();
    const second = collectingSink();
    one.dispatch(get('/1'), first.sink);
    one.dispatch(get('/2'), second.sink); // queued: the pool allows one connection
    assert.deepEqual(await first.outcome, { status: 200, body: 'first' });
    assert.deepEqual(await second.outcome, { status: 200, body: 'fresh' });
    assert.equal(upstream.connections(), 2, 'the connection that sent stray bytes was closed');
  });

  test('a request waiting for a connection times out like any other (504), and the pool recovers', async () => {
    const upstream = await rawUpstream((socket, connection) => {
      if (connection > 0) socket.write(ok('later'));
      // connection 0 never answers
    });
    cleanups.push(() => upstream.close());
    const one = pool(upstream.origin, 200);
    const stuck = collectingSink();
    const waiting = collectingSink();
    one.dispatch(get('/stuck'), stuck.sink);
    one.dispatch(get('/waiting'), waiting.sink);
    assert.deepEqual(await waiting.outcome, { error: 'GW_ERR_UPSTREAM_TIMEOUT' });
    assert.deepEqual(await stuck.outcome, { error: 'GW_ERR_UPSTREAM_TIMEOUT' });
    const after = collectingSink();
    one.dispatch(get('/after'), after.sink);
    assert.deepEqual(await after.outcome, { status: 200, body: 'later' });
  });

  test('close() twice: both calls resolve once the exchange in flight is cut off', async () => {
    const upstream = await rawUpstream(() => undefined);
    cleanups.push(() => upstream.close());
    const one = new UpstreamPool({
      origin: upstream.origin,
      connectTimeoutMs: 1_000,
      upstreamTimeoutMs: 5_000,
      ca: undefined,
      guard,
    });
    const hanging = collectingSink();
    one.dispatch(get('/hang'), hanging.sink);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await Promise.all([one.close(100), one.close(100)]);
    assert.deepEqual(await hanging.outcome, { error: 'GW_ERR_UPSTREAM_UNAVAILABLE' });
    const late = collectingSink();
    one.dispatch(get('/late'), late.sink);
    assert.deepEqual(await late.outcome, { error: 'GW_ERR_UPSTREAM_UNAVAILABLE' });
  });
});
