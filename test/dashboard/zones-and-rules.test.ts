/**
 * Zones, hostnames and rules in the dashboard, end to end against a real `serve` (SQLite) and real
 * mTLS: a zone created in the UI, a CA uploaded and associated with a hostname, "Require client
 * certificates" writing the mTLS rule (a request without a certificate is refused, one with a
 * certificate of that CA gets 200); a custom rule created, its hit count growing with real
 * requests, a bad expression answered with the server's message at the field.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { startAdminServer, type AdminServer } from '../helpers/admin-server.ts';
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
import { createCa, type CaHandle, type Issued } from '../helpers/pki.ts';
import { startHttp1Echo, type RunningUpstream } from '../helpers/upstreams.ts';

const skip = browserSkipReason();
const ZONE = 'example.test';
const HOST = 'api.example.test';

describe('dashboard: zones, hostnames and rules', { skip }, () => {
  let server: AdminServer;
  let upstream: RunningUpstream;
  let browser: Browser;
  let watched: WatchedPage;
  let origin: string;
  let ca: CaHandle;
  let client: Issued;

  before(async () => {
    ensureDashboardBuilt();
    server = await startAdminServer();
    origin = new URL(server.baseUrl).origin;
    upstream = await startHttp1Echo();
    ca = await createCa('CN=Fleet Root CA,O=Acme');
    client = await ca.issue({ subject: 'CN=sensor-1' });
    browser = await launchBrowser();
    watched = await openPage(browser);
    const { page } = watched;
    await page.goto(`${origin}/dashboard/`);
    await page.getByLabel('API token').fill(server.adminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    // Signed in, with no zone yet: the overview asks for one first.
    await page.getByRole('heading', { name: 'No zone yet', level: 1 }).waitFor();
  });

  after(async () => {
    await (browser as Browser | undefined)?.close();
    await (upstream as RunningUpstream | undefined)?.close();
    await (server as AdminServer | undefined)?.stop();
  });

  /** To a page through the overview: a route the page is already on would not load afresh. */
  async function visit(page: Page, route: string): Promise<void> {
    await page.goto(`${origin}/dashboard/#/`);
    await page.goto(`${origin}/dashboard/#${route}`);
  }

  function call(cert?: Issued): ReturnType<typeof request> {
    return request({
      port: server.gatewayPort,
      ca: edgeCaPem(server),
      servername: HOST,
      headers: { host: HOST },
      path: '/orders',
      ...(cert === undefined ? {} : { cert: cert.certPem, key: cert.keyPem }),
    });
  }

  test('create a zone, upload a CA, associate it, require client certificates: mTLS enforced for real', async () => {
    const { page } = watched;
    await visit(page, '/zones');
    await page.getByText('No zone yet: create the first one below.').waitFor();
    await screenshots(page, 'zones-empty');
    await page.getByLabel('Zone name').fill(ZONE);
    await page.getByLabel('New account name').fill('Acme');
    await page.getByRole('button', { name: 'Create zone' }).click();
    await page.getByText(`Created zone ${ZONE}.`).waitFor();
    await page.getByRole('heading', { name: `Hostnames of ${ZONE}` }).waitFor();
    await page.getByText(`No hostname in ${ZONE} yet`).waitFor();

    // A hostname outside the zone: the API's message at the field.
    await page.getByLabel('Hostname', { exact: true }).fill('api.elsewhere.test');
    await page.getByLabel('Upstream URL').fill(upstream.url);
    await page.getByRole('button', { name: 'Add hostname' }).click();
    await page
      .getByRole('alert')
      .filter({ hasText: /elsewhere/ })
      .waitFor();
    await page.getByLabel('Hostname', { exact: true }).fill(HOST);
    await page.getByRole('button', { name: 'Add hostname' }).click();
    await page.getByText(`Added ${HOST}.`).waitFor();
    await page.getByRole('rowheader', { name: new RegExp(HOST) }).waitFor();

    // Upload the CA on its page (pasted PEM).
    await visit(page, '/authorities');
    await page.getByLabel('Name', { exact: true }).fill('Fleet Root');
    await page.getByLabel('CA certificates (PEM)').fill(ca.certPem);
    await page.getByRole('button', { name: 'Upload CA' }).click();
    await page.getByText('Uploaded Fleet Root.').waitFor();

    // Associate it with the hostname, from the hostname's row.
    await visit(page, '/zones');
    await page.getByRole('button', { name: `Change the CAs trusted on ${HOST}` }).click();
    await page.getByRole('checkbox', { name: 'Fleet Root' }).check();
    await page.getByRole('button', { name: 'Save CAs' }).click();
    await page.getByText(`Saved the CAs trusted on ${HOST}.`).waitFor();
    const row = page.getByRole('row', { name: new RegExp(HOST) });
    await row.getByText('Fleet Root').waitFor();
    await row.getByText('Not required').waitFor();
    // Trusted but not required yet: a request without a certificate still passes.
    assert.equal((await call()).status, 200);

    await page.getByRole('checkbox', { name: `Choose ${HOST}` }).check();
    await page.getByRole('button', { name: 'Require client certificates' }).click();
    await page.getByText(`Client certificates are now required on ${HOST} (block).`).waitFor();
    await row.getByText('Required (blocks)').waitFor();
    await screenshots(page, 'zones');

    const refused = await call();
    assert.equal(refused.status, 403, refused.body);
    const ok = await call(client);
    assert.equal(ok.status, 200, ok.body);
    const stranger = await (await createCa('CN=Stranger CA')).issue({ subject: 'CN=stranger' });
    assert.equal((await call(stranger)).status, 403);
    assert.deepEqual(watched.takeProblems(), []);
  });

  test('create a rule, send real requests, its hit count grows; a bad expression shows the server message at the field', async () => {
    const { page } = watched;
    await visit(page, '/rules');
    // The mTLS rule written by the previous test is first.
    await page.getByRole('listitem', { name: 'Rule 1: mTLS rule' }).waitFor();
    const form = page.locator('form', { has: page.getByRole('heading', { name: 'Add a rule' }) });
    await form.getByLabel('Description').fill('Orders <b>traffic</b>');
    await form.getByLabel('Expression').fill('http.request.uri.path contians "/orders"');
    await form.getByLabel('Action').selectOption('log');
    await form.getByRole('button', { name: 'Add rule' }).click();
    const expressionField = form.locator('.field.invalid', { has: page.getByLabel('Expression') });
    await expressionField.getByText(/expression: Filter parsing error \(1:\d+\): expected an operator/).waitFor();
    await screenshots(page, 'rules-error');

    await form.getByLabel('Expression').fill('http.request.uri.path contains "/orders"');
    await form.getByRole('button', { name: 'Add rule' }).click();
    await page.getByText('Saved the rule Orders <b>traffic</b>.').waitFor();
    const rule = page.getByRole('listitem', { name: 'Rule 2: Orders <b>traffic</b>' });
    await rule.getByText('0 hits').waitFor();
    assert.equal(await page.locator('b').count(), 0, 'a description is text, never markup');

    for (let sent = 0; sent < 3; sent++) assert.equal((await call(client)).status, 200);
    await page.getByRole('button', { name: 'Refresh hit counts' }).click();
    await rule.getByText('3 hits').waitFor();

    // Disable, then edit in place: the editor shows the server's error at the field too.
    await page.getByRole('button', { name: 'Disable Orders <b>traffic</b>' }).click();
    await rule.getByText('disabled', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Edit Orders <b>traffic</b>' }).click();
    await rule.getByLabel('Expression').fill('http.host eq');
    await rule.getByRole('button', { name: 'Save rule' }).click();
    await rule
      .locator('.field.invalid')
      .getByText(/Filter parsing error/)
      .waitFor();
    await rule
      .getByLabel('Expression')
      .fill('http.request.uri.path contains "/orders" and http.request.method eq "GET"');
    await rule.getByLabel('Enabled').check();
    await rule.getByRole('button', { name: 'Save rule' }).click();
    await page.getByText('Saved the rule Orders <b>traffic</b>.').waitFor();
    await call(client);
    await page.getByRole('button', { name: 'Refresh hit counts' }).click();
    await rule.getByText('4 hits').waitFor();
    await screenshots(page, 'rules');
    assert.deepEqual(watched.takeProblems(), []);
  });
});
