/**
 * The store's part of revocation for uploaded CAs (migration 0009), the same on SQLite and on a real
 * PostgreSQL: settings kept apart from the fetch history, the one-gateway-at-a-time fetch lease, CRLs
 * replaced per issuer, block lists unique per scope, and everything of a CA gone with it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openStore, type StoreOptions } from '../../src/store/open-store.ts';
import { StoreConflictError, type Store } from '../../src/store/ports.ts';
import type { CaCrlRecord, CaRevocationSettings } from '../../src/store/ca-revocation-records.ts';
import { postgresSkipReason, startPostgres, type TestPostgres } from '../helpers/postgres.ts';

const hexId = (): string => randomBytes(16).toString('hex');
const iso = (ms: number): string => new Date(ms).toISOString();

const SETTINGS: CaRevocationSettings = {
  onUnavailable: 'fail_closed',
  crlFetch: { enabled: true, urls: ['http://crl.example/a.crl'], refreshIntervalSeconds: 3600, timeoutMs: 10_000 },
  ocsp: { enabled: false, timeoutMs: 2000, nonce: false, maxCacheSeconds: 3600 },
  allowPrivateAddresses: false,
};

function crl(mtlsCertificateId: string, accountId: string, overrides: Partial<CaCrlRecord> = {}): CaCrlRecord {
  return {
    mtlsCertificateId,
    accountId,
    issuerFingerprint: 'AB:CD',
    issuerSubject: 'CN=Fleet CA',
    crlNumber: '1461501637330902918203684832716283019655932542975',
    thisUpdate: iso(Date.UTC(2026, 0, 1)),
    nextUpdate: iso(Date.UTC(2026, 0, 8)),
    revokedSerials: ['AB12', 'CD34'],
    source: 'upload',
    sourceUrl: null,
    updatedAt: iso(Date.UTC(2026, 0, 1)),
    ...overrides,
  };
}

function defineSuite(fresh: () => Promise<StoreOptions>): void {
  let store: Store;
  let accountId: string;
  const caId = randomUUID();

  before(async () => {
    store = await openStore(await fresh());
    accountId = hexId();
    await store.createAccount({ id: accountId, name: 'Fleet', createdAt: iso(0) });
  });
  after(async () => {
    await store.close();
  });

  test('settings: created, replaced without losing the fetch history', async () => {
    await store.putCaRevocationSettings(
      { mtlsCertificateId: caId, accountId, settings: SETTINGS, nextFetchAt: iso(1000) },
      iso(1),
    );
    await store.setDiscoveredCrlUrls(caId, ['http://cdp.example/x.crl'], iso(500));
    const first = await store.getCaRevocation(caId);
    assert.ok(first !== undefined);
    assert.deepEqual(first.settings, SETTINGS);
    assert.deepEqual(first.discoveredCrlUrls, ['http://cdp.example/x.crl']);
    assert.equal(first.nextFetchAt, iso(500), 'a discovery asks for a fetch now');
    const changed = { ...SETTINGS, onUnavailable: 'fail_open' as const };
    await store.putCaRevocationSettings(
      { mtlsCertificateId: caId, accountId, settings: changed, nextFetchAt: iso(2000) },
      iso(2),
    );
    const second = await store.getCaRevocation(caId);
    assert.ok(second !== undefined);
    assert.equal(second.settings.onUnavailable, 'fail_open');
    assert.deepEqual(second.discoveredCrlUrls, ['http://cdp.example/x.crl'], 'kept');
    assert.equal(second.nextFetchAt, iso(2000));
    assert.equal((await store.listAllCaRevocations()).length, 1);
  });

  test('the fetch lease: one holder at a time, only when due, released by its holder', async () => {
    assert.equal(await store.takeCrlFetchLease(caId, 'gw-a', iso(1999), iso(60_000)), false, 'not due yet');
    assert.equal(await store.takeCrlFetchLease(caId, 'gw-a', iso(2000), iso(60_000)), true);
    assert.equal(await store.takeCrlFetchLease(caId, 'gw-b', iso(3000), iso(60_000)), false, 'held by gw-a');
    assert.equal(await store.takeCrlFetchLease(caId, 'gw-b', iso(61_000), iso(120_000)), true, 'gw-a let it expire');
    await store.finishCrlFetch(caId, 'gw-a', { at: iso(62_000), error: null, nextFetchAt: iso(99_000), failures: 0 });
    assert.equal((await store.getCaRevocation(caId))?.lastFetchAt, null, 'gw-a no longer held it');
    await store.finishCrlFetch(caId, 'gw-b', {
      at: iso(62_000),
      error: 'HTTP 500',
      nextFetchAt: iso(90_000),
      failures: 1,
    });
    const state = await store.getCaRevocation(caId);
    assert.deepEqual(
      [state?.lastFetchAt, state?.lastFetchError, state?.fetchFailures, state?.nextFetchAt, state?.lastFetchSuccessAt],
      [iso(62_000), 'HTTP 500', 1, iso(90_000), null],
    );
    assert.equal(await store.takeCrlFetchLease(caId, 'gw-a', iso(90_000), iso(150_000)), true, 'released');
    await store.finishCrlFetch(caId, 'gw-a', { at: iso(91_000), error: null, nextFetchAt: iso(99_000), failures: 0 });
    assert.equal((await store.getCaRevocation(caId))?.lastFetchSuccessAt, iso(91_000));
  });

  test('CRLs: one per issuer, replaced in place; large CRL numbers and empty lists survive', async () => {
    await store.putCaCrl(crl(caId, accountId));
    await store.putCaCrl(crl(caId, accountId, { issuerFingerprint: 'EF:01', revokedSerials: [] }));
    await store.putCaCrl(
      crl(caId, accountId, { crlNumber: '9', source: 'fetch', sourceUrl: 'http://crl.example/a.crl' }),
    );
    const crls = await store.listCaCrls(caId);
    assert.deepEqual(
      crls.map((entry) => [
        entry.issuerFingerprint,
        entry.crlNumber,
        entry.revokedSerials,
        entry.source,
        entry.sourceUrl,
      ]),
      [
        ['AB:CD', '9', ['AB12', 'CD34'], 'fetch', 'http://crl.example/a.crl'],
        ['EF:01', '1461501637330902918203684832716283019655932542975', [], 'upload', null],
      ],
    );
    assert.equal((await store.listAllCaCrls()).length, 2);
  });

  test('blocks: unique per (account, scope, kind, value); listed and deleted per scope', async () => {
    const block = { accountId, scope: caId, kind: 'sha256' as const, value: 'ab'.repeat(32), description: 'lost' };
    const first = { ...block, id: hexId(), createdOn: iso(1) };
    await store.createCertificateBlock(first);
    await assert.rejects(
      store.createCertificateBlock({ ...block, id: hexId(), createdOn: iso(2) }),
      StoreConflictError,
    );
    const accountWide = { ...block, id: hexId(), scope: 'account', createdOn: iso(3) };
    await store.createCertificateBlock(accountWide);
    assert.deepEqual(await store.listCertificateBlocks(accountId, caId), [first]);
    assert.deepEqual(await store.listCertificateBlocks(accountId, 'account'), [accountWide]);
    assert.equal(await store.deleteCertificateBlock(accountId, 'account', first.id), false, 'another scope');
    assert.equal(await store.deleteCertificateBlock(hexId(), caId, first.id), false, 'another account');
    assert.equal((await store.listAllCertificateBlocks()).length, 2);
  });

  test("deleting a CA's revocation removes its settings, CRLs and own blocks, not the account's", async () => {
    await store.deleteCaRevocation(accountId, caId);
    assert.equal(await store.getCaRevocation(caId), undefined);
    assert.deepEqual(await store.listCaCrls(caId), []);
    assert.deepEqual(await store.listCertificateBlocks(accountId, caId), []);
    assert.equal((await store.listCertificateBlocks(accountId, 'account')).length, 1);
  });
}

describe('CA revocation store: SQLite', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'portcullis-ca-revocation-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  defineSuite(() => Promise.resolve({ kind: 'sqlite', file: path.join(dir, 'store.db') }));
});

describe('CA revocation store: PostgreSQL', { skip: postgresSkipReason() ?? false }, () => {
  let server: TestPostgres;
  before(async () => {
    server = await startPostgres();
    await server.createDatabase('revocation');
  });
  defineSuite(async () => ({ kind: 'postgres', url: await server.createSchema('revocation', 'store') }));
  after(async () => {
    await server.stop();
  });
});
