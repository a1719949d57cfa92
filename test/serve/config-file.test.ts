/**
 * `portcullis serve --config portcullis.yaml` as an operator runs it (real processes, real TLS,
 * certificates made at test time): the file is applied before listening (an API it declares is
 * enforced on the wire), a restart with the same file writes nothing, SIGHUP applies a changed
 * file, and a refused file changes nothing (exit 3 at start; logged on SIGHUP while the gateway
 * keeps serving what was in force).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { runCli, spawnCli, waitForLog } from '../helpers/cli.ts';
import { request } from '../helpers/https-client.ts';
import { createCa, Eku, type Issued } from '../helpers/pki.ts';
import { startHttp1Echo, type RunningUpstream } from '../helpers/upstreams.ts';

const HOST = 'api.example.test';

interface Serving {
  child: ChildProcess;
  exited: Promise<number | null>;
  /** The first `config applied` log line (before `listening`). */
  applied: Record<string, unknown>;
  admin: string;
  gatewayPort: number;
}

/** The zone part of the configuration, around a `rules:` list, an identity header list and an API's auth mode. */
function configText(options: {
  upstream: string;
  identity: string;
  rules?: string;
  extraZoneKey?: string;
  apiAuth?: string;
  caCompatibility?: string;
}): string {
  return `# written by serve-config-file.test.ts
accounts:
  - name: acme
    cas:
      - name: partner-ca
        file: ./partner-ca.pem
${options.caCompatibility === undefined ? '' : `        compatibility: ${options.caCompatibility}\n`}    zones:
      - name: example.test
        edge_certificates:
          - cert: ./api.pem
            key: ./api-key.pem
        mtls:
          - ca: partner-ca
            hostnames: [${HOST}]
        identity_headers: [${options.identity}]
        routes:
          - hostname: ${HOST}
            path_prefix: /
            upstream: ${options.upstream}
        mtls_rule: [${HOST}]
${options.rules ?? ''}${options.extraZoneKey ?? ''}        apis:
          - name: orders
            hostname: ${HOST}
            listen_path: /orders
            upstream_url: ${options.upstream}
            auth: { mode: ${options.apiAuth ?? 'mtls_dynamic'} }
    policies:
      - name: order-readers
        access_rights:
          - api: orders
            methods: [GET]
`;
}

