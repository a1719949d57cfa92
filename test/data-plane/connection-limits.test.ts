/**
 * Connection floods against the listener both commands share, with real sockets and small limits:
 *  - over --max-connections-per-client or --max-connections, a connection is closed at accept,
 *    before the TLS handshake (the client has sent nothing and is closed at once), and a slot
 *    freed by a closed connection is given to the next one;
 *  - a connection that sends no request within --first-request-timeout is closed (HTTP/1.1: the
 *    socket; HTTP/2: GOAWAY), with or without a client certificate, and one that sent a request is
 *    left to the normal keep-alive timeouts;
 *  - `serve` counts the drops in portcullis_connections_dropped_total{reason} and shows
 *    portcullis_open_connections.
 * Every wait is bounded; only loopback addresses (127.0.0.1 and 127.0.0.2) are used.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import http2, { type ClientHttp2Session } from 'node:http2';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestPki, serverCaPem, startTestProxy, type TestPki } from '../helpers/proxy-fixture.ts';
import { startHttp1Echo, type RunningUpstream } from '../helpers/upstreams.ts';
import type { Issued } from '../helpers/pki.ts';
import { connectH2, h2Request } from '../helpers/h2-client.ts';
import { startAdminServer, type AdminServer } from '../helpers/admin-server.ts';

/** A raw TCP connection from `localAddress`, sending nothing. */
function tcp(port: number, localAddress = '127.0.0.1'): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port, localAddress }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Whether the server closes `socket` within `ms` (the client sends nothing meanwhile). */
function closedByServer(socket: net.Socket, ms = 2_000): Promise<boolean> {
  if (socket.destroyed) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    socket.on('error', () => undefined);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
    socket.resume();
  });
}

describe('proxy: connection caps refuse the excess at accept', () => {
  let pki: TestPki;
  let upstream: RunningUpstream;
  let proxy: Awaited<ReturnType<typeof startTestProxy>>;
  const open: net.Socket[] = [];

  before(async () => {
    pki = await createTestPki();
    upstream = await startHttp1Echo();
    proxy = await startTestProxy(pki, upstream.url, {
      maxConnections: '3',
      maxConnectionsPerClient: '2',
      firstRequestTimeout: '30s',
    });
  });

  after(async () => {
    for (const socket of open) socket.destroy();
    await proxy.stop();
    await upstream.close();
    await pki.cleanup();
  });

  test('a third connection from one address is closed before any handshake; a freed slot is reused', async () => {
    open.push(await tcp(proxy.port), await tcp(proxy.port));
    assert.equal(await closedByServer(open[0]!, 300), false, 'within the cap: waits for its ClientHello');
    const third = await tcp(proxy.port);
    assert.equal(await closedByServer(third), true, 'over the per-client cap: closed without a handshake');

    open.shift()!.destroy();
    await sleep(100); // the server sees the close
    const again = await tcp(proxy.port);
    open.push(again);
    assert.equal(await closedByServer(again, 300), false, 'the freed slot takes a new connection');
  });

  test('another address gets its own share until the total cap', async () => {
    const other = await tcp(proxy.port, '127.0.0.2');
    open.push(other);
    assert.equal(await closedByServer(other, 300), false, '127.0.0.2 is another client');
    const fourth = await tcp(proxy.port, '127.0.0.2');
    assert.equal(await closedByServer(fourth), true, 'over --max-connections (3 open)');
  });

  test('an admitted connection still completes its TLS handshake and is served', async () => {
    for (const socket of open.splice(0)) socket.destroy();
    await sleep(100);
    const client: Issued = await pki.ca.issue({ subject: 'CN=within-limits' });
    const session = await connectH2(proxy.port, await serverCaPem(pki), client.certPem, client.keyPem);
    try {
      assert.equal((await h2Request(session, {})).status, 200);
    } finally {
      session.close();
    }
  });
});

