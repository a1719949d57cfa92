/**
 * What `portcullis proxy` does when its PKI changes under it (SIGHUP → RunningProxy.reload, and the
 * clock): a CRL that goes stale while in use fails its CA's clients until a fresh one is loaded; a
 * reload that removes a client CA refuses that CA's clients on open connections too, old sessions
 * do not resume, and new connections get the new server certificate. The signal itself is tested
 * in proxy-cli.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import tls, { type TLSSocket } from 'node:tls';
import { loadProxyConfig, type ProxyOptionsInput } from '../../src/config/proxy-config.ts';
import { createTestPki, serverCaPem, startTestProxy, type TestPki } from '../helpers/proxy-fixture.ts';
import { createCa, Eku, type CaHandle } from '../helpers/pki.ts';
import { startHttp1Echo, type RunningUpstream } from '../helpers/upstreams.ts';
import { request, requestOnSocket } from '../helpers/https-client.ts';

describe('proxy: PKI changes while running', () => {
  let pki: TestPki;
  let upstream: RunningUpstream;
  let serverCa: string;
  let otherCa: CaHandle;
  let files: { otherCa: string; crl: string };

  /** The input startTestProxy gives, with these overrides: what a reload re-reads. */
  const input = (overrides: Partial<ProxyOptionsInput>): ProxyOptionsInput => ({
    listen: '127.0.0.1:0',
    cert: pki.files.serverCert,
    key: pki.files.serverKey,
    clientCa: [pki.files.caPem],
    upstream: upstream.url,
    forwardIdentity: 'xfcc',
    upstreamTimeout: '5s',
    connectTimeout: '2s',
    shutdownTimeout: '3s',
    ...overrides,
  });

  before(async () => {
    pki = await createTestPki();
    upstream = await startHttp1Echo();
    serverCa = await serverCaPem(pki);
    otherCa = await createCa('CN=Second Client CA');
    files = {
      otherCa: await pki.write('second-ca.pem', otherCa.certPem),
      crl: await pki.write('fresh.crl', await pki.ca.crl([])),
    };
  });

  after(async () => {
    await upstream.close();
    await pki.cleanup();
  });

  test('a CRL that goes stale while in use fails its CA’s clients (403) until a fresh one is loaded', async () => {
    const client = await pki.ca.issue({ subject: 'CN=stale-crl-client' });
    const shortCrl = await pki.write('short.crl', await pki.ca.crl([], { nextUpdate: new Date(Date.now() + 2_000) }));
    const proxy = await startTestProxy(pki, upstream.url, { crl: [shortCrl] });
    const call = () => request({ port: proxy.port, ca: serverCa, cert: client.certPem, key: client.keyPem });
    try {
      assert.equal((await call()).status, 200);
      await new Promise((resolve) => setTimeout(resolve, 2_100));
      const stale = await call();
      assert.equal(stale.status, 403);
      assert.equal(stale.json<{ error: { code: string } }>().error.code, 'GW_ERR_CERT_INVALID');
      proxy.reload(await loadProxyConfig(input({ crl: [files.crl] })));
      assert.equal((await call()).status, 200);
    } finally {
      await proxy.stop();
    }
  });

  test('a reload that removes a client CA: refused on open and new connections, no resumption, the new server certificate', async () => {
    const [fromFirst, fromSecond] = await Promise.all([
      pki.ca.issue({ subject: 'CN=first-ca-client' }),
      otherCa.issue({ subject: 'CN=second-ca-client' }),
    ]);
    const proxy = await startTestProxy(pki, upstream.url, { clientCa: [pki.files.caPem, files.otherCa] });
    const connect = (options: tls.ConnectionOptions): Promise<TLSSocket> =>
      new Promise((resolve, reject) => {
        const socket = tls.connect(
          {
            host: '127.0.0.1',
            port: proxy.port,
            servername: 'localhost',
            ca: serverCa,
            ALPNProtocols: ['http/1.1'],
            ...options,
          },
          () => resolve(socket),
        );
        socket.once('error', reject);
      });
    try {
      const open = await connect({ cert: fromFirst.certPem, key: fromFirst.keyPem });
      const sessions: Buffer[] = [];
      open.on('session', (session: Buffer) => sessions.push(session));
      assert.equal((await requestOnSocket(open, 'localhost')).status, 200);
      const session = sessions.at(-1);
      assert.ok(session !== undefined, 'the proxy issued a session');

      // The first CA removed, and a new server certificate (same name, new serial).
      const rotated = await pki.serverCa.issue({ subject: 'CN=localhost', dns: ['localhost'], eku: [Eku.serverAuth] });
      const [certFile, keyFile] = await Promise.all([
        pki.write('rotated.pem', rotated.certPem),
        pki.write('rotated.key', rotated.keyPem),
      ]);
      proxy.reload(await loadProxyConfig(input({ clientCa: [files.otherCa], cert: certFile, key: keyFile })));

      const onOpen = await requestOnSocket(open, 'localhost');
      assert.equal(onOpen.status, 403, 'the open connection of the removed CA');
      assert.equal((onOpen.body.error as { code: string }).code, 'GW_ERR_CERT_INVALID');
      open.destroy();

      const resumed = await connect({ session });
      assert.equal(resumed.isSessionReused(), false, 'a session made under the old CAs does not resume');
      resumed.destroy();

      const refused = await request({ port: proxy.port, ca: serverCa, cert: fromFirst.certPem, key: fromFirst.keyPem });
      assert.equal(refused.status, 403, 'a new connection of the removed CA');

      const fresh = await connect({ cert: fromSecond.certPem, key: fromSecond.keyPem });
      assert.equal(fresh.getPeerX509Certificate()?.serialNumber, rotated.serialHex.toUpperCase());
      assert.equal((await requestOnSocket(fresh, 'localhost')).status, 200, 'the remaining CA still works');
      fresh.destroy();
    } finally {
      await proxy.stop();
    }
  });
});
