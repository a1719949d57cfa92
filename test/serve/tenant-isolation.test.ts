/**
 * Tenant isolation on the data plane of `portcullis serve`, over real TLS with certificates made at
 * test time: what one account configures never serves, authenticates or steers the requests of
 * another account's hostnames.
 *  - hostname takeover: an account cannot create a zone under another account's zone (409), so the
 *    victim's hostname keeps its route, its CA and its mTLS rule, and no request (Authorization
 *    header and body included) reaches the other account's upstream; and when such a zone is
 *    already in the store (written straight through it, as before the check), the older zone's
 *    account keeps the hostname (docs/adr/0007-zone-ownership.md);
 *  - key bindings: two accounts bind the SAME device certificate (a CA both trust), each to its own
 *    key; each API finds the key of its own account, and never the other's.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { openStore } from '../../src/store/open-store.ts';
import { createTenant, createToken, startAdminServer, type AdminServer } from '../helpers/admin-server.ts';
import { edgeCaPem } from '../helpers/gateway-pki.ts';
import { request, type ClientResponse } from '../helpers/https-client.ts';
import { createCa, type CaHandle, type Issued } from '../helpers/pki.ts';
import { startHttp1Echo, type RunningUpstream } from '../helpers/upstreams.ts';
import { fails, ok } from '../helpers/v4-assertions.ts';

interface Tenant {
  accountId: string;
  zoneId: string;
  hostname: string;
  upstream: RunningUpstream;
  apiId: string;
}

describe("serve: an account cannot take over another account's hostname", () => {
  let server: AdminServer;
  let victimCa: CaHandle;
  let device: Issued;
  let victim: { accountId: string; zoneId: string; upstream: RunningUpstream };
  let attacker: { accountId: string; token: string; upstream: RunningUpstream };
  const HOST = 'api.victim.test';

  const post = (client?: Issued): Promise<ClientResponse> =>
    request({
      port: server.gatewayPort,
      ca: edgeCaPem(server),
      servername: HOST,
      method: 'POST',
      path: '/orders',
      headers: { host: HOST, authorization: 'Bearer victim-session', 'content-type': 'text/plain' },
      body: 'card=4111111111111111',
      ...(client === undefined ? {} : { cert: client.certPem, key: client.keyPem }),
    });

  before(async () => {
    server = await startAdminServer();
    victimCa = await createCa('CN=Victim CA');
    device = await victimCa.issue({ subject: 'CN=victim-device' });
    const { accountId, zoneId } = await createTenant(server, 'victim.test');
    victim = { accountId, zoneId, upstream: await startHttp1Echo() };
    const ca = ok(
      await server.call<{ id: string }>('POST', `/accounts/${accountId}/mtls_certificates`, {
        ca: true,
        certificates: victimCa.certPem,
      }),
    );
    const zone = `/zones/${zoneId}`;
    ok(
      await server.call('PUT', `${zone}/certificate_authorities/hostname_associations`, {
        hostnames: [HOST],
        mtls_certificate_id: ca.id,
      }),
    );
    ok(await server.call('POST', `${zone}/gateway/routes`, { hostname: HOST, upstream: victim.upstream.url }));
    ok(await server.call('POST', `${zone}/gateway/mtls_rule`, { hostnames: [HOST] }));

    const other = ok(await server.call<{ id: string }>('POST', '/accounts', { name: 'attacker' }));
    attacker = {
      accountId: other.id,
      token: await createToken(server, 'edit', { account_id: other.id }),
      upstream: await startHttp1Echo(),
    };
  });

  after(async () => {
    await server.stop();
    await victim.upstream.close();
    await attacker.upstream.close();
  });

  test("creating a zone at, under or above the victim's zone is refused with 409 / 12130, nothing is created", async () => {
    for (const name of [HOST, 'victim.test', 'deep.api.victim.test']) {
      const created = await server.call(
        'POST',
        '/zones',
        { name, account: { id: attacker.accountId } },
        attacker.token,
      );
      const message = fails(created, 409, 12130);
      assert.doesNotMatch(message, new RegExp(victim.zoneId), 'a tenant is not told which zone holds the name');
    }
    const mine = await server.call<{ name: string }[]>('GET', '/zones', undefined, attacker.token);
    assert.deepEqual(ok(mine), []);
  });

  test("the victim's hostname keeps its route and mTLS rule: nothing reaches the attacker's upstream", async () => {
    // What an attacker does with any zone it got: route the victim's hostname (a more specific
    // prefix than the victim's route, which holds `/`) to itself.
    const zones = ok(await server.call<{ id: string }[]>('GET', '/zones', undefined, attacker.token));
    for (const zone of zones) {
      const route = { hostname: HOST, path_prefix: '/orders', upstream: attacker.upstream.url };
      await server.call('POST', `/zones/${zone.id}/gateway/routes`, route, attacker.token);
    }
    const withCertificate = await post(device);
    assert.equal(withCertificate.status, 200, withCertificate.body);
    assert.equal(victim.upstream.received.at(-1)?.body, 'card=4111111111111111');
    const withoutCertificate = await post();
    assert.equal(withoutCertificate.status, 403, "the victim's mTLS rule still applies");
    assert.equal(withoutCertificate.json<{ error: { code: string } }>().error.code, 'GW_ERR_RULE_BLOCKED');
    assert.deepEqual(attacker.upstream.received, []);
  });
});

describe('serve: a takeover already in the store (written before the zone-name check) fails closed', () => {
  let server: AdminServer;
  let victimCa: CaHandle;
  let device: Issued;
  let victimUpstream: RunningUpstream;
  let squatterUpstream: RunningUpstream;
  const HOST = 'api.legacy.test';

  const call = (client?: Issued): Promise<ClientResponse> =>
    request({
      port: server.gatewayPort,
      ca: edgeCaPem(server),
      servername: HOST,
      path: '/orders',
      headers: { host: HOST, authorization: 'Bearer victim-session' },
      ...(client === undefined ? {} : { cert: client.certPem, key: client.keyPem }),
    });

  before(async () => {
    server = await startAdminServer();
    victimCa = await createCa('CN=Legacy victim CA');
    device = await victimCa.issue({ subject: 'CN=legacy-device' });
    victimUpstream = await startHttp1Echo();
    squatterUpstream = await startHttp1Echo();
    const victim = await createTenant(server, 'legacy.test');
    const ca = ok(
      await server.call<{ id: string }>('POST', `/accounts/${victim.accountId}/mtls_certificates`, {
        ca: true,
        certificates: victimCa.certPem,
      }),
    );
    const zone = `/zones/${victim.zoneId}`;
    ok(
      await server.call('PUT', `${zone}/certificate_authorities/hostname_associations`, {
        hostnames: [HOST],
        mtls_certificate_id: ca.id,
      }),
    );
    ok(await server.call('POST', `${zone}/gateway/routes`, { hostname: HOST, upstream: victimUpstream.url }));
    ok(await server.call('POST', `${zone}/gateway/mtls_rule`, { hostnames: [HOST] }));

    // The squatter's zone api.legacy.test, created later by another account, and its route to
    // itself, written straight into the gateway's store as the API allowed before.
    const squatter = ok(await server.call<{ id: string }>('POST', '/accounts', { name: 'squatter' }));
    const store = await openStore({ kind: 'sqlite', file: path.join(server.dataDir, 'portcullis.db') });
    try {
      const squat = {
        id: randomBytes(16).toString('hex'),
        accountId: squatter.id,
        name: HOST,
        createdAt: new Date(Date.now() + 1000).toISOString().replace('Z', '000Z'),
        delegated: false,
      };
      await store.createZone(squat);
      const now = squat.createdAt;
      await store.createRoute({
        id: randomBytes(16).toString('hex'),
        zoneId: squat.id,
        hostname: HOST,
        pathPrefix: '/orders',
        upstreamUrl: squatterUpstream.url,
        stripPrefix: false,
        upstreamTimeoutMs: null,
        description: '',
        createdOn: now,
        modifiedOn: now,
      });
    } finally {
      await store.close();
    }
    // Any change through the API recompiles the snapshot from the store.
    ok(await server.call('POST', '/accounts', { name: 'nudge' }));
  });

  after(async () => {
    await server.stop();
    await victimUpstream.close();
    await squatterUpstream.close();
  });

  test("the older zone's account keeps the hostname: its route, CA and mTLS rule; the squatter gets nothing", async () => {
    const withCertificate = await call(device);
    assert.equal(withCertificate.status, 200, withCertificate.body);
    assert.equal(victimUpstream.received.at(-1)?.url, '/orders');
    const withoutCertificate = await call();
    assert.equal(withoutCertificate.status, 403);
    assert.equal(withoutCertificate.json<{ error: { code: string } }>().error.code, 'GW_ERR_RULE_BLOCKED');
    assert.deepEqual(squatterUpstream.received, []);
  });
});

describe('serve: two accounts bind the same device certificate', () => {
  let server: AdminServer;
  let sharedCa: CaHandle;
  let device: Issued;
  let squatter: Tenant;
  let owner: Tenant;

  /** An account with a zone, the shared CA trusted on `api.<zone>`, and an mtls_dynamic API there. */
  const tenant = async (zone: string): Promise<Tenant> => {
    const { accountId, zoneId } = await createTenant(server, zone);
    const hostname = `api.${zone}`;
    const upstream = await startHttp1Echo();
    const ca = ok(
      await server.call<{ id: string }>('POST', `/accounts/${accountId}/mtls_certificates`, {
        ca: true,
        certificates: sharedCa.certPem,
      }),
    );
    ok(
      await server.call('PUT', `/zones/${zoneId}/certificate_authorities/hostname_associations`, {
        hostnames: [hostname],
        mtls_certificate_id: ca.id,
      }),
    );
    const api = ok(
      await server.call<{ id: string }>('POST', `/zones/${zoneId}/gateway/apis`, {
        name: 'devices',
        hostname,
        listen_path: '/',
        upstream_url: upstream.url,
        auth: { mode: 'mtls_dynamic' },
      }),
    );
    return { accountId, zoneId, hostname, upstream, apiId: api.id };
  };

  const bindDevice = (to: Tenant, bindTo: 'leaf' | 'spki') =>
    server.call<{ id: string }>('POST', `/accounts/${to.accountId}/gateway/keys`, {
      alias: `device of ${to.hostname}`,
      certificate: { pem: device.certPem },
      bind_to: bindTo,
      access_rights: [{ api_id: to.apiId, methods: [], paths: [] }],
    });

  const callAs = (target: Tenant): Promise<ClientResponse> =>
    request({
      port: server.gatewayPort,
      ca: edgeCaPem(server),
      servername: target.hostname,
      path: '/device/status',
      headers: { host: target.hostname },
      cert: device.certPem,
      key: device.keyPem,
    });

  before(async () => {
    server = await startAdminServer();
    sharedCa = await createCa('CN=Device maker CA');
    device = await sharedCa.issue({ subject: 'CN=device-7' });
    squatter = await tenant('squatter.test');
    owner = await tenant('owner.test');
  });

  after(async () => {
    await server.stop();
    await squatter.upstream.close();
    await owner.upstream.close();
  });

  test('the owner binds the device after another account did: both keys exist, each serves its own API', async () => {
    const squatterKey = ok(await bindDevice(squatter, 'leaf'));
    const ownerKey = ok(await bindDevice(owner, 'spki'));
    assert.notEqual(ownerKey.id, squatterKey.id);

    const atOwner = await callAs(owner);
    assert.equal(atOwner.status, 200, atOwner.body);
    assert.equal(owner.upstream.received.at(-1)?.url, '/device/status');
    const atSquatter = await callAs(squatter);
    assert.equal(atSquatter.status, 200, atSquatter.body);
    assert.equal(squatter.upstream.received.length, 1);
    assert.equal(owner.upstream.received.length, 1, "the owner's upstream saw only the owner's request");
  });

  test("an API never finds another account's key for the certificate: 403 GW_ERR_CERT_NO_KEY", async () => {
    const keys = ok(await server.call<{ id: string }[]>('GET', `/accounts/${squatter.accountId}/gateway/keys`));
    for (const key of keys) ok(await server.call('DELETE', `/accounts/${squatter.accountId}/gateway/keys/${key.id}`));

    const atSquatter = await callAs(squatter);
    assert.equal(atSquatter.status, 403);
    assert.equal(atSquatter.json<{ error: { code: string } }>().error.code, 'GW_ERR_CERT_NO_KEY');
    assert.equal(squatter.upstream.received.length, 1, 'nothing more reached the squatter');
    assert.equal((await callAs(owner)).status, 200, "the owner's key still serves");
  });
});
