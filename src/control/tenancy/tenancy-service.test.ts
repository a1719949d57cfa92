/**
 * TenancyService over a real SQLite store: the zone names only the operator may create — the
 * gateway's own hostname (the --public-url host) with its parents and subdomains, besides
 * localhost. The claim rules across accounts on both databases are in test/admin-api/tenancy.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GatewayError } from '../../errors/index.ts';
import { openStore } from '../../store/open-store.ts';
import type { Store } from '../../store/ports.ts';
import type { Principal } from '../access-policy.ts';
import { TenancyService } from './tenancy-service.ts';

const OPERATOR: Principal = { id: 'o'.repeat(32), scope: { kind: 'global' }, permission: 'edit' };

const reserved = (error: unknown): boolean =>
  error instanceof GatewayError && error.code === 'GW_ERR_ZONE_RESERVED' && error.httpStatus === 403;

describe('TenancyService: names reserved for the operator', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'portcullis-tenancy-'));
  let store: Store;
  let tenancy: TenancyService;
  let tenant: Principal;
  let accountId: string;

  before(async () => {
    store = await openStore({ kind: 'sqlite', file: path.join(dir, 'store.db') });
    tenancy = new TenancyService(store, { operatorHostnames: ['gw.example.net'] });
    accountId = (await tenancy.createAccount(OPERATOR, 'tenant')).id;
    tenant = { id: 't'.repeat(32), scope: { kind: 'account', accountId }, permission: 'edit' };
  });

  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a tenant cannot create the gateway hostname, a parent of it or a name under it', async () => {
    for (const name of ['gw.example.net', 'example.net', 'api.gw.example.net', 'localhost', 'x.localhost']) {
      await assert.rejects(tenancy.createZone(tenant, { name, accountId }), reserved, name);
    }
    assert.deepEqual(await tenancy.listZones(OPERATOR, {}), []);
    const sibling = await tenancy.createZone(tenant, { name: 'shop.example.net', accountId });
    assert.equal(sibling.name, 'shop.example.net', 'a sibling of the gateway hostname is not reserved');
  });

  test('the operator can, for any account', async () => {
    const zone = await tenancy.createZone(OPERATOR, { name: 'gw.example.net', accountId });
    assert.equal(zone.accountId, accountId);
    assert.equal(zone.delegated, false);
  });
});
