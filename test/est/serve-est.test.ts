/**
 * EST (RFC 7030, RFC 8951) end to end through `portcullis serve`, with the tools a device integrator
 * has: `openssl req` (DER CSR, base64) and `curl` to enroll and re-enroll, `openssl pkcs7
 * -print_certs` to read the answers. The device journey: enroll with a bootstrap secret, call an API
 * with the new certificate (its key came from the profile), re-enroll, the key follows, the old
 * certificate is refused after the grace period; a revoked device cannot re-enroll; a wrong or reused
 * one-time secret is refused and nothing is issued; bad input gets a 4xx with a clear code, nothing
 * is issued and no secret reaches the log.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { promisify } from 'node:util';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { createTenant, startAdminServer, type AdminServer } from '../helpers/admin-server.ts';
import { edgeCaPem } from '../helpers/gateway-pki.ts';
import { needsOpenssl, OpensslWorkdir } from '../helpers/openssl.ts';
import { request } from '../helpers/https-client.ts';
import { startHttp1Echo, type RunningUpstream } from '../helpers/upstreams.ts';

const run = promisify(execFile);
const HOST = 'devices.example.test';

interface CurlResult {
  status: number;
  body: Buffer;
}

describe('serve: EST enrollment and renewal with openssl and curl', needsOpenssl, () => {
  let server: AdminServer;
  let openssl: OpensslWorkdir;
  let upstream: RunningUpstream;
  let zoneId: string;
  let accountId: string;
  let profileId: string;
  let policyId: string;
  const logLines: string[] = [];

  const ok = async <T = Record<string, unknown>>(method: string, route: string, body?: unknown): Promise<T> => {
    const response = await server.call<T>(method, route, body);
    assert.equal(response.status, 200, `${method} ${route}: ${JSON.stringify(response.body.errors)}`);
    return response.body.result;
  };

  const secret = async (maxUses = 1): Promise<{ id: string; secret: string }> =>
    ok('POST', `/zones/${zoneId}/est/profiles/${profileId}/bootstrap_secrets`, { max_uses: maxUses });

  const caFile = (): string => openssl.write('edge-ca.pem', edgeCaPem(server));

  /** curl as the README shows it; `args` add credentials, a certificate, a body. */
  const curl = async (operation: string, args: string[]): Promise<CurlResult> => {
    const out = path.join(openssl.dir, `answer-${Math.random().toString(16).slice(2)}`);
    const { stdout } = await run('curl', [
      '--silent',
      '--show-error',
      '--cacert',
      caFile(),
      '--resolve',
      `${HOST}:${server.gatewayPort}:127.0.0.1`,
      '--output',
      out,
      '--write-out',
      '%{http_code}',
      ...args,
      `https://${HOST}:${server.gatewayPort}/.well-known/est/${operation}`,
    ]);
    return { status: Number(stdout), body: openssl.readBytes(path.basename(out)) };
  };

  /** `openssl req` a new key and a DER CSR, base64: the body of simpleenroll. Returns the file names. */
  const derCsr = (
    name: string,
    subject: string,
    key: string[] = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'],
  ) => {
    openssl.run([
      'req',
      '-new',
      ...key,
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-subj',
      subject,
      '-outform',
      'DER',
      '-out',
      `${name}.der`,
    ]);
    openssl.write(`${name}.b64`, openssl.readBytes(`${name}.der`).toString('base64'));
    return { key: path.join(openssl.dir, `${name}.key`), body: path.join(openssl.dir, `${name}.b64`) };
  };

  const enrollArgs = (body: string, extra: string[] = []): string[] => [
    '--header',
    'Content-Type: application/pkcs10',
    '--data-binary',
    `@${body}`,
    ...extra,
  ];

  /** The certificates of a base64 certs-only answer, as `openssl pkcs7 -print_certs` prints them. */
  const printCerts = (answer: Buffer, name: string): string => {
    // As a device does it: `base64 -d | openssl pkcs7 -inform DER -print_certs`.
    openssl.write(`${name}.p7`, execFileSync('base64', ['-d'], { input: answer }));
    return openssl.run(['pkcs7', '-inform', 'DER', '-in', `${name}.p7`, '-print_certs']);
  };

  const certificateCount = async (): Promise<number> =>
    (await ok<unknown[]>('GET', `/zones/${zoneId}/client_certificates?per_page=1000`)).length;

  const callApi = (client: { certPem: string; keyPem: string }) =>
    request({
      port: server.gatewayPort,
      ca: edgeCaPem(server),
      servername: HOST,
      path: '/device/status',
      headers: { host: HOST },
      cert: client.certPem,
      key: client.keyPem,
    });

  const codeOf = (result: CurlResult): string =>
    (JSON.parse(result.body.toString('utf8')) as { error: { code: string } }).error.code;

  before(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(chunk.toString('utf8'));
        done();
      },
    });
    server = await startAdminServer(
      undefined,
      { PORTCULLIS_MASTER_KEY: undefined },
      { logger: pino({ level: 'debug' }, sink) },
    );
    openssl = new OpensslWorkdir();
    upstream = await startHttp1Echo();
    ({ accountId, zoneId } = await createTenant(server, 'example.test'));
    await ok('PUT', `/zones/${zoneId}/certificate_authorities/hostname_associations`, { hostnames: [HOST] });
    const api = await ok<{ id: string }>('POST', `/zones/${zoneId}/gateway/apis`, {
      name: 'device api',
      hostname: HOST,
      listen_path: '/device',
      upstream_url: upstream.url,
      auth: { mode: 'mtls_dynamic' },
    });
    const policy = await ok<{ id: string }>('POST', `/accounts/${accountId}/gateway/policies`, {
      name: 'devices',
      access_rights: [{ api_id: api.id }],
    });
    const profile = await ok<{ id: string }>('POST', `/zones/${zoneId}/est/profiles`, {
      hostnames: [HOST],
      validity_days: 30,
      key_types: ['P-256', 'P-384', 'RSA'],
      subject: { organization: 'Acme Devices' },
      dns_name_templates: ['{cn}.devices.example.test'],
      key_policy_ids: [policy.id],
      tags: ['fleet-a'],
      renewal_grace_seconds: 1,
    });
    profileId = profile.id;
    policyId = policy.id;
  });

  after(async () => {
    openssl.remove();
    await server.stop();
    await upstream.close();
  });

  test('cacerts answers the managed CA as base64 certs-only PKCS #7; csrattrs 204 when any key type will do', async () => {
    const answer = await curl('cacerts', []);
    assert.equal(answer.status, 200);
    assert.match(printCerts(answer.body, 'cacerts'), /subject=.*Portcullis Managed CA for account/);
    assert.equal((await curl('csrattrs', [])).status, 204);
    assert.equal((await curl('nothing', [])).status, 404);
  });

  test('the device journey: enroll with a secret, call the API, re-enroll, the key follows, the old certificate is refused after the grace period', async () => {
    const { id, secret: password } = await secret();
    const first = derCsr('device-1', '/CN=device-1/O=Acme Devices');
    const enrolled = await curl('simpleenroll', enrollArgs(first.body, ['--user', `${id}:${password}`]));
    assert.equal(enrolled.status, 200, enrolled.body.toString());
    const printed = printCerts(enrolled.body, 'device-1');
    assert.match(printed, /subject=CN = device-1, O = Acme Devices|subject=O = Acme Devices, CN = device-1/);
    openssl.write('device-1.pem', printed);
    const oldCert = { certPem: printed, keyPem: openssl.read('device-1.key') };
    assert.ok(new X509Certificate(printed).subjectAltName?.includes('DNS:device-1.devices.example.test'));
    assert.equal((await callApi(oldCert)).status, 200, 'the key from the profile lets the new device in');

    // The one-time secret is spent: a second device with it gets 401 and nothing is issued.
    const before = await certificateCount();
    const second = derCsr('device-2', '/CN=device-2');
    const reused = await curl('simpleenroll', enrollArgs(second.body, ['--user', `${id}:${password}`]));
    assert.equal(reused.status, 401);
    assert.equal(codeOf(reused), 'GW_ERR_EST_AUTH_FAILED');
    const wrong = await curl('simpleenroll', enrollArgs(second.body, ['--user', `${id}:estb_wrong`]));
    assert.equal(wrong.status, 401);
    assert.equal((await curl('simpleenroll', enrollArgs(second.body))).status, 401, 'no credentials at all');
    assert.equal(await certificateCount(), before, 'nothing issued');

    // Re-enrollment with the current certificate over TLS, a new key, the same subject.
    const renewal = derCsr('device-1b', '/CN=device-1/O=Acme Devices');
    const renewed = await curl(
      'simplereenroll',
      enrollArgs(renewal.body, ['--cert', path.join(openssl.dir, 'device-1.pem'), '--key', first.key]),
    );
    assert.equal(renewed.status, 200, renewed.body.toString());
    const newPem = printCerts(renewed.body, 'device-1b');
    const newCert = { certPem: newPem, keyPem: openssl.read('device-1b.key') };
    assert.equal((await callApi(newCert)).status, 200, 'the key binding followed the new certificate');
    const newFingerprint = new X509Certificate(newPem).fingerprint256.replaceAll(':', '').toLowerCase();
    const tagged = await ok<{ id: string; fingerprint_sha256: string }[]>(
      'GET',
      `/zones/${zoneId}/client_certificates?tag=fleet-a&per_page=50`,
    );
    const newId = tagged.find((entry) => entry.fingerprint_sha256 === newFingerprint);
    assert.ok(newId !== undefined, 'the tags followed the new certificate');

    // After the grace period (1 s) the old certificate is revoked: refused at the gateway. Until then
    // it is refused already (403 GW_ERR_CERT_NO_KEY: its key moved), so wait for the revocation itself.
    const codeOfOld = async (): Promise<string | undefined> => {
      const response = await callApi(oldCert);
      return response.status === 403 ? response.json<{ error: { code: string } }>().error.code : undefined;
    };
    const deadline = Date.now() + 10_000;
    while ((await codeOfOld()) !== 'GW_ERR_CERT_REVOKED' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const refused = await callApi(oldCert);
    assert.equal(refused.status, 403);
    assert.equal(refused.json<{ error: { code: string } }>().error.code, 'GW_ERR_CERT_REVOKED');
    assert.equal((await callApi(newCert)).status, 200);

    // The replaced certificate cannot re-enroll again; the revoked new one cannot either.
    const again = derCsr('device-1c', '/CN=device-1/O=Acme Devices');
    const twice = await curl(
      'simplereenroll',
      enrollArgs(again.body, ['--cert', path.join(openssl.dir, 'device-1.pem'), '--key', first.key]),
    );
    assert.equal(twice.status, 403);
    await ok('DELETE', `/zones/${zoneId}/client_certificates/${newId.id}`);
    openssl.write('device-1b.pem', newPem);
    const count = await certificateCount();
    const revokedTry = await curl(
      'simplereenroll',
      enrollArgs(again.body, ['--cert', path.join(openssl.dir, 'device-1b.pem'), '--key', renewal.key]),
    );
    assert.equal(revokedTry.status, 403);
    assert.equal(codeOf(revokedTry), 'GW_ERR_EST_REENROLL_REFUSED');
    assert.equal(await certificateCount(), count, 'nothing issued');
  });

  test('Ed25519: a profile that lists it issues for an `openssl req -newkey ed25519` CSR, and the device calls the API', async () => {
    const edProfile = await ok<{ id: string }>('POST', `/zones/${zoneId}/est/profiles`, {
      label: 'ed',
      hostnames: [HOST],
      key_types: ['Ed25519', 'P-256'],
      dns_name_templates: ['{cn}.devices.example.test'],
      key_policy_ids: [policyId],
      tags: ['fleet-ed'],
    });
    const { id, secret: password } = await ok<{ id: string; secret: string }>(
      'POST',
      `/zones/${zoneId}/est/profiles/${edProfile.id}/bootstrap_secrets`,
      { max_uses: 2 },
    );
    const auth = ['--user', `${id}:${password}`];
    const device = derCsr('ed-device', '/CN=ed-device', ['-newkey', 'ed25519']);
    const before = await certificateCount();

    // The profile without Ed25519 refuses it with the profile's reason, and issues nothing.
    const { id: otherId, secret: otherPassword } = await secret();
    const elsewhere = await curl('simpleenroll', enrollArgs(device.body, ['--user', `${otherId}:${otherPassword}`]));
    assert.equal(elsewhere.status, 400);
    assert.equal(codeOf(elsewhere), 'GW_ERR_EST_CSR_REFUSED');
    assert.match(elsewhere.body.toString(), /Ed25519/);
    assert.equal(await certificateCount(), before);

    const enrolled = await curl('ed/simpleenroll', enrollArgs(device.body, auth));
    assert.equal(enrolled.status, 200, enrolled.body.toString());
    const printed = printCerts(enrolled.body, 'ed-device');
    const certificate = new X509Certificate(printed);
    assert.equal(certificate.publicKey.asymmetricKeyType, 'ed25519');
    assert.ok(certificate.checkIssued(new X509Certificate(printCerts((await curl('ed/cacerts', [])).body, 'ed-ca'))));
    const device1 = { certPem: printed, keyPem: openssl.read('ed-device.key') };
    assert.equal((await callApi(device1)).status, 200, 'the TLS handshake with the Ed25519 certificate, then the API');
  });

  test('bad input gets a 4xx with a clear code, nothing is issued, and no secret is logged', async () => {
    const { id, secret: password } = await secret(10);
    const auth = ['--user', `${id}:${password}`];
    const before = await certificateCount();

    const weak = derCsr('weak', '/CN=weak', ['-newkey', 'rsa:1024']);
    const weakAnswer = await curl('simpleenroll', enrollArgs(weak.body, auth));
    assert.equal(weakAnswer.status, 400);
    assert.equal(codeOf(weakAnswer), 'GW_ERR_CSR_INVALID');

    const good = derCsr('good', '/CN=good');
    const der = openssl.readBytes('good.der');
    const tampered = Buffer.from(der);
    const at = tampered.length - 10; // inside the signature
    tampered.writeUInt8((tampered.readUInt8(at) ^ 0x01) & 0xff, at);
    openssl.write('tampered.b64', tampered.toString('base64'));
    const badSignature = await curl('simpleenroll', enrollArgs(path.join(openssl.dir, 'tampered.b64'), auth));
    assert.equal(badSignature.status, 400);
    assert.equal(codeOf(badSignature), 'GW_ERR_CSR_INVALID');

    openssl.write('garbage.b64', 'this is not base64 at all!!');
    const garbage = await curl('simpleenroll', enrollArgs(path.join(openssl.dir, 'garbage.b64'), auth));
    assert.equal(garbage.status, 400);
    assert.equal(codeOf(garbage), 'GW_ERR_EST_REQUEST_INVALID');

    const wrongType = await curl('simpleenroll', [
      '--header',
      'Content-Type: application/json',
      '--data-binary',
      `@${good.body}`,
      ...auth,
    ]);
    assert.equal(wrongType.status, 415);
    assert.equal(codeOf(wrongType), 'GW_ERR_EST_CONTENT_TYPE');

    openssl.write('huge.b64', 'A'.repeat(1024 * 1024));
    const huge = await curl('simpleenroll', enrollArgs(path.join(openssl.dir, 'huge.b64'), auth));
    assert.equal(huge.status, 413);

    const badName = derCsr('bad-name', '/CN=bad name with spaces');
    const badNameAnswer = await curl('simpleenroll', enrollArgs(badName.body, auth));
    assert.equal(badNameAnswer.status, 400);
    assert.equal(codeOf(badNameAnswer), 'GW_ERR_EST_CSR_REFUSED');

    // Re-enrollment asking for another subject than the current certificate's (RFC 7030 §4.2.2).
    const enrolled = await curl('simpleenroll', enrollArgs(good.body, auth));
    assert.equal(enrolled.status, 200);
    openssl.write('good.pem', printCerts(enrolled.body, 'good'));
    const other = derCsr('other', '/CN=someone-else/O=Acme Devices');
    const mismatch = await curl(
      'simplereenroll',
      enrollArgs(other.body, ['--cert', path.join(openssl.dir, 'good.pem'), '--key', good.key]),
    );
    assert.equal(mismatch.status, 400);
    assert.equal(codeOf(mismatch), 'GW_ERR_EST_CSR_REFUSED');
    assert.match(mismatch.body.toString(), /RFC 7030 §4\.2\.2/);
    assert.equal(await certificateCount(), before + 1, 'only the one good enrollment issued anything');

    const log = logLines.join('');
    assert.ok(!log.includes(password), 'the bootstrap secret never reaches the log');
    assert.ok(!log.includes(Buffer.from(`${id}:${password}`).toString('base64')), 'nor its Basic encoding');
  });

  test('the old …/tagged/{tag} route answers what ?tag= answers, marked deprecated with its successor linked', async () => {
    const get = (route: string) =>
      fetch(`${server.baseUrl}${route}`, { headers: { authorization: `Bearer ${server.adminToken}` } });
    const current = await get(`/zones/${zoneId}/client_certificates?tag=fleet-a`);
    const old = await get(`/zones/${zoneId}/client_certificates/tagged/fleet-a`);
    assert.equal(old.status, 200);
    assert.equal(current.headers.get('deprecation'), null);
    assert.match(old.headers.get('deprecation') ?? '', /^@\d+$/, 'RFC 9745 Deprecation');
    const link = old.headers.get('link') ?? '';
    assert.match(link, /rel="successor-version"/);
    const successor = new URL(/^<([^>]+)>/.exec(link)?.[1] ?? '', old.url);
    assert.equal(successor.pathname + successor.search, new URL(current.url).pathname + '?tag=fleet-a');
    const body = (await old.json()) as { result: unknown[] };
    assert.ok(body.result.length > 0);
    assert.deepEqual(body, await current.json(), 'the same body, result_info included');
  });

  test('bulk revocation by tag revokes every certificate of the fleet in one call', async () => {
    const tagged = await ok<{ id: string; status: string }[]>(
      'GET',
      `/zones/${zoneId}/client_certificates?tag=fleet-a&per_page=50`,
    );
    const active = tagged.filter((entry) => entry.status === 'active').length;
    assert.ok(active > 0);
    assert.equal(
      (await server.call('POST', `/zones/${zoneId}/client_certificates/revoke?per_page=0`, { tag: 'fleet-a' })).status,
      400,
      'per_page is a whole number from 1',
    );
    // per_page: the count and a first page of the ids, with result_info.
    const firstPage = await server.call<{ revoked: number; ids: string[] }>(
      'POST',
      `/zones/${zoneId}/client_certificates/revoke?per_page=1`,
      { tag: 'fleet-a' },
    );
    assert.equal(firstPage.status, 200);
    assert.equal(firstPage.body.result.revoked, active);
    assert.equal(firstPage.body.result.ids.length, 1);
    assert.ok(tagged.some((entry) => entry.id === firstPage.body.result.ids[0]));
    assert.deepEqual(firstPage.body.result_info, {
      page: 1,
      per_page: 1,
      count: 1,
      total_count: active,
      total_pages: active,
    });
    const after = await ok<{ status: string }[]>('GET', `/zones/${zoneId}/client_certificates?tag=fleet-a&per_page=50`);
    assert.ok(after.every((entry) => entry.status === 'revoked'));
    // Without per_page, every id (the answer as it always was): here none are left.
    const again = await server.call('POST', `/zones/${zoneId}/client_certificates/revoke`, { tag: 'fleet-a' });
    assert.deepEqual(again.body.result, { revoked: 0, ids: [] });
    assert.equal(again.body.result_info, undefined);
    const none = await server.call('POST', `/zones/${zoneId}/client_certificates/revoke`, {});
    assert.equal(none.status, 400);
  });
});
