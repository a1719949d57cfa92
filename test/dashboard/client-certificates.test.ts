/**
 * Client certificates in the dashboard, end to end against a real `serve` (SQLite) and real mTLS:
 * a key made in Chromium (WebCrypto) → a CSR built in the page → a certificate from the managed CA
 * → downloaded as PEM and PKCS#12 (opened by the openssl and curl command-line tools) → a real mTLS
 * request gets 200 → revoked in the UI after a confirmation → the next request is refused.
 * Also: paging and searching through 2,500 certificates, a validation error shown on its field, a
 * hostile common name shown as text (never run), and the pages looked at by screenshots.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync } from 'node:fs';
import { createHash, randomUUID, webcrypto } from 'node:crypto';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import type { Browser, Page } from 'playwright-core';
import type { Store } from '../../src/store/ports.ts';
import type { ClientCertificateRecord } from '../../src/model/records.ts';
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
const HOSTILE = '<img src=x onerror="window.__xss=1">';

async function csrPem(commonName: string): Promise<string> {
  const keys = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    // RFC 4514 §2.4: escape what a string DN would otherwise read as syntax.
    name: `CN=${commonName.replace(/([,+"\\<>;=])/g, '\\$1')}`,
    keys: keys,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
  });
  return csr.toString('pem');
}

describe('dashboard: client certificates', { skip }, () => {
  let server: AdminServer;
  let store: Store | undefined;
  let upstream: RunningUpstream;
  let zoneId: string;
  let browser: Browser;
  let watched: WatchedPage;
  let origin: string;

  before(async () => {
    ensureDashboardBuilt();
    server = await startAdminServer(undefined, undefined, {
      wrapStore: (opened) => {
        store = opened;
        return opened;
      },
    });
    origin = new URL(server.baseUrl).origin;
    upstream = await startHttp1Echo();
    ({ zoneId } = await createTenant(server, 'localhost'));
    const setup = [
      await server.call('PUT', `/zones/${zoneId}/certificate_authorities/hostname_associations`, {
        hostnames: ['localhost'],
      }),
      await server.call('POST', `/zones/${zoneId}/gateway/routes`, { hostname: 'localhost', upstream: upstream.url }),
      await server.call('POST', `/zones/${zoneId}/gateway/mtls_rule`, { hostnames: ['localhost'] }),
    ];
    for (const step of setup) assert.equal(step.status, 200, JSON.stringify(step.body));
    browser = await launchBrowser();
    watched = await openPage(browser);
    const { page } = watched;
    await page.goto(`${origin}/dashboard/`);
    await page.getByLabel('API token').fill(server.adminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
  });

  /** To a page through the overview: a route the page is already on would not load afresh. */
  async function visit(page: Page, route: string): Promise<void> {
    await page.goto(`${origin}/dashboard/#/`);
    await page.goto(`${origin}/dashboard/#${route}`);
  }

  after(async () => {
    await (browser as Browser | undefined)?.close();
    await (upstream as RunningUpstream | undefined)?.close();
    await (server as AdminServer | undefined)?.stop();
  });

  test('a key made in the browser → certificate → PEM and PKCS#12 → mTLS 200 → revoked in the UI → refused', async () => {
    const { page } = watched;
    await page.goto(`${origin}/dashboard/#/certificates`);
    await page.getByText('No client certificate in localhost yet.').waitFor();
    await screenshots(page, 'certificates-empty');
    await page.getByRole('link', { name: 'Issue a certificate' }).click();
    await page.getByLabel('Common name (CN)').fill('device-42');
    await page.getByLabel('Organization (O)').fill('Acme');
    await screenshots(page, 'certificate-issue');
    const requests: string[] = [];
    page.on('request', (sent) => {
      if (sent.method() === 'POST') requests.push(sent.postData() ?? '');
    });
    await page.getByRole('button', { name: 'Issue certificate' }).click();
    await page.getByRole('heading', { name: 'Certificate issued' }).waitFor();
    const [issueBody] = requests.filter((body) => body.includes('CERTIFICATE REQUEST'));
    assert.ok(issueBody !== undefined, 'the CSR was posted');
    assert.doesNotMatch(issueBody, /PRIVATE KEY/, 'only the CSR leaves the page');

    const downloadOf = async (button: string): Promise<string> => {
      const [file] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: button }).click(),
      ]);
      const where = await file.path();
      return where;
    };
    const certPath = await downloadOf('Certificate (PEM)');
    const keyPath = await downloadOf('Private key (PEM)');
    await page.getByLabel('PKCS#12 passphrase').fill('correct horse battery');
    const p12Path = await downloadOf('Download PKCS#12 (.p12)');
    await screenshots(page, 'certificate-issued');
    const cert = readFileSync(certPath, 'utf8');
    const key = readFileSync(keyPath, 'utf8');
    assert.match(key, /^-----BEGIN PRIVATE KEY-----/);

    const ca = edgeCaPem(server);
    const ok = await request({ port: server.gatewayPort, ca, cert, key, path: '/hello' });
    assert.equal(ok.status, 200, ok.body);
    const without = await request({ port: server.gatewayPort, ca, path: '/hello' });
    assert.equal(without.status, 403);

    // The PKCS#12 file opens with the real openssl and works in curl.
    // Asynchronously: the gateway runs in this process, and a synchronous child would stall it.
    const run = promisify(execFile);
    const { stdout: opened } = await run('openssl', [
      'pkcs12',
      '-in',
      p12Path,
      '-nodes',
      '-passin',
      'pass:correct horse battery',
    ]);
    assert.match(opened, /BEGIN CERTIFICATE/);
    assert.match(opened, /BEGIN PRIVATE KEY/);
    await assert.rejects(run('openssl', ['pkcs12', '-in', p12Path, '-nodes', '-passin', 'pass:wrong']));
    const caFile = `${server.dataDir}/edge-ca.pem`;
    const { stdout: curl } = await run('curl', [
      '-s',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      '--cacert',
      caFile,
      '--resolve',
      `localhost:${server.gatewayPort}:127.0.0.1`,
      '--cert-type',
      'P12',
      '--cert',
      `${p12Path}:correct horse battery`,
      `https://localhost:${server.gatewayPort}/hello`,
      '--max-time',
      '20',
    ]);
    assert.equal(curl, '200');

    // Revoke from its page, behind a confirmation.
    await page.getByRole('link', { name: 'Open its page' }).click();
    await page.getByRole('heading', { name: 'device-42', level: 1 }).waitFor();
    await page.getByText('Last seen').waitFor();
    await screenshots(page, 'certificate-detail');
    await page.getByRole('button', { name: 'Revoke' }).click();
    const dialog = page.getByRole('dialog', { name: 'Revoke this certificate?' });
    await dialog.waitFor();
    await screenshots(page, 'certificate-revoke-confirm');
    await dialog.getByRole('button', { name: 'Revoke' }).click();
    await page.getByText('The certificate is revoked').waitFor();
    await page.getByRole('button', { name: 'Reactivate' }).waitFor();
    const refused = await request({ port: server.gatewayPort, ca, cert, key, path: '/hello' });
    assert.equal(refused.status, 403, refused.body);
    // And back.
    await page.getByRole('button', { name: 'Reactivate' }).click();
    await page
      .getByRole('dialog', { name: 'Reactivate this certificate?' })
      .getByRole('button', { name: 'Reactivate' })
      .click();
    await page.getByText('The certificate is active again.').waitFor();
    assert.equal((await request({ port: server.gatewayPort, ca, cert, key, path: '/hello' })).status, 200);
    assert.deepEqual(watched.takeProblems(), []);
  });

  test('a validation error of the API is shown next to its field', async () => {
    const { page } = watched;
    await page.goto(`${origin}/dashboard/#/certificates/new`);
    await page.getByLabel('Common name (CN)').fill('short-lived');
    await page.getByLabel('Validity (days)').fill('0');
    await page.getByRole('button', { name: 'Issue certificate' }).click();
    const field = page.locator('.field.invalid', { has: page.getByLabel('Validity (days)') });
    await field.getByText(/validity_days must be a whole number from 1 to/).waitFor();
    assert.equal((await page.getByLabel('Validity (days)').getAttribute('aria-describedby')) !== null, true);
    await screenshots(page, 'certificate-issue-error');
    assert.deepEqual(watched.takeProblems(), []);
  });

  test('a hostile common name is shown as text: nothing runs, no element is made', async () => {
    const { page } = watched;
    const issued = await server.call('POST', `/zones/${zoneId}/client_certificates`, {
      csr: await csrPem(HOSTILE),
      validity_days: 90,
    });
    assert.equal(issued.status, 200, JSON.stringify(issued.body));
    assert.equal(issued.body.result.common_name, HOSTILE);
    await visit(page, '/certificates');
    await page.getByRole('link', { name: HOSTILE }).click();
    await page.getByRole('heading', { name: HOSTILE, level: 1 }).waitFor();
    assert.equal(await page.evaluate<unknown>('window.__xss'), undefined);
    assert.equal(await page.locator('img').count(), 0);
    assert.deepEqual(watched.takeProblems(), []);
  });

  test('2,500 certificates page through the API; search by CN, serial and fingerprint; filters', async () => {
    // 50 issued through the API; 2,448 more written straight into the same store (the real SQLite
    // store, through its port), because issuing and revoking thousands through the API (each a
    // signed certificate, a CRL and a snapshot rebuild) takes minutes on a CI machine. The page
    // reads all of them through the API alone.
    const csrs = await Promise.all([csrPem('fleet-sensor'), csrPem('fleet-gateway')]);
    let model: ClientCertificateRecord | undefined;
    for (let start = 0; start < 50; start += 10) {
      const batch = await Promise.all(
        Array.from({ length: 10 }, (_, index) =>
          server.call('POST', `/zones/${zoneId}/client_certificates`, {
            csr: csrs[(start + index) % 2],
            validity_days: 365,
          }),
        ),
      );
      for (const response of batch) assert.equal(response.status, 200, JSON.stringify(response.body));
      model ??= await store!.getClientCertificate(zoneId, batch[0]!.body.result.id);
    }
    assert.ok(model);
    const issuedOn = Date.parse(model.issuedOn);
    for (let index = 0; index < 2_448; index++) {
      const serial = (0x7000_0000 + index).toString(16).toUpperCase();
      await store!.createClientCertificate({
        ...model,
        id: randomUUID(),
        commonName: index % 2 === 0 ? `fleet-sensor-${index}` : `fleet-gateway-${index}`,
        serialNumber: serial,
        fingerprintSha256: createHash('sha256').update(serial).digest('hex'),
        status: index < 1_800 ? 'revoked' : 'active',
        revokedAt: index < 1_800 ? model.issuedOn : null,
        issuedOn: new Date(issuedOn + index * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        expiresOn: new Date(Date.now() + (index % 100 === 0 ? 10 : 365) * 86_400_000)
          .toISOString()
          .replace(/\.\d{3}Z$/, 'Z'),
      });
    }
    const probe = createHash('sha256')
      .update((0x7000_0000 + 2_447).toString(16).toUpperCase())
      .digest('hex');
    const { page } = watched;
    await visit(page, '/certificates');
    await page.getByText('Page 1 of 50 · 2,500 in all').waitFor();
    await screenshots(page, 'certificates');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByText('Page 2 of 50').waitFor();
    await page.getByLabel('Status').selectOption('revoked');
    await page.getByText('Page 1 of 36 · 1,800 in all').waitFor();
    await page.getByLabel('Status').selectOption('active');
    await page.getByLabel('Expiring').selectOption('30');
    await page.getByText('Page 1 of 1 · 7 in all').waitFor();
    await page.getByLabel('Expiring').selectOption('');
    await page.getByLabel('Search').fill('FLEET-GATE');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByText('Page 1 of 7 · 349 in all').waitFor();
    await page.getByLabel('Status').selectOption('all');
    await page.getByLabel('Search').fill(probe.slice(0, 12).toUpperCase());
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByText('Page 1 of 1 · 1 in all').waitFor();
    await page.getByLabel('Search').fill('700003e8');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByText('Page 1 of 1 · 1 in all').waitFor();
    await page.getByLabel('Search').fill('no such device');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByText('No certificate matches these filters.').waitFor();
    assert.deepEqual(watched.takeProblems(), []);
  });
});
