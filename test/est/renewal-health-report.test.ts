/**
 * Renewal health in the expiry report and the expiry webhook's body: an EST device whose
 * certificate is inside its profile's renewal window without having re-enrolled is reported
 * overdue, with its profile and the time it should have renewed by; a certificate issued through
 * the API carries `renewal: null`.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTenant, startAdminServer, type AdminServer } from '../helpers/admin-server.ts';
import { edgeCaPem } from '../helpers/gateway-pki.ts';
import { request } from '../helpers/https-client.ts';
import { generateKeyAndCsr } from '../../src/pki/key-and-csr.ts';
import { expiryEvent } from '../../src/control/telemetry/certificate-expiry-monitor.ts';
import type { ExpiringCertificate } from '../../src/control/telemetry/certificate-expiry-service.ts';

const HOST = 'devices.renewal.test';

describe('renewal health in the expiry report and webhook', () => {
  let server: AdminServer;

  before(async () => {
    server = await startAdminServer();
  });
  after(async () => {
    await server.stop();
  });

  test('an enrolled device inside its renewal window is overdue; an API-issued certificate has no renewal', async () => {
    const { accountId, zoneId } = await createTenant(server, 'renewal.test');
    const associated = await server.call('PUT', `/zones/${zoneId}/certificate_authorities/hostname_associations`, {
      hostnames: [HOST],
    });
    assert.equal(associated.status, 200);
    // 10 days of validity, renew 14 days before expiry: overdue from the first day.
    const profile = await server.call('POST', `/zones/${zoneId}/est/profiles`, {
      hostnames: [HOST],
      validity_days: 10,
      renew_before_days: 14,
    });
    assert.equal(profile.status, 200, JSON.stringify(profile.body.errors));
    const secret = await server.call(
      'POST',
      `/zones/${zoneId}/est/profiles/${profile.body.result.id}/bootstrap_secrets`,
      {},
    );
    const { csrPem } = await generateKeyAndCsr('sensor-9');
    const enrolled = await request({
      port: server.gatewayPort,
      ca: edgeCaPem(server),
      servername: HOST,
      method: 'POST',
      path: '/.well-known/est/simpleenroll',
      headers: {
        host: HOST,
        'content-type': 'application/pkcs10',
        authorization: `Basic ${Buffer.from(`${secret.body.result.id}:${secret.body.result.secret}`).toString('base64')}`,
      },
      body: csrPem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''),
    });
    assert.equal(enrolled.status, 200, enrolled.body);
    const issued = await server.call('POST', `/zones/${zoneId}/client_certificates`, {
      csr: (await generateKeyAndCsr('gateway-1')).csrPem,
      validity_days: 10,
    });
    assert.equal(issued.status, 200);

    const report = await server.call('GET', `/accounts/${accountId}/gateway/expiring_certificates?within_days=30`);
    assert.equal(report.status, 200);
    const clients = (report.body.result as { kind: string; name: string; expires_on: string; renewal: any }[]).filter(
      (entry) => entry.kind === 'client',
    );
    const device = clients.find((entry) => entry.name === 'sensor-9');
    const gateway = clients.find((entry) => entry.name === 'gateway-1');
    assert.ok(device !== undefined && gateway !== undefined, JSON.stringify(clients));
    assert.equal(device.renewal.profile_id, profile.body.result.id);
    assert.equal(device.renewal.overdue, true);
    assert.equal(device.renewal.replaced_by, null);
    assert.equal(Date.parse(device.expires_on) - Date.parse(device.renewal.renew_by), 14 * 86_400_000);
    assert.equal(gateway.renewal, null);
  });

  test('the webhook body carries the renewal of a client certificate, and none for other kinds', () => {
    const base: ExpiringCertificate = {
      kind: 'client',
      id: '00000000-0000-4000-8000-000000000001',
      accountId: 'a'.repeat(32),
      zoneId: 'b'.repeat(32),
      name: 'sensor-9',
      issuer: 'CN=Managed',
      serialNumber: '01',
      expiresOn: '2027-01-11T00:00:00Z',
      expired: false,
      daysRemaining: 10,
      renewal: {
        profileId: '00000000-0000-4000-8000-000000000002',
        renewBy: '2026-12-28T00:00:00Z',
        overdue: true,
        replacedBy: null,
      },
    };
    const now = new Date('2027-01-01T00:00:00Z');
    assert.deepEqual((expiryEvent(base, now) as Record<string, unknown>).renewal, {
      profile_id: '00000000-0000-4000-8000-000000000002',
      renew_by: '2026-12-28T00:00:00Z',
      overdue: true,
      replaced_by: null,
    });
    const withoutEst: ExpiringCertificate = { ...base };
    delete withoutEst.renewal;
    assert.equal((expiryEvent(withoutEst, now) as Record<string, unknown>).renewal, null);
    assert.equal('renewal' in expiryEvent({ ...withoutEst, kind: 'edge' }, now), false);
  });
});
