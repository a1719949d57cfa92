/**
 * The gateways the fuzzers attack, both in this process, both real (TLS, client certificates,
 * upstreams): `portcullis serve` through its composition root and `portcullis proxy` through its
 * config loader. Each has a hostname that requires a client certificate, and a way to tell after a
 * case that it is intact (assertIntact):
 *
 *   nothing escaped to the process    (CrashWatch: an uncaught exception would have ended it)
 *   no fault contained by the guard   (CapturedLog: the FaultGuard logs each at error level)
 *   serve: no 5xx answered and nothing counted in portcullis_internal_errors_total (/metrics):
 *          the upstreams are healthy, so any 5xx is the gateway's own, for what a client sent
 *   a normal mTLS request, on a new connection, gets 200
 *
 * serve's hostname has what makes a request do the most work: the mTLS rule, custom rules that read
 * headers and `cf.tls_client_auth.*` fields (a block, a log, a custom response), every identity
 * header format, analytics, and routes to an HTTP/1.1 and an h2c upstream (fuzz-upstreams.ts).
 * proxy forwards every identity header format to an HTTP/1.1 upstream.
 */
import assert from 'node:assert/strict';
import { createTenant, startAdminServer, type AdminServer } from '../helpers/admin-server.ts';
import { edgeCaPem } from '../helpers/gateway-pki.ts';
import { request } from '../helpers/https-client.ts';
import { createCa, type CaHandle, type Issued } from '../helpers/pki.ts';
import { createTestPki, serverCaPem, type TestPki } from '../helpers/proxy-fixture.ts';
import { loadProxyConfig } from '../../src/config/proxy-config.ts';
import { startProxy, type RunningProxy } from '../../src/app/proxy.ts';
import { CapturedLog, CrashWatch } from './crash-watch.ts';
import { startFuzzH2cUpstream, startFuzzHttp1Upstream, type FuzzUpstream } from './fuzz-upstreams.ts';

export interface FuzzGateway {
  readonly name: 'serve' | 'proxy';
  readonly port: number;
  /** SNI and Host (or :authority) of the hostname under test. */
  readonly host: string;
  /** What the client trusts for the gateway's server certificate. */
  readonly serverCa: string;
  /** The CA the gateway trusts for client certificates. */
  readonly clientCa: CaHandle;
  /** A client certificate the gateway lets through. */
  readonly client: Issued;
  /** Throws unless the gateway is intact (see the header). */
  assertIntact(): Promise<void>;
  stop(): Promise<void>;
}

export const SERVE_HOST = 'fuzz.example.test';

/** One normal request with the good client certificate, on a new connection: its status. */
async function normalRequest(gateway: Omit<FuzzGateway, 'assertIntact' | 'stop'>): Promise<number> {
  const response = await request({
    port: gateway.port,
    ca: gateway.serverCa,
    servername: gateway.host,
    path: '/health',
    headers: { host: gateway.host },
    cert: gateway.client.certPem,
    key: gateway.client.keyPem,
  });
  return response.status;
}

