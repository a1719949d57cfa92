/**
 * The developer portal in a real browser (Debian's Chromium through playwright-core) against a
 * real `serve` with the portal on its own TLS listener: a developer invited by the operator signs
 * up, creates an app, requests access with a key made in the browser (only the CSR is sent), the
 * operator approves through the API, the page offers the PKCS#12 file, and curl with it gets 200
 * from the API while other valid certificates are refused. Also: a hostile app name shown as text
 * (never run), a weak CSR refused with the server's message, another developer's app not shown,
 * the sign-in lock after ten wrong passwords, and a screenshot of every page. The pages are also
 * measured where a reader would notice: the usage chart fills its card and its day labels do not
 * run into each other, the legend names only series with data, the curl line names the gateway's
 * public URL and the file the page gave, and it copies.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import {
  browserSkipReason,
  ensureDashboardBuilt,
  launchBrowser,
  SCREENSHOT_DIR,
  screenshots,
} from '../helpers/browser.ts';
import { OpensslWorkdir } from '../helpers/openssl.ts';
import { createCa } from '../helpers/pki.ts';
import {
  DeveloperClient,
  HOST,
  PASSWORD,
  invitedDeveloper,
  startPortalWorld,
  type PortalWorld,
} from './portal-fixture.ts';
import { ensurePortalBuilt } from './portal-build.ts';

const skip = browserSkipReason();
const HOSTILE = '<img src=x onerror="window.__xss=1">';
const run = promisify(execFile);
/** As deployed: the gateway behind its public name on 443, whatever port this test's process got. */
const PUBLIC_URL = 'https://gateway.example.net';
const WIDTHS = [1280, 390] as const;

/** How the usage chart sits in its card at the page's current width. */
async function chartLayout(page: Page): Promise<{
  chartWidth: number;
  cardWidth: number;
  cardRight: number;
  days: number;
  labels: { x: number; width: number; height: number }[];
  legend: (string | null)[];
}> {
  // Found by what a reader sees (the card titled Usage, its picture), whatever the markup inside.
  const card = page.locator('.card', { has: page.getByRole('heading', { name: 'Usage' }) });
  const chart = card.getByRole('img').first();
  const chartBox = await chart.boundingBox();
  const cardBox = await card.boundingBox();
  assert.ok(chartBox !== null && cardBox !== null, 'the chart and its card are on the page');
  const labels: { x: number; width: number; height: number }[] = [];
  const spans = await page.locator('.usage-days li > span').all();
  for (const span of spans) {
    const box = await span.boundingBox();
    if (box !== null && (await span.isVisible())) labels.push({ x: box.x, width: box.width, height: box.height });
  }
  const legend = await Promise.all(
    (await page.locator('.usage-legend [data-series]').all()).map((item) => item.getAttribute('data-series')),
  );
  return {
    chartWidth: chartBox.width,
    cardWidth: cardBox.width,
    cardRight: cardBox.x + cardBox.width,
    days: spans.length,
    labels,
    legend,
  };
}

/** The chart spans its card (less the card's padding and border); every day is labelled, inside the card, and no label touches the next. */
async function assertChartReadable(page: Page): Promise<(string | null)[]> {
  let legend: (string | null)[] = [];
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: 900 });
    const layout = await chartLayout(page);
    assert.ok(
      layout.cardWidth - layout.chartWidth <= 2 * 17 + 1,
      `at ${width} px the chart is ${layout.chartWidth} px wide in a ${layout.cardWidth} px card`,
    );
    assert.equal(layout.labels.length, layout.days, `at ${width} px every day is labelled`);
    for (const [index, label] of layout.labels.entries()) {
      assert.ok(label.height >= 13, `at ${width} px a day label is ${label.height} px tall`);
      assert.ok(label.x + label.width <= layout.cardRight - 16, `at ${width} px day label ${index} leaves the card`);
      const next = layout.labels[index + 1];
      if (next !== undefined) {
        assert.ok(label.x + label.width + 4 <= next.x, `at ${width} px day labels ${index} and ${index + 1} touch`);
      }
    }
    legend = layout.legend;
  }
  await page.setViewportSize({ width: 1280, height: 900 });
  return legend;
}

