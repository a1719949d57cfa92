/**
 * Observability over real HTTP against `portcullis serve`, as one suite on SQLite and on a real
 * PostgreSQL: the analytics API (totals, each grouping, time ranges and their bounds, the
 * certificates list, validation, zone access) over records appended through the store; the
 * expiring certificates report of an account over certificates made at test time; and
 * `GET /metrics` (no token, the text format, a failed handshake counted by reason).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import { openStore } from '../../src/store/open-store.ts';
import type { Store } from '../../src/store/ports.ts';
import type { AnalyticsRecord } from '../../src/model/records.ts';
import { generateKeyAndCsr } from '../../src/pki/key-and-csr.ts';
import {
  createTenant,
  createToken,
  startAdminServer,
  type AdminServer,
  type V4Response,
} from '../helpers/admin-server.ts';
import { createCa, DAY, Eku } from '../helpers/pki.ts';
import { describeOnBothStores } from '../helpers/both-stores.ts';

const HOUR = 3_600_000;
const CODE = { forbidden: 10000, notFound: 7003, validation: 12101 } as const;
const hexId = (): string => randomBytes(16).toString('hex');

interface Aggregate {
  requests: number;
  errors: number;
  bytes_in: number;
  bytes_out: number;
  latency_avg_ms: number;
  latency_max_ms: number;
}
interface Report {
  since: string;
  until: string;
  group_by: string | null;
  totals: Aggregate;
  groups: (Aggregate & { key: string | number | null })[];
}

function ok<T>(response: V4Response<T>): T {
  assert.equal(response.status, 200, JSON.stringify(response.body));
  assert.equal(response.body.success, true);
  return response.body.result;
}

function fails(response: V4Response<unknown>, status: number, code: number): void {
  assert.equal(response.status, status, JSON.stringify(response.body));
  assert.equal(response.body.success, false);
  assert.equal(response.body.errors[0]?.code, code, JSON.stringify(response.body.errors));
}

function defineSuite(storeUrl: () => Promise<string | undefined>): void {
  let server: AdminServer;
  let store: Store;
  let zoneId: string;
  let otherZoneId: string;
  // A whole second: analytics are counted in one-second buckets (docs/adr/0004).
  const now = Math.floor(Date.now() / 1000) * 1000;
  const at = (offsetMs: number): string => new Date(now - offsetMs).toISOString();
  const api1 = hexId();
  const api2 = hexId();
  const key1 = hexId();
  const fpA = 'a'.repeat(64);
  const fpB = 'b'.repeat(64);

  const analytics = (query = '', zone = zoneId, token?: string | null) =>
    server.call<Report>('GET', `/zones/${zone}/gateway/analytics${query}`, undefined, token);

  before(async () => {
    const url = await storeUrl();
    server = await startAdminServer(url === undefined ? undefined : { kind: 'postgres', url });
    // A second connection to the gateway's own database, as another process would have.
    store = await openStore(
      url === undefined
        ? { kind: 'sqlite', file: path.join(server.dataDir, 'portcullis.db') }
        : { kind: 'postgres', url },
    );
    zoneId = (await createTenant(server, 'analytics.example.com')).zoneId;
    otherZoneId = (await createTenant(server, 'other.example.com')).zoneId;
    const row = (overrides: Partial<AnalyticsRecord>): AnalyticsRecord => ({
      timeMs: now - HOUR,
      zoneId,
      apiId: null,
      keyId: null,
      hostname: 'api.analytics.example.com',
      method: 'GET',
      path: '/orders',
      status: 200,
      fingerprint: '',
      serial: '',
      issuer: '',
      latencyMs: 0,
      bytesIn: 0,
      bytesOut: 0,
      ruleHits: [],
      ...overrides,
    });
    const certA = { fingerprint: fpA, serial: '0a1b', issuer: 'CN=Managed CA,O=Portcullis' };
    await store.appendAnalytics([
      row({ apiId: api1, keyId: key1, ...certA, status: 200, latencyMs: 10, bytesIn: 100, bytesOut: 1000 }),
      row({ apiId: api1, keyId: key1, ...certA, status: 200, latencyMs: 30, bytesOut: 500 }),
      row({ timeMs: now - 2 * HOUR, apiId: api1, fingerprint: fpB, serial: '0c', issuer: 'CN=Partner', status: 403 }),
      row({ timeMs: now - 3 * HOUR, apiId: api2, status: 502, latencyMs: 100, bytesIn: 10, bytesOut: 20 }),
      row({ timeMs: now - 4 * HOUR, status: 404, latencyMs: 1.4, bytesOut: 30 }), // stored as 1 ms
      row({ timeMs: now - 3 * DAY, apiId: api1, keyId: key1, ...certA, latencyMs: 5, bytesIn: 1, bytesOut: 1 }),
      row({ zoneId: otherZoneId, apiId: api1, status: 500, latencyMs: 999 }),
    ]);
  });
  after(async () => {
    await store.close();
    await server.stop();
  });

  describe('GET /zones/:zone_id/gateway/analytics', () => {
    test('no parameters: the totals of the last 24 hours of this zone only', async () => {
      const report = ok(await analytics());
      assert.equal(report.group_by, null);
      assert.deepEqual(report.groups, []);
      assert.ok(Math.abs(Date.parse(report.until) - Date.now()) < 60_000);
      assert.equal(Date.parse(report.until) - Date.parse(report.since), DAY);
      assert.deepEqual(report.totals, {
        requests: 5,
        errors: 3,
        bytes_in: 110,
        bytes_out: 1550,
        latency_avg_ms: 28.2,
        latency_max_ms: 100,
      });
    });

    test('group_by=api: the busiest first; records without an API under key null', async () => {
      const report = ok(await analytics('?group_by=api'));
      assert.equal(report.group_by, 'api');
      assert.equal(report.totals.requests, 5);
      const [first, ...rest] = report.groups;
      assert.deepEqual(first, {
        key: api1,
        requests: 3,
        errors: 1,
        bytes_in: 100,
        bytes_out: 1500,
        latency_avg_ms: 13.33,
        latency_max_ms: 30,
      });
      const others = [null, api2].sort((a, b) => (a === null ? -1 : b === null ? 1 : a < b ? -1 : 1));
      assert.deepEqual(
        rest.map((group) => [group.key, group.requests, group.errors]),
        others.map((key) => [key, 1, 1]),
      );
      assert.deepEqual(
        ok(await analytics('?group_by=api&limit=1')).groups.map((group) => group.key),
        [api1],
      );
    });

    test('group_by=key, certificate and status', async () => {
      const byKey = ok(await analytics('?group_by=key')).groups;
      assert.deepEqual(
        byKey.map((group) => [group.key, group.requests]),
        [
          [null, 3],
          [key1, 2],
        ],
      );
      const byCertificate = ok(await analytics('?group_by=certificate')).groups;
      assert.deepEqual(
        byCertificate.map((group) => [group.key, group.requests, group.bytes_out]),
        [
          [null, 2, 50],
          [fpA, 2, 1500],
          [fpB, 1, 0],
        ],
      );
      const byStatus = ok(await analytics('?group_by=status')).groups;
      assert.deepEqual(
        byStatus.map((group) => [group.key, group.requests, group.errors]),
        [
          [200, 2, 0],
          [403, 1, 1],
          [404, 1, 1],
          [502, 1, 1],
        ],
      );
    });

    test('since and until: since included, until excluded, any zone offset', async () => {
      const old = ok(await analytics(`?since=${at(5 * DAY)}&until=${at(2 * DAY)}`));
      assert.equal(old.totals.requests, 1);
      assert.equal(old.since, at(5 * DAY));
      assert.equal(ok(await analytics(`?since=${at(3 * DAY)}&until=${at(2 * DAY)}`)).totals.requests, 1);
      assert.equal(ok(await analytics(`?since=${at(5 * DAY)}&until=${at(3 * DAY)}`)).totals.requests, 0);
      const all = ok(await analytics(`?since=${at(10 * DAY)}&group_by=status`));
      assert.equal(all.totals.requests, 6);
      assert.equal(all.groups[0]?.requests, 3);
      // The same instant written with an offset.
      const offset = new Date(now - 5 * DAY + 2 * HOUR).toISOString().replace('Z', '+02:00');
      const withOffset = ok(await analytics(`?since=${encodeURIComponent(offset)}&until=${at(2 * DAY)}`));
      assert.equal(withOffset.since, at(5 * DAY));
      // Within a second: widened to whole seconds (since down, until up), and the report says so.
      const widened = ok(await analytics(`?since=${at(3 * DAY - 250)}&until=${at(3 * DAY - 750)}`));
      assert.deepEqual([widened.since, widened.until, widened.totals.requests], [at(3 * DAY), at(3 * DAY - 1000), 1]);
      // A range with nothing in it: zeros, not nulls.
      assert.deepEqual(ok(await analytics(`?since=2001-01-01T00:00:00Z&until=2001-01-02T00:00:00Z`)).totals, {
        requests: 0,
        errors: 0,
        bytes_in: 0,
        bytes_out: 0,
        latency_avg_ms: 0,
        latency_max_ms: 0,
      });
    });

    test(`bad parameters → 400 / ${CODE.validation}`, async () => {
      for (const query of [
        '?since=yesterday',
        '?since=2025-01-01T00:00:00', // no zone: refused rather than read in the server's time zone
        `?since=${at(HOUR)}&until=${at(2 * HOUR)}`,
        `?since=${at(HOUR)}&until=${at(HOUR)}`,
        '?group_by=path',
        '?limit=0',
        '?limit=1001',
      ]) {
        fails(await analytics(query), 400, CODE.validation);
      }
    });

    test('zone access: a read token of the zone may, one of another zone may not; unknown zone → 404', async () => {
      const reader = await createToken(server, 'read', { zone_id: zoneId });
      assert.equal(ok(await analytics('', zoneId, reader)).totals.requests, 5);
      fails(await analytics('', otherZoneId, reader), 403, CODE.forbidden);
      fails(await analytics('', hexId()), 404, CODE.notFound);
      assert.equal((await analytics('', zoneId, null)).status, 401);
    });
  });

  describe('GET /zones/:zone_id/gateway/analytics/certificates', () => {
    test('every certificate seen (all retained records by default), most recently seen first', async () => {
      const response = await server.call('GET', `/zones/${zoneId}/gateway/analytics/certificates`);
      assert.deepEqual(ok(response), [
        { fingerprint: fpA, serial: '0a1b', issuer: 'CN=Managed CA,O=Portcullis', requests: 3, last_seen: at(HOUR) },
        { fingerprint: fpB, serial: '0c', issuer: 'CN=Partner', requests: 1, last_seen: at(2 * HOUR) },
      ]);
      assert.equal(response.body.result_info?.count, 2);
      const recent = ok(
        await server.call('GET', `/zones/${zoneId}/gateway/analytics/certificates?since=${at(DAY)}&limit=1`),
      );
      assert.deepEqual(recent, [
        { fingerprint: fpA, serial: '0a1b', issuer: 'CN=Managed CA,O=Portcullis', requests: 2, last_seen: at(HOUR) },
      ]);
      assert.deepEqual(ok(await server.call('GET', `/zones/${otherZoneId}/gateway/analytics/certificates`)), []);
    });
  });

  describe('GET /zones/:zone_id/gateway/analytics/requests', () => {
    interface Entry {
      time: string;
      api_id: string | null;
      key_id: string | null;
      path: string;
      status: number;
      fingerprint: string | null;
      latency_ms: number;
      bytes_in: number;
      bytes_out: number;
      rule_hits: string[];
    }
    const requests = (query = '', zone = zoneId) =>
      server.call<Entry[]>('GET', `/zones/${zone}/gateway/analytics/requests${query}`);

    test('the last 24 hours of this zone, newest first, each request as recorded', async () => {
      const response = await requests();
      const entries = ok(response);
      assert.deepEqual(
        entries.map((entry) => [entry.time, entry.status, entry.api_id]),
        [
          [at(HOUR), 200, api1],
          [at(HOUR), 200, api1],
          [at(2 * HOUR), 403, api1],
          [at(3 * HOUR), 502, api2],
          [at(4 * HOUR), 404, null],
        ],
      );
      assert.equal(response.body.result_info?.count, 5);
      const first = entries.find((entry) => entry.latency_ms === 10);
      assert.deepEqual(first, {
        time: at(HOUR),
        api_id: api1,
        key_id: key1,
        hostname: 'api.analytics.example.com',
        method: 'GET',
        path: '/orders',
        status: 200,
        fingerprint: fpA,
        serial: '0a1b',
        issuer: 'CN=Managed CA,O=Portcullis',
        latency_ms: 10,
        bytes_in: 100,
        bytes_out: 1000,
        rule_hits: [],
        mtls_status: null,
      });
      assert.equal(entries.at(-1)?.fingerprint, null, 'no certificate: null, not ""');
    });

    test('filters: api_id, key_id, fingerprint (any case, colons), status, limit, since', async () => {
      const count = async (query: string) => ok(await requests(query)).length;
      assert.equal(await count(`?api_id=${api1}`), 3);
      assert.equal(await count(`?key_id=${key1}`), 2);
      assert.equal(await count(`?fingerprint=${'AA:'.repeat(31)}AA`), 2);
      assert.equal(await count('?status=403'), 1);
      assert.equal(await count(`?api_id=${api1}&status=200&limit=1`), 1);
      assert.equal(await count(`?since=${at(3 * DAY + HOUR)}&key_id=${key1}`), 3, 'older than the default range');
    });

    test('the newest first across every row of a second, even where the limit cuts inside it', async () => {
      // Four rows in one one-second bucket (statuses differ), whose requests interleave in time.
      const { zoneId: busyZone } = await createTenant(server, 'busy.example.com');
      const second = now - 10 * HOUR;
      const record = (offsetMs: number, status: number): AnalyticsRecord => ({
        timeMs: second + offsetMs,
        zoneId: busyZone,
        apiId: null,
        keyId: null,
        hostname: 'busy.example.com',
        method: 'GET',
        path: `/at-${offsetMs}`,
        status,
        fingerprint: '',
        serial: '',
        issuer: '',
        latencyMs: 1,
        bytesIn: 0,
        bytesOut: 0,
        ruleHits: offsetMs === 900 ? ['f'.repeat(32)] : [],
      });
      await store.appendAnalytics([record(100, 200), record(900, 200), record(500, 201), record(300, 202)]);
      await store.appendAnalytics([record(700, 203), record(200, 203)]);
      const newest = ok(await requests('?limit=3', busyZone));
      assert.deepEqual(
        newest.map((entry) => [entry.path, entry.status]),
        [
          ['/at-900', 200],
          ['/at-700', 203],
          ['/at-500', 201],
        ],
      );
      assert.deepEqual(newest[0]?.rule_hits, ['f'.repeat(32)]);
      assert.equal(newest[0].time, new Date(second + 900).toISOString());
      assert.equal(ok(await requests('', busyZone)).length, 6);
    });

    test(`bad parameters → 400 / ${CODE.validation}; zone access as for the other analytics`, async () => {
      for (const query of ['?status=99', '?status=abc', '?fingerprint=xyz', '?api_id=nothex', '?limit=0', '?since=x']) {
        fails(await requests(query), 400, CODE.validation);
      }
      const reader = await createToken(server, 'read', { zone_id: zoneId });
      const asReader = (zone: string) =>
        server.call('GET', `/zones/${zone}/gateway/analytics/requests`, undefined, reader);
      assert.equal((await asReader(zoneId)).status, 200);
      fails(await asReader(otherZoneId), 403, CODE.forbidden);
      fails(await requests('', hexId()), 404, CODE.notFound);
    });
  });

  describe('GET /accounts/:account_id/gateway/expiring_certificates', () => {
    test('client, edge and uploaded certificates expiring within the window, soonest first', async () => {
      const tenant = await createTenant(server, 'expiry.example.com');
      const issuer = await createCa('CN=Expiry Test Root');
      const client = ok(
        await server.call<{ id: string }>('POST', `/zones/${tenant.zoneId}/client_certificates`, {
          csr: (await generateKeyAndCsr('sensor-7')).csrPem,
          validity_days: 1,
        }),
      );
      const edgeCert = await issuer.issue({
        subject: 'CN=www.expiry.example.com',
        dns: ['www.expiry.example.com'],
        eku: [Eku.serverAuth],
        notAfter: new Date(Date.now() + 3 * DAY),
      });
      const edge = ok(
        await server.call<{ id: string }>('POST', `/zones/${tenant.zoneId}/custom_certificates`, {
          certificate: edgeCert.certPem,
          private_key: edgeCert.keyPem,
        }),
      );
      // An intermediate (valid one year) uploaded as a CA, with its root.
      const intermediate = await issuer.intermediate('CN=Expiry Test Intermediate');
      const ca = ok(
        await server.call<{ id: string }>('POST', `/accounts/${tenant.accountId}/mtls_certificates`, {
          ca: true,
          certificates: intermediate.certPem + issuer.certPem,
          name: 'expiry intermediate',
        }),
      );
      const report = (query: string, token?: string) =>
        server.call<any[]>(
          'GET',
          `/accounts/${tenant.accountId}/gateway/expiring_certificates${query}`,
          undefined,
          token,
        );

      const soon = ok(await report(''));
      assert.deepEqual(
        soon.map((entry) => [entry.kind, entry.id, entry.days_remaining, entry.expired]),
        [
          ['client', client.id, 0, false],
          ['edge', edge.id, 2, false],
        ],
      );
      assert.deepEqual(Object.keys(soon[1]).sort(), [
        'account_id',
        'days_remaining',
        'expired',
        'expires_on',
        'id',
        'issuer',
        'kind',
        'name',
        'serial_number',
        'zone_id',
      ]);
      assert.equal(soon[0].name, 'sensor-7');
      assert.equal(soon[0].zone_id, tenant.zoneId);
      assert.equal(soon[1].name, 'www.expiry.example.com');
      assert.deepEqual(
        ok(await report('?within_days=2')).map((entry) => entry.kind),
        ['client'],
      );
      // A year and more: the uploaded CA too (the managed CA lasts 20 years); only this account's certificates.
      const year = ok(await report('?within_days=400'));
      assert.deepEqual(
        year.map((entry) => [entry.kind, entry.id]),
        [
          ['client', client.id],
          ['edge', edge.id],
          ['ca', ca.id],
        ],
      );
      assert.ok(year.every((entry) => entry.account_id === tenant.accountId));

      const reader = await createToken(server, 'read', { account_id: tenant.accountId });
      assert.equal(ok(await report('', reader)).length, 2);
      const outsider = await createToken(server, 'read', { zone_id: zoneId });
      fails(await report('', outsider), 403, CODE.forbidden);
      fails(await report('?within_days=-1'), 400, CODE.validation);
      fails(await server.call('GET', `/accounts/${hexId()}/gateway/expiring_certificates`), 404, CODE.notFound);
    });
  });

  describe('GET /metrics (admin listener)', () => {
    const metricsUrl = (): string => server.baseUrl.replace('/client/v4', '/metrics');

    test('answers without a token in the Prometheus text format', async () => {
      const response = await fetch(metricsUrl());
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
      const text = await response.text();
      for (const name of [
        'portcullis_requests_total',
        'portcullis_request_duration_seconds',
        'portcullis_tls_handshake_failures_total',
        'portcullis_certificate_expiry_timestamp_seconds',
        'portcullis_analytics_dropped_total',
        'process_cpu_user_seconds_total',
      ]) {
        assert.match(text, new RegExp(`^# TYPE ${name} `, 'm'), name);
      }
    });

    test('a failed handshake on the gateway listener is counted by reason', async () => {
      const socket = net.connect(server.gatewayPort, '127.0.0.1');
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', () => socket.end('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
        socket.once('close', () => resolve());
        socket.once('error', reject);
      });
      const deadline = Date.now() + 5000;
      let text = '';
      while (Date.now() < deadline) {
        text = await (await fetch(metricsUrl())).text();
        if (text.includes('portcullis_tls_handshake_failures_total{reason=')) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.match(text, /^portcullis_tls_handshake_failures_total\{reason="ERR_CLIENT_HELLO_INVALID"\} 1$/m);
    });
  });
}

describeOnBothStores('observability API', 'observability', defineSuite);