export async function startFuzzServe(watch: CrashWatch): Promise<FuzzGateway> {
  const log = new CapturedLog();
  const upstreams: FuzzUpstream[] = [await startFuzzHttp1Upstream(), await startFuzzH2cUpstream()];
  const [h1, h2c] = upstreams as [FuzzUpstream, FuzzUpstream];
  const server: AdminServer = await startAdminServer(
    undefined,
    { PORTCULLIS_MASTER_KEY: undefined },
    {
      logger: log.logger,
    },
  );
  const mustSucceed = async (method: string, route: string, body?: unknown) => {
    const response = await server.call(method, route, body);
    assert.equal(response.status, 200, `${method} ${route}: ${JSON.stringify(response.body.errors)}`);
    return response.body.result;
  };
  const { accountId, zoneId } = await createTenant(server, 'example.test');
  const clientCa = await createCa('CN=Fuzz Client Root,O=Portcullis Fuzz');
  const uploaded = (await mustSucceed('POST', `/accounts/${accountId}/mtls_certificates`, {
    certificates: clientCa.certPem,
    ca: true,
  })) as { id: string };
  await mustSucceed('PUT', `/zones/${zoneId}/certificate_authorities/hostname_associations`, {
    hostnames: [SERVE_HOST],
    mtls_certificate_id: uploaded.id,
  });
  await mustSucceed('POST', `/zones/${zoneId}/gateway/routes`, { hostname: SERVE_HOST, upstream: h1.url });
  await mustSucceed('POST', `/zones/${zoneId}/gateway/routes`, {
    hostname: SERVE_HOST,
    path_prefix: '/h2c',
    upstream: h2c.url,
  });
  await mustSucceed('POST', `/zones/${zoneId}/gateway/mtls_rule`, { hostnames: [SERVE_HOST] });
  const entrypoint = `/zones/${zoneId}/rulesets/phases/http_request_firewall_custom/entrypoint`;
  const current = (await mustSucceed('GET', entrypoint)) as { rules: Record<string, unknown>[] };
  const auth = 'cf.tls_client_auth';
  await mustSucceed('PUT', entrypoint, {
    rules: [
      ...current.rules,
      { expression: 'any(lower(http.request.headers.names[*])[*] == "x-fuzz-block")', action: 'block' },
      {
        expression:
          `${auth}.cert_subject_dn contains "fuzz" or ${auth}.cert_serial eq "00" or ${auth}.cert_issuer_dn_legacy ne "" ` +
          `or ${auth}.cert_ski ne "" or len(${auth}.cert_rfc9440) gt 0 or ${auth}.cert_chain_rfc9440_too_large ` +
          `or ${auth}.cert_not_after contains "2049" or ${auth}.cert_subject_dn_legacy contains "/" ` +
          `or any(http.request.headers.values[*] contains "fuzz")`,
        action: 'log',
      },
      {
        expression: 'starts_with(http.request.uri.path, "/custom-answer")',
        action: 'block',
        action_parameters: {
          response: { status_code: 418, content: '{"fuzz":true}', content_type: 'application/json' },
        },
      },
    ],
  });
  await mustSucceed('PATCH', `/zones/${zoneId}/managed_headers`, {
    managed_request_headers: [
      { id: 'add_client_certificate_headers', enabled: true },
      { id: 'add_forwarded_client_cert_header', enabled: true },
      { id: 'add_rfc9440_client_cert_headers', enabled: true },
    ],
    managed_response_headers: [],
  });
  const client = await clientCa.issue({ subject: 'CN=fuzz-good-device', dns: ['device.fuzz.test'] });
  const gateway = {
    name: 'serve' as const,
    port: server.gatewayPort,
    host: SERVE_HOST,
    serverCa: edgeCaPem(server),
    clientCa,
    client,
  };
  const metricsUrl = server.baseUrl.replace('/client/v4', '/metrics');
  const healthy = await normalRequest(gateway);
  assert.equal(healthy, 200, 'the fuzzed serve answers a normal request');
  /** Series of /metrics that must not grow: 5xx answers, and faults the guard contained. */
  const watched = async (): Promise<Map<string, number>> => {
    const text = await (await fetch(metricsUrl)).text();
    const series = new Map<string, number>();
    for (const [, name = '', count = '0'] of text.matchAll(
      /^(portcullis_requests_total\{[^}]*status="5\d\d"[^}]*\}|portcullis_internal_errors_total\{[^}]*\}) (\d+)$/gm,
    ))
      series.set(name, Number(count));
    return series;
  };
  let before = await watched();
  return {
    ...gateway,
    async assertIntact() {
      watch.assertNothingEscaped();
      log.assertNoErrors();
      const now = await watched();
      const grown = [...now].filter(([name, count]) => count > (before.get(name) ?? 0)).map(([name]) => name);
      before = now;
      assert.deepEqual(
        grown,
        [],
        'serve answered 5xx (its upstreams are healthy: the fault is its own) or contained a fault',
      );
      assert.equal(await normalRequest(gateway), 200, 'a normal mTLS request after the case');
      watch.assertNothingEscaped();
    },
    async stop() {
      await server.stop();
      await Promise.all(upstreams.map((upstream) => upstream.close()));
    },
  };
}

export async function startFuzzProxy(watch: CrashWatch): Promise<FuzzGateway> {
  const log = new CapturedLog();
  const upstream = await startFuzzHttp1Upstream();
  const pki: TestPki = await createTestPki();
  const config = await loadProxyConfig({
    listen: '127.0.0.1:0',
    cert: pki.files.serverCert,
    key: pki.files.serverKey,
    clientCa: [pki.files.caPem],
    upstream: upstream.url,
    forwardIdentity: 'xfcc,rfc9440,cf',
    upstreamTimeout: '5s',
    connectTimeout: '2s',
    shutdownTimeout: '1s',
  });
  const running: RunningProxy = await startProxy(config, log.logger);
  const client = await pki.ca.issue({ subject: 'CN=fuzz-good-client', dns: ['client.fuzz.test'] });
  const gateway = {
    name: 'proxy' as const,
    port: running.address.port,
    host: 'localhost',
    serverCa: await serverCaPem(pki),
    clientCa: pki.ca,
    client,
  };
  assert.equal(await normalRequest(gateway), 200, 'the fuzzed proxy answers a normal request');
  return {
    ...gateway,
    async assertIntact() {
      watch.assertNothingEscaped();
      log.assertNoErrors();
      assert.equal(await normalRequest(gateway), 200, 'a normal mTLS request after the case');
      watch.assertNothingEscaped();
    },
    async stop() {
      await running.stop();
      await upstream.close();
      await pki.cleanup();
    },
  };
}
