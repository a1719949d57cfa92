/**
 * The dashboard's front door against a real `serve` (SQLite): the app is served at /dashboard/ with
 * its security headers; sign-in with an API token in Chromium; the session cookie (HttpOnly,
 * SameSite=Strict) and nothing of the token in storage or the URL; CSRF on every state-changing
 * call; a revoked token ends its sessions; a read-only token stays read-only; sign-out; wrong
 * tokens rate-limited with a clear message. The Bearer-token API is unchanged alongside.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { createTenant, createToken, startAdminServer, type AdminServer } from '../helpers/admin-server.ts';
import {
  browserSkipReason,
  ensureDashboardBuilt,
  launchBrowser,
  openPage,
  screenshots,
  type WatchedPage,
} from '../helpers/browser.ts';

const skip = browserSkipReason();

/** Signs in over HTTP (as the page does) and returns the cookie header and the CSRF token. */
async function sessionFor(origin: string, token: string): Promise<{ cookie: string; csrf: string }> {
  const response = await fetch(`${origin}/dashboard/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token }),
  });
  assert.equal(response.status, 200, await response.clone().text());
  const setCookie = response.headers.get('set-cookie') ?? '';
  const body = (await response.json()) as { result: { csrf_token: string } };
  return { cookie: setCookie.split(';', 1)[0] ?? '', csrf: body.result.csrf_token };
}

describe('dashboard: serving, sign-in, session and CSRF', { skip }, () => {
  let server: AdminServer;
  let origin: string;
  let browser: Browser | undefined;
  let watched: WatchedPage;

  before(async () => {
    ensureDashboardBuilt();
    server = await startAdminServer();
    origin = new URL(server.baseUrl).origin;
    await createTenant(server, 'example.com');
    browser = await launchBrowser();
    watched = await openPage(browser);
  });

  after(async () => {
    await browser?.close();
    await (server as AdminServer | undefined)?.stop();
  });

  test('/dashboard/ serves the app with a strict CSP and no framing, no referrer, no sniffing', async () => {
    const redirect = await fetch(`${origin}/dashboard`, { redirect: 'manual' });
    assert.equal(redirect.status, 301);
    assert.equal(redirect.headers.get('location'), '/dashboard/');
    const response = await fetch(`${origin}/dashboard/`);
    assert.equal(response.status, 200);
    const html = await response.text();
    assert.match(html, /<script type="module" crossorigin src="\/dashboard\/assets\/[\w-]+\.js"><\/script>/);
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script');
    const csp = response.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.equal(response.headers.get('x-frame-options'), 'DENY');
    assert.equal(response.headers.get('referrer-policy'), 'no-referrer');
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(response.headers.get('cache-control'), 'no-store');
    const script = /src="(\/dashboard\/assets\/[\w-]+\.js)"/.exec(html)?.[1] ?? '';
    const asset = await fetch(origin + script);
    assert.equal(asset.status, 200);
    assert.match(asset.headers.get('cache-control') ?? '', /immutable/);
    assert.equal(asset.headers.get('x-content-type-options'), 'nosniff');
  });

  test('a wrong token is refused with the API message; the right one signs in', async () => {
    const { page } = watched;
    await page.goto(`${origin}/dashboard/`);
    await page.getByLabel('API token').fill('pcl_not-a-real-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'Invalid API Token' }).waitFor();
    await screenshots(page, 'sign-in-error');
    await page.getByLabel('API token').fill(server.adminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
    await page.getByRole('combobox', { name: 'Zone' }).waitFor();
    assert.equal((await page.getByRole('combobox', { name: 'Zone' }).inputValue()) !== '', true);
    assert.deepEqual(watched.takeProblems(), []);
  });

  test('the session is an HttpOnly SameSite=Strict cookie; the token is in no storage and no URL', async () => {
    const { page, context } = watched;
    const cookies = await context.cookies();
    assert.equal(cookies.length, 1);
    const [cookie] = cookies;
    assert.equal(cookie!.name, 'portcullis_session');
    assert.equal(cookie!.httpOnly, true);
    assert.equal(cookie!.sameSite, 'Strict');
    assert.equal(cookie!.path, '/');
    assert.ok(!cookie!.value.includes(server.adminToken));
    const storage = await page.evaluate<string>(
      'JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage })',
    );
    assert.ok(!storage.includes(server.adminToken), storage);
    assert.ok(!storage.includes('pcl_'), storage);
    assert.ok(!page.url().includes(server.adminToken));
    assert.equal(await page.evaluate<string>('document.cookie'), '', 'scripts cannot read the session cookie');
    await page.reload();
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
  });

  test('a state-changing API call on the session needs its CSRF token; GET does not', async () => {
    const { cookie, csrf } = await sessionFor(origin, server.adminToken);
    const zones = await fetch(`${server.baseUrl}/zones`, { headers: { cookie } });
    assert.equal(zones.status, 200);
    const create = (headers: Record<string, string>) =>
      fetch(`${server.baseUrl}/accounts`, {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ name: 'made through the session' }),
      });
    const refused = await create({});
    assert.equal(refused.status, 403);
    const body = (await refused.json()) as { errors: { code: number; message: string }[] };
    assert.equal(body.errors[0]?.code, 12182);
    assert.match(body.errors[0].message, /CSRF token/);
    const wrong = await create({ 'x-csrf-token': csrf.slice(0, -1) + (csrf.endsWith('A') ? 'B' : 'A') });
    assert.equal(wrong.status, 403);
    const accepted = await create({ 'x-csrf-token': csrf });
    assert.equal(accepted.status, 200);
    // The Bearer API is as it was: no CSRF token, no cookie.
    const bearer = await server.call('POST', '/accounts', { name: 'made with a bearer token' });
    assert.equal(bearer.status, 200);
    // Without a cookie and without a token: the Bearer API's own answer.
    const anonymous = await server.call('GET', '/zones', undefined, null);
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.body.errors[0]?.code, 9106);
    // A cookie that is not a session of ours.
    const forged = await fetch(`${server.baseUrl}/zones`, { headers: { cookie: 'portcullis_session=v1%3AAAAA' } });
    assert.equal(forged.status, 401);
  });

  test('a session has exactly its token’s permissions, and ends when the token is revoked', async () => {
    const readSecret = await createToken(server, 'read');
    const { cookie, csrf } = await sessionFor(origin, readSecret);
    const listed = await fetch(`${server.baseUrl}/zones`, { headers: { cookie } });
    assert.equal(listed.status, 200);
    const write = await fetch(`${server.baseUrl}/accounts`, {
      method: 'POST',
      headers: { cookie, 'x-csrf-token': csrf, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'not allowed' }),
    });
    assert.equal(write.status, 403);
    const tokens = await server.call<{ id: string; name: string }[]>('GET', '/user/tokens');
    const readToken = tokens.body.result.find((token) => token.name === 'read token');
    assert.ok(readToken);
    assert.equal((await server.call('DELETE', `/user/tokens/${readToken.id}`)).status, 200);
    const afterRevoke = await fetch(`${server.baseUrl}/zones`, { headers: { cookie } });
    assert.equal(afterRevoke.status, 401);
    const body = (await afterRevoke.json()) as { errors: { code: number }[] };
    assert.equal(body.errors[0]?.code, 12181);
  });

  test('sign-out returns to the sign-in page and the page no longer reaches the API', async () => {
    const { page, context } = watched;
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByText('You have signed out.').waitFor();
    assert.deepEqual(await context.cookies(), []);
    await screenshots(page, 'sign-in');
    const status = await page.evaluate<number>("fetch('/client/v4/zones').then((response) => response.status)");
    assert.equal(status, 401);
    assert.deepEqual(watched.takeProblems(), []);
  });

  test('sign-out needs the CSRF token, so another site cannot sign an operator out', async () => {
    const { cookie, csrf } = await sessionFor(origin, server.adminToken);
    const refused = await fetch(`${origin}/dashboard/api/session`, { method: 'DELETE', headers: { cookie } });
    assert.equal(refused.status, 403);
    const done = await fetch(`${origin}/dashboard/api/session`, {
      method: 'DELETE',
      headers: { cookie, 'x-csrf-token': csrf },
    });
    assert.equal(done.status, 200);
    assert.match(done.headers.get('set-cookie') ?? '', /portcullis_session=;/);
  });

  test('wrong tokens are rate-limited per address with a clear message, the right token too meanwhile', async () => {
    let throttled: Response | undefined;
    for (let attempt = 0; attempt < 6 && throttled === undefined; attempt++) {
      const response = await fetch(`${origin}/dashboard/api/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token: `pcl_wrong-${attempt}` }),
      });
      if (response.status === 429) throttled = response;
      else assert.equal(response.status, 401);
    }
    assert.ok(throttled, 'refused with 429 after at most 5 wrong tokens');
    const body = (await throttled.json()) as { errors: { code: number; message: string }[] };
    assert.equal(body.errors[0]?.code, 12180);
    assert.match(body.errors[0].message, /Too many failed sign-ins from this address: try again in \d+ seconds/);
    assert.ok(Number(throttled.headers.get('retry-after')) > 0);
    const right = await fetch(`${origin}/dashboard/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: server.adminToken }),
    });
    assert.equal(right.status, 429);
    // The page shows the API's message.
    const { page } = watched;
    await page.getByLabel('API token').fill(server.adminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'Too many failed sign-ins' }).waitFor();
    // The Bearer API is not affected.
    assert.equal((await server.call('GET', '/zones')).status, 200);
  });
});
