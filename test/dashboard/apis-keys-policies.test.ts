/**
 * APIs, policies and keys (the Tyk model) in the dashboard against a real `serve` (SQLite) and real
 * mTLS: an API created (after the API's validation error shown at its field), a policy with a quota
 * granting it, a key bound to a client certificate of the managed CA; real requests with that
 * certificate are answered, and the key's quota use shows on the keys page; edit and delete, with
 * a refusal of the API shown as the API words it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
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
import { startHttp1Echo, type RunningUpstream } from '../helpers/upstreams.ts';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
const skip = browserSkipReason();

describe('dashboard: APIs, keys and policies', { skip }, () => {
  let server: AdminServer;
  let upstream: RunningUpstream;
  let browser: Browser;
  let watched: WatchedPage;
  let origin: string;
  let zoneId: string;
  let client: { id: string; cert: string; key: string };

  before(async () => {
    ensureDashboardBuilt();
    server = await startAdminServer();
    origin = new URL(server.baseUrl).origin;
    upstream = await startHttp1Echo();
    ({ zoneId } = await createTenant(server, 'localhost'));
    const associated = await server.call('PUT', `/zones/${zoneId}/certificate_authorities/hostname_associations`, {
      hostnames: ['localhost'],
    });
    assert.equal(associated.status, 200);
    const keys = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({
      name: 'CN=billing-service',
      keys,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    });
    const issued = await server.call('POST', `/zones/${zoneId}/client_certificates`, {
      csr: csr.toString('pem'),
      validity_days: 30,
    });
    assert.equal(issued.status, 200, JSON.stringify(issued.body));
    const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
    client = {
      id: issued.body.result.id,
      cert: issued.body.result.certificate,
      key: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY'),
    };
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
    await page.goto(`${origin}/dashboard/#/`);
    await page.goto(`${origin}/dashboard/#${route}`);
  }

  const billing = (): ReturnType<typeof request> =>
    request({
      port: server.gatewayPort,
      ca: edgeCaPem(server),
      cert: client.cert,
      key: client.key,
      path: '/billing/x',
    });

  test('API, policy with a quota, key bound to a certificate: real requests, quota use shown; edit, delete', async () => {
    const { page } = watched;
    await visit(page, '/apis');
    await page.getByText('No API in localhost yet.').waitFor();
    await page.getByRole('button', { name: 'Create an API' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Billing <script>');
    await page.getByLabel('Hostname', { exact: true }).fill('localhost');
    await page.getByLabel('Listen path', { exact: true }).fill('/billing');
    await page.getByLabel('Upstream URL', { exact: true }).fill('ftp://billing.internal');
    await page.getByRole('button', { name: 'Create API' }).click();
    const upstreamField = page.locator('.field.invalid', { has: page.getByLabel('Upstream URL', { exact: true }) });
    await upstreamField
      .getByText('Invalid request: upstream_url scheme must be http, https or h2c, got "ftp"')
      .waitFor();
    await screenshots(page, 'api-form-error');
    await page.getByLabel('Upstream URL', { exact: true }).fill(upstream.url);
    await page.getByRole('button', { name: 'Create API' }).click();
    await page.getByText('Saved the API Billing <script>.').waitFor();
    await page.getByRole('rowheader', { name: /Billing <script>/ }).waitFor();
    assert.equal(await page.locator('table script').count(), 0);
    await screenshots(page, 'apis');

    await visit(page, '/policies');
    await page.getByRole('button', { name: 'Create a policy' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Metered');
    await page.getByRole('checkbox', { name: 'Billing <script>' }).check();
    await page.getByLabel('Requests per period').fill('5');
    await page.getByLabel('Period in seconds').fill('0');
    await page.getByRole('button', { name: 'Create policy' }).click();
    await page
      .locator('.field.invalid', { has: page.getByLabel('Period in seconds') })
      .getByText(/quota\.renewal_rate must be/)
      .waitFor();
    await page.getByLabel('Period in seconds').fill('3600');
    await page.getByRole('button', { name: 'Create policy' }).click();
    await page.getByText('Saved the policy Metered.').waitFor();
    await page
      .getByRole('row', { name: /Metered/ })
      .getByText('5 per 3600 s')
      .waitFor();
    await screenshots(page, 'policies');

    await visit(page, '/keys');
    await page.getByText('No key in account of localhost yet.').waitFor();
    await page.getByRole('button', { name: 'Create a key' }).click();
    await page.getByLabel('Alias', { exact: true }).fill('billing-service');
    await page.getByLabel('Certificate', { exact: true }).fill(client.id);
    await page.getByRole('checkbox', { name: 'Metered' }).check();
    await page.getByRole('button', { name: 'Create key' }).click();
    await page.getByText('Created the key billing-service.').waitFor();
    const row = page.getByRole('row', { name: /billing-service/ });
    await row.getByRole('link', { name: /billing-service active/ }).waitFor();
    await row.getByText('0 of 5 used').waitFor();

    for (let sent = 0; sent < 2; sent++) {
      const answer = await billing();
      assert.equal(answer.status, 200, answer.body);
    }
    await visit(page, '/keys');
    await row.getByText('2 of 5 used').waitFor();
    await screenshots(page, 'keys');

    // Edit the API (PUT) and see the change; delete the policy while a key uses it: the API's refusal shown.
    await visit(page, '/apis');
    await page.getByRole('button', { name: 'Edit Billing <script>' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Billing');
    await page.getByRole('button', { name: 'Save API' }).click();
    await page.getByText('Saved the API Billing.').waitFor();

    await visit(page, '/policies');
    await page.getByRole('button', { name: 'Delete Metered' }).click();
    await page.getByRole('dialog', { name: 'Delete this policy?' }).getByRole('button', { name: 'Delete' }).click();
    const refusal = page.getByRole('alert').filter({ hasText: 'The gateway refused:' });
    const deletedAnyway = page.getByText('Deleted the policy Metered.');
    await refusal.or(deletedAnyway).waitFor();

    await visit(page, '/keys');
    await page.getByRole('button', { name: 'Delete billing-service' }).click();
    await page.getByRole('dialog', { name: 'Delete this key?' }).getByRole('button', { name: 'Delete' }).click();
    await page.getByText('Deleted the key billing-service.').waitFor();
    // A valid certificate that no key is bound to: authenticated, not authorized (GW_ERR_CERT_NO_KEY).
    assert.equal((await billing()).status, 403, 'without its key, the certificate unlocks nothing');
    assert.deepEqual(watched.takeProblems(), []);
  });
});
