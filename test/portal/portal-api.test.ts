/**
 * The developer portal's JSON API over its own TLS listener, against a real `serve` (SQLite), the
 * managed CA and real mTLS requests to the gateway: sign-up modes, sessions and CSRF, the sign-in
 * lock, the CSR and bring-your-own-certificate options each to a 200, bad input refused with a clear
 * message and nothing stored, isolation between developers, rotation with a grace period, and
 * revoking one's own certificate taking effect on an open connection.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { OpensslWorkdir } from '../helpers/openssl.ts';
import { createCa } from '../helpers/pki.ts';
import { keptAlive } from '../helpers/uploaded-ca.ts';
import {
  DeveloperClient,
  errorCodeOf,
  HOST,
  invitedDeveloper,
  PASSWORD,
  startPortalWorld,
  type PortalWorld,
} from './portal-fixture.ts';

interface RequestView {
  id: string;
  status: string;
  message: string;
  key_id: string | null;
  certificate_pem: string | null;
  revoke_after: string | null;
}

describe('portal API: real serve, real TLS, real mTLS', () => {
  let world: PortalWorld;
  let openssl: OpensslWorkdir;

  before(async () => {
    world = await startPortalWorld();
    openssl = new OpensslWorkdir();
  });
  after(async () => {
    openssl.remove();
    await world.stop();
  });

  const newApp = async (developer: DeveloperClient, name = 'my app'): Promise<string> =>
    (await developer.ok<{ id: string }>('POST', '/api/apps', { name })).id;

  const requestsOf = async (developer: DeveloperClient, appId: string): Promise<RequestView[]> =>
    (await developer.ok<{ requests: RequestView[] }>('GET', `/api/apps/${appId}`)).requests;

  test('sign-up: invite-only by default; an invitation works once; approval mode waits for the operator', async () => {
    const stranger = new DeveloperClient(world);
    const refused = await stranger.call('POST', '/api/signup', { email: 'x@example.com', password: PASSWORD });
    assert.equal(refused.status, 403);
    assert.equal(errorCodeOf(refused), 12234);
    assert.match(refused.body.errors[0]?.message ?? '', /invitation/);

    const invitation = await world.ok<{ secret: string; url: string }>('POST', '/portal/invitations', {});
    assert.match(invitation.url, /^https:\/\/127\.0\.0\.1:\d+\/#\/invitation\//);
    const first = new DeveloperClient(world);
    await first.ok('POST', '/api/signup', {
      email: 'once@example.com',
      password: PASSWORD,
      invitation: invitation.secret,
    });
    const again = await new DeveloperClient(world).call('POST', '/api/signup', {
      email: 'twice@example.com',
      password: PASSWORD,
      invitation: invitation.secret,
    });
    assert.equal(again.status, 400);
    assert.equal(errorCodeOf(again), 12236, 'an invitation is used once');

    const short = await new DeveloperClient(world).call('POST', '/api/signup', {
      email: 'short@example.com',
      password: 'short',
      invitation: invitation.secret,
    });
    assert.equal(short.status, 400);
    assert.match(short.body.errors[0]?.message ?? '', /at least 12 characters/);

    await world.ok('PUT', '/portal/settings', { signup_mode: 'approval' });
    try {
      const waiting = new DeveloperClient(world);
      const signedUp = await waiting.ok<{ developer: { id: string; status: string } }>('POST', '/api/signup', {
        email: 'waiting@example.com',
        password: PASSWORD,
      });
      assert.equal(signedUp.developer.status, 'pending');
      assert.equal(waiting.cookie, '', 'no session while pending');
      const early = await waiting.call('POST', '/api/session', { email: 'waiting@example.com', password: PASSWORD });
      assert.equal(early.status, 403);
      assert.match(early.body.errors[0]?.message ?? '', /approval/);
      await world.ok('PATCH', `/portal/developers/${signedUp.developer.id}`, { status: 'active' });
      await waiting.ok('POST', '/api/session', { email: 'waiting@example.com', password: PASSWORD });
      assert.match(waiting.cookie, /^portcullis_portal_session=/);
    } finally {
      await world.ok('PUT', '/portal/settings', { signup_mode: 'invite' });
    }
  });

  test('session cookie is HttpOnly, Secure, SameSite=Strict; changes need the CSRF token and a same-site Origin', async () => {
    const invitation = await world.ok<{ secret: string }>('POST', '/portal/invitations', {});
    const developer = new DeveloperClient(world);
    const signedUp = await developer.call('POST', '/api/signup', {
      email: 'cookie@example.com',
      password: PASSWORD,
      invitation: invitation.secret,
    });
    const cookie = String(signedUp.headers['set-cookie']);
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /Secure/);
    assert.match(cookie, /SameSite=Strict/);
    const withoutToken = await developer.call('POST', '/api/apps', { name: 'x' }, { csrf: null });
    assert.equal(withoutToken.status, 403);
    assert.equal(errorCodeOf(withoutToken), 12231);
    const wrongToken = await developer.call('POST', '/api/apps', { name: 'x' }, { csrf: 'A'.repeat(43) });
    assert.equal(wrongToken.status, 403);
    const crossSite = await developer.call(
      'POST',
      '/api/apps',
      { name: 'x' },
      { headers: { origin: 'https://evil.example' } },
    );
    assert.equal(crossSite.status, 403);
    assert.deepEqual(await developer.ok('GET', '/api/apps'), [], 'nothing was created');
    const form = await developer.call('POST', '/api/apps', undefined, {
      raw: 'name=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(form.status, 415, 'a cross-site form cannot post here');
    const anonymous = await new DeveloperClient(world).call('GET', '/api/apps');
    assert.equal(anonymous.status, 401);
    assert.equal(errorCodeOf(anonymous), 12230);
    const page = await developer.call('GET', '/');
    assert.match(String(page.headers['content-security-policy']), /script-src 'self'/);
    assert.match(String(page.headers['strict-transport-security']), /max-age=/);
    assert.equal(page.headers['x-frame-options'], 'DENY');
    await developer.ok('DELETE', '/api/session');
    assert.equal(developer.cookie, '');
  });

  test('ten wrong passwords lock the account for a while, the right one included, with a clear message', async () => {
    await invitedDeveloper(world, 'locked@example.com');
    const guesser = new DeveloperClient(world);
    for (let attempt = 1; attempt <= 10; attempt += 1) {
      const wrong = await guesser.call('POST', '/api/session', {
        email: 'locked@example.com',
        password: `wrong ${attempt}`,
      });
      assert.equal(wrong.status, 401, `attempt ${attempt}`);
      assert.equal(wrong.body.errors[0]?.message, 'Wrong email or password');
    }
    const locked = await guesser.call('POST', '/api/session', { email: 'locked@example.com', password: PASSWORD });
    assert.equal(locked.status, 429);
    assert.equal(errorCodeOf(locked), 12233);
    assert.match(locked.body.errors[0]?.message ?? '', /locked, try again in \d+ seconds/);
    assert.ok(Number(locked.headers['retry-after']) > 0);
    assert.equal(guesser.cookie, '');
    const unknown = await guesser.call('POST', '/api/session', { email: 'nobody@example.com', password: PASSWORD });
    assert.equal(unknown.status, 401, 'an unknown email gets the same answer as a wrong password');
    assert.equal(unknown.body.errors[0]?.message, 'Wrong email or password');
  });

  test('CSR option: pending → operator approves with a message → the certificate gets 200; others do not', async () => {
    const developer = await invitedDeveloper(world, 'csr@example.com');
    const appId = await newApp(developer);
    const { csrPem, keyPem } = openssl.csr('p256', '/CN=csr-app');
    const pending = await developer.ok<RequestView>('POST', `/api/apps/${appId}/requests`, {
      product_id: world.ordersProductId,
      credential: { kind: 'csr', csr: csrPem },
    });
    assert.equal(pending.status, 'pending');
    assert.equal(pending.certificate_pem, null);
    const listed = await world.ok<{ id: string }[]>('GET', '/portal/access_requests?status=pending');
    assert.ok(listed.some((entry) => entry.id === pending.id));
    const approved = await world.ok<RequestView>('POST', `/portal/access_requests/${pending.id}/approve`, {
      message: 'welcome aboard',
    });
    assert.equal(approved.status, 'approved');
    const mine = (await requestsOf(developer, appId))[0];
    assert.ok(mine !== undefined);
    assert.equal(mine.message, 'welcome aboard');
    const certPem = mine.certificate_pem ?? '';
    assert.match(certPem, /BEGIN CERTIFICATE/);
    const ok = await world.callApi('/orders/1', { certPem, keyPem });
    assert.equal(ok.status, 200, ok.body);

    // A different valid certificate (same managed CA, no key bound): authenticated, not authorized,
    // 403. One of an untrusted CA: 403 too. No certificate at all: 401.
    const other = openssl.csr('p256', '/CN=not-bound');
    const issued = await world.ok<{ certificate: string }>('POST', `/zones/${world.zoneId}/client_certificates`, {
      csr: other.csrPem,
      validity_days: 7,
    });
    const unbound = await world.callApi('/orders/1', { certPem: issued.certificate, keyPem: other.keyPem });
    assert.equal(unbound.status, 403, unbound.body);
    assert.equal(unbound.json<{ error: { code: string } }>().error.code, 'GW_ERR_CERT_NO_KEY');
    const stranger = await (await createCa('CN=Untrusted')).issue({ subject: 'CN=stranger' });
    assert.equal((await world.callApi('/orders/1', stranger)).status, 403);
    const anonymous = await world.callApi('/orders/1');
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.json<{ error: { code: string } }>().error.code, 'GW_ERR_CERT_MISSING');
    // The product's policy: orders and billing; nothing else was granted.
    const download = await developer.call('GET', `/api/requests/${mine.id}/certificate`);
    assert.equal(download.status, 200);
    assert.equal(download.text, certPem);
    assert.doesNotMatch(download.text, /PRIVATE KEY/);
  });

  test('bring your own certificate (own CA, bound by public key): automatic approval → 200', async () => {
    const developer = await invitedDeveloper(world, 'byo@example.com');
    const appId = await newApp(developer);
    const leaf = await world.ownCa.issue({ subject: 'CN=byo-device' });
    const approved = await developer.ok<RequestView>('POST', `/api/apps/${appId}/requests`, {
      product_id: world.billingProductId,
      credential: { kind: 'certificate', certificate: leaf.certPem, bind_to: 'spki' },
    });
    assert.equal(approved.status, 'approved');
    assert.equal((await world.callApi('/billing/x', leaf)).status, 200);
    const denied = await world.callApi('/orders/x', leaf);
    assert.equal(denied.status, 403, "the billing product's policy does not reach orders");
  });

  test('bad input: each refused with a clear message, nothing stored', async () => {
    const developer = await invitedDeveloper(world, 'bad@example.com');
    const appId = await newApp(developer);
    const submit = (credential: Record<string, unknown>) =>
      developer.call('POST', `/api/apps/${appId}/requests`, { product_id: world.billingProductId, credential });

    const good = openssl.csr('p256', '/CN=tampered');
    const lines = good.csrPem.trim().split('\n');
    const body = lines.slice(1, -1).join('');
    const der = Buffer.from(body, 'base64');
    der[der.length - 5] = der[der.length - 5]! ^ 0x01; // inside the signature
    const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END CERTIFICATE REQUEST-----\n`;
    const rsa1024 = openssl.csr('rsa1024', '/CN=weak').csrPem;
    const p192 = openssl.newCsr('p192', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime192v1'], '/CN=p192');
    const caCert = (await createCa('CN=Pasted CA')).certPem;
    const expired = await world.ownCa.issue({
      subject: 'CN=expired',
      notBefore: new Date(Date.now() - 10 * 86_400_000),
      notAfter: new Date(Date.now() - 86_400_000),
    });
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ['CSR with a bad signature', { kind: 'csr', csr: tampered }, /signature does not verify/],
      ['RSA-1024 CSR', { kind: 'csr', csr: rsa1024 }, /RSA.*1024|2048/],
      ['P-192 CSR', { kind: 'csr', csr: p192 }, /not accepted/],
      ['a CA certificate as a leaf', { kind: 'certificate', certificate: caCert }, /CA certificate/],
      ['an expired certificate', { kind: 'certificate', certificate: expired.certPem }, /expired/],
      ['a private key pasted', { kind: 'certificate', certificate: expired.keyPem }, /private key/],
    ];
    for (const [what, credential, message] of cases) {
      const refused = await submit(credential);
      assert.equal(refused.status, 400, `${what}: ${refused.text}`);
      assert.match(refused.body.errors[0]?.message ?? '', message, what);
    }
    const huge = await developer.call('POST', `/api/apps/${appId}/requests`, {
      product_id: world.billingProductId,
      credential: { kind: 'csr', csr: 'A'.repeat(1024 * 1024) },
    });
    assert.equal(huge.status, 413);
    assert.match(huge.body.errors[0]?.message ?? '', /larger than 64 KiB/);
    assert.deepEqual(await requestsOf(developer, appId), [], 'nothing was stored');

    const hostile = '<img src=x onerror="alert(1)"><script>alert(2)</script>';
    const app = await developer.ok<{ name: string }>('POST', '/api/apps', { name: hostile });
    assert.equal(app.name, hostile, 'kept as text (the pages show it as text)');
    const control = await developer.call('POST', '/api/apps', { name: 'a\u0000b' });
    assert.equal(control.status, 400);
  });

  test("isolation: developer B cannot read, change or use anything of A's", async () => {
    const alice = await invitedDeveloper(world, 'alice@example.com');
    const bob = await invitedDeveloper(world, 'bob@example.com');
    const aliceApp = await newApp(alice, 'alice app');
    const { csrPem, keyPem } = openssl.csr('p256', '/CN=alice');
    const aliceRequest = await alice.ok<RequestView>('POST', `/api/apps/${aliceApp}/requests`, {
      product_id: world.billingProductId,
      credential: { kind: 'csr', csr: csrPem },
    });
    assert.equal(aliceRequest.status, 'approved');
    const aliceCert = (await requestsOf(alice, aliceApp))[0]?.certificate_pem ?? '';

    assert.deepEqual(await bob.ok('GET', '/api/apps'), []);
    const probes: [string, string, unknown][] = [
      ['GET', `/api/apps/${aliceApp}`, undefined],
      [
        'POST',
        `/api/apps/${aliceApp}/requests`,
        { product_id: world.billingProductId, credential: { kind: 'csr', csr: openssl.csr('p256', '/CN=b').csrPem } },
      ],
      ['GET', `/api/requests/${aliceRequest.id}/certificate`, undefined],
      ['POST', `/api/requests/${aliceRequest.id}/revoke`, undefined],
      [
        'POST',
        `/api/requests/${aliceRequest.id}/rotate`,
        { credential: { kind: 'csr', csr: openssl.csr('p256', '/CN=b2').csrPem }, grace_days: 0 },
      ],
      ['GET', `/api/apps/${'0'.repeat(32)}`, undefined],
    ];
    for (const [method, path, body] of probes) {
      const response = await bob.call(method, path, body);
      assert.equal(response.status, 404, `${method} ${path}: ${response.text}`);
      assert.equal(errorCodeOf(response), 12239);
    }
    // Bob cannot take Alice's certificate as his own: it is bound already.
    const bobApp = await newApp(bob, 'bob app');
    const stolen = await bob.call('POST', `/api/apps/${bobApp}/requests`, {
      product_id: world.billingProductId,
      credential: { kind: 'certificate', certificate: aliceCert },
    });
    assert.equal(stolen.status, 400);
    assert.match(stolen.body.errors[0]?.message ?? '', /already bound/);
    // Nothing of Alice's changed: her credential still works, and Bob has nothing.
    assert.equal((await world.callApi('/billing/a', { certPem: aliceCert, keyPem })).status, 200);
    assert.equal((await requestsOf(alice, aliceApp))[0]?.status, 'approved');
    assert.deepEqual(await requestsOf(bob, bobApp), []);
    // The management API is not on the portal listener.
    assert.equal((await bob.call('GET', '/client/v4/accounts')).status, 404);
  });

  test('rotation: the old certificate works through the grace period; with 0 days it ends at once', async () => {
    const developer = await invitedDeveloper(world, 'rotate@example.com');
    const appId = await newApp(developer);
    const first = openssl.csr('p256', '/CN=gen1');
    const gen1 = await developer.ok<RequestView>('POST', `/api/apps/${appId}/requests`, {
      product_id: world.billingProductId,
      credential: { kind: 'browser_key', csr: first.csrPem },
    });
    const cert1 = (await requestsOf(developer, appId)).find((r) => r.id === gen1.id)?.certificate_pem ?? '';
    const second = openssl.csr('p256', '/CN=gen2');
    const tooLong = await developer.call('POST', `/api/requests/${gen1.id}/rotate`, {
      credential: { kind: 'csr', csr: second.csrPem },
      grace_days: 31,
    });
    assert.equal(tooLong.status, 400);
    assert.match(tooLong.body.errors[0]?.message ?? '', /0 to 30/);
    const gen2 = await developer.ok<RequestView>('POST', `/api/requests/${gen1.id}/rotate`, {
      credential: { kind: 'csr', csr: second.csrPem },
      grace_days: 3,
    });
    assert.equal(gen2.status, 'approved');
    const all = await requestsOf(developer, appId);
    const old = all.find((r) => r.id === gen1.id);
    assert.ok(old !== undefined);
    const cert2 = all.find((r) => r.id === gen2.id)?.certificate_pem ?? '';
    assert.equal(old.status, 'approved');
    const graceEnds = Date.parse(old.revoke_after ?? '');
    assert.ok(Math.abs(graceEnds - (Date.now() + 3 * 86_400_000)) < 60_000, 'revoked after 3 days');
    assert.equal((await world.callApi('/billing/1', { certPem: cert1, keyPem: first.keyPem })).status, 200);
    assert.equal((await world.callApi('/billing/1', { certPem: cert2, keyPem: second.keyPem })).status, 200);

    const third = openssl.csr('p256', '/CN=gen3');
    await developer.ok('POST', `/api/requests/${gen2.id}/rotate`, {
      credential: { kind: 'csr', csr: third.csrPem },
      grace_days: 0,
    });
    assert.notEqual((await world.callApi('/billing/1', { certPem: cert2, keyPem: second.keyPem })).status, 200);
    assert.equal((await requestsOf(developer, appId)).find((r) => r.id === gen2.id)?.status, 'revoked');
  });

  test("revoking one's own certificate takes effect on an open connection", async () => {
    const developer = await invitedDeveloper(world, 'revoke@example.com');
    const appId = await newApp(developer);
    const { csrPem, keyPem } = openssl.csr('p256', '/CN=revoke-me');
    const approved = await developer.ok<RequestView>('POST', `/api/apps/${appId}/requests`, {
      product_id: world.billingProductId,
      credential: { kind: 'csr', csr: csrPem },
    });
    const certPem = (await requestsOf(developer, appId))[0]?.certificate_pem ?? '';
    const client = keptAlive(world.server, HOST, { certPem, keyPem } as never);
    try {
      const before = await client.get('/billing/1');
      assert.equal(before.status, 200);
      await developer.ok('POST', `/api/requests/${approved.id}/revoke`);
      const afterRevoke = await client.get('/billing/2');
      assert.equal(afterRevoke.socket, before.socket, 'the same connection');
      assert.notEqual(afterRevoke.status, 200);
    } finally {
      client.close();
    }
    const again = await developer.call('POST', `/api/requests/${approved.id}/revoke`);
    assert.equal(again.status, 409);
  });

  test('certificates ending within 30 days are listed as expiring, and flagged on the app page', async () => {
    const shortLived = await world.ok<{ id: string }>('POST', '/portal/products', {
      account_id: world.accountId,
      name: 'Short-lived',
      api_ids: [world.billingApiId],
      policy_id: world.policyId,
      approval_mode: 'automatic',
      validity_days: 7,
    });
    const developer = await invitedDeveloper(world, 'expiring@example.com');
    const appId = await newApp(developer);
    assert.deepEqual(await developer.ok('GET', '/api/expiring'), []);
    const approved = await developer.ok<RequestView>('POST', `/api/apps/${appId}/requests`, {
      product_id: shortLived.id,
      credential: { kind: 'csr', csr: openssl.csr('p256', '/CN=short').csrPem },
    });
    const expiring = await developer.ok<{ id: string }[]>('GET', '/api/expiring');
    assert.deepEqual(
      expiring.map((r) => r.id),
      [approved.id],
    );
    const detail = await developer.ok<{ requests: { expiring_soon: boolean }[] }>('GET', `/api/apps/${appId}`);
    assert.equal(detail.requests[0]?.expiring_soon, true);
  });

  test('a password change ends the other sessions; a reset link from the operator works once', async () => {
    const laptop = await invitedDeveloper(world, 'password@example.com');
    const phone = new DeveloperClient(world);
    await phone.ok('POST', '/api/session', { email: 'password@example.com', password: PASSWORD });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const wrongCurrent = await laptop.call('POST', '/api/password', {
      current_password: 'nope nope nope',
      new_password: 'another long passphrase',
    });
    assert.equal(wrongCurrent.status, 400);
    await laptop.ok('POST', '/api/password', { current_password: PASSWORD, new_password: 'another long passphrase' });
    assert.equal((await laptop.call('GET', '/api/apps')).status, 200, 'this session goes on');
    assert.equal((await phone.call('GET', '/api/apps')).status, 401, 'the other one ended');

    const developers = await world.ok<{ id: string; email: string }[]>('GET', '/portal/developers');
    const id = developers.find((d) => d.email === 'password@example.com')?.id ?? '';
    const reset = await world.ok<{ secret: string }>('POST', `/portal/developers/${id}/password_reset`, {});
    const anyone = new DeveloperClient(world);
    await anyone.ok('POST', '/api/password_reset', { secret: reset.secret, password: 'a third long passphrase' });
    const reused = await anyone.call('POST', '/api/password_reset', {
      secret: reset.secret,
      password: 'a fourth long passphrase',
    });
    assert.equal(reused.status, 400);
    await anyone.ok('POST', '/api/session', { email: 'password@example.com', password: 'a third long passphrase' });
  });
  // Last: it locks sign-up from this address for the rest of the window.
  test('sign-up attempts are limited per address (each one may cost a password hash)', async () => {
    const stranger = new DeveloperClient(world);
    // The other tests' sign-ups from this address count too: at most 100 in all, then 429.
    let attempts = 0;
    let last = await stranger.call('POST', '/api/signup', { email: 's@example.com', password: PASSWORD });
    while (last.status === 403 && attempts < 100) {
      attempts += 1;
      last = await stranger.call('POST', '/api/signup', { email: `s${attempts}@example.com`, password: PASSWORD });
    }
    const throttled = last;
    assert.equal(throttled.status, 429, throttled.text);
    assert.ok(attempts > 50, `refused (403) up to the limit first: ${attempts}`);
    assert.match(
      throttled.body.errors[0]?.message ?? '',
      /Too many sign-ups from this address: try again in \d+ seconds/,
    );
  });
});
