/**
 * The official `cloudflare` npm SDK (7.x) as a client of `portcullis serve` (SQLite), changing only
 * `baseURL` and the token (cloudflare-compatibility.md §9): mTLS certificates, client certificates
 * with the SDK's own auto-pager, hostname associations, custom rules (Rulesets API), zones (create, delete), token verify, and how our errors surface
 * as the SDK's error classes. Every request the SDK makes is recorded, so paging is checked too.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import Cloudflare, { BadRequestError, ConflictError, NotFoundError, PermissionDeniedError } from 'cloudflare';
import { createCa, type CaHandle } from '../helpers/pki.ts';
import { createTenant, createToken, startAdminServer, type AdminServer } from '../helpers/admin-server.ts';
import { OpensslWorkdir, pemBody } from '../helpers/openssl.ts';

describe('the cloudflare SDK against portcullis serve', () => {
  let server: AdminServer;
  let openssl: OpensslWorkdir;
  let client: Cloudflare;
  let accountId: string;
  let zoneId: string;
  let root: CaHandle;
  /** `METHOD path?query` of every request the SDK sent. */
  const requests: string[] = [];

  const recordingFetch: typeof fetch = (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    requests.push(`${init?.method ?? 'GET'} ${url.pathname.replace('/client/v4', '')}${url.search}`);
    return fetch(input, init);
  };

  before(async () => {
    server = await startAdminServer();
    openssl = new OpensslWorkdir();
    ({ accountId, zoneId } = await createTenant(server, 'sdk.example.com'));
    root = await createCa('CN=SDK Root,O=Portcullis Tests');
    client = new Cloudflare({
      baseURL: server.baseUrl,
      apiToken: server.adminToken,
      maxRetries: 0,
      timeout: 10_000,
      fetch: recordingFetch,
    });
  });
  after(async () => {
    await server.stop();
    openssl.remove();
  });

  const csr = (name: string): string => openssl.csr('p256', `/O=SDK/CN=${name}`).csrPem;

  test('user.tokens.verify()', async () => {
    const verified = await client.user.tokens.verify();
    assert.equal(verified.status, 'active');
    assert.match(verified.id, /^[0-9a-f]{32}$/);
  });

  test('mtlsCertificates: create, list (async iteration), get, associations, delete', async () => {
    const created = await client.mtlsCertificates.create({
      account_id: accountId,
      ca: true,
      certificates: root.certPem,
      name: 'sdk-root',
    });
    assert.equal(created.ca, true);
    assert.equal(created.name, 'sdk-root');
    // RFC 2253 reverses the encoded order (@peculiar/x509 encodes CN first, as written).
    assert.equal(created.issuer, 'O=Portcullis Tests,CN=SDK Root');
    assert.equal(pemBody(created.certificates ?? ''), pemBody(root.certPem));
    assert.ok(created.updated_at);

    const listed: string[] = [];
    for await (const certificate of client.mtlsCertificates.list({ account_id: accountId })) {
      listed.push(certificate.id ?? '');
    }
    assert.deepEqual(listed, [created.id]);
    const custom: string[] = [];
    for await (const certificate of client.mtlsCertificates.list({
      account_id: accountId,
      type: ['gateway_managed'],
    })) {
      custom.push(certificate.id ?? '');
    }
    assert.deepEqual(custom, []);

    const got = await client.mtlsCertificates.get(created.id!, { account_id: accountId });
    assert.equal(got.serial_number, created.serial_number);
    assert.equal(got.signature, 'ECDSAWithSHA256');

    const uses: unknown[] = [];
    for await (const use of client.mtlsCertificates.associations.get(created.id!, { account_id: accountId })) {
      uses.push(use);
    }
    assert.deepEqual(uses, []);

    const deleted = await client.mtlsCertificates.delete(created.id!, { account_id: accountId });
    assert.equal(deleted.id, created.id);
    await assert.rejects(client.mtlsCertificates.get(created.id!, { account_id: accountId }), NotFoundError);
  });

  test('clientCertificates: auto-paging over 7 certificates with per_page 5 yields exactly 7', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      const created = await client.clientCertificates.create({
        zone_id: zoneId,
        csr: csr(`paged-${i}`),
        validity_days: 90,
      });
      assert.equal(created.status, 'active');
      ids.push(created.id ?? '');
    }
    requests.length = 0;
    const seen: string[] = [];
    for await (const certificate of client.clientCertificates.list({ zone_id: zoneId, per_page: 5 })) {
      seen.push(certificate.id ?? '');
    }
    // Exactly the 7, each once (the order within one second of issuing is by id, not creation).
    assert.equal(seen.length, 7);
    assert.deepEqual([...seen].sort(), [...ids].sort());
    const route = `/zones/${zoneId}/client_certificates`;
    assert.deepEqual(requests, [
      `GET ${route}?per_page=5`,
      `GET ${route}?per_page=5&page=2`,
      `GET ${route}?per_page=5&page=3`,
    ]);

    const firstPage = await client.clientCertificates.list({ zone_id: zoneId, per_page: 5 });
    assert.equal(firstPage.result.length, 5);
    assert.equal(firstPage.hasNextPage(), true);
  });

  test('clientCertificates: get, delete (revoke), edit({reactivate:true})', async () => {
    const created = await client.clientCertificates.create({
      zone_id: zoneId,
      csr: csr('lifecycle'),
      validity_days: 30,
    });
    const id = created.id!;
    assert.equal(created.common_name, 'lifecycle');
    assert.equal(created.organization, 'SDK');
    assert.equal(created.validity_days, 30);

    assert.deepEqual(await client.clientCertificates.get(id, { zone_id: zoneId }), created);
    assert.equal((await client.clientCertificates.delete(id, { zone_id: zoneId })).status, 'pending_revocation');
    assert.equal((await client.clientCertificates.get(id, { zone_id: zoneId })).status, 'revoked');

    const revoked: string[] = [];
    for await (const certificate of client.clientCertificates.list({ zone_id: zoneId, status: 'revoked' })) {
      revoked.push(certificate.id ?? '');
    }
    assert.deepEqual(revoked, [id]);

    const edited = await client.clientCertificates.edit(id, { zone_id: zoneId, reactivate: true });
    assert.equal(edited.status, 'pending_reactivation');
    assert.equal((await client.clientCertificates.get(id, { zone_id: zoneId })).status, 'active');
  });

  test('certificateAuthorities.hostnameAssociations: update and get, managed CA and an uploaded CA', async () => {
    const ca = await client.mtlsCertificates.create({ account_id: accountId, ca: true, certificates: root.certPem });
    const hosts = ['api.sdk.example.com', 'mtls.sdk.example.com'];

    const managed = await client.certificateAuthorities.hostnameAssociations.update({
      zone_id: zoneId,
      hostnames: hosts,
    });
    assert.deepEqual(managed.hostnames, hosts);
    const byo = await client.certificateAuthorities.hostnameAssociations.update({
      zone_id: zoneId,
      hostnames: ['byo.sdk.example.com'],
      mtls_certificate_id: ca.id!,
    });
    assert.deepEqual(byo.hostnames, ['byo.sdk.example.com']);

    assert.deepEqual(
      (await client.certificateAuthorities.hostnameAssociations.get({ zone_id: zoneId })).hostnames,
      hosts,
    );
    const got = await client.certificateAuthorities.hostnameAssociations.get({
      zone_id: zoneId,
      mtls_certificate_id: ca.id!,
    });
    assert.deepEqual(got.hostnames, ['byo.sdk.example.com']);

    // In use → refused with a 400 (not a retried 409); cleared → deleted.
    await assert.rejects(client.mtlsCertificates.delete(ca.id!, { account_id: accountId }), BadRequestError);
    await client.certificateAuthorities.hostnameAssociations.update({
      zone_id: zoneId,
      hostnames: [],
      mtls_certificate_id: ca.id!,
    });
    await client.mtlsCertificates.delete(ca.id!, { account_id: accountId });
  });

  test('a bad upload surfaces as BadRequestError carrying our v4 code, sent once', async () => {
    requests.length = 0;
    const refused = await client.mtlsCertificates
      .create({ account_id: accountId, ca: true, certificates: 'not a certificate' })
      .then(
        () => assert.fail('the upload was accepted'),
        (error: unknown) => error,
      );
    assert.ok(refused instanceof BadRequestError, String(refused));
    assert.equal(refused.status, 400);
    const [first] = refused.errors;
    assert.ok(first);
    assert.equal(first.code, 12110);
    assert.match(first.message ?? '', /certificate/i);
    assert.equal(requests.length, 1);

    const badCsr = await client.clientCertificates.create({ zone_id: zoneId, csr: 'garbage', validity_days: 30 }).then(
      () => assert.fail('the CSR was accepted'),
      (error: unknown) => error,
    );
    assert.ok(badCsr instanceof BadRequestError);
    assert.equal(badCsr.errors[0]?.code, 12112);
  });

  test('rulesets: phases.update/get, versions, rules.create/edit/delete, list (cursor pages), delete', async () => {
    const phase = 'http_request_firewall_custom';
    const { zoneId: zone_id } = await createTenant(server, 'rules-sdk.example.com');
    await assert.rejects(client.rulesets.phases.get(phase, { zone_id }), NotFoundError);

    // The SDK types these answers as `Ruleset | unknown` (i.e. unknown): name the fields the test reads.
    type Ruleset = {
      id: string;
      version: string;
      kind: string;
      phase: string;
      rules: { id: string; ref: string; version: string; enabled: boolean; expression: string }[];
    };
    const created = (await client.rulesets.phases.update(phase, {
      zone_id,
      rules: [
        {
          action: 'block',
          expression: '(http.host in {"api.rules-sdk.example.com"} and not cf.tls_client_auth.cert_verified)',
          description: 'mTLS rule',
          action_parameters: {
            response: { status_code: 401, content: 'certificate required', content_type: 'text/plain' },
          },
        },
      ],
    })) as Ruleset;
    assert.equal(created.version, '1');
    assert.equal(created.kind, 'zone');
    assert.equal(created.phase, phase);
    const [mtlsRule] = created.rules;
    assert.ok(mtlsRule);
    assert.equal(mtlsRule.ref, mtlsRule.id);
    assert.deepEqual(await client.rulesets.phases.get(phase, { zone_id }), created);

    const withLog = (await client.rulesets.rules.create(created.id, {
      zone_id,
      action: 'log',
      expression: 'http.request.uri.path eq "/admin"',
      ref: 'admin-log',
      position: { index: 1 },
    })) as Ruleset;
    assert.deepEqual(
      withLog.rules.map((rule) => rule.ref),
      ['admin-log', mtlsRule.ref],
    );
    const logRule = withLog.rules[0]!;
    const edited = (await client.rulesets.rules.edit(logRule.id, {
      zone_id,
      ruleset_id: created.id,
      action: 'log',
      expression: logRule.expression,
      enabled: false,
    })) as Ruleset;
    const [editedLog] = edited.rules;
    assert.ok(editedLog);
    assert.equal(editedLog.enabled, false);
    assert.equal(editedLog.version, '2');
    assert.equal(edited.version, '3');
    const deleted = (await client.rulesets.rules.delete(logRule.id, { zone_id, ruleset_id: created.id })) as Ruleset;
    assert.deepEqual(
      deleted.rules.map((rule) => rule.id),
      [mtlsRule.id],
    );

    const versions: string[] = [];
    for await (const version of client.rulesets.phases.versions.list(phase, { zone_id }))
      versions.push(version.version);
    assert.deepEqual(versions, ['4', '3', '2', '1']);
    const first = await client.rulesets.phases.versions.get('1', { zone_id, ruleset_phase: phase });
    assert.deepEqual(first, created);

    requests.length = 0;
    const listed: string[] = [];
    for await (const ruleset of client.rulesets.list({ zone_id })) listed.push(ruleset.id);
    assert.deepEqual(listed, [created.id]);
    assert.deepEqual(requests, [`GET /zones/${zone_id}/rulesets`], 'no cursor on the last page: one request');

    // A bad expression: BadRequestError with the rules engine's code and position, sent once, nothing stored.
    requests.length = 0;
    const refused = await client.rulesets.rules
      .create(created.id, { zone_id, action: 'block', expression: 'http.host eq' })
      .then(
        () => assert.fail('the rule was accepted'),
        (error: unknown) => error,
      );
    assert.ok(refused instanceof BadRequestError, String(refused));
    const [reason] = refused.errors;
    assert.ok(reason);
    assert.equal(reason.code, 12120);
    assert.match(reason.message ?? '', /^\/expression: Filter parsing error \(1:13\)/);
    assert.equal(requests.length, 1);
    assert.equal((await client.rulesets.get(created.id, { zone_id })).version, '4');

    await client.rulesets.delete(created.id, { zone_id });
    await assert.rejects(client.rulesets.get(created.id, { zone_id }), NotFoundError);
  });

  test('zones.create / zones.delete: { id }; a zone in use → ConflictError with our code, sent once', async () => {
    const zone = await client.zones.create({ name: 'sdk-delete.example.com', account: { id: accountId } });
    await client.rulesets.phases.update('http_request_firewall_custom', {
      zone_id: zone.id,
      rules: [{ expression: 'true', action: 'log' }],
    });
    const before = requests.length;
    await assert.rejects(client.zones.delete({ zone_id: zone.id }), (error: unknown) => {
      assert.ok(error instanceof ConflictError);
      assert.equal(error.errors[0]?.code, 12132);
      return true;
    });
    assert.deepEqual(requests.slice(before), [`DELETE /zones/${zone.id}`], 'not retried');
    await client.rulesets.phases.update('http_request_firewall_custom', { zone_id: zone.id, rules: [] });
    assert.deepEqual(await client.zones.delete({ zone_id: zone.id }), { id: zone.id });
    await assert.rejects(client.zones.get({ zone_id: zone.id }), NotFoundError);
  });

  test('unknown ids → NotFoundError; another account → PermissionDeniedError', async () => {
    await assert.rejects(client.clientCertificates.get(randomUUID(), { zone_id: zoneId }), NotFoundError);
    const other = await createTenant(server, 'other-sdk.example.com');
    const scoped = new Cloudflare({
      baseURL: server.baseUrl,
      apiToken: await createToken(server, 'edit', { account_id: other.accountId }),
      maxRetries: 0,
    });
    await assert.rejects(scoped.clientCertificates.get(randomUUID(), { zone_id: zoneId }), (error: unknown) => {
      assert.ok(error instanceof PermissionDeniedError);
      assert.equal(error.errors[0]?.code, 10000);
      return true;
    });
  });
});