describe('proxy: connections that send no request are closed after --first-request-timeout', () => {
  let pki: TestPki;
  let upstream: RunningUpstream;
  let proxy: Awaited<ReturnType<typeof startTestProxy>>;
  let ca: string;
  let client: Issued;

  before(async () => {
    pki = await createTestPki();
    upstream = await startHttp1Echo();
    proxy = await startTestProxy(pki, upstream.url, { firstRequestTimeout: '300ms' });
    ca = await serverCaPem(pki);
    client = await pki.ca.issue({ subject: 'CN=idle-client' });
  });

  after(async () => {
    await proxy.stop();
    await upstream.close();
    await pki.cleanup();
  });

  const handshake = (alpn: string, withCert: boolean): Promise<tls.TLSSocket> =>
    new Promise((resolve, reject) => {
      const socket = tls.connect({
        host: '127.0.0.1',
        port: proxy.port,
        servername: 'localhost',
        ca,
        ALPNProtocols: [alpn],
        ...(withCert ? { cert: client.certPem, key: client.keyPem } : {}),
      });
      socket.once('secureConnect', () => resolve(socket));
      socket.once('error', reject);
    });

  test('idle HTTP/1.1 connections, with and without a certificate, are closed', async () => {
    const sockets = [await handshake('http/1.1', true), await handshake('http/1.1', false)];
    const closed = await Promise.all(sockets.map((socket) => closedByServer(socket, 3_000)));
    assert.deepEqual(closed, [true, true]);
  });

  test('twenty idle HTTP/2 sessions without a certificate are sent GOAWAY and closed', async () => {
    const sessions: ClientHttp2Session[] = [];
    // Watched from the moment each connects: under load, the first may be closed before the last connects.
    const watch = (session: ClientHttp2Session) =>
      new Promise<{ goaway: boolean; closed: boolean }>((resolve) => {
        let goaway = false;
        const timer = setTimeout(() => resolve({ goaway, closed: false }), 5_000);
        session.on('error', () => undefined);
        session.once('goaway', (code: number) => (goaway = code === http2.constants.NGHTTP2_NO_ERROR));
        session.once('close', () => {
          clearTimeout(timer);
          resolve({ goaway, closed: true });
        });
      });
    try {
      const outcomes: Promise<{ goaway: boolean; closed: boolean }>[] = [];
      for (let index = 0; index < 20; index++) {
        const session = await connectH2(proxy.port, ca);
        sessions.push(session);
        outcomes.push(watch(session));
      }
      const ended = await Promise.all(outcomes);
      assert.ok(
        ended.every((outcome) => outcome.goaway && outcome.closed),
        JSON.stringify(ended),
      );
    } finally {
      for (const session of sessions) session.destroy();
    }
  });

  test('a session that sent a request is not closed by this timer', async () => {
    const session = await connectH2(proxy.port, ca, client.certPem, client.keyPem);
    try {
      assert.equal((await h2Request(session, { ':path': '/first' })).status, 200);
      await sleep(800); // well past the 300 ms, far under the 2-minute idle timeout
      assert.equal(session.closed, false);
      assert.equal((await h2Request(session, { ':path': '/second' })).status, 200);
    } finally {
      session.close();
    }
  });
});

describe('serve: the same limits, counted in the metrics', () => {
  let server: AdminServer;
  const open: net.Socket[] = [];

  before(async () => {
    server = await startAdminServer(undefined, undefined, {
      flags: { maxConnectionsPerClient: '1', firstRequestTimeout: '200ms' },
    });
  });

  after(async () => {
    for (const socket of open) socket.destroy();
    await server.stop();
  });

  const metrics = async (): Promise<string> => (await fetch(server.baseUrl.replace('/client/v4', '/metrics'))).text();

  test('a refused and a timed-out connection are counted by reason; open connections are shown', async () => {
    const first = await tcp(server.gatewayPort);
    open.push(first);
    await sleep(100);
    assert.match(await metrics(), /^portcullis_open_connections 1$/m);
    const second = await tcp(server.gatewayPort);
    assert.equal(await closedByServer(second), true);
    assert.match(await metrics(), /^portcullis_connections_dropped_total\{reason="max_connections_per_client"\} 1$/m);

    first.destroy();
    await sleep(100);
    const idle = await new Promise<tls.TLSSocket>((resolve, reject) => {
      const socket = tls.connect({ host: '127.0.0.1', port: server.gatewayPort, rejectUnauthorized: false });
      socket.once('secureConnect', () => resolve(socket));
      socket.once('error', reject);
    });
    assert.equal(await closedByServer(idle, 3_000), true);
    assert.match(await metrics(), /^portcullis_connections_dropped_total\{reason="first_request_timeout"\} 1$/m);
  });
});