describe('portal in the browser: the whole journey', { skip }, () => {
  let world: PortalWorld;
  let browser: Browser;
  let openssl: OpensslWorkdir;
  const problems: string[] = [];

  const newPage = async (): Promise<Page> => {
    // The portal's certificate is from the gateway's edge CA, which this browser profile does not know.
    const context = await browser.newContext({
      viewport: { width: 1280, height: 900 },
      acceptDownloads: true,
      ignoreHTTPSErrors: true,
    });
    // The curl line's copy button writes to the clipboard; the test reads it back.
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(portalUrl()).origin });
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() !== 'error') return;
      if (/Failed to load resource: the server responded with a status of 4\d\d/.test(message.text())) return;
      problems.push(`console: ${message.text()}`);
    });
    return page;
  };
  const shoot = (page: Page, name: string) => screenshots(page, `portal/${name}`);
  const portalUrl = (): string => `https://localhost:${world.portalPort}/`;

  before(async () => {
    ensurePortalBuilt();
    ensureDashboardBuilt();
    mkdirSync(path.join(SCREENSHOT_DIR, 'portal'), { recursive: true });
    world = await startPortalWorld({ flags: { publicUrl: PUBLIC_URL } });
    browser = await launchBrowser();
    openssl = new OpensslWorkdir();
  });
  after(async () => {
    openssl.remove();
    await browser.close();
    await world.stop();
  });

  test('sign up by invitation → in-browser key → operator approves → PKCS#12 → curl gets 200; others refused', async () => {
    const invitation = await world.ok<{ secret: string }>('POST', '/portal/invitations', {
      email: 'journey@example.com',
    });
    const page = await newPage();
    await page.goto(`${portalUrl()}#/invitation/${invitation.secret}`);
    await page.getByRole('heading', { name: 'You are invited: create your account' }).waitFor();
    assert.equal(await page.getByLabel('Email').inputValue(), 'journey@example.com', 'the invitation names the email');
    await page.getByLabel('Name (optional)').fill('Jo Developer');
    await page.getByLabel('Password').fill(PASSWORD);
    await shoot(page, 'invitation');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { name: 'My apps' }).waitFor();
    await page.getByText('No app yet').waitFor();
    await shoot(page, 'apps-empty');

    await page.getByLabel('App name').fill(HOSTILE);
    await page.getByRole('button', { name: 'Create app' }).click();
    await page.getByRole('heading', { name: HOSTILE }).waitFor();
    assert.equal(await page.evaluate(() => (globalThis as unknown as { __xss?: number }).__xss), undefined);

    const posted: string[] = [];
    page.on('request', (sent) => {
      if (sent.method() === 'POST') posted.push(sent.postData() ?? '');
    });
    await page.getByLabel('Product').selectOption({ label: 'Orders (approved by the operator)' });
    await shoot(page, 'request-access');
    await page.getByRole('button', { name: 'Request access' }).click();
    await page.getByText('Access to Orders requested: the operator decides').waitFor();
    const sentCsr = posted.find((body) => body.includes('CERTIFICATE REQUEST'));
    assert.ok(sentCsr !== undefined, 'the CSR was posted');
    assert.doesNotMatch(sentCsr, /PRIVATE KEY/, 'only the CSR leaves the page');
    await shoot(page, 'app-pending');

    const downloadNamed = async (button: string): Promise<{ path: string; name: string }> => {
      const [file] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: button }).click(),
      ]);
      return { path: await file.path(), name: file.suggestedFilename() };
    };
    const downloadOf = async (button: string): Promise<string> => (await downloadNamed(button)).path;
    const keyPath = await downloadOf('Private key (PEM)');
    assert.match(readFileSync(keyPath, 'utf8'), /^-----BEGIN PRIVATE KEY-----/);

    const pending = await world.ok<{ id: string }[]>('GET', '/portal/access_requests?status=pending');
    assert.equal(pending.length, 1);
    await world.ok('POST', `/portal/access_requests/${pending[0]?.id ?? ''}/approve`, { message: 'Welcome, Jo' });
    // The page looks again while a request is pending, and offers the PKCS#12 file once approved.
    await page.getByLabel('PKCS#12 passphrase').waitFor();
    await page.getByText('Welcome, Jo').waitFor();
    await page.getByLabel('PKCS#12 passphrase').fill('correct horse battery');
    const p12 = await downloadNamed('Download PKCS#12 (.p12)');
    const p12Path = p12.path;
    const certPath = await downloadOf('Certificate (PEM)');
    await page.getByText('curl --cert-type P12').waitFor();
    // The line a developer copies: the file the page just gave them, the API on the gateway's public
    // URL (443: no port), never the port this test's gateway happens to listen on.
    const curlLine = (await page.locator('.command code').first().textContent()) ?? '';
    assert.equal(curlLine, `curl --cert-type P12 --cert ${p12.name}:PASSPHRASE https://${HOST}/orders/`);
    await page.getByRole('button', { name: 'Copy command' }).first().click();
    await page.getByRole('button', { name: 'Copied' }).waitFor();
    assert.equal(await page.evaluate('navigator.clipboard.readText()'), curlLine, 'the copy button copies the line');
    // The operator's message sits with the card's other lines, not in a band of empty space.
    const requestCard = page.locator('.request-card', { hasText: 'Welcome, Jo' });
    const message = await requestCard.locator('p', { hasText: 'Welcome, Jo' }).boundingBox();
    const requested = await requestCard.locator('p', { hasText: /^Requested / }).boundingBox();
    assert.ok(message !== null && requested !== null);
    const gap = Math.max(message.y - (requested.y + requested.height), requested.y - (message.y + message.height));
    assert.ok(gap <= 16, `${gap} px between the message and the line next to it`);
    // No request has been made yet: a line says so, no empty chart, no legend of series without data.
    await page.getByText(/^No requests in the last 14 days/).waitFor();
    assert.equal(await page.locator('.usage-legend').count(), 0);
    assert.equal(await page.getByText(/orange/).count(), 0);
    await shoot(page, 'app-approved');

    const { stdout: status } = await run('curl', [
      '-s',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      '--cacert',
      path.join(world.server.dataDir, 'edge-ca.pem'),
      '--resolve',
      `${HOST}:${world.server.gatewayPort}:127.0.0.1`,
      '--cert-type',
      'P12',
      '--cert',
      `${p12Path}:correct horse battery`,
      `https://${HOST}:${world.server.gatewayPort}/orders/1`,
      '--max-time',
      '20',
    ]);
    assert.equal(status, '200');
    const certPem = readFileSync(certPath, 'utf8');
    const keyPem = readFileSync(keyPath, 'utf8');
    assert.equal((await world.callApi('/orders/2', { certPem, keyPem })).status, 200, 'Node with the PEM files too');
    const stranger = await (await createCa('CN=Someone Else')).issue({ subject: 'CN=someone' });
    assert.equal((await world.callApi('/orders/1', stranger)).status, 403, 'a valid certificate of another CA');
    assert.equal((await world.callApi('/orders/1')).status, 401, 'no certificate');

    // A weak CSR pasted: the server's message, nothing requested.
    await page.getByText('Paste a certificate request (CSR)').click();
    await page.getByLabel('Certificate request (PEM)').fill(openssl.csr('rsa1024', '/CN=weak').csrPem);
    await page.getByRole('button', { name: 'Request access' }).click();
    await page.getByRole('alert').filter({ hasText: /RSA/ }).waitFor();
    await shoot(page, 'request-refused');
    await page.getByText('Paste my own certificate').click();
    await page.getByLabel('Bind the key to').waitFor();
    await shoot(page, 'request-access-certificate');
    await page.getByRole('button', { name: 'Rotate…' }).click();
    await page.getByRole('heading', { name: 'Rotate: a new credential takes over' }).waitFor();
    await shoot(page, 'rotate');

    await page.getByRole('link', { name: 'Products' }).click();
    await page.getByRole('heading', { name: 'Orders' }).waitFor();
    await page.getByText(`https://${HOST}/orders/`).waitFor();
    await shoot(page, 'products');
    await page.getByRole('link', { name: 'Account' }).click();
    await page.getByRole('heading', { name: 'Change password' }).waitFor();
    await shoot(page, 'account');
    await page.getByRole('link', { name: 'My apps' }).click();
    await page.getByRole('link', { name: HOSTILE }).waitFor();
    await shoot(page, 'apps');
    const appHref = (await page.getByRole('link', { name: HOSTILE }).getAttribute('href')) ?? '';

    // Another developer, same browser, own session: the app is not there for them.
    const other = await newPage();
    await invitedDeveloper(world, 'other@example.com');
    await other.goto(portalUrl());
    await other.getByLabel('Email').fill('other@example.com');
    await other.getByLabel('Password').fill(PASSWORD);
    await other.getByRole('button', { name: 'Sign in' }).click();
    await other.getByRole('heading', { name: 'My apps' }).waitFor();
    await other.goto(portalUrl() + appHref);
    await other.getByRole('alert').filter({ hasText: 'No such app' }).waitFor();
    await other.getByRole('link', { name: 'Back to my apps' }).waitFor();
    await shoot(other, 'other-developer');

    // Sign out, then ten wrong passwords: locked, with the reason.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await shoot(page, 'sign-in');
    for (let attempt = 0; attempt < 10; attempt += 1) {
      await page.getByLabel('Email').fill('journey@example.com');
      await page.getByLabel('Password').fill(`wrong guess ${attempt}`);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('alert').filter({ hasText: 'Wrong email or password' }).waitFor();
    }
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page
      .getByRole('alert')
      .filter({ hasText: /sign-in is locked, try again in \d+ seconds/ })
      .waitFor();
    await shoot(page, 'sign-in-locked');
    assert.equal(await page.evaluate(() => (globalThis as unknown as { __xss?: number }).__xss), undefined);
    assert.deepEqual(problems, []);
  });
  test("the README's screenshot: an app with an approved key, its curl line and a day of usage", async () => {
    // A clean, realistic scene (no test payloads in names): docs/images/portal-app.png is copied from
    // test-output/screenshots/portal/readme-app-1280.png when the page changes.
    await invitedDeveloper(world, 'ana@example.com');
    const page = await newPage();
    await page.goto(portalUrl());
    await page.getByLabel('Email').fill('ana@example.com');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'My apps' }).waitFor();
    await page.getByLabel('App name').fill('Checkout service');
    await page.getByRole('button', { name: 'Create app' }).click();
    await page.getByRole('heading', { name: 'Checkout service' }).waitFor();
    await page.getByLabel('Product').selectOption({ label: 'Billing (granted at once)' });
    await page.getByRole('button', { name: 'Request access' }).click();
    await page.getByText('curl --cert-type P12').waitFor();
    const keyPath = await (async () => {
      const [file] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Private key (PEM)' }).click(),
      ]);
      return file.path();
    })();
    const appId = /#\/apps\/([0-9a-f]{32})/.exec(page.url())?.[1] ?? '';
    const ana = new DeveloperClient(world);
    await ana.ok('POST', '/api/session', { email: 'ana@example.com', password: PASSWORD });
    const detail = await ana.ok<{ requests: { certificate_pem: string }[] }>('GET', `/api/apps/${appId}`);
    const client = { certPem: detail.requests[0]?.certificate_pem ?? '', keyPem: readFileSync(keyPath, 'utf8') };
    for (let i = 0; i < 12; i += 1) assert.equal((await world.callApi(`/billing/invoices/${i}`, client)).status, 200);
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const usage = await ana.ok<{ usage: { requests: number }[] }>('GET', `/api/apps/${appId}`);
      if (usage.usage.at(-1)?.requests === 12) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await page.reload();
    await page.getByText('curl --cert-type P12').waitFor();
    // Twelve requests, no error, no rate-limit hit: the legend names requests only.
    assert.deepEqual(await assertChartReadable(page), ['requests']);
    await shoot(page, 'readme-app');

    // The password change, refused then done, and the pages of a developer not signed in.
    await page.getByRole('link', { name: 'Account' }).click();
    await page.getByLabel('Current password').fill('not my password at all');
    await page.getByLabel('New password').fill('another long enough passphrase');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByRole('alert').waitFor();
    await shoot(page, 'account-wrong-password');
    await page.getByLabel('Current password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('Password changed.').waitFor();
    await shoot(page, 'account-password-changed');
    const visitor = await newPage();
    await visitor.goto(`${portalUrl()}#/signup`);
    await visitor.getByText('Accounts are by invitation: ask the operator for an invitation link, then').waitFor();
    assert.equal(await visitor.getByRole('button', { name: 'Create account' }).isDisabled(), true);
    await shoot(visitor, 'sign-up-invite-only');
    await visitor.goto(`${portalUrl()}#/invitation/not-a-real-invitation`);
    await visitor.getByRole('alert').waitFor();
    assert.equal(await visitor.getByLabel('Password').count(), 0, 'no form that could only be refused');
    await shoot(visitor, 'invitation-invalid');
    assert.deepEqual(problems, []);
  });
  test('the operator approves a request in the dashboard, with a message the developer sees', async () => {
    const developer = await invitedDeveloper(world, 'dashboard@example.com');
    const app = await developer.ok<{ id: string }>('POST', '/api/apps', { name: 'needs approval' });
    const pending = await developer.ok<{ id: string }>('POST', `/api/apps/${app.id}/requests`, {
      product_id: world.ordersProductId,
      credential: { kind: 'csr', csr: openssl.csr('p256', '/CN=dashboard').csrPem },
    });
    const page = await newPage();
    const admin = new URL(world.server.baseUrl);
    await page.goto(`http://127.0.0.1:${admin.port}/dashboard/#/portal`);
    await page.getByLabel('API token').fill(world.server.adminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Developer portal' }).waitFor();
    const card = page.locator(`[data-request="${pending.id}"]`);
    await card.getByText('dashboard@example.com').waitFor();
    await card.getByLabel('Message to the developer (optional)').fill('Approved from the dashboard');
    await shoot(page, 'dashboard-portal');
    await card.getByRole('button', { name: 'Approve' }).click();
    await page.getByText('No access request is waiting.').waitFor();
    const detail = await developer.ok<{ requests: { status: string; message: string }[] }>(
      'GET',
      `/api/apps/${app.id}`,
    );
    assert.deepEqual(
      detail.requests.map((r) => [r.status, r.message]),
      [['approved', 'Approved from the dashboard']],
    );
    assert.deepEqual(problems, []);
  });
});
