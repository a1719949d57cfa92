/**
 * CertificateExpiryMonitor over a real SQLite store, the real use cases and certificates made at
 * test time with notAfter a few days ahead: what it reports, the gauge it sets, one log line and
 * one webhook POST per certificate and event per cooldown (kept across a restart), expired events,
 * and webhooks that fail, refuse or hang without the run ever rejecting.
 */
import { afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { createCa, DAY, Eku, type CaHandle } from '../../../test/helpers/pki.ts';
import { generateKeyAndCsr } from '../../pki/key-and-csr.ts';
import { PublicPki } from '../../runtime-config/public-pki.ts';
import { openStore } from '../../store/open-store.ts';
import type { Store } from '../../store/ports.ts';
import { SecretBox } from '../../store/secret-box.ts';
import { buildServices } from '../build-services.ts';
import { CONFIG_FILE_PRINCIPAL as OPERATOR } from '../config-file/config-applier.ts';
import { CertificateExpiryService } from './certificate-expiry-service.ts';
import type { TenancyService } from '../tenancy/tenancy-service.ts';
import { CertificateExpiryMonitor, type ExpiryGauge } from './certificate-expiry-monitor.ts';

interface Fixture {
  store: Store;
  tenancy: TenancyService;
  accountId: string;
  zoneId: string;
  ids: { client: string; edge: string; leaf: string; ca: string };
  services: ReturnType<typeof buildServices>;
}

interface Webhook {
  url: string;
  events: Record<string, unknown>[];
  /** Answer status; 0 = never answer. */
  status: number;
  close(): Promise<void>;
}

const dir = mkdtempSync(path.join(tmpdir(), 'portcullis-expiry-'));
const cleanups: (() => Promise<void>)[] = [];
let issuer: CaHandle;
/** When the certificates are made; notAfter values are counted from here. */
let t0 = 0;
/** The monitor's clock: half a day after t0, so whole days remaining never sit on a boundary. */
let clock = 0;
const HALF_DAY = DAY / 2;
const now = (): Date => new Date(clock);

/** A fresh store with: a client certificate (2 days left), an edge certificate (5), an uploaded leaf (10), a CA (10 years), and a revoked client certificate (1). */
async function fixture(): Promise<Fixture> {
  const store = await openStore({ kind: 'sqlite', file: path.join(dir, `${Date.now()}-${Math.random()}.db`) });
  cleanups.push(() => store.close());
  const services = buildServices({
    store,
    box: new SecretBox(randomBytes(32)),
    publicPki: new PublicPki(),
    publicUrl: () => 'https://gateway.example.com',
  });
  const account = await services.tenancy.createAccount(OPERATOR, 'acme');
  const zone = await services.tenancy.createZone(OPERATOR, { name: 'example.com', accountId: account.id });
  const client = await services.clientCertificates.create(OPERATOR, zone.id, {
    csr: (await generateKeyAndCsr('device-1')).csrPem,
    validityDays: 2,
  });
  const revoked = await services.clientCertificates.create(OPERATOR, zone.id, {
    csr: (await generateKeyAndCsr('device-2')).csrPem,
    validityDays: 1,
  });
  await services.clientCertificates.revoke(OPERATOR, zone.id, revoked.id);
  const edgeCert = await issuer.issue({
    subject: 'CN=api.example.com',
    dns: ['api.example.com'],
    eku: [Eku.serverAuth],
    notAfter: new Date(t0 + 5 * DAY),
  });
  const edge = await services.edgeCertificates.upload(OPERATOR, zone.id, {
    certificate: edgeCert.certPem,
    privateKey: edgeCert.keyPem,
  });
  const leafCert = await issuer.issue({ subject: 'CN=upstream client', notAfter: new Date(t0 + 10 * DAY) });
  const leaf = await services.mtlsCertificates.upload(OPERATOR, account.id, {
    ca: false,
    certificates: leafCert.certPem,
    name: 'upstream',
    privateKey: leafCert.keyPem,
  });
  const ca = await services.mtlsCertificates.upload(OPERATOR, account.id, {
    ca: true,
    certificates: issuer.certPem,
    name: 'partner',
  });
  return {
    store,
    tenancy: services.tenancy,
    accountId: account.id,
    zoneId: zone.id,
    ids: { client: client.id, edge: edge.id, leaf: leaf.id, ca: ca.id },
    services,
  };
}

function capturingLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

async function startWebhook(): Promise<Webhook> {
  const events: Record<string, unknown>[] = [];
  const hooks = { status: 200 };
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      assert.equal(request.method, 'POST');
      assert.equal(request.headers['content-type'], 'application/json');
      events.push(JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>);
      if (hooks.status !== 0) response.writeHead(hooks.status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const webhook: Webhook = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/expiry`,
    events,
    get status() {
      return hooks.status;
    },
    set status(value: number) {
      hooks.status = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  cleanups.push(() => webhook.close());
  return webhook;
}

function monitorOf(
  fx: Fixture,
  logger: Logger,
  options: { webhookUrl?: string; gauge?: ExpiryGauge; webhookTimeoutMs?: number } = {},
): CertificateExpiryMonitor {
  const service = new CertificateExpiryService(fx.store, fx.tenancy, now);
  return new CertificateExpiryMonitor({ expiries: service, settings: fx.store, logger, now, ...options });
}

const logged = (lines: Record<string, unknown>[]) =>
  lines.filter((line) => line.msg === 'certificate expiring' || line.msg === 'certificate expired');

describe('CertificateExpiryMonitor (SQLite)', () => {
  before(async () => {
    t0 = Date.now();
    clock = t0 + HALF_DAY;
    issuer = await createCa('CN=Partner Root,O=Partner');
  });
  afterEach(async () => {
    clock = t0 + HALF_DAY;
    while (cleanups.length > 0) await cleanups.pop()?.();
  });
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

  test('reports what expires within the window, soonest first; logs and posts once per cooldown; sets the gauge', async () => {
    const fx = await fixture();
    const webhook = await startWebhook();
    const { logger, lines } = capturingLogger();
    const gauges: { kind: string; id: string; expiresAt: Date }[][] = [];
    const gauge: ExpiryGauge = { setCertificateExpiries: (entries) => gauges.push([...entries]) };
    const monitor = monitorOf(fx, logger, { webhookUrl: webhook.url, gauge });

    const first = await monitor.run();
    assert.deepEqual(
      first.reported.map((entry) => [entry.kind, entry.id, entry.daysRemaining, entry.expired]),
      [
        ['client', fx.ids.client, 1, false],
        ['edge', fx.ids.edge, 4, false],
        ['leaf', fx.ids.leaf, 9, false],
      ],
    );
    assert.equal(first.logged, 3);
    assert.equal(first.delivered, 3);
    assert.equal(logged(lines).length, 3);
    assert.ok(logged(lines).every((line) => line.level === 40 && line.component === 'certificate-expiry'));

    assert.equal(webhook.events.length, 3);
    assert.match(String(first.reported[1]?.issuer), /Partner Root/);
    const edgeEvent = webhook.events.find((event) => event.kind === 'edge');
    assert.deepEqual(edgeEvent, {
      event: 'certificate_expiring',
      kind: 'edge',
      id: fx.ids.edge,
      account_id: fx.accountId,
      zone_id: fx.zoneId,
      name: 'api.example.com',
      issuer: first.reported[1]?.issuer,
      serial_number: '',
      expires_on: first.reported[1]?.expiresOn,
      days_remaining: 4,
      timestamp: new Date(clock).toISOString(),
    });
    const clientEvent = webhook.events.find((event) => event.kind === 'client');
    assert.equal(clientEvent?.name, 'device-1');
    assert.equal(clientEvent.zone_id, fx.zoneId);
    const leafEvent = webhook.events.find((event) => event.kind === 'leaf');
    assert.equal(leafEvent?.name, 'upstream');
    assert.equal(leafEvent.zone_id, null);
    assert.equal(leafEvent.account_id, fx.accountId);

    // The gauge: every CA, leaf, edge certificate and managed CA, and the active client certificates.
    const kinds = (gauges.at(-1) ?? []).map((entry) => `${entry.kind}:${entry.id}`).sort();
    assert.equal(kinds.length, 5);
    for (const [kind, id] of Object.entries(fx.ids)) assert.ok(kinds.includes(`${kind}:${id}`), `${kind} in gauge`);
    assert.ok(kinds.some((entry) => entry.startsWith('managed_ca:')));

    // Within the cooldown: nothing logged or sent again, by this monitor or a new one (a restart).
    const second = await monitor.run();
    assert.equal(second.reported.length, 3);
    assert.deepEqual([second.logged, second.delivered], [0, 0]);
    const restarted = monitorOf(fx, logger, { webhookUrl: webhook.url });
    assert.deepEqual([(await restarted.run()).logged, webhook.events.length, logged(lines).length], [0, 3, 3]);

    // After the cooldown: once more.
    clock += 25 * 3_600_000;
    const third = await monitor.run();
    assert.deepEqual([third.logged, third.delivered, webhook.events.length], [3, 3, 6]);
    await monitor.close();
    await restarted.close();
  });

  test('expired certificates give certificate_expired events (and log errors), at once', async () => {
    const fx = await fixture();
    const webhook = await startWebhook();
    const { logger, lines } = capturingLogger();
    const monitor = monitorOf(fx, logger, { webhookUrl: webhook.url });
    await monitor.run();
    assert.equal(webhook.events.length, 3);

    clock = t0 + 6 * DAY + HALF_DAY; // the client (2 days) and edge (5 days) certificates have expired
    const run = await monitor.run();
    assert.deepEqual(
      run.reported.map((entry) => [entry.kind, entry.expired]),
      [
        ['client', true],
        ['edge', true],
        ['leaf', false],
      ],
    );
    const expired = webhook.events.filter((event) => event.event === 'certificate_expired');
    assert.deepEqual(expired.map((event) => [event.kind, event.days_remaining]).sort(), [
      ['client', -5],
      ['edge', -2],
    ]);
    assert.equal(lines.filter((line) => line.msg === 'certificate expired' && line.level === 50).length, 2);
    await monitor.close();
  });

  test('a window of 3 days reports only the client certificate', async () => {
    const fx = await fixture();
    const service = new CertificateExpiryService(fx.store, fx.tenancy, now);
    const monitor = new CertificateExpiryMonitor({
      expiries: service,
      settings: fx.store,
      logger: pino({ level: 'silent' }),
      windowMs: 3 * DAY,
      now,
    });
    assert.deepEqual(
      (await monitor.run()).reported.map((entry) => entry.kind),
      ['client'],
    );
    await monitor.close();
  });

  test('a refusing webhook does not throw; the events are sent at the next run, not logged again', async () => {
    const fx = await fixture();
    const webhook = await startWebhook();
    const { logger, lines } = capturingLogger();
    const monitor = monitorOf(fx, logger, { webhookUrl: webhook.url });
    webhook.status = 500;
    const failed = await monitor.run();
    assert.deepEqual([failed.logged, failed.delivered], [3, 0]);
    assert.equal(webhook.events.length, 1, 'after one failure the run stops sending');
    assert.equal(lines.filter((line) => line.msg === 'certificate expiry webhook refused the event').length, 1);

    webhook.status = 204;
    const retried = await monitor.run();
    assert.deepEqual([retried.logged, retried.delivered], [0, 3]);
    assert.equal(logged(lines).length, 3);
    assert.deepEqual([(await monitor.run()).delivered, webhook.events.length], [0, 4]);
    await monitor.close();
  });

  test('an unreachable or hanging webhook does not throw and costs one timeout per run', async () => {
    const fx = await fixture();
    const webhook = await startWebhook();
    const { logger, lines } = capturingLogger();
    webhook.status = 0; // never answers
    const hanging = monitorOf(fx, logger, { webhookUrl: webhook.url, webhookTimeoutMs: 200 });
    const started = Date.now();
    const run = await hanging.run();
    assert.ok(Date.now() - started < 2000);
    assert.deepEqual([run.logged, run.delivered], [3, 0]);
    assert.ok(lines.some((line) => line.msg === 'certificate expiry webhook failed' && line.err === 'timeout'));
    await hanging.close();

    const closedPort = webhook.url;
    await webhook.close();
    const unreachable = monitorOf(await fixture(), logger, { webhookUrl: closedPort });
    assert.equal((await unreachable.run()).delivered, 0);
    await unreachable.close();
  });

  test('the gauge shows every active client certificate, not only those in the window, up to its cap', async () => {
    const fx = await fixture();
    const longLived = await fx.services.clientCertificates.create(OPERATOR, fx.zoneId, {
      csr: (await generateKeyAndCsr('device-3')).csrPem,
      validityDays: 400,
    });
    const { logger } = capturingLogger();
    const runs: { ids: string[]; truncated: boolean }[] = [];
    const gauge: ExpiryGauge = {
      setCertificateExpiries: (entries, truncated) =>
        runs.push({ ids: entries.filter((e) => e.kind === 'client').map((e) => e.id), truncated }),
    };
    const monitor = monitorOf(fx, logger, { gauge });
    const result = await monitor.run();
    assert.ok(!result.reported.some((entry) => entry.id === longLived.id), 'outside the 30-day report');
    assert.deepEqual(runs.at(-1), { ids: [fx.ids.client, longLived.id], truncated: false }, 'revoked one left out');
    await monitor.close();

    // Past the cap: the soonest to expire are kept, and the gauge says some were left out.
    const capped = new CertificateExpiryMonitor({
      expiries: new CertificateExpiryService(fx.store, fx.tenancy, now, 1),
      settings: fx.store,
      logger,
      now,
      gauge,
    });
    await capped.run();
    assert.deepEqual(runs.at(-1), { ids: [fx.ids.client], truncated: true });
    await capped.close();
  });

  test('a fleet in the window: the run hands the event loop back while it logs', async () => {
    const fx = await fixture();
    // 1,000 more rows like the expiring client certificate (stored directly: issuing each would take minutes).
    const template = await fx.store.getClientCertificate(fx.zoneId, fx.ids.client);
    assert.ok(template !== undefined);
    for (let index = 0; index < 1000; index += 1) {
      const serial = (0x100000 + index).toString(16);
      await fx.store.createClientCertificate({
        ...template,
        id: randomUUID(),
        serialNumber: serial,
        fingerprintSha256: serial.padStart(64, '0'),
      });
    }
    // Turns of the event loop, counted by a chain of setImmediate callbacks while the run goes on; each log line
    // notes the turn it was written in. As one synchronous loop, all 1,001 lines shared one turn.
    let turns = 0;
    let counting = true;
    const count = (): void => {
      turns += 1;
      if (counting) setImmediate(count);
    };
    const turnsOfLines: number[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        if ((JSON.parse(chunk.toString()) as { msg?: string }).msg === 'certificate expiring') turnsOfLines.push(turns);
        done();
      },
    });
    const monitor = monitorOf(fx, pino({ level: 'info' }, stream));
    setImmediate(count);
    const result = await monitor.run();
    counting = false;
    await monitor.close();
    assert.equal(result.logged, 1003, 'the fleet, the edge and the leaf certificates');
    assert.equal(turnsOfLines.length, 1003);
    const spread = new Set(turnsOfLines).size;
    assert.ok(spread >= 5, `the lines were written in ${spread} turn(s) of the event loop`);
  });
});
