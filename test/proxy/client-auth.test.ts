/**
 * Client-certificate verification of `portcullis proxy`, over real TLS 1.2 and 1.3 handshakes with
 * certificates made at test time: only a verified, unrevoked, clientAuth leaf (and, with
 * --allow-cert, only an allowed one) reaches the upstream; every refusal is a JSON 401/403 with a
 * stable code and no verification detail.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createCa, createSelfSignedLeaf, Eku, DAY, type Issued } from '../helpers/pki.ts';
import { createTestPki, serverCaPem, startTestProxy, type TestPki } from '../helpers/proxy-fixture.ts';
import { startHttp1Echo, type RunningUpstream } from '../helpers/upstreams.ts';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { request, requestOnSocket } from '../helpers/https-client.ts';

describe('proxy client authentication', () => {
  let pki: TestPki;
  let upstream: RunningUpstream;
  let proxy: Awaited<ReturnType<typeof startTestProxy>>;
  let allowlistProxy: Awaited<ReturnType<typeof startTestProxy>>;
  let ca: string;
  let intermediatePem: string;
  const certs: Record<string, Issued> = {};

  before(async () => {
    pki = await createTestPki();
    upstream = await startHttp1Echo();
    ca = await serverCaPem(pki);
    const other = await createCa('CN=Untrusted Root');
    const intermediate = await pki.ca.intermediate('CN=Client Issuing CA,O=Portcullis Tests');
    certs.good = await pki.ca.issue({ subject: 'CN=good-client' });
    certs.viaIntermediate = await intermediate.issue({ subject: 'CN=via-intermediate' });
    intermediatePem = intermediate.certPem;
    certs.untrusted = await other.issue({ subject: 'CN=untrusted' });
    certs.expired = await pki.ca.issue({
      subject: 'CN=expired',
      notBefore: new Date(Date.now() - 10 * DAY),
      notAfter: new Date(Date.now() - DAY),
    });
    certs.notYetValid = await pki.ca.issue({
      subject: 'CN=future',
      notBefore: new Date(Date.now() + DAY),
      notAfter: new Date(Date.now() + 2 * DAY),
    });
    certs.serverAuthOnly = await pki.ca.issue({ subject: 'CN=server-auth-only', eku: [Eku.serverAuth] });
    certs.noEku = await pki.ca.issue({ subject: 'CN=no-eku', eku: [] });
    certs.revoked = await pki.ca.issue({ subject: 'CN=revoked' });
    certs.selfSigned = await createSelfSignedLeaf('CN=self-signed');
    const crl = await pki.write('client-ca.crl', await pki.ca.crl([certs.revoked.serialHex]));
    proxy = await startTestProxy(pki, upstream.url, { crl: [crl] });
    allowlistProxy = await startTestProxy(pki, upstream.url, { allowCert: [certs.good.sha256] });
  });

  after(async () => {
    await proxy.stop();
    await allowlistProxy.stop();
    await upstream.close();
    await pki.cleanup();
  });

  const withChain = (leaf: Issued, chainPem = ''): { cert: string; key: string } => ({
    cert: leaf.certPem + chainPem,
    key: leaf.keyPem,
  });

  for (const tls of ['TLSv1.2', 'TLSv1.3'] as const) {
    test(`${tls}: a verified client certificate reaches the upstream`, async () => {
      const before = upstream.received.length;
      const res = await request({ port: proxy.port, ca, tls, path: '/hello?x=1', ...withChain(certs.good!) });
      assert.equal(res.status, 200);
      assert.equal(res.json<{ url: string }>().url, '/hello?x=1');
      assert.equal(upstream.received.length, before + 1);
    });

    test(`${tls}: a certificate issued by an intermediate sent in the chain is accepted`, async () => {
      const res = await request({ port: proxy.port, ca, tls, ...withChain(certs.viaIntermediate!, intermediatePem) });
      assert.equal(res.status, 200);
    });

    const refusals: [string, string, number, string][] = [
      ['untrusted', 'a certificate from an untrusted CA', 403, 'GW_ERR_CERT_INVALID'],
      ['expired', 'an expired certificate', 403, 'GW_ERR_CERT_EXPIRED'],
      ['notYetValid', 'a not-yet-valid certificate', 403, 'GW_ERR_CERT_NOT_YET_VALID'],
      ['serverAuthOnly', 'a serverAuth-only certificate', 403, 'GW_ERR_CERT_INVALID'],
      ['noEku', 'a certificate without clientAuth EKU', 403, 'GW_ERR_CERT_INVALID'],
      ['selfSigned', 'a self-signed leaf', 403, 'GW_ERR_CERT_INVALID'],
      ['revoked', 'a certificate revoked by the CRL', 403, 'GW_ERR_CERT_REVOKED'],
    ];
    for (const [name, label, status, code] of refusals) {
      test(`${tls}: ${label} is refused with ${status} ${code}`, async () => {
        const before = upstream.received.length;
        const res = await request({ port: proxy.port, ca, tls, ...withChain(certs[name]!) });
        assert.equal(res.status, status);
        assert.deepEqual(res.json(), {
          error: { code, message: res.json<{ error: { message: string } }>().error.message },
        });
        // The code says expired or not yet valid (README 'What a refused client is told'); nothing says more than that.
        const outOfDate = code === 'GW_ERR_CERT_EXPIRED' || code === 'GW_ERR_CERT_NOT_YET_VALID';
        assert.doesNotMatch(
          res.body,
          outOfDate
            ? /issuer|purpose|unable|self.signed|X509|notAfter|notBefore|\d{4}-/i
            : /expired|issuer|purpose|unable|self.signed|not yet valid/i,
          'no verification detail leaks',
        );
        assert.equal(res.headers.connection, 'close');
        assert.equal(upstream.received.length, before, 'nothing reached the upstream');
      });
    }

    test(`${tls}: a certificate that expires after the handshake is refused on the open connection and on a resumed session`, async () => {
      // OpenSSL checks validity at the handshake only, and a resumed session is not verified again.
      const notAfter = new Date((Math.floor(Date.now() / 1000) + 3) * 1000); // whole seconds, as X.509 stores them
      const shortLived = await pki.ca.issue({ subject: 'CN=short-lived', notAfter });
      const connect = (options: ConnectionOptions): Promise<TLSSocket> =>
        new Promise((resolve, reject) => {
          const socket = tlsConnect(
            {
              host: '127.0.0.1',
              port: proxy.port,
              servername: 'localhost',
              ca,
              minVersion: tls,
              maxVersion: tls,
              ...options,
            },
            () => resolve(socket),
          );
          socket.once('error', reject);
        });
      const open = await connect({ cert: shortLived.certPem, key: shortLived.keyPem, ALPNProtocols: ['http/1.1'] });
      const sessions: Buffer[] = [];
      open.on('session', (session: Buffer) => sessions.push(session));
      assert.equal((await requestOnSocket(open, 'localhost', '/before-expiry')).status, 200);
      const session = sessions.at(-1) ?? open.getSession();
      assert.ok(session !== undefined, 'the proxy issued a session');
      // Past notAfter (OpenSSL's boundary: the notAfter second itself is already expired).
      await new Promise((resolve) => setTimeout(resolve, notAfter.getTime() + 100 - Date.now()));

      const before = upstream.received.length;
      const onOpen = await requestOnSocket(open, 'localhost', '/after-expiry');
      assert.equal(onOpen.status, 403, 'the open connection');
      assert.equal((onOpen.body.error as { code: string }).code, 'GW_ERR_CERT_EXPIRED');
      open.destroy();
      const resumed = await connect({ session, ALPNProtocols: ['http/1.1'] });
      assert.equal(resumed.isSessionReused(), true, 'the session resumed (no new verification)');
      const onResumed = await requestOnSocket(resumed, 'localhost', '/after-expiry');
      assert.equal(onResumed.status, 403, 'the resumed session');
      assert.equal((onResumed.body.error as { code: string }).code, 'GW_ERR_CERT_EXPIRED');
      resumed.destroy();
      assert.equal(upstream.received.length, before, 'nothing reached the upstream after the expiry');
    });

    test(`${tls}: no client certificate is refused with 401 GW_ERR_CERT_MISSING`, async () => {
      const res = await request({ port: proxy.port, ca, tls });
      assert.equal(res.status, 401);
      assert.equal(res.json<{ error: { code: string } }>().error.code, 'GW_ERR_CERT_MISSING');
    });

    test(`${tls}: --allow-cert admits only the listed leaf`, async () => {
      const allowed = await request({ port: allowlistProxy.port, ca, tls, ...withChain(certs.good!) });
      assert.equal(allowed.status, 200);
      const other = await request({
        port: allowlistProxy.port,
        ca,
        tls,
        ...withChain(certs.viaIntermediate!, intermediatePem),
      });
      assert.equal(other.status, 403);
      assert.equal(other.json<{ error: { code: string } }>().error.code, 'GW_ERR_CERT_NOT_ALLOWED');
    });

    test(`${tls}: an allowed certificate appended after one's own leaf does not help (leaf only)`, async () => {
      // Tyk-style bypass: present an unlisted leaf, with the allowlisted certificate in the chain.
      const res = await request({
        port: allowlistProxy.port,
        ca,
        tls,
        cert: certs.noEku!.certPem + certs.good!.certPem,
        key: certs.noEku!.keyPem,
      });
      assert.equal(res.status, 403);
    });
  }
});
