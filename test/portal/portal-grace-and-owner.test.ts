/**
 * The control side of the portal on a real SQLite store, with a clock the test moves: a rotated
 * credential keeps its key through the grace period and the sweeper deletes it once the period is
 * over (and not before); the expiry webhook's owner lookup names the developer and the app of a
 * certificate issued through the portal, and nothing for other certificates.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openStore } from '../../src/store/open-store.ts';
import type { Store } from '../../src/store/ports.ts';
import { SecretBox } from '../../src/store/secret-box.ts';
import { PublicPki } from '../../src/runtime-config/public-pki.ts';
import { buildServices } from '../../src/control/build-services.ts';
import { PortalAccessService } from '../../src/control/portal/portal-access-service.ts';
import { portalOwnerOf } from '../../src/control/portal/portal-certificate-owner.ts';
import type { ExpiringCertificate } from '../../src/control/telemetry/certificate-expiry-service.ts';
import { OpensslWorkdir } from '../helpers/openssl.ts';

const OPERATOR = { id: 'f'.repeat(32), scope: { kind: 'global' as const }, permission: 'edit' as const };
const DAY = 86_400_000;

let dir: string;
let store: Store;
let openssl: OpensslWorkdir;
before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'portcullis-portal-grace-'));
  store = await openStore({ kind: 'sqlite', file: path.join(dir, 'store.db') });
  openssl = new OpensslWorkdir();
});
after(async () => {
  openssl.remove();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

test('grace period: the replaced key lives until it ends, then the sweeper revokes it', async () => {
  let now = new Date('2026-03-01T00:00:00Z');
  const services = buildServices({
    store,
    box: new SecretBox(randomBytes(32)),
    publicPki: new PublicPki(),
    publicUrl: () => 'https://localhost:8443',
  });
  const access = new PortalAccessService({
    store,
    clientCertificates: services.clientCertificates,
    keys: services.keys,
    now: () => now,
  });
  const account = await services.tenancy.createAccount(OPERATOR, 'acme');
  const zone = await services.tenancy.createZone(OPERATOR, { name: 'acme.test', accountId: account.id });
  const api = await services.apis.create(OPERATOR, zone.id, {
    name: 'orders',
    hostname: 'api.acme.test',
    upstream_url: 'http://127.0.0.1:9',
    auth: { mode: 'mtls_dynamic' },
  });
  const policy = await services.policies.create(OPERATOR, account.id, {
    name: 'p',
    access_rights: [{ api_id: api.id }],
  });
  const product = await services.portal.products.create(OPERATOR, {
    account_id: account.id,
    name: 'Orders',
    api_ids: [api.id],
    policy_id: policy.id,
    approval_mode: 'automatic',
  });
  const developer = await services.portal.developers.createInvitation(OPERATOR, {});
  const signedUp = await services.portal.developers.signUp({
    email: 'dev@example.com',
    password: 'a long enough passphrase',
    invitation: developer.secret,
  });
  const app = await access.createApp(signedUp.id, { name: 'app' });
  const first = await access.requestAccess(signedUp.id, app.id, {
    product_id: product.id,
    credential: { kind: 'csr', csr: openssl.csr('p256', '/CN=one').csrPem },
  });
  const second = await access.rotate(signedUp.id, first.id, {
    credential: { kind: 'csr', csr: openssl.csr('p256', '/CN=two').csrPem },
    grace_days: 2,
  });
  assert.equal(second.status, 'approved');
  const keyOf = (id: string | null) => store.getKey(account.id, id ?? '');
  assert.ok((await keyOf(first.keyId)) !== undefined);

  now = new Date(now.getTime() + 2 * DAY - 60_000);
  assert.equal(await access.sweep(), 0, 'a minute before the end: still working');
  assert.ok((await keyOf(first.keyId)) !== undefined);

  now = new Date(now.getTime() + 60_000);
  assert.equal(await access.sweep(), 1);
  assert.equal(await keyOf(first.keyId), undefined, 'the old key is gone');
  assert.ok((await keyOf(second.keyId)) !== undefined, 'the new one stays');
  assert.equal((await store.getPortalAccessRequest(first.id))?.status, 'revoked');
  const oldCertificate = await store.getClientCertificate(zone.id, first.clientCertificateId ?? '');
  assert.equal(oldCertificate?.status, 'revoked', 'and its certificate is revoked (CRL, OCSP)');
  assert.equal(await access.sweep(), 0);

  // The expiry webhook names the developer and the app of a portal certificate.
  const owner = portalOwnerOf(store);
  const expiring = (id: string): ExpiringCertificate => ({
    kind: 'client',
    id,
    accountId: account.id,
    zoneId: zone.id,
    name: 'two',
    issuer: '',
    serialNumber: '',
    expiresOn: now.toISOString(),
    expired: false,
    daysRemaining: 3,
  });
  assert.deepEqual(await owner(expiring(second.clientCertificateId ?? '')), {
    developer: { id: signedUp.id, email: 'dev@example.com' },
    app: { id: app.id, name: 'app' },
  });
  assert.equal(await owner(expiring('00000000-0000-4000-8000-000000000000')), undefined);
});
