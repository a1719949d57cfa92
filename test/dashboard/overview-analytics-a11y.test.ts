/**
 * The overview and analytics pages over real traffic (a hostname under the mTLS rule, requests with
 * a good, a missing and a foreign certificate), CSV export, and accessibility: axe-core (run in the
 * page through the DevTools protocol, which the page's CSP does not govern) finds no serious or
 * critical violation on any page at 1280 and 390 px, and the navigation works from the keyboard.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Browser, Page } from 'playwright-core';
import { createTenant, startAdminServer, type AdminServer } from '../helpers/admin-server.ts';
import {
  browserSkipReason,
  ensureDashboardBuilt,
  launchBrowser,
  openPage,
  screenshots,
  type WatchedPage,
} from '../helpers/browser.ts';
import { request } from '../helpers/https-client.ts';
import { edgeCaPem } from '../helpers/gateway-pki.ts';
import { createCa, type Issued } from '../helpers/pki.ts';
import { mustSucceed, protectHosts, uploadCa } from '../helpers/uploaded-ca.ts';
import { startHttp1Echo, type RunningUpstream } from '../helpers/upstreams.ts';

const skip = browserSkipReason();
const HOST = 'api.overview.test';
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const PAGES = ['/', '/zones', '/authorities', '/certificates', '/rules', '/apis', '/keys', '/policies', '/analytics'];

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

describe('dashboard: overview, analytics and accessibility', { skip }, () => {
  let server: AdminServer;
  let upstream: RunningUpstream;
  let browser: Browser;
  let watched: WatchedPage;
  let origin: string;
  let zoneId: string;

  before(async () => {
    ensureDashboardBuilt();
    server = await startAdminServer();
    origin = new URL(server.baseUrl).origin;
    upstream = await startHttp1Echo();
    const tenant = await createTenant(server, 'overview.test');
    zoneId = tenant.zoneId;
    const ca = await createCa('CN=Overview Root CA');
    const caId = await uploadCa(server, tenant.accountId, ca, 'overview root');
    await protectHosts(server, zoneId, [{ hostname: HOST, caId }], upstream.url);
    await mustSucceed(server, 'POST', `/zones/${zoneId}/gateway/apis`, {
      name: 'Orders',
      hostname: HOST,
      listen_path: '/orders',
      upstream_url: upstream.url,
      auth: { mode: 'keyless' },
    });
    const good = await ca.issue({ subject: 'CN=good' });
    const stranger = await (await createCa('CN=Elsewhere')).issue({ subject: 'CN=stranger' });
    const call = (client: Issued | undefined, path: string) =>
      request({
        port: server.gatewayPort,
        ca: edgeCaPem(server),
        servername: HOST,
        headers: { host: HOST },
        path,
        ...(client === undefined ? {} : { cert: client.certPem, key: client.keyPem }),
      });
    for (let sent = 0; sent < 4; sent++) assert.equal((await call(good, '/orders/1')).status, 200);
    assert.equal((await call(undefined, '/orders/2')).status, 403);
    assert.equal((await call(stranger, '/=cmd|x')).status, 403);
    for (let attempt = 0; attempt < 100; attempt++) {
      const counts = await mustSucceed<{ requests: number }[]>(
        server,
        'GET',
        `/zones/${zoneId}/gateway/analytics/mtls_status`,
      );
      if (counts.reduce((sum, count) => sum + count.requests, 0) >= 6) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    browser = await launchBrowser();
    watched = await openPage(browser);
    const { page } = watched;
    await page.goto(`${origin}/dashboard/`);
    await page.getByLabel('API token').fill(server.adminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
  });

  after(async () => {
    await (browser as Browser | undefined)?.close();
    await (upstream as RunningUpstream | undefined)?.close();
    await (server as AdminServer | undefined)?.stop();
  });

  async function visit(page: Page, route: string): Promise<void> {
    await page.goto(`${origin}/dashboard/#/zones`);
    await page.goto(`${origin}/dashboard/#${route}`);
  }

  test('the overview charts real traffic: per minute, mTLS status per hostname, top certificates', async () => {
    const { page } = watched;
    await visit(page, '/');
    await page.getByRole('heading', { name: 'Requests per minute, last hour' }).waitFor();
    await page.locator('figcaption', { hasText: 'Last hour, per minute: 6 requests, 2 errors' }).waitFor();
    await page
      .getByRole('img', {
        name: `${HOST}: 4 ok, 1 absent, 1 untrusted, 0 notyetvalid, 0 expired, 0 revoked, 0 unrecorded`,
      })
      .waitFor();
    assert.equal(await page.locator('.chart canvas').count(), 2, 'two uPlot charts drawn');
    await screenshots(page, 'overview');
    assert.deepEqual(watched.takeProblems(), []);
  });

  test('analytics: filters applied by the API, mTLS status per request, CSV export', async () => {
    const { page } = watched;
    await visit(page, '/analytics');
    await page.getByRole('cell', { name: 'untrusted' }).waitFor();
    assert.equal(await page.locator('.table-wrap tbody tr').count(), 6);
    await page.getByLabel('Status').fill('200');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByText('4 requests shown').waitFor();
    await page.getByLabel('Status').fill('');
    await page.getByLabel('API').selectOption({ label: 'Orders' });
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByText('4 requests shown').waitFor();
    await page.getByLabel('API').selectOption({ label: 'Any' });
    await page.getByLabel('Fingerprint (SHA-256)').fill('not-a-fingerprint');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page
      .locator('.field.invalid', { has: page.getByLabel('Fingerprint (SHA-256)') })
      .getByText(/fingerprint must be a SHA-256 fingerprint/)
      .waitFor();
    await page.getByLabel('Fingerprint (SHA-256)').fill('');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByText('6 requests shown').waitFor();
    await screenshots(page, 'analytics');
    const [file] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export CSV' }).click(),
    ]);
    const csv = readFileSync(await file.path(), 'utf8');
    const lines = csv.trimEnd().split('\r\n');
    assert.equal(lines.length, 7);
    assert.match(lines[0] ?? '', /^time,method,hostname,path,status,mtls_status,/);
    assert.ok(
      lines.some((line) => line.includes(',/=cmd|x,403,untrusted,')),
      csv,
    );
    assert.deepEqual(watched.takeProblems(), []);
  });

  test('axe-core: no serious or critical violation on any page, at 1280 and 390 px', async () => {
    const { page } = watched;
    const found: string[] = [];
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 900 });
      for (const route of PAGES) {
        await visit(page, route);
        await page.locator('main h1').first().waitFor();
        await page.waitForLoadState('networkidle');
        await page.evaluate(AXE);
        const violations = await page.evaluate<AxeViolation[]>(
          `axe.run(document, { resultTypes: ['violations'] }).then((result) => result.violations)`,
        );
        for (const violation of violations)
          if (violation.impact === 'serious' || violation.impact === 'critical')
            found.push(
              `${width}px ${route}: ${violation.id} (${violation.help}) at ${violation.nodes.map((node) => node.target.join(' ')).join('; ')}`,
            );
      }
    }
    await page.setViewportSize({ width: 1280, height: 900 });
    assert.deepEqual(found, []);
  });

  test('keyboard: skip link, then the navigation reaches a page with Enter', async () => {
    const { page } = watched;
    await visit(page, '/');
    await page.reload(); // a fresh document: Tab starts from its top
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
    await page.keyboard.press('Tab');
    assert.equal(
      await page.evaluate<string | null | undefined>('document.activeElement?.textContent'),
      'Skip to content',
    );
    let reached = false;
    for (let press = 0; press < 30 && !reached; press++) {
      await page.keyboard.press('Tab');
      reached = (await page.evaluate<string | null | undefined>('document.activeElement?.textContent')) === 'Rules';
    }
    assert.ok(reached, 'Rules is reachable with Tab');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Rules', level: 1 }).waitFor();
  });
});
