/**
 * `portcullis serve` end to end, as a user drives it through the API: routes to real upstreams
 * (HTTP/1.1 and h2c, longest prefix, strip prefix), the API Shield mTLS rule (missing, untrusted
 * and revoked certificates blocked; a good one through), a `log` rule that records without
 * blocking, a custom block response, per-zone identity headers, two hostnames with different CAs
 * on one listener, an uploaded CA that works without restart, and a revocation that reaches an
 * open keep-alive connection within a second.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import http2 from 'node:http2';
import { createTenant, startAdminServer, type AdminServer } from '../helpers/admin-server.ts';
import { edgeCaPem } from '../helpers/gateway-pki.ts';
import { OpensslWorkdir } from '../helpers/openssl.ts';
import { request, type ClientResponse } from '../helpers/https-client.ts';
import { startH2cEcho, startHttp1Echo, type EchoRecord, type RunningUpstream } from '../helpers/upstreams.ts';
import { createCa } from '../helpers/pki.ts';

interface Credentials {
  certPem: string;
  keyPem: string;
}

const API = 'api.example.test';
const PARTNER = 'partner.example.test';

describe('serve: routes, custom rules and revocation through the gateway', () => {
  let server: AdminServer;
  let openssl: OpensslWorkdir;
  let h1: RunningUpstream;
  let h2c: RunningUpstream;
  let accountId: string;
  let zoneId: string;
  let managedClient: Credentials & { id: string };
  let foreignClient: Credentials;

  const issueManaged = async (cn: string): Promise<Credentials & { id: string }> => {
    const { csrPem, keyPem } = openssl.csr('p256', `/CN=${cn}`);
    const issued = await server.call<{ id: string; certificate: string }>(
      'POST',
      `/zones/${zoneId}/client_certificates`,
      { csr: csrPem, validity_days: 30 },
    );
    assert.equal(issued.status, 200, JSON.stringify(issued.body.errors));
    return { id: issued.body.result.id, certPem: issued.body.result.certificate, keyPem };
  };

  const mustSucceed = async (method: string, route: string, body?: unknown) => {
    const response = await server.call(method, route, body);
    assert.equal(response.status, 200, `${method} ${route}: ${JSON.stringify(response.body.errors)}`);
    return response.body.result;
  };

  const call = (host: string, credentials?: Credentials, path = '/', headers: Record<string, string> = {}) =>
    request({
      port: server.gatewayPort,
      ca: edgeCaPem(server),
      servername: host,
      path,
      headers: { host, ...headers },
      ...(credentials === undefined ? {} : { cert: credentials.certPem, key: credentials.keyPem }),
    });

  const echoed = (response: ClientResponse): EchoRecord => {
    assert.equal(response.status, 200, response.body);
    return response.json<EchoRecord>();
  };

  /** portcullis_config_applied_timestamp_seconds at /metrics: when the snapshot in force was built. */
  const snapshotBuiltAt = async (): Promise<string> => {
    const text = await (await fetch(server.baseUrl.replace('/client/v4', '/metrics'))).text();
    const value = /^portcullis_config_applied_timestamp_seconds (\S+)$/m.exec(text)?.[1];
    assert.ok(value !== undefined, 'the metric is there');
    return value;
  };
  const errorCode = (response: ClientResponse): string => response.json<{ error: { code: string } }>().error.code;

  before(async () => {
    server = await startAdminServer();
    openssl = new OpensslWorkdir();
    h1 = await startHttp1Echo();
    h2c = await startH2cEcho();
    ({ accountId, zoneId } = await createTenant(server, 'example.test'));
    await mustSucceed('PUT', `/zones/${zoneId}/certificate_authorities/hostname_associations`, { hostnames: [API] });
    managedClient = await issueManaged('device-1');
    const foreignCa = await createCa('CN=Foreign CA');
    foreignClient = await foreignCa.issue({ subject: 'CN=intruder' });
    await mustSucceed('POST', `/zones/${zoneId}/gateway/routes`, { hostname: API, upstream: h1.url });
    await mustSucceed('POST', `/zones/${zoneId}/gateway/routes`, {
      hostname: API,
      path_prefix: '/grpcish',
      upstream: `${h2c.url}/base`,
      strip_prefix: true,
    });
    await mustSucceed('POST', `/zones/${zoneId}/gateway/mtls_rule`, { hostnames: [API] });
  });

  after(async () => {
    openssl.remove();
    await server.stop();
    await Promise.all([h1.close(), h2c.close()]);
  });

  test('a verified certificate goes through to the upstream with its identity', async () => {
    const record = echoed(await call(API, managedClient, '/orders?id=7', { 'x-forwarded-client-cert': 'spoofed' }));
    assert.equal(record.url, '/orders?id=7');
    const xfcc = String(record.headers['x-forwarded-client-cert']);
    assert.match(xfcc, /^Hash=[0-9a-f]{64};Subject="CN=device-1"/);
    assert.doesNotMatch(xfcc, /spoofed/);
    assert.equal(record.headers['x-forwarded-proto'], 'https');
  });

  test('the mTLS rule blocks a missing, an untrusted and a revoked certificate', async () => {
    const missing = await call(API);
    assert.equal(missing.status, 403);
    assert.equal(errorCode(missing), 'GW_ERR_RULE_BLOCKED');
    const untrusted = await call(API, foreignClient);
    assert.equal(untrusted.status, 403);
    assert.equal(errorCode(untrusted), 'GW_ERR_RULE_BLOCKED');

    const doomed = await issueManaged('device-doomed');
    assert.equal((await call(API, doomed)).status, 200);
    await mustSucceed('DELETE', `/zones/${zoneId}/client_certificates/${doomed.id}`);
    const revoked = await call(API, doomed);
    assert.equal(revoked.status, 403);
    assert.equal(errorCode(revoked), 'GW_ERR_RULE_BLOCKED');
    const upstreamSaw = h1.received.filter((r) => r.headers['x-forwarded-client-cert'] === undefined);
    assert.equal(upstreamSaw.length, 0, 'no blocked request reached the upstream');
  });

  test('the longest prefix wins; strip_prefix and the upstream base path shape the h2c request', async () => {
    const record = echoed(await call(API, managedClient, '/grpcish/svc/Method?x=1'));
    assert.equal(record.protocol, 'HTTP/2');
    assert.equal(record.url, '/base/svc/Method?x=1');
    const other = echoed(await call(API, managedClient, '/grpcishy'));
    assert.equal(other.protocol, 'HTTP/1.1');
  });

  test('HTTP/2 clients are routed the same way', async () => {
    const session = http2.connect(`https://127.0.0.1:${server.gatewayPort}`, {
      ca: edgeCaPem(server),
      servername: API,
      cert: managedClient.certPem,
      key: managedClient.keyPem,
    });
    try {
      const response = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const stream = session.request({ ':path': '/h2-path', ':authority': API });
        let status = 0;
        const chunks: Buffer[] = [];
        stream.on('response', (headers) => (status = Number(headers[':status'])));
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => resolve({ status, body: Buffer.concat(chunks).toString() }));
        stream.on('error', reject);
      });
      assert.equal(response.status, 200, response.body);
      assert.equal((JSON.parse(response.body) as EchoRecord).url, '/h2-path');
    } finally {
      session.close();
    }
  });

  test('a path without a route gets 404 on a host that has routes elsewhere', async () => {
    await mustSucceed('PUT', `/zones/${zoneId}/certificate_authorities/hostname_associations`, {
      hostnames: [API, 'noroute.example.test'],
    });
    const response = await call('noroute.example.test', managedClient);
    assert.equal(response.status, 404);
    assert.equal(errorCode(response), 'GW_ERR_ROUTE_NOT_FOUND');
  });

  test('a log rule records a hit without blocking; a block rule answers its custom response', async () => {
    const entrypoint = `/zones/${zoneId}/rulesets/phases/http_request_firewall_custom/entrypoint`;
    const current = await mustSucceed('GET', entrypoint);
    const rules = (current as { rules: Record<string, unknown>[] }).rules;
    const updated = await mustSucceed('PUT', entrypoint, {
      rules: [
        ...rules,
        { expression: 'http.request.uri.path eq "/shadow"', action: 'log', description: 'shadow' },
        {
          expression: 'starts_with(http.request.uri.path, "/teapot")',
          action: 'block',
          action_parameters: {
            response: { status_code: 418, content: '{"teapot":true}', content_type: 'application/json' },
          },
        },
      ],
    });
    const logRule = (updated as { rules: { id: string; action: string }[] }).rules.find((r) => r.action === 'log');
    assert.ok(logRule);

    assert.equal(echoed(await call(API, managedClient, '/shadow')).url, '/shadow');
    assert.equal(echoed(await call(API, managedClient, '/shadow')).url, '/shadow');
    const teapot = await call(API, managedClient, '/teapot/pot');
    assert.equal(teapot.status, 418);
    assert.deepEqual(teapot.json(), { teapot: true });

    const hits = await mustSucceed('GET', `/zones/${zoneId}/gateway/rule_hits`);
    const logHits = (hits as { rule_id: string; hits: number }[]).find((h) => h.rule_id === logRule.id);
    assert.equal(logHits?.hits, 2);
  });

  test('rules read the connection (ip.src, TLS version, port) and one header over real TLS, request after request', async () => {
    const entrypoint = `/zones/${zoneId}/rulesets/phases/http_request_firewall_custom/entrypoint`;
    const current = await mustSucceed('GET', entrypoint);
    const rules = (current as { rules: Record<string, unknown>[] }).rules;
    const expression =
      `http.request.uri.path eq "/connection" and ip.src in {127.0.0.0/8} and cf.tls_version eq "TLSv1.3"` +
      ` and cf.edge.server_port eq ${server.gatewayPort} and http.request.headers["x-probe"][0] eq "block"`;
    await mustSucceed('PUT', entrypoint, {
      rules: [
        ...rules,
        {
          expression,
          action: 'block',
          action_parameters: { response: { status_code: 451, content: 'no', content_type: 'text/plain' } },
        },
      ],
    });
    // The connection fields are kept per connection: the same answers on every request, with and without the header.
    for (let round = 0; round < 2; round++) {
      assert.equal((await call(API, managedClient, '/connection', { 'x-probe': 'block' })).status, 451);
      assert.equal(echoed(await call(API, managedClient, '/connection', { 'x-probe': 'pass' })).url, '/connection');
      assert.equal(echoed(await call(API, managedClient, '/connection')).url, '/connection');
    }
  });

  test('identity headers follow the zone setting (Cloudflare cf-cert-*)', async () => {
    await mustSucceed('PATCH', `/zones/${zoneId}/managed_headers`, {
      managed_request_headers: [
        { id: 'add_client_certificate_headers', enabled: true },
        { id: 'add_forwarded_client_cert_header', enabled: false },
      ],
      managed_response_headers: [],
    });
    const record = echoed(await call(API, managedClient, '/headers'));
    assert.equal(record.headers['cf-cert-verified'], 'true');
    assert.equal(record.headers['cf-cert-revoked'], 'false');
    assert.equal(record.headers['x-forwarded-client-cert'], undefined);
  });

  test('a second hostname trusting an uploaded CA: works without restart, and certificates do not cross', async () => {
    const partnerCa = await createCa('CN=Partner CA');
    const partnerClient = await partnerCa.issue({ subject: 'CN=partner-device' });
    const uploaded = await mustSucceed('POST', `/accounts/${accountId}/mtls_certificates`, {
      ca: true,
      certificates: partnerCa.certPem,
      name: 'partner',
    });
    await mustSucceed('PUT', `/zones/${zoneId}/certificate_authorities/hostname_associations`, {
      mtls_certificate_id: (uploaded as { id: string }).id,
      hostnames: [PARTNER],
    });
    await mustSucceed('POST', `/zones/${zoneId}/gateway/routes`, { hostname: PARTNER, upstream: h1.url });
    await mustSucceed('POST', `/zones/${zoneId}/gateway/mtls_rule`, { hostnames: [API, PARTNER] });

    assert.equal((await call(PARTNER, partnerClient, '/p')).status, 200);
    assert.equal((await call(PARTNER, managedClient, '/p')).status, 403, 'managed-CA cert on the partner host');
    assert.equal((await call(API, partnerClient, '/p')).status, 403, 'partner cert on the managed-CA host');
  });

  test('revoking through the API refuses the next request on an open keep-alive connection within 1 s', async () => {
    const device = await issueManaged('device-keepalive');
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
    const sockets = new Set<unknown>();
    const once = () =>
      new Promise<number>((resolve, reject) => {
        const req = https.request(
          {
            host: '127.0.0.1',
            port: server.gatewayPort,
            servername: API,
            path: '/keepalive',
            headers: { host: API },
            ca: edgeCaPem(server),
            cert: device.certPem,
            key: device.keyPem,
            agent,
          },
          (res) => {
            sockets.add(res.socket);
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        req.on('error', reject);
        req.end();
      });
    try {
      assert.equal(await once(), 200);
      const snapshotBuilt = await snapshotBuiltAt();
      await new Promise((resolve) => setTimeout(resolve, 20)); // a rebuild now would show a later time
      const revokedAt = Date.now();
      await mustSucceed('DELETE', `/zones/${zoneId}/client_certificates/${device.id}`);
      assert.equal(await once(), 403);
      assert.ok(Date.now() - revokedAt < 1000, 'refused within a second of the revocation');
      // Reactivated: served again on the same connection.
      await mustSucceed('PATCH', `/zones/${zoneId}/client_certificates/${device.id}`, { reactivate: true });
      assert.equal(await once(), 200);
      assert.equal(sockets.size, 1, 'every request used the same TLS connection');
      // The revocation index of the snapshot in force was updated in place: no recompile for either change.
      assert.equal(await snapshotBuiltAt(), snapshotBuilt, 'the snapshot was not rebuilt');
    } finally {
      agent.destroy();
    }
  });
});
