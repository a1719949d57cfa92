/**
 * API keys and auth modes end to end through `portcullis serve`, over real TLS with certificates made at test time:
 * every API auth mode (keyless, mtls_static, mtls_static + token, mtls_dynamic, token), the bypasses
 * found in Tyk (docs/adr/0003-gateway-pipeline-decisions.md, "Keys") refused, rate limit and quota exact under
 * concurrent requests, a policy change applied to existing keys at once, expired keys, and
 * analytics totals equal to the requests sent.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import tls from 'node:tls';
import { createTenant, startAdminServer, type AdminServer } from '../helpers/admin-server.ts';
import { edgeCaPem } from '../helpers/gateway-pki.ts';
import { OpensslWorkdir } from '../helpers/openssl.ts';
import { connectH2, h2Request } from '../helpers/h2-client.ts';
import { request, type ClientResponse } from '../helpers/https-client.ts';
import { startHttp1Echo, type EchoRecord, type RunningUpstream } from '../helpers/upstreams.ts';

const HOST = 'api.example.test';

interface Client {
  id: string;
  certPem: string;
  keyPem: string;
  sha256: string;
}

describe('serve: APIs, keys, policies, limits and analytics (the Tyk model)', () => {
  let server: AdminServer;
  let openssl: OpensslWorkdir;
  let upstream: RunningUpstream;
  let accountId: string;
  let zoneId: string;
  let alice: Client;
  let bob: Client;
  const apis: Record<string, string> = {};

  const ok = async <T = Record<string, unknown>>(method: string, route: string, body?: unknown): Promise<T> => {
    const response = await server.call<T>(method, route, body);
    assert.equal(response.status, 200, `${method} ${route}: ${JSON.stringify(response.body.errors)}`);
    return response.body.result;
  };

  const issue = async (cn: string): Promise<Client> => {
    const { csrPem, keyPem } = openssl.csr('p256', `/CN=${cn}`);
    const issued = await ok<{ id: string; certificate: string; fingerprint_sha256: string }>(
      'POST',
      `/zones/${zoneId}/client_certificates`,
      { csr: csrPem, validity_days: 7 },
    );
    return { id: issued.id, certPem: issued.certificate, keyPem, sha256: issued.fingerprint_sha256.toLowerCase() };
  };

  const createApi = async (name: string, listenPath: string, auth: Record<string, unknown>, extra = {}) => {
    const api = await ok<{ id: string }>('POST', `/zones/${zoneId}/gateway/apis`, {
      name,
      hostname: HOST,
      listen_path: listenPath,
      upstream_url: upstream.url,
      auth,
      ...extra,
    });
    apis[name] = api.id;
    return api.id;
  };

  const createKey = (body: Record<string, unknown>) =>
    ok<{ id: string; secret?: string }>('POST', `/accounts/${accountId}/gateway/keys`, body);

  const call = (path: string, client?: { certPem: string; keyPem: string }, headers: Record<string, string> = {}) =>
    request({
      port: server.gatewayPort,
      ca: edgeCaPem(server),
      servername: HOST,
      path,
      headers: { host: HOST, ...headers },
      ...(client === undefined ? {} : { cert: client.certPem, key: client.keyPem }),
    });

  /** Analytics are written in batches off the request path: read until `done` holds (at most 5 s), return the last read. */
  const pollAnalytics = async <T>(path: string, done: (value: T) => boolean): Promise<T> => {
    const deadline = Date.now() + 5000;
    let value = await ok<T>('GET', path);
    while (!done(value) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      value = await ok<T>('GET', path);
    }
    return value;
  };

  const codeOf = (response: ClientResponse): string => response.json<{ error: { code: string } }>().error.code;

  before(async () => {
    server = await startAdminServer();
    openssl = new OpensslWorkdir();
    upstream = await startHttp1Echo();
    ({ accountId, zoneId } = await createTenant(server, 'example.test'));
    await ok('PUT', `/zones/${zoneId}/certificate_authorities/hostname_associations`, { hostnames: [HOST] });
    alice = await issue('alice');
    bob = await issue('bob');
    await createApi('open', '/open', { mode: 'keyless' });
    await createApi('static', '/static', {
      mode: 'mtls_static',
      allowed_certificates: [{ client_certificate_id: alice.id }],
    });
    await createApi('static-token', '/static-token', {
      mode: 'mtls_static',
      token_required: true,
      allowed_certificates: [{ sha256: alice.sha256 }],
    });
    await createApi('dynamic', '/dynamic', { mode: 'mtls_dynamic' });
    await createApi('token', '/token', { mode: 'token' });
  });

  after(async () => {
    openssl.remove();
    await server.stop();
    await upstream.close();
  });

  test('keyless: anyone through, without a certificate too', async () => {
    assert.equal((await call('/open/x')).status, 200);
  });

  test('mtls_static: only the allowlisted leaf; a missing certificate is 401, another one 403 naming it', async () => {
    assert.equal((await call('/static/a', alice)).status, 200);
    const missing = await call('/static/a');
    assert.equal(missing.status, 401);
    assert.equal(codeOf(missing), 'GW_ERR_CERT_MISSING');
    const other = await call('/static/a', bob);
    assert.equal(other.status, 403);
    assert.equal(codeOf(other), 'GW_ERR_CERT_NOT_ALLOWED');
    assert.match(other.body, new RegExp(bob.sha256));
  });

  test("Tyk bypass: appending an allowlisted certificate after one's own is refused (only the leaf counts)", async () => {
    const response = await call('/static/a', { certPem: bob.certPem + alice.certPem, keyPem: bob.keyPem });
    assert.equal(response.status, 403);
    assert.equal(codeOf(response), 'GW_ERR_CERT_NOT_ALLOWED');
  });

  test('mtls_dynamic: the presented certificate finds its key; a valid certificate without a key is 403', async () => {
    await createKey({
      alias: 'alice-dynamic',
      certificate: { client_certificate_id: alice.id },
      access_rights: [{ api_id: apis.dynamic }],
    });
    assert.equal((await call('/dynamic/x', alice)).status, 200);
    // Authenticated (a verified certificate) but not authorized (no key): 403, not 401 (RFC 9110 §15.5.4).
    const unbound = await call('/dynamic/x', bob);
    assert.equal(unbound.status, 403);
    assert.equal(codeOf(unbound), 'GW_ERR_CERT_NO_KEY');
    const missing = await call('/dynamic/x');
    assert.equal(missing.status, 401);
    assert.equal(codeOf(missing), 'GW_ERR_CERT_MISSING');
  });

  test('token: the secret is the key, never forwarded upstream; missing 401, unknown 403', async () => {
    const key = await createKey({ alias: 'token-only', token: true, access_rights: [{ api_id: apis.token }] });
    assert.ok(key.secret);
    const response = await call('/token/x', undefined, { authorization: `Bearer ${key.secret}` });
    const record = response.json<EchoRecord>();
    assert.equal(response.status, 200);
    assert.equal(record.headers.authorization, undefined, 'the gateway key does not reach the upstream');
    assert.equal(codeOf(await call('/token/x')), 'GW_ERR_KEY_MISSING');
    const unknown = await call('/token/x', undefined, { authorization: 'Bearer pk_not-a-key' });
    assert.equal(unknown.status, 403);
    assert.equal(codeOf(unknown), 'GW_ERR_KEY_INVALID');
  });

  test('Tyk bypass: a certificate-bound key is useless without its certificate', async () => {
    const frank = await issue('frank');
    const key = await createKey({
      alias: 'bound-token',
      token: true,
      certificate: { client_certificate_id: frank.id },
      bind_to: 'spki',
      access_rights: [{ api_id: apis.token }],
    });
    const bearer = { authorization: `Bearer ${key.secret ?? ''}` };
    assert.equal((await call('/token/x', frank, bearer)).status, 200);
    const withoutCertificate = await call('/token/x', undefined, bearer);
    assert.equal(withoutCertificate.status, 401);
    assert.equal(codeOf(withoutCertificate), 'GW_ERR_CERT_MISSING');
    const withAnother = await call('/token/x', bob, bearer);
    assert.equal(withAnother.status, 401);
    assert.equal(codeOf(withAnother), 'GW_ERR_KEY_CERT_MISMATCH');
  });

  test('Tyk bypass: a key cannot be derived from public certificate data', async () => {
    const keys = await ok<{ id: string; certificate_binding: { value: string } | null }[]>(
      'GET',
      `/accounts/${accountId}/gateway/keys`,
    );
    for (const key of keys) {
      assert.notEqual(key.id, alice.sha256);
      assert.ok(!alice.sha256.includes(key.id) && !key.id.includes(alice.sha256.slice(0, 16)));
    }
    for (const guess of [alice.sha256, `${accountId}${alice.sha256}`, keys[0]?.id ?? 'x']) {
      const response = await call('/token/x', undefined, { authorization: `Bearer ${guess}` });
      assert.equal(response.status, 403, guess);
      assert.equal(codeOf(response), 'GW_ERR_KEY_INVALID');
    }
  });

  test('mtls_static + token: the allowlisted certificate AND a key', async () => {
    const key = await createKey({
      alias: 'static-token',
      token: true,
      access_rights: [{ api_id: apis['static-token'] }],
    });
    const bearer = { authorization: `Bearer ${key.secret ?? ''}` };
    assert.equal((await call('/static-token/x', alice, bearer)).status, 200);
    assert.equal(codeOf(await call('/static-token/x', alice)), 'GW_ERR_KEY_MISSING');
    assert.equal(codeOf(await call('/static-token/x', bob, bearer)), 'GW_ERR_CERT_NOT_ALLOWED');
  });

  test('rate limit and quota are exact under concurrent requests', async () => {
    const rated = await issue('rated');
    await createKey({
      alias: 'rated',
      certificate: { client_certificate_id: rated.id },
      access_rights: [{ api_id: apis.dynamic }],
      rate_limit: { rate: 7, per: 60 },
    });
    const statuses = await Promise.all(Array.from({ length: 12 }, () => call('/dynamic/r', rated)));
    assert.equal(statuses.filter((r) => r.status === 200).length, 7);
    const limited = statuses.filter((r) => r.status === 429);
    assert.equal(limited.length, 5);
    assert.equal(codeOf(limited[0] as ClientResponse), 'GW_ERR_RATE_LIMITED');
    assert.ok(Number(limited[0]?.headers['retry-after']) >= 1);
    assert.equal(statuses.find((r) => r.status === 200)?.headers['x-ratelimit-limit'], '7');

    // The gateway's limit headers replace the upstream's fields of the same name: each appears once (the HTTP/1.1
    // answer relays the upstream's head as bytes, ADR 0023), and the field the upstream's Connection names is gone.
    const relayedKey = await issue('relayed');
    await createKey({
      alias: 'relayed',
      certificate: { client_certificate_id: relayedKey.id },
      access_rights: [{ api_id: apis.dynamic }],
      rate_limit: { rate: 3, per: 60 },
    });
    const relayed = await call('/dynamic/upstream-ratelimit', relayedKey);
    assert.equal(relayed.status, 200);
    assert.equal(relayed.headers['x-ratelimit-limit'], '3');
    assert.equal(relayed.headers['x-private'], undefined);
    assert.equal(relayed.headers['x-upstream'], 'h1');

    const quoted = await issue('quoted');
    const quotaKey = await createKey({
      alias: 'quoted',
      certificate: { client_certificate_id: quoted.id },
      access_rights: [{ api_id: apis.dynamic }],
      quota: { max: 5, renewal_rate: 3600 },
    });
    const quotaStatuses = await Promise.all(Array.from({ length: 9 }, () => call('/dynamic/q', quoted)));
    assert.equal(quotaStatuses.filter((r) => r.status === 200).length, 5);
    const exhausted = quotaStatuses.filter((r) => r.status === 403);
    assert.equal(exhausted.length, 4);
    assert.equal(codeOf(exhausted[0] as ClientResponse), 'GW_ERR_QUOTA_EXCEEDED');
    const shown = await ok<{ quota_remaining: number }>('GET', `/accounts/${accountId}/gateway/keys/${quotaKey.id}`);
    assert.equal(shown.quota_remaining, 0, 'the API shows the quota the data plane counted');
  });

  test('a policy change applies to every key using it at once', async () => {
    const carol = await issue('carol');
    const policy = await ok<{ id: string }>('POST', `/accounts/${accountId}/gateway/policies`, {
      name: 'read only',
      access_rights: [{ api_id: apis.dynamic, methods: ['GET'], paths: [] }],
    });
    await createKey({ alias: 'carol', certificate: { client_certificate_id: carol.id }, policy_ids: [policy.id] });
    assert.equal((await call('/dynamic/p', carol)).status, 200);
    const post = await request({
      port: server.gatewayPort,
      ca: edgeCaPem(server),
      servername: HOST,
      method: 'POST',
      path: '/dynamic/p',
      headers: { host: HOST },
      cert: carol.certPem,
      key: carol.keyPem,
    });
    assert.equal(post.status, 403);
    assert.equal(codeOf(post), 'GW_ERR_ACCESS_DENIED');
    await ok('PATCH', `/accounts/${accountId}/gateway/policies/${policy.id}`, {
      access_rights: [{ api_id: apis.open, methods: [], paths: [] }],
    });
    const revokedRight = await call('/dynamic/p', carol);
    assert.equal(revokedRight.status, 403, 'the policy no longer grants this API');
    assert.equal(codeOf(revokedRight), 'GW_ERR_ACCESS_DENIED');
  });

  test('an expired key is refused with 401', async () => {
    const dave = await issue('dave');
    await createKey({
      alias: 'short-lived',
      certificate: { client_certificate_id: dave.id },
      access_rights: [{ api_id: apis.dynamic }],
      expires_on: new Date(Date.now() + 1500).toISOString(),
    });
    assert.equal((await call('/dynamic/e', dave)).status, 200);
    await new Promise((resolve) => setTimeout(resolve, 1600));
    const expired = await call('/dynamic/e', dave);
    assert.equal(expired.status, 401);
    assert.equal(codeOf(expired), 'GW_ERR_KEY_EXPIRED');
  });

  test('analytics: totals equal the requests sent, grouped by API and certificate', async () => {
    const since = new Date(Date.now() - 1000).toISOString();
    const erin = await issue('erin');
    await createKey({
      alias: 'erin',
      certificate: { client_certificate_id: erin.id },
      access_rights: [{ api_id: apis.dynamic }],
    });
    const sent = 6;
    for (let i = 0; i < sent; i++) assert.equal((await call('/dynamic/analytics', erin)).status, 200);
    const refused = await call('/static/a', erin); // one refusal, counted as an error
    assert.equal(refused.status, 403);
    const certificates = await pollAnalytics<{ fingerprint: string; requests: number }[]>(
      `/zones/${zoneId}/gateway/analytics/certificates?since=${encodeURIComponent(since)}`,
      (list) => list.find((c) => c.fingerprint === erin.sha256)?.requests === sent + 1,
    );
    assert.equal(certificates.find((c) => c.fingerprint === erin.sha256)?.requests, sent + 1);
    const byApi = await ok<{ groups: { key: string | null; requests: number; errors: number }[] }>(
      'GET',
      `/zones/${zoneId}/gateway/analytics?group_by=api&since=${encodeURIComponent(since)}`,
    );
    const staticGroup = byApi.groups.find((group) => group.key === apis.static);
    assert.ok((staticGroup?.errors ?? 0) >= 1);
    // Bytes out over HTTP/1.1: what the connection carried for these answers, so at least their bodies.
    const byCertificate = await ok<{ groups: { key: string | null; requests: number; bytes_out: number }[] }>(
      'GET',
      `/zones/${zoneId}/gateway/analytics?group_by=certificate&since=${encodeURIComponent(since)}`,
    );
    assert.ok((byCertificate.groups.find((group) => group.key === erin.sha256)?.bytes_out ?? 0) > sent * 10);
  });

  test('analytics over HTTP/1.1: bytes in are the declared length, or the bytes read of a chunked upload', async () => {
    const since = new Date(Date.now() - 1000).toISOString();
    const gina = await issue('gina');
    await createKey({
      alias: 'gina',
      certificate: { client_certificate_id: gina.id },
      access_rights: [{ api_id: apis.dynamic }],
    });
    const upload = (path: string, body: string, headers: Record<string, string>) =>
      request({
        port: server.gatewayPort,
        ca: edgeCaPem(server),
        servername: HOST,
        method: 'POST',
        path,
        headers: { host: HOST, ...headers },
        body,
        cert: gina.certPem,
        key: gina.keyPem,
      });
    // A chunked upload (no Content-Length): the upstream receives it whole, and its bytes are counted.
    const chunkedBody = 'c'.repeat(5000);
    const chunked = await upload('/dynamic/h1-chunked', chunkedBody, { 'transfer-encoding': 'chunked' });
    assert.equal(chunked.status, 200);
    assert.equal(chunked.json<EchoRecord>().body, chunkedBody);
    const declared = await upload('/dynamic/h1-declared', 'd'.repeat(700), {});
    assert.equal(declared.status, 200);
    assert.equal(declared.json<EchoRecord>().body.length, 700);
    const report = await pollAnalytics<{ groups: { key: string | null; requests: number; bytes_in: number }[] }>(
      `/zones/${zoneId}/gateway/analytics?group_by=certificate&since=${encodeURIComponent(since)}`,
      (summary) => summary.groups.find((group) => group.key === gina.sha256)?.requests === 2,
    );
    const group = report.groups.find((candidate) => candidate.key === gina.sha256);
    assert.ok(group);
    assert.equal(group.requests, 2);
    assert.equal(group.bytes_in, 5700);
  });

  test('a client aborting a chunked upload half way: the upstream never gets a complete request, the gateway serves on', async () => {
    const hana = await issue('hana');
    await createKey({
      alias: 'hana',
      certificate: { client_certificate_id: hana.id },
      access_rights: [{ api_id: apis.dynamic }],
    });
    const socket = tls.connect({
      host: '127.0.0.1',
      port: server.gatewayPort,
      servername: HOST,
      ca: edgeCaPem(server),
      cert: hana.certPem,
      key: hana.keyPem,
      ALPNProtocols: ['http/1.1'],
    });
    await once(socket, 'secureConnect');
    socket.write(`POST /dynamic/h1-aborted HTTP/1.1\r\nhost: ${HOST}\r\ntransfer-encoding: chunked\r\n\r\n400\r\n`);
    socket.write('a'.repeat(512)); // half of the announced 0x400-byte chunk
    await new Promise((resolve) => setTimeout(resolve, 100));
    socket.destroy();
    await once(socket, 'close');
    const after = await request({
      port: server.gatewayPort,
      ca: edgeCaPem(server),
      servername: HOST,
      path: '/dynamic/after-abort',
      headers: { host: HOST },
      cert: hana.certPem,
      key: hana.keyPem,
    });
    assert.equal(after.status, 200);
    assert.equal(after.json<EchoRecord>().url, '/dynamic/after-abort');
    // The upstream request was aborted too (not left waiting for the rest of the body).
    const deadline = Date.now() + 2000;
    while (!upstream.truncated.includes('/dynamic/h1-aborted') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.deepEqual(upstream.truncated, ['/dynamic/h1-aborted']);
    assert.equal(
      upstream.received.some((record) => record.url === '/dynamic/h1-aborted'),
      false,
      'the upstream must not see the truncated upload as a complete request',
    );
  });

  test('analytics over HTTP/2: bytes out are the bodies sent (upstream answers and refusals), bytes in the body read', async () => {
    const since = new Date(Date.now() - 1000).toISOString();
    const frank = await issue('frank');
    await createKey({
      alias: 'frank',
      certificate: { client_certificate_id: frank.id },
      access_rights: [{ api_id: apis.dynamic }],
    });
    const session = await connectH2(server.gatewayPort, edgeCaPem(server), frank.certPem, frank.keyPem, HOST);
    let bodyBytes = 0;
    try {
      for (const path of ['/dynamic/h2-a', '/dynamic/h2-b', '/static/refused']) {
        const response = await h2Request(session, { ':path': path, ':authority': HOST });
        assert.equal(response.status, path === '/static/refused' ? 403 : 200);
        bodyBytes += Buffer.byteLength(response.body);
      }
      // A streamed upload declares no length (as gRPC never does): the bytes read are counted.
      const upload = 'x'.repeat(3000);
      const posted = await h2Request(
        session,
        { ':path': '/dynamic/h2-upload', ':method': 'POST', ':authority': HOST },
        upload,
      );
      assert.equal(posted.status, 200);
      bodyBytes += Buffer.byteLength(posted.body);
    } finally {
      session.close();
    }
    const report = await pollAnalytics<{
      groups: { key: string | null; requests: number; bytes_in: number; bytes_out: number }[];
    }>(
      `/zones/${zoneId}/gateway/analytics?group_by=certificate&since=${encodeURIComponent(since)}`,
      (summary) => summary.groups.find((group) => group.key === frank.sha256)?.requests === 4,
    );
    const group = report.groups.find((candidate) => candidate.key === frank.sha256);
    assert.ok(group);
    assert.equal(group.requests, 4);
    const bytesOut = group.bytes_out;
    const bytesIn = group.bytes_in;
    assert.ok(bodyBytes > 0);
    assert.equal(bytesOut, bodyBytes);
    assert.equal(bytesIn, 3000);
    // The request log has each of them, newest first (requests that started in the same millisecond tie).
    const log = await ok<{ time: string; path: string; method: string; status: number; bytes_in: number }[]>(
      'GET',
      `/zones/${zoneId}/gateway/analytics/requests?fingerprint=${frank.sha256}&since=${encodeURIComponent(since)}`,
    );
    assert.deepEqual(log.map((entry) => [entry.method, entry.path, entry.status, entry.bytes_in]).sort(), [
      ['GET', '/dynamic/h2-a', 200, 0],
      ['GET', '/dynamic/h2-b', 200, 0],
      ['GET', '/static/refused', 403, 0],
      ['POST', '/dynamic/h2-upload', 200, 3000],
    ]);
    const times = log.map((entry) => Date.parse(entry.time));
    assert.deepEqual(
      times,
      [...times].sort((a, b) => b - a),
    );
  });
});
