/**
 * TLS-level hardening: old protocol versions refused at the handshake, TLS 1.2 client renegotiation
 * refused, and a flood of failed handshakes of every kind does not crash the process
 * (security.md class 9: on Node 20, TLS getters on a failed handshake segfault).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { createTestPki, serverCaPem, startTestProxy, type TestPki } from './helpers/proxy-fixture.ts';
import { startHttp1Echo, type RunningUpstream } from './helpers/upstreams.ts';
import { request } from './helpers/https-client.ts';
import type { Issued } from './helpers/pki.ts';

describe('TLS hardening', () => {
  let pki: TestPki;
  let upstream: RunningUpstream;
  let proxy: Awaited<ReturnType<typeof startTestProxy>>;
  let ca: string;
  let client: Issued;

  before(async () => {
    pki = await createTestPki();
    upstream = await startHttp1Echo();
    ca = await serverCaPem(pki);
    client = await pki.ca.issue({ subject: 'CN=client' });
    proxy = await startTestProxy(pki, upstream.url);
  });

  after(async () => {
    await proxy.stop();
    await upstream.close();
    await pki.cleanup();
  });

  const handshake = (options: tls.ConnectionOptions): Promise<tls.TLSSocket> =>
    new Promise((resolve, reject) => {
      const socket = tls.connect({ host: '127.0.0.1', port: proxy.port, servername: 'localhost', ca, ...options }, () =>
        resolve(socket),
      );
      socket.once('error', reject);
    });

  test('TLS 1.1 is refused at the handshake', async () => {
    await assert.rejects(handshake({ minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' }));
  });

  test('TLS 1.2 client-initiated renegotiation is refused', async () => {
    const socket = await handshake({ cert: client.certPem, key: client.keyPem, maxVersion: 'TLSv1.2' });
    const outcome = await new Promise<string>((resolve) => {
      socket.on('error', () => resolve('error'));
      socket.on('close', () => resolve('closed'));
      const started = socket.renegotiate({ rejectUnauthorized: true }, (error) =>
        resolve(error ? 'refused' : 'renegotiated'),
      );
      if (!started) resolve('refused');
    });
    socket.destroy();
    assert.notEqual(outcome, 'renegotiated');
  });

  test('a flood of failed handshakes does not crash the proxy', async () => {
    const attempts: Promise<unknown>[] = [];
    for (let i = 0; i < 200; i++) {
      const kind = i % 4;
      if (kind === 0) {
        // The client rejects the server (unknown CA): the server sees a failed handshake.
        attempts.push(
          handshake({ ca: undefined, rejectUnauthorized: true }).then(
            (s) => s.destroy(),
            () => undefined,
          ),
        );
      } else if (kind === 1) {
        // Garbage instead of a ClientHello.
        attempts.push(
          new Promise<void>((resolve) => {
            const socket = net.connect(proxy.port, '127.0.0.1', () => socket.end('GET / HTTP/1.1\r\n\r\n'));
            socket.on('error', () => resolve());
            socket.on('close', () => resolve());
          }),
        );
      } else if (kind === 2) {
        // Disconnect in the middle of the handshake.
        attempts.push(
          new Promise<void>((resolve) => {
            const socket = tls.connect({ host: '127.0.0.1', port: proxy.port, servername: 'localhost', ca });
            socket.on('error', () => resolve());
            socket.on('close', () => resolve());
            setImmediate(() => socket.destroy());
          }),
        );
      } else {
        // An old protocol version.
        attempts.push(
          handshake({ maxVersion: 'TLSv1.1', minVersion: 'TLSv1', ciphers: 'DEFAULT@SECLEVEL=0' }).then(
            (s) => s.destroy(),
            () => undefined,
          ),
        );
      }
    }
    await Promise.all(attempts);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.ok(
      [...proxy.listener.handshakeFailures.values()].reduce((a, b) => a + b, 0) >= 100,
      'failures were counted',
    );
    const res = await request({ port: proxy.port, ca, cert: client.certPem, key: client.keyPem });
    assert.equal(res.status, 200, 'still serving after the flood');
  });
});
