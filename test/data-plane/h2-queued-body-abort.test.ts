/**
 * An HTTP/2 request body whose exchange waits for an upstream connection (every connection of the
 * HTTP/1.1 pool busy) when the client resets the stream. The body (a PassThrough fed by the stream)
 * had no consumer yet, hence no 'error' listener: destroying it with an error on 'aborted' emitted
 * an 'error' nobody listened to, which Node throws, ending the process.
 *
 * The proxy's data plane is built here as app/proxy.ts builds it, with a pool of ONE connection so
 * that the second request queues; the only upstream connection is held by a request that never
 * gets an answer.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net, { type AddressInfo } from 'node:net';
import http2, { type ClientHttp2Session } from 'node:http2';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestPki, serverCaPem, type TestPki } from '../helpers/proxy-fixture.ts';
import { connectH2 } from '../helpers/h2-client.ts';
import type { Issued } from '../helpers/pki.ts';
import { loadProxyConfig } from '../../src/config/proxy-config.ts';
import { MtlsListener } from '../../src/data-plane/listeners/mtls-listener.ts';
import { ProxyRequestHandler } from '../../src/data-plane/listeners/proxy-request-handler.ts';
import { Http1Forwarder } from '../../src/data-plane/upstream/http1-forwarder.ts';
import { FaultGuard } from '../../src/data-plane/guard/fault-guard.ts';
import { createLogger } from '../../src/observability/logger.ts';

describe('an HTTP/2 request body waiting for an upstream connection', () => {
  let pki: TestPki;
  let client: Issued;
  let ca: string;
  let silent: net.Server;
  let forwarder: Http1Forwarder;
  let listener: MtlsListener;
  let port: number;
  const escaped: unknown[] = [];
  const record = (error: unknown): void => {
    escaped.push(error);
  };

  before(async () => {
    process.on('uncaughtException', record);
    pki = await createTestPki();
    ca = await serverCaPem(pki);
    client = await pki.ca.issue({ subject: 'CN=queued-body-client' });
    // An upstream that accepts and reads, and never answers.
    silent = net.createServer((socket) => {
      socket.on('error', () => undefined);
      socket.resume();
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const upstream = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    const config = await loadProxyConfig({
      listen: '127.0.0.1:0',
      cert: pki.files.serverCert,
      key: pki.files.serverKey,
      clientCa: [pki.files.caPem],
      upstream,
      forwardIdentity: 'none',
      upstreamTimeout: '10s',
      connectTimeout: '2s',
      shutdownTimeout: '1s',
    });
    const logger = createLogger('silent');
    const guard = new FaultGuard({ logger });
    forwarder = new Http1Forwarder({
      origin: config.upstream.origin,
      connectTimeoutMs: 2_000,
      upstreamTimeoutMs: 10_000,
      ca: undefined,
      connections: 1,
      guard,
    });
    listener = new MtlsListener({
      listen: config.listen,
      material: { certPem: config.serverCertPem, keyPem: config.serverKeyPem, clientCaPems: config.clientCas.pems },
      trustedCas: config.clientCas.certificates,
      handler: new ProxyRequestHandler({
        policy: {
          trustedCas: config.clientCas.certificates,
          revocations: config.revocations,
          allowedFingerprints: undefined,
        },
        forwardIdentity: [],
        upstream: config.upstream,
        http1: forwarder,
        http2: undefined,
        logger,
        guard,
      }),
      logger,
      guard,
    });
    port = (await listener.start()).port;
  });

  after(async () => {
    process.off('uncaughtException', record);
    await listener.drain(200);
    await forwarder.close(100);
    await new Promise<void>((resolve) => silent.close(() => resolve()));
    await pki.cleanup();
  });

  test('a client reset while it is queued ends that request only', { timeout: 15_000 }, async () => {
    const session: ClientHttp2Session = await connectH2(port, ca, client.certPem, client.keyPem);
    try {
      const holding = session.request({ ':method': 'GET', ':path': '/holds-the-only-connection' });
      holding.on('error', () => undefined);
      await sleep(100);
      const queued = session.request({ ':method': 'POST', ':path': '/queued', 'content-type': 'text/plain' });
      queued.on('error', () => undefined);
      queued.write('part of a body');
      await sleep(100);
      queued.close(http2.constants.NGHTTP2_CANCEL);
      await sleep(200);
      assert.deepEqual(escaped.map(String), [], 'nothing escaped to the process');
      assert.equal(session.destroyed, false, 'the session of the client is still open');
      assert.equal(listener.connectionCount, 1);
    } finally {
      session.destroy();
    }
  });
});
