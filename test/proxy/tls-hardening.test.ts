/**
 * TLS-level hardening: old protocol versions refused at the handshake, TLS 1.2 client renegotiation
 * refused, and a flood of failed handshakes of every kind does not crash the process
 * (hostile-input.md class 9: on Node 20, TLS getters on a failed handshake segfault).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { createTestPki, serverCaPem, startTestProxy, type TestPki } from '../helpers/proxy-fixture.ts';
import { startHttp1Echo, type RunningUpstream } from '../helpers/upstreams.ts';
import { request, requestOnSocket } from '../helpers/https-client.ts';
import type { Issued } from '../helpers/pki.ts';

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

  // OpenSSL 3.5 (Node 24) has ML-KEM; 3.0 (Node 20) does not: there, the group is unknown to both sides.
  const hasMlKem = !/^3\.[0-4]\./.test(process.versions.openssl);
  test(
    'a client offering only the hybrid post-quantum group X25519MLKEM768 gets it (OpenSSL 3.5+)',
    { skip: hasMlKem ? false : `OpenSSL ${process.versions.openssl} has no ML-KEM` },
    async () => {
      const socket = await handshake({ cert: client.certPem, key: client.keyPem, ecdhCurve: 'X25519MLKEM768' });
      try {
        const key = socket.getEphemeralKeyInfo();
        assert.equal(key && 'name' in key ? key.name : undefined, 'X25519MLKEM768');
        assert.equal((await requestOnSocket(socket, 'localhost', '/pq')).status, 200);
      } finally {
        socket.destroy();
      }
    },
  );

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

  describe('--session-tickets', () => {
    // ~77 KB of DER: over the 65,280 bytes OpenSSL accepts for a session in a ticket (hostile-input.md class 8).
    let huge: Issued;
    let noTickets: Awaited<ReturnType<typeof startTestProxy>>;

    before(async () => {
      huge = await pki.ca.issue({
        subject: 'CN=huge',
        dns: Array.from({ length: 2500 }, (_, i) => `device-${i}.fleet.example.com`),
      });
      // No identity headers: a 77 KB certificate makes them larger than the upstream's header limit.
      noTickets = await startTestProxy(pki, upstream.url, { sessionTickets: 'off', forwardIdentity: 'none' });
    });

    after(async () => {
      await noTickets.stop();
    });

    const sessionAfterOneRequest = async (port: number, tlsVersion: tls.SecureVersion): Promise<Buffer> => {
      const socket = await handshake({
        port,
        cert: client.certPem,
        key: client.keyPem,
        ALPNProtocols: ['http/1.1'],
        minVersion: tlsVersion,
        maxVersion: tlsVersion,
      });
      const sessions: Buffer[] = [];
      socket.on('session', (session: Buffer) => sessions.push(session));
      assert.equal((await requestOnSocket(socket, 'localhost')).status, 200);
      const session = sessions.at(-1) ?? socket.getSession();
      socket.destroy();
      assert.ok(session !== undefined, `${tlsVersion}: the client kept a session`);
      return session;
    };

    for (const tlsVersion of ['TLSv1.2', 'TLSv1.3'] as const) {
      test(`${tlsVersion}: on (the default) resumes sessions; off does not`, async () => {
        const limits = { minVersion: tlsVersion, maxVersion: tlsVersion };
        const withTickets = await sessionAfterOneRequest(proxy.port, tlsVersion);
        const resumed = await handshake({ session: withTickets, ...limits });
        assert.equal(resumed.isSessionReused(), true);
        resumed.destroy();
        const withoutTickets = await sessionAfterOneRequest(noTickets.port, tlsVersion);
        const full = await handshake({ port: noTickets.port, session: withoutTickets, ...limits });
        assert.equal(full.isSessionReused(), false, 'a full handshake');
        full.destroy();
      });

      test(`${tlsVersion}: a client certificate too large for a ticket connects with tickets off only`, async () => {
        const tooLarge = { cert: huge.certPem, key: huge.keyPem, tls: tlsVersion, ca };
        // OpenSSL refuses to build the ticket and ends the connection (internal-error alert); the
        // proxy counts it under its own reason (and logs a hint naming --session-tickets off).
        const failures = () => proxy.listener.handshakeFailures.get('ERR_SESSION_TICKET_TOO_LARGE') ?? 0;
        const before = failures();
        await assert.rejects(request({ port: proxy.port, ...tooLarge }), /alert internal error|ECONNRESET|EPROTO/);
        for (let i = 0; i < 50 && failures() === before; i++) await new Promise((resolve) => setTimeout(resolve, 10));
        assert.equal(failures(), before + 1);
        const res = await request({ port: noTickets.port, ...tooLarge });
        assert.equal(res.status, 200);
      });
    }
  });
});
