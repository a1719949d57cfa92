/**
 * The developer portal's store (migration 0012), the same cases on SQLite and a real PostgreSQL:
 * records round-trip, emails and link secrets are unique, a link is used once, apps are found only
 * through their developer, and access requests filter by developer, app, product and status.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openStore, type StoreOptions } from '../../src/store/open-store.ts';
import { StoreConflictError, type Store } from '../../src/store/ports.ts';
import type {
  PortalAccessRequestRecord,
  PortalDeveloperRecord,
  PortalProductRecord,
} from '../../src/model/portal-records.ts';
import { postgresSkipReason, startPostgres, type TestPostgres } from '../helpers/postgres.ts';

const hexId = (): string => randomBytes(16).toString('hex');
const at = (day: number): string => new Date(Date.UTC(2026, 0, day)).toISOString();

function developer(overrides: Partial<PortalDeveloperRecord> = {}): PortalDeveloperRecord {
  return {
    id: hexId(),
    email: `${hexId().slice(0, 8)}@example.com`,
    name: 'Dev',
    passwordHash: 'scrypt$x',
    passwordChangedOn: at(1),
    status: 'active',
    createdOn: at(1),
    modifiedOn: at(1),
    ...overrides,
  };
}

function request(developerId: string, appId: string, overrides: Partial<PortalAccessRequestRecord> = {}) {
  const record: PortalAccessRequestRecord = {
    id: hexId(),
    developerId,
    appId,
    productId: hexId(),
    accountId: hexId(),
    credentialKind: 'csr',
    csrPem: 'CSR',
    certificatePem: null,
    bindTo: 'leaf',
    status: 'pending',
    message: '',
    requestedOn: at(1),
    decidedOn: null,
    zoneId: null,
    clientCertificateId: null,
    keyId: null,
    fingerprintSha256: null,
    notAfter: null,
    replacesId: null,
    graceDays: 0,
    revokeAfter: null,
    ...overrides,
  };
  return record;
}

function defineCases(fresh: () => Promise<StoreOptions>): void {
  const storeTest = (name: string, body: (store: Store) => Promise<void>): void => {
    test(name, async () => {
      const store = await openStore(await fresh());
      try {
        await body(store);
      } finally {
        await store.close();
      }
    });
  };

  storeTest('products: put inserts then replaces, list oldest first, delete', async (store) => {
    const accountId = hexId();
    await store.createAccount({ id: accountId, name: 'Acme', createdAt: at(1) });
    const product: PortalProductRecord = {
      id: hexId(),
      accountId,
      name: 'Orders',
      description: 'd',
      apiIds: [hexId()],
      policyId: hexId(),
      approvalMode: 'manual',
      validityDays: 365,
      published: true,
      createdOn: at(2),
      modifiedOn: at(2),
    };
    const older = { ...product, id: hexId(), name: 'Older', createdOn: at(1), modifiedOn: at(1) };
    await store.putPortalProduct(product);
    await store.putPortalProduct(older);
    await store.putPortalProduct({ ...product, approvalMode: 'automatic' });
    assert.deepEqual(await store.listPortalProducts(), [older, { ...product, approvalMode: 'automatic' }]);
    await store.deletePortalProduct(older.id);
    assert.equal(await store.getPortalProduct(older.id), undefined);
  });

  storeTest('developers: unique email (conflict), update, found by id and by email', async (store) => {
    const first = developer();
    await store.createPortalDeveloper(first);
    await assert.rejects(store.createPortalDeveloper(developer({ email: first.email })), StoreConflictError);
    await store.updatePortalDeveloper({ ...first, status: 'disabled' });
    assert.equal((await store.getPortalDeveloper(first.id))?.status, 'disabled');
    assert.equal((await store.getPortalDeveloperByEmail(first.email))?.id, first.id);
    assert.equal(await store.getPortalDeveloperByEmail('nobody@example.com'), undefined);
    assert.equal((await store.listPortalDevelopers()).length, 1);
  });

  storeTest('links: found by secret hash, used exactly once', async (store) => {
    const link = {
      id: hexId(),
      kind: 'invite' as const,
      secretHash: hexId(),
      email: '',
      developerId: null,
      createdOn: at(1),
      expiresOn: at(9),
      usedOn: null,
    };
    await store.createPortalLink(link);
    assert.deepEqual(await store.getPortalLinkBySecretHash(link.secretHash), link);
    assert.equal(await store.usePortalLink(link.id, at(2)), true);
    assert.equal(await store.usePortalLink(link.id, at(3)), false);
    assert.equal((await store.getPortalLinkBySecretHash(link.secretHash))?.usedOn, at(2));
  });

  storeTest('apps: only through their developer; requests filter by developer, app and status', async (store) => {
    const alice = developer();
    const bob = developer();
    await store.createPortalDeveloper(alice);
    await store.createPortalDeveloper(bob);
    const app = { id: hexId(), developerId: alice.id, name: 'a', description: '', createdOn: at(1) };
    await store.createPortalApp(app);
    assert.deepEqual(await store.getPortalApp(alice.id, app.id), app);
    assert.equal(await store.getPortalApp(bob.id, app.id), undefined, "another developer's app is not found");
    assert.deepEqual(await store.listPortalApps(bob.id), []);
    await store.updatePortalApp({ ...app, developerId: bob.id, name: 'stolen' });
    assert.equal((await store.getPortalApp(alice.id, app.id))?.name, 'a', 'an update names the owner too');
    await store.deletePortalApp(bob.id, app.id);
    assert.ok((await store.getPortalApp(alice.id, app.id)) !== undefined, 'a delete names the owner too');

    const pending = request(alice.id, app.id);
    const approved = request(alice.id, app.id, { status: 'approved', requestedOn: at(2) });
    await store.putPortalAccessRequest(pending);
    await store.putPortalAccessRequest(approved);
    assert.deepEqual(await store.listPortalAccessRequests({ developerId: alice.id }), [pending, approved]);
    assert.deepEqual(await store.listPortalAccessRequests({ developerId: bob.id }), []);
    assert.deepEqual(await store.listPortalAccessRequests({ statuses: ['approved'] }), [approved]);
    assert.deepEqual(await store.listPortalAccessRequests({ statuses: [] }), []);
    await store.putPortalAccessRequest({ ...pending, status: 'rejected', message: 'no' });
    assert.equal((await store.getPortalAccessRequest(pending.id))?.status, 'rejected');
    assert.deepEqual(await store.listPortalAccessRequests({ appId: app.id, statuses: ['pending'] }), []);
  });

  storeTest('a request is held for one decision at a time; a stale hold is taken over', async (store) => {
    const holder = developer();
    await store.createPortalDeveloper(holder);
    const pending = request(holder.id, hexId());
    await store.putPortalAccessRequest(pending);
    const raced = await Promise.all(
      [1, 2, 3].map(() => store.claimPortalAccessRequest(pending.id, 'pending', at(5), at(4))),
    );
    assert.deepEqual(raced.sort(), [false, false, true], 'one holder among racing calls');
    assert.equal((await store.getPortalAccessRequest(pending.id))?.status, 'pending', 'the record is unchanged');
    assert.deepEqual(await store.listPortalAccessRequests({ statuses: ['pending'] }), [], 'not listed while held');
    assert.equal(await store.claimPortalAccessRequest(pending.id, 'pending', at(6), at(5)), false, 'held, not stale');
    assert.equal(await store.claimPortalAccessRequest(pending.id, 'pending', at(9), at(8)), true, 'stale: taken over');
    await store.putPortalAccessRequest({ ...pending, status: 'approved' });
    assert.equal(await store.claimPortalAccessRequest(pending.id, 'pending', at(10), at(9)), false, 'decided');
    assert.equal(await store.claimPortalAccessRequest(pending.id, 'approved', at(10), at(9)), true);
    assert.equal(await store.claimPortalAccessRequest(hexId(), 'pending', at(10), at(9)), false, 'unknown id');
  });
}

describe('portal store: SQLite', () => {
  let dir: string;
  let count = 0;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'portcullis-portal-store-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  defineCases(() => Promise.resolve({ kind: 'sqlite', file: path.join(dir, `store-${++count}.db`) }));
});

describe('portal store: PostgreSQL', { skip: postgresSkipReason() ?? false }, () => {
  let server: TestPostgres;
  let count = 0;
  before(async () => {
    server = await startPostgres();
    await server.createDatabase('portal');
  });
  after(async () => {
    await server.stop();
  });
  defineCases(async () => ({ kind: 'postgres', url: await server.createSchema('portal', `case_${++count}`) }));
});
