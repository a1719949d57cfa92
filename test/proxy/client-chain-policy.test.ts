/**
 * `portcullis proxy` holds client chains to the client-chain policy (docs/adr/0008) beyond what OpenSSL verifies:
 * every case of client-chain-cases.ts is presented in a real handshake and gets 403 (the refusal names the rule
 * in the log, never in the answer) or, for its good twin, 200. `--client-ca-compatibility legacy` relaxes only
 * the key identifier rules; a client CA that breaks a CA rule under `strict` refuses the start.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { loadProxyConfig, type ProxyOptionsInput } from '../../src/config/proxy-config.ts';
import { startProxy, type RunningProxy } from '../../src/app/proxy.ts';
import { GatewayError } from '../../src/errors/index.ts';
import { makeChainCases, type ChainCase, type ChainCases } from '../helpers/client-chain-cases.ts';
import { forgeRoot } from '../helpers/forge-certificate.ts';
import { createTestPki, serverCaPem, type TestPki } from '../helpers/proxy-fixture.ts';
import { request } from '../helpers/https-client.ts';
import { startHttp1Echo, type RunningUpstream } from '../helpers/upstreams.ts';

describe('proxy: client chains held to the client-chain policy', () => {
  let pki: TestPki;
  let upstream: RunningUpstream;
  let cases: ChainCases;
  let serverCa: string;
  let strict: RunningProxy;
  let legacy: RunningProxy;
  const logLines: Record<string, unknown>[] = [];

  const options = (overrides: Partial<ProxyOptionsInput>): ProxyOptionsInput => ({
    listen: '127.0.0.1:0',
    cert: pki.files.serverCert,
    key: pki.files.serverKey,
    clientCa: [],
    upstream: upstream.url,
    forwardIdentity: 'xfcc',
    upstreamTimeout: '5s',
    connectTimeout: '2s',
    shutdownTimeout: '3s',
    ...overrides,
  });
  const capture = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) logLines.push(JSON.parse(line));
      done();
    },
  });

  before(async () => {
    pki = await createTestPki();
    upstream = await startHttp1Echo();
    serverCa = await serverCaPem(pki);
    cases = makeChainCases();
    const clientCa = [
      await pki.write('strict-root.pem', cases.root.pem),
      await pki.write('constrained-root.pem', cases.constrainedRoot.pem),
      await pki.write('legacy-root.pem', cases.legacyRoot.pem),
    ];
    const logger = pino({ level: 'info' }, capture);
    strict = await startProxy(await loadProxyConfig(options({ clientCa })), logger);
    legacy = await startProxy(await loadProxyConfig(options({ clientCa, clientCaCompatibility: 'legacy' })), logger);
  });

  after(async () => {
    await strict.stop();
    await legacy.stop();
    await upstream.close();
    await pki.cleanup();
  });

  const present = (proxy: RunningProxy, chainCase: ChainCase) =>
    request({
      port: proxy.address.port,
      ca: serverCa,
      cert: chainCase.cert,
      key: chainCase.key,
      path: `/policy/${encodeURIComponent(chainCase.name)}`,
      ...(chainCase.tls === undefined ? {} : { tls: chainCase.tls }),
      ...(chainCase.clientCiphers === undefined ? {} : { ciphers: chainCase.clientCiphers }),
    });

  async function assertAnswer(proxy: RunningProxy, chainCase: ChainCase, status: ChainCase['status']): Promise<void> {
    const before = upstream.received.length;
    let response: Awaited<ReturnType<typeof present>>;
    try {
      response = await present(proxy, chainCase);
    } catch (error) {
      if (chainCase.handshakeMayFail !== true || status === 200) throw error;
      assert.equal(upstream.received.length, before, 'nothing reached the upstream');
      return;
    }
    if (status === 'refused') {
      assert.ok([401, 403].includes(response.status), `${chainCase.name}: ${response.status} ${response.body}`);
      assert.equal(upstream.received.length, before, 'nothing reached the upstream');
      return;
    }
    assert.equal(response.status, status, `${chainCase.name}: ${response.body}`);
    if (status === 200) {
      assert.equal(upstream.received.length, before + 1, 'it reached the upstream');
      return;
    }
    assert.deepEqual(response.json(), {
      error: { code: 'GW_ERR_CERT_INVALID', message: 'The client certificate could not be verified' },
    });
    assert.equal(upstream.received.length, before, 'nothing reached the upstream');
    if (chainCase.rule !== undefined) {
      const refusal = logLines.findLast((line) => line.msg === 'client certificate refused');
      assert.ok(String(refusal?.reason).startsWith(`${chainCase.rule}: `), JSON.stringify(refusal));
      assert.ok(!response.body.includes(chainCase.rule), 'the rule is for the log only');
    }
  }

  test('every case: 403 for the flawed chains, 200 for their good twins, under strict and legacy alike', async () => {
    for (const chainCase of cases.cases) {
      await assertAnswer(strict, chainCase, chainCase.status);
      await assertAnswer(legacy, chainCase, chainCase.status);
    }
  });

  test('chains without key identifiers: 403 under strict, 200 under --client-ca-compatibility legacy', async () => {
    for (const chainCase of cases.legacyOnly) {
      await assertAnswer(strict, chainCase, 403);
      await assertAnswer(legacy, chainCase, 200);
    }
  });

  test('a known client reconnecting is judged from the cache, with the same answer', async () => {
    const weak = cases.cases.find((chainCase) => chainCase.rule === 'weak-rsa-key')!;
    const good = cases.cases.find((chainCase) => chainCase.status === 200)!;
    for (let round = 0; round < 3; round++) {
      await assertAnswer(strict, weak, 403);
      await assertAnswer(strict, good, 200);
    }
  });

  test('a client CA without subjectKeyIdentifier refuses the start under strict, with the rule and the flag', async () => {
    const noSki = await pki.write('no-ski-root.pem', forgeRoot('CN=No SKI Root', { subjectKeyIdentifier: false }).pem);
    await assert.rejects(loadProxyConfig(options({ clientCa: [noSki] })), (error: unknown) => {
      assert.ok(error instanceof GatewayError);
      assert.equal(error.code, 'GW_ERR_CONFIG_CA_INVALID');
      assert.equal(error.exitCode, 3);
      assert.match(error.message, /missing-subject-key-identifier: .*--client-ca-compatibility legacy/);
      return true;
    });
    const accepted = await loadProxyConfig(options({ clientCa: [noSki], clientCaCompatibility: 'legacy' }));
    assert.equal(accepted.clientCas.compatibility, 'legacy');
    await assert.rejects(
      loadProxyConfig(options({ clientCa: [noSki], clientCaCompatibility: 'lax' })),
      /--client-ca-compatibility takes strict or legacy; got "lax"/,
    );
  });
});
