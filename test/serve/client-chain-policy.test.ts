/**
 * `portcullis serve` holds client chains to the client-chain policy (docs/adr/0008) beyond what OpenSSL verifies:
 * every case of client-chain-cases.ts is presented in a real handshake to a hostname with an mTLS rule and gets
 * 403 (the rule is logged, never answered) or, for its good twin, 200. A CA uploaded `legacy` relaxes only the key
 * identifier rules; switching it to `strict` takes effect on open connections at their next request.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import tls, { type TLSSocket } from 'node:tls';
import { pino } from 'pino';
import { createTenant, startAdminServer, type AdminServer } from '../helpers/admin-server.ts';
import { edgeCaPem } from '../helpers/gateway-pki.ts';
import { request, requestOnSocket } from '../helpers/https-client.ts';
import { startHttp1Echo, type RunningUpstream } from '../helpers/upstreams.ts';
import { makeChainCases, type ChainCase, type ChainCases } from '../helpers/client-chain-cases.ts';

const STRICT_HOST = 'strict.chains.test';
const LEGACY_HOST = 'legacy.chains.test';

describe('serve: client chains held to the client-chain policy', () => {
  let server: AdminServer;
  let echo: RunningUpstream;
  let cases: ChainCases;
  let accountId: string;
  let legacyCaId: string;
  const logLines: Record<string, unknown>[] = [];
  const capture = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) logLines.push(JSON.parse(line));
      done();
    },
  });

  const mustSucceed = async (method: string, route: string, body?: unknown) => {
    const response = await server.call(method, route, body);
    assert.equal(response.status, 200, `${method} ${route}: ${JSON.stringify(response.body.errors)}`);
    return response.body.result;
  };

  before(async () => {
    server = await startAdminServer(undefined, undefined, { logger: pino({ level: 'info' }, capture) });
    echo = await startHttp1Echo();
    cases = makeChainCases();
    let zoneId: string;
    ({ accountId, zoneId } = await createTenant(server, 'chains.test'));
    const uploadCa = async (pem: string, compatibility?: string): Promise<string> => {
      const body = { ca: true, certificates: pem, ...(compatibility === undefined ? {} : { compatibility }) };
      return ((await mustSucceed('POST', `/accounts/${accountId}/mtls_certificates`, body)) as { id: string }).id;
    };
    const strictIds = [await uploadCa(cases.root.pem), await uploadCa(cases.constrainedRoot.pem)];
    const strictLegacyRoot = await uploadCa(cases.legacyRoot.pem);
    legacyCaId = await uploadCa(cases.legacyRoot.pem, 'legacy');
    const associate = (id: string, hostnames: string[]) =>
      mustSucceed('PUT', `/zones/${zoneId}/certificate_authorities/hostname_associations`, {
        hostnames,
        mtls_certificate_id: id,
      });
    for (const id of strictIds) await associate(id, [STRICT_HOST, LEGACY_HOST]);
    await associate(strictLegacyRoot, [STRICT_HOST]);
    await associate(legacyCaId, [LEGACY_HOST]);
    for (const hostname of [STRICT_HOST, LEGACY_HOST]) {
      await mustSucceed('POST', `/zones/${zoneId}/gateway/routes`, { hostname, upstream: echo.url });
    }
    await mustSucceed('POST', `/zones/${zoneId}/gateway/mtls_rule`, { hostnames: [STRICT_HOST, LEGACY_HOST] });
  });

  after(async () => {
    await server.stop();
    await echo.close();
  });

  const present = (host: string, chainCase: ChainCase) =>
    request({
      port: server.gatewayPort,
      ca: edgeCaPem(server),
      servername: host,
      headers: { host },
      cert: chainCase.cert,
      key: chainCase.key,
      path: `/policy/${encodeURIComponent(chainCase.name)}`,
      ...(chainCase.tls === undefined ? {} : { tls: chainCase.tls }),
      ...(chainCase.clientCiphers === undefined ? {} : { ciphers: chainCase.clientCiphers }),
    });

  async function assertAnswer(host: string, chainCase: ChainCase, status: ChainCase['status']): Promise<void> {
    const before = echo.received.length;
    let response: Awaited<ReturnType<typeof present>>;
    try {
      response = await present(host, chainCase);
    } catch (error) {
      if (chainCase.handshakeMayFail !== true || status === 200) throw error;
      assert.equal(echo.received.length, before, 'nothing reached the upstream');
      return;
    }
    if (status === 'refused') {
      assert.ok([401, 403].includes(response.status), `${chainCase.name}: ${response.status} ${response.body}`);
      assert.equal(echo.received.length, before, 'nothing reached the upstream');
      return;
    }
    assert.equal(response.status, status, `${host}, ${chainCase.name}: ${response.body}`);
    if (status === 200) {
      assert.equal(echo.received.length, before + 1, 'it reached the upstream');
      return;
    }
    assert.equal(response.json<{ error: { code: string } }>().error.code, 'GW_ERR_RULE_BLOCKED');
    assert.equal(echo.received.length, before, 'nothing reached the upstream');
    if (chainCase.rule !== undefined) {
      const blocked = logLines.findLast((line) => line.msg === 'request blocked by a custom rule');
      assert.ok(String(blocked?.certificateFailure).startsWith(`${chainCase.rule}: `), JSON.stringify(blocked));
      assert.ok(!response.body.includes(chainCase.rule), 'the rule is for the log only');
    }
  }

  test('every case: 403 for the flawed chains, 200 for their good twins', async () => {
    for (const chainCase of cases.cases) await assertAnswer(STRICT_HOST, chainCase, chainCase.status);
  });

  test('chains without key identifiers: 403 where their CA is strict, 200 where it was uploaded legacy', async () => {
    for (const chainCase of cases.legacyOnly) {
      await assertAnswer(STRICT_HOST, chainCase, 403);
      await assertAnswer(LEGACY_HOST, chainCase, 200);
    }
  });

  test('a connection judged legacy is refused at its next request once its CA is switched to strict', async () => {
    const [noAki] = cases.legacyOnly;
    const socket = await new Promise<TLSSocket>((resolve, reject) => {
      const opened = tls.connect(
        {
          host: '127.0.0.1',
          port: server.gatewayPort,
          servername: LEGACY_HOST,
          ca: edgeCaPem(server),
          cert: noAki!.cert,
          key: noAki!.key,
          ALPNProtocols: ['http/1.1'],
        },
        () => resolve(opened),
      );
      opened.once('error', reject);
    });
    try {
      assert.equal((await requestOnSocket(socket, LEGACY_HOST, '/before-switch')).status, 200);
      const switched = await mustSucceed('PATCH', `/accounts/${accountId}/mtls_certificates/${legacyCaId}`, {
        compatibility: 'strict',
      });
      assert.equal((switched as { compatibility: string }).compatibility, 'strict');
      const after = await requestOnSocket(socket, LEGACY_HOST, '/after-switch');
      assert.equal(after.status, 403, 'the open connection');
    } finally {
      socket.destroy();
    }
    await assertAnswer(LEGACY_HOST, noAki!, 403);
    await mustSucceed('PATCH', `/accounts/${accountId}/mtls_certificates/${legacyCaId}`, { compatibility: 'legacy' });
    await assertAnswer(LEGACY_HOST, noAki!, 200);
  });
});
