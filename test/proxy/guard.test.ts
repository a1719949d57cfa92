/**
 * `portcullis proxy`: an exception in one request ends that request, never the proxy (ADR 0011).
 * The fault is injected into the real proxy, in this process, by patching the request handler's
 * prototype for one path: it throws where any bug of the request path would (the listener calls
 * it synchronously). Without the guard, that ends the process.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import tls, { type TLSSocket } from 'node:tls';
import { createTestPki, serverCaPem, startTestProxy, type TestPki } from '../helpers/proxy-fixture.ts';
import { startHttp1Echo, type RunningUpstream } from '../helpers/upstreams.ts';
import { connectH2, h2Request } from '../helpers/h2-client.ts';
import { requestOnSocket } from '../helpers/https-client.ts';
import type { Issued } from '../helpers/pki.ts';
import { ProxyRequestHandler } from '../../src/data-plane/listeners/proxy-request-handler.ts';

const FAULT = '/fault';
/** Without the guard a faulted request is never answered: fail instead of waiting forever. */
const BOUNDED = { timeout: 15_000 };

describe('proxy: an exception in one request ends that request, never the proxy', () => {
  let pki: TestPki;
  let upstream: RunningUpstream;
  let proxy: Awaited<ReturnType<typeof startTestProxy>>;
  let client: Issued;
  let ca: string;
  const restore: (() => void)[] = [];

  before(async () => {
    pki = await createTestPki();
    ca = await serverCaPem(pki);
    client = await pki.ca.issue({ subject: 'CN=guarded-client' });
    upstream = await startHttp1Echo();
    proxy = await startTestProxy(pki, upstream.url);
    // HTTP/1.1 requests reach the handler through our loop (ADR 0022): handleHttp1(exchange, identity).
    for (const method of ['handleHttp1', 'handleHttp2'] as const) {
      const original = Object.getOwnPropertyDescriptor(ProxyRequestHandler.prototype, method)!;
      const handle = original.value as (this: ProxyRequestHandler, ...args: unknown[]) => void;
      Object.defineProperty(ProxyRequestHandler.prototype, method, {
        ...original,
        value(this: ProxyRequestHandler, ...args: unknown[]) {
          const target =
            method === 'handleHttp1'
              ? (args[0] as { target: string }).target
              : (args[1] as Record<string, string>)[':path'];
          if (target?.startsWith(FAULT)) throw new TypeError(`injected fault in ${method}`);
          handle.apply(this, args);
        },
      });
      restore.push(() => Object.defineProperty(ProxyRequestHandler.prototype, method, original));
    }
  });

  after(async () => {
    for (const undo of restore) undo();
    await proxy.stop();
    await upstream.close();
    await pki.cleanup();
  });

  test(
    'HTTP/1.1: the request gets 500 GW_ERR_INTERNAL; the keep-alive connection serves the next one',
    BOUNDED,
    async () => {
      const socket = await new Promise<TLSSocket>((resolve, reject) => {
        const connected = tls.connect(
          {
            host: '127.0.0.1',
            port: proxy.port,
            servername: 'localhost',
            ca,
            cert: client.certPem,
            key: client.keyPem,
          },
          () => resolve(connected),
        );
        connected.once('error', reject);
      });
      try {
        const failed = await requestOnSocket(socket, 'localhost', `${FAULT}/h1`);
        assert.equal(failed.status, 500);
        assert.deepEqual(failed.body, { error: { code: 'GW_ERR_INTERNAL', message: 'Internal gateway error' } });
        assert.equal((await requestOnSocket(socket, 'localhost', '/after-fault')).status, 200);
      } finally {
        socket.destroy();
      }
    },
  );

  test('HTTP/2: that stream gets 500; the other streams of the session are served', BOUNDED, async () => {
    const session = await connectH2(proxy.port, ca, client.certPem, client.keyPem);
    try {
      const [failed, beside] = await Promise.all([
        h2Request(session, { ':path': `${FAULT}/h2` }),
        h2Request(session, { ':path': '/beside-fault' }),
      ]);
      assert.equal(failed.status, 500);
      assert.equal(JSON.parse(failed.body).error.code, 'GW_ERR_INTERNAL');
      assert.equal(beside.status, 200);
      assert.equal((await h2Request(session, { ':path': '/after-fault' })).status, 200);
    } finally {
      session.close();
    }
  });
});