describe('serve --config', () => {
  let work: string;
  let dataDir: string;
  let configFile: string;
  let upstream: RunningUpstream;
  let edge: Issued;
  let edgeCaPem: string;
  let client: Issued;
  let serving: Serving | undefined;

  const serveArgs = (file: string, dir = dataDir): string[] => [
    'serve',
    '--data-dir',
    dir,
    '--admin-listen',
    '127.0.0.1:0',
    '--listen',
    '127.0.0.1:0',
    '--config',
    file,
  ];

  async function startServe(): Promise<Serving> {
    const child = spawnCli(serveArgs(configFile));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const [applied, listening] = await Promise.all([
      waitForLog(child, 'config applied'),
      waitForLog(child, 'listening'),
    ]);
    const gatewayPort = Number(String(listening.address).split(':').pop());
    return { child, exited, applied, admin: String(listening.admin), gatewayPort };
  }

  async function stopServe(): Promise<void> {
    if (serving === undefined) return;
    serving.child.kill('SIGTERM');
    assert.equal(await serving.exited, 0);
    serving = undefined;
  }

  async function api<T = any>(route: string): Promise<T> {
    const token = (await readFile(path.join(dataDir, 'admin-token'), 'utf8')).trim();
    const response = await fetch(`${serving!.admin}${route}`, { headers: { authorization: `Bearer ${token}` } });
    const body = (await response.json()) as { success: boolean; result: T };
    assert.equal(response.status, 200, JSON.stringify(body));
    return body.result;
  }

  const call = (route: string, withCert = true) =>
    request({
      port: serving!.gatewayPort,
      ca: edgeCaPem,
      servername: HOST,
      path: route,
      headers: { host: HOST },
      ...(withCert ? { cert: client.certPem, key: client.keyPem } : {}),
    });

  /** Sends SIGHUP and waits for the log line that answers it. */
  async function hangup(file: string, answer: string): Promise<Record<string, unknown>> {
    await writeFile(configFile, file);
    const logged = waitForLog(serving!.child, answer);
    serving!.child.kill('SIGHUP');
    return logged;
  }

  before(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'portcullis-config-'));
    dataDir = path.join(work, 'data');
    configFile = path.join(work, 'etc', 'portcullis.yaml');
    upstream = await startHttp1Echo();
    const partner = await createCa('CN=Partner CA,O=Config File Test');
    client = await partner.issue({ subject: 'CN=device-1,O=Partner' });
    const edgeCa = await createCa('CN=Edge Test CA,O=Config File Test');
    edgeCaPem = edgeCa.certPem;
    edge = await edgeCa.issue({ subject: `CN=${HOST}`, dns: [HOST], eku: [Eku.serverAuth] });
    await mkdir(path.dirname(configFile));
    // Paths in the file are relative to the file's directory, not to the working directory.
    await writeFile(path.join(work, 'etc', 'partner-ca.pem'), partner.certPem);
    await writeFile(path.join(work, 'etc', 'api.pem'), edge.certPem);
    await writeFile(path.join(work, 'etc', 'api-key.pem'), edge.keyPem);
    await writeFile(configFile, configText({ upstream: upstream.url, identity: 'xfcc' }));
  });

  after(async () => {
    serving?.child.kill('SIGKILL');
    await upstream.close();
    await rm(work, { recursive: true, force: true });
  });

  test('start applies the file: zone, CA, association and edge certificate, enforced on the wire', async () => {
    serving = await startServe();
    assert.ok(Number(serving.applied.writes) > 0);
    const [zone] = await api<{ id: string; account: { id: string } }[]>('/zones?name=example.test');
    assert.ok(zone !== undefined, 'the zone was created');
    const cas = await api<{ id: string; name: string; ca: boolean }[]>(
      `/accounts/${zone.account.id}/mtls_certificates`,
    );
    assert.deepEqual(
      cas.map((ca) => [ca.name, ca.ca]),
      [['partner-ca', true]],
    );
    const association = await api<{ hostnames: string[] }>(
      `/zones/${zone.id}/certificate_authorities/hostname_associations?mtls_certificate_id=${cas[0]!.id}`,
    );
    assert.deepEqual(association.hostnames, [HOST]);
    assert.equal((await api<unknown[]>(`/zones/${zone.id}/custom_certificates`)).length, 1);

    // The handshake presents the uploaded edge certificate and accepts the partner CA's client.
    const presented = await new Promise<string>((resolve, reject) => {
      const socket = tls.connect(
        {
          host: '127.0.0.1',
          port: serving!.gatewayPort,
          servername: HOST,
          ca: edgeCaPem,
          cert: client.certPem,
          key: client.keyPem,
        },
        () => {
          resolve(socket.getPeerX509Certificate()?.fingerprint256 ?? '');
          socket.destroy();
        },
      );
      socket.on('error', reject);
    });
    assert.equal(presented.replaceAll(':', '').toLowerCase(), edge.sha256);
    const through = await call('/hello');
    assert.equal(through.status, 200, through.body);
    const echoed = through.json<{ url: string; headers: Record<string, string> }>();
    assert.equal(echoed.url, '/hello');
    assert.match(echoed.headers['x-forwarded-client-cert'] ?? '', /Hash=/);
    // The mTLS rule refuses a request without a verified certificate.
    const refused = await call('/hello', false);
    assert.equal(refused.status, 403);
    assert.equal(refused.json<{ error: { code: string } }>().error.code, 'GW_ERR_RULE_BLOCKED');

    // The API exists, the policy names it by id, and it is enforced: the certificate has no key.
    const [orders, ...others] = await api<{ id: string; listen_path: string; auth: { mode: string } }[]>(
      `/zones/${zone.id}/gateway/apis`,
    );
    assert.deepEqual(others, []);
    assert.equal(orders?.listen_path, '/orders');
    assert.equal(orders.auth.mode, 'mtls_dynamic');
    const policies = await api<{ name: string; access_rights: { api_id: string; methods: string[] }[] }[]>(
      `/accounts/${zone.account.id}/gateway/policies`,
    );
    assert.deepEqual(
      policies.map((policy) => [policy.name, policy.access_rights.map((right) => [right.api_id, right.methods])]),
      [['order-readers', [[orders.id, ['GET']]]]],
    );
    const noKey = await call('/orders/1');
    assert.equal(noKey.status, 403, noKey.body);
    assert.equal(noKey.json<{ error: { code: string } }>().error.code, 'GW_ERR_CERT_NO_KEY');
    await stopServe();
  });

  test('a restart with the same file writes nothing (no new object, no new ruleset version)', async () => {
    serving = await startServe();
    assert.equal(serving.applied.writes, 0);
    assert.deepEqual(serving.applied.changes, {});
    const [zone] = await api<{ id: string; account: { id: string } }[]>('/zones?name=example.test');
    assert.equal((await api<unknown[]>(`/accounts/${zone!.account.id}/mtls_certificates`)).length, 1);
    assert.equal((await api<unknown[]>(`/zones/${zone!.id}/custom_certificates`)).length, 1);
    assert.equal((await api<unknown[]>('/accounts')).length, 1);
    // Cloudflare's Rulesets API shows the version as a string.
    const ruleset = await api<{ version: string }>(
      `/zones/${zone!.id}/rulesets/phases/http_request_firewall_custom/entrypoint`,
    );
    assert.equal(ruleset.version, '1');
  });

  test('SIGHUP applies a changed file: a new rule and other identity headers are in force', async () => {
    const rules = `        rules:
          - expression: 'http.request.uri.path eq "/admin"'
            action: block
            description: no admin
`;
    const applied = await hangup(configText({ upstream: upstream.url, identity: 'rfc9440', rules }), 'config applied');
    assert.deepEqual(applied.changes, { identity_headers: 1, rules: 1 });
    const blocked = await call('/admin');
    assert.equal(blocked.status, 403);
    assert.equal(blocked.json<{ error: { code: string } }>().error.code, 'GW_ERR_RULE_BLOCKED');
    const through = await call('/hello');
    assert.equal(through.status, 200, through.body);
    const headers = through.json<{ headers: Record<string, string> }>().headers;
    assert.equal(headers['x-forwarded-client-cert'], undefined);
    assert.match(headers['client-cert'] ?? '', /^:[A-Za-z0-9+/=]+:$/);
  });

  test('SIGHUP with the API made keyless: the request the API refused reaches the upstream', async () => {
    const rules = `        rules:
          - expression: 'http.request.uri.path eq "/admin"'
            action: block
            description: no admin
`;
    const keyless = configText({ upstream: upstream.url, identity: 'rfc9440', rules, apiAuth: 'keyless' });
    const applied = await hangup(keyless, 'config applied');
    assert.deepEqual(applied.changes, { api: 1 });
    const through = await call('/orders/1');
    assert.equal(through.status, 200, through.body);
    assert.equal(through.json<{ url: string }>().url, '/orders/1');
  });

  test('SIGHUP with the CA made legacy: its compatibility changes in place, the same CA, and back', async () => {
    const rules = `        rules:
          - expression: 'http.request.uri.path eq "/admin"'
            action: block
            description: no admin
`;
    const options = { upstream: upstream.url, identity: 'rfc9440', rules, apiAuth: 'keyless' };
    const [zone] = await api<{ id: string; account: { id: string } }[]>('/zones?name=example.test');
    const cas = `/accounts/${zone!.account.id}/mtls_certificates`;
    const [before] = await api<{ id: string; compatibility: string }[]>(cas);
    assert.equal(before?.compatibility, 'strict');
    const applied = await hangup(configText({ ...options, caCompatibility: 'legacy' }), 'config applied');
    assert.deepEqual(applied.changes, { ca: 1 });
    assert.deepEqual(
      (await api<{ id: string; compatibility: string }[]>(cas)).map((ca) => [ca.id, ca.compatibility]),
      [[before.id, 'legacy']],
    );
    assert.equal((await call('/hello')).status, 200);
    const back = await hangup(configText(options), 'config applied');
    assert.deepEqual(back.changes, { ca: 1 });
    assert.equal((await api<{ compatibility: string }[]>(cas))[0]?.compatibility, 'strict');
  });

  test('SIGHUP with a refused file logs the reason and keeps what is in force', async () => {
    const rules = `        rules:
          - expression: 'http.request.uri.path eq "/admin"'
            action: block
`;
    const typo = configText({ upstream: upstream.url, identity: 'xfcc', rules, extraZoneKey: '        mtsl: []\n' });
    const refused = await hangup(typo, 'config not applied: the running configuration is kept');
    assert.equal(refused.code, 'GW_ERR_CONFIG_INVALID');
    assert.match(
      String(refused.err),
      /portcullis\.yaml: accounts\[0\]\.zones\[0\]\.mtsl \(line 24\): unknown key "mtsl"/,
    );
    // Nothing of the refused file was applied (it also switched identity headers back to xfcc).
    assert.equal(serving!.child.exitCode, null, 'still running');
    assert.equal((await call('/admin')).status, 403);
    assert.equal((await call('/orders/1')).status, 200, 'the API stays keyless');
    const through = await call('/hello');
    assert.equal(through.status, 200);
    assert.match(through.json<{ headers: Record<string, string> }>().headers['client-cert'] ?? '', /^:/);
    await stopServe();
  });

  test('a refused file at start exits 3 before listening, naming the key and line', async () => {
    const fresh = path.join(work, 'data-refused');
    const typo = path.join(work, 'etc', 'typo.yaml');
    await writeFile(typo, configText({ upstream: upstream.url, identity: 'xfcc', extraZoneKey: '        mtsl: []\n' }));
    const unknownKey = await runCli(serveArgs(typo, fresh));
    assert.equal(unknownKey.code, 3, unknownKey.stderr);
    assert.match(
      unknownKey.stderr,
      /typo\.yaml: accounts\[0\]\.zones\[0\]\.mtsl \(line 21\): unknown key "mtsl" .*\[GW_ERR_CONFIG_INVALID\]/,
    );
    assert.doesNotMatch(unknownKey.stdout, /"listening"/);

    // A key file given as the CA: refused at its key, and the key's content is never printed.
    const keyAsCa = path.join(work, 'etc', 'key-as-ca.yaml');
    await writeFile(
      keyAsCa,
      configText({ upstream: upstream.url, identity: 'xfcc' }).replace('./partner-ca.pem', './api-key.pem'),
    );
    const badCa = await runCli(serveArgs(keyAsCa, fresh));
    assert.equal(badCa.code, 3, badCa.stderr);
    assert.match(
      badCa.stderr,
      /accounts\[0\]\.cas\[0\]\.file \(line 6\): "\.\/api-key\.pem": Invalid certificate: private keys must not be sent/,
    );
    const keyBody = edge.keyPem.split('\n')[1]!;
    assert.ok(!badCa.stderr.includes(keyBody) && !badCa.stdout.includes(keyBody), 'the private key is never printed');

    // A route for a hostname of another zone: checked against the zone before anything is written.
    const otherHost = path.join(work, 'etc', 'other-host.yaml');
    await writeFile(
      otherHost,
      configText({ upstream: upstream.url, identity: 'xfcc' }).replace(
        `- hostname: ${HOST}`,
        '- hostname: api.elsewhere.test',
      ),
    );
    const badRoute = await runCli(serveArgs(otherHost, fresh));
    assert.equal(badRoute.code, 3, badRoute.stderr);
    assert.match(
      badRoute.stderr,
      /routes\[0\]\.hostname \(line 17\): Hostname does not belong to this zone: api\.elsewhere\.test/,
    );

    const missing = await runCli(serveArgs(path.join(work, 'etc', 'nope.yaml'), fresh));
    assert.equal(missing.code, 3, missing.stderr);
    assert.match(missing.stderr, /Cannot read .*nope\.yaml \(ENOENT\) \[GW_ERR_CONFIG_FILE_UNREADABLE\]/);
  });
});
