/**
 * The Store contract, run unchanged against SQLite (a temp file) and a real PostgreSQL (started by
 * test/helpers/postgres.ts; skipped with a visible reason when no binaries are installed). Every
 * case gets a fresh, migrated database, so assertions are exact. What one adapter does, the other
 * must do: ordering, nulls, conflicts, transactions, counters.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Migrator, sql, type Kysely } from 'kysely';
import { RevokedSerialsCache } from '../../src/control/publish/revoked-serials-cache.ts';
import { serialForLookup } from '../../src/pki/serial.ts';
import { connectDatabase, migrateDatabase, openStore, type StoreOptions } from '../../src/store/open-store.ts';
import { KyselyStore } from '../../src/store/kysely-store.ts';
import { MIGRATIONS } from '../../src/store/migrations/index.ts';
import { StoreConflictError, type Store } from '../../src/store/ports.ts';
import type {
  AccountRecord,
  ApiTokenRecord,
  ClientCertificateRecord,
  EdgeCertificateRecord,
  ManagedCaRecord,
  MtlsCertificateRecord,
  RouteRecord,
  ApiDefinitionRecord,
  GatewayKeyRecord,
  GatewayPolicyRecord,
  RuleRecord,
  RulesetRecord,
  ZoneRecord,
} from '../../src/model/records.ts';
import { postgresSkipReason, startPostgres, type TestPostgres } from '../helpers/postgres.ts';

/** Where a fresh database comes from; `location` reopens the same one. */
interface Target {
  fresh(): Promise<StoreOptions>;
}

// ---------------------------------------------------------------------------------------------
// Record factories: valid records with unique ids; tests override what they look at.

const hexId = (): string => randomBytes(16).toString('hex');
const at = (day: number, second = 0): string => new Date(Date.UTC(2025, 0, day, 0, 0, second)).toISOString();

function account(overrides: Partial<AccountRecord> = {}): AccountRecord {
  return { id: hexId(), name: 'Acme', createdAt: at(1), ...overrides };
}

function zone(accountId: string, overrides: Partial<ZoneRecord> = {}): ZoneRecord {
  return {
    id: hexId(),
    accountId,
    name: `${hexId().slice(0, 8)}.example`,
    createdAt: at(1),
    delegated: false,
    ...overrides,
  };
}

function token(overrides: Partial<ApiTokenRecord> = {}): ApiTokenRecord {
  return {
    id: hexId(),
    name: 'ci',
    secretHash: randomBytes(32).toString('hex'),
    scope: { kind: 'global' },
    permission: 'edit',
    status: 'active',
    createdAt: at(1),
    notBefore: null,
    expiresOn: null,
    ...overrides,
  };
}

function managedCa(accountId: string, overrides: Partial<ManagedCaRecord> = {}): ManagedCaRecord {
  return {
    id: randomUUID(),
    accountId,
    name: 'Managed CA',
    certificatePem: '-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n',
    sealedPrivateKey: 'v1:c2VhbGVk',
    nextCrlNumber: 1,
    createdAt: at(1),
    ...overrides,
  };
}

function mtlsCertificate(accountId: string, overrides: Partial<MtlsCertificateRecord> = {}): MtlsCertificateRecord {
  return {
    id: randomUUID(),
    accountId,
    name: 'uploaded',
    ca: true,
    certificatesPem: '-----BEGIN CERTIFICATE-----\nUP\n-----END CERTIFICATE-----\n',
    issuer: 'CN=Upload CA,O=Acme',
    serialNumber: '123456789',
    signature: 'ECDSAWithSHA256',
    type: 'custom',
    fingerprintSha256: randomBytes(32).toString('hex'),
    sealedPrivateKey: null,
    compatibility: 'strict',
    expiresOn: at(365),
    uploadedOn: at(1),
    updatedAt: at(1),
    ...overrides,
  };
}

function clientCertificate(
  zoneRecord: ZoneRecord,
  caId: string,
  overrides: Partial<ClientCertificateRecord> = {},
): ClientCertificateRecord {
  return {
    id: randomUUID(),
    zoneId: zoneRecord.id,
    accountId: zoneRecord.accountId,
    caId,
    certificatePem: '-----BEGIN CERTIFICATE-----\nLEAF\n-----END CERTIFICATE-----\n',
    csr: '-----BEGIN CERTIFICATE REQUEST-----\nCSR\n-----END CERTIFICATE REQUEST-----\n',
    commonName: 'device-1',
    country: 'DE',
    state: 'Berlin',
    location: 'Berlin',
    organization: 'Acme',
    organizationalUnit: 'IoT',
    serialNumber: randomBytes(16).toString('hex'),
    fingerprintSha256: randomBytes(32).toString('hex'),
    ski: randomBytes(20).toString('hex'),
    signature: 'ECDSAWithSHA256',
    status: 'active',
    validityDays: 365,
    issuedOn: at(2),
    expiresOn: at(367),
    revokedAt: null,
    ...overrides,
  };
}

function edgeCertificate(zoneId: string, overrides: Partial<EdgeCertificateRecord> = {}): EdgeCertificateRecord {
  return {
    id: randomUUID(),
    zoneId,
    hosts: ['api.example', '*.api.example'],
    certificatePem: '-----BEGIN CERTIFICATE-----\nEDGE\n-----END CERTIFICATE-----\n',
    sealedPrivateKey: 'v1:ZWRnZQ==',
    issuer: 'CN=Edge CA',
    signature: 'SHA256WithRSA',
    expiresOn: at(90),
    uploadedOn: at(1),
    modifiedOn: at(1),
    ...overrides,
  };
}

function gatewayApi(zoneId: string, overrides: Partial<ApiDefinitionRecord> = {}): ApiDefinitionRecord {
  return {
    id: hexId(),
    zoneId,
    name: 'Orders',
    hostname: 'api.example',
    listenPath: '/',
    upstreamUrl: 'http://orders:8080',
    stripListenPath: false,
    upstreamTimeoutMs: null,
    protocol: 'http',
    active: true,
    authMode: 'keyless',
    tokenRequired: false,
    allowedCertificates: [],
    rateLimit: null,
    createdOn: at(1),
    modifiedOn: at(1),
    ...overrides,
  };
}

function gatewayKey(accountId: string, overrides: Partial<GatewayKeyRecord> = {}): GatewayKeyRecord {
  return {
    id: hexId(),
    accountId,
    alias: '',
    certificateBinding: { kind: 'leaf_sha256', value: randomBytes(32).toString('hex') },
    secretHash: null,
    policyIds: [],
    accessRights: [],
    rateLimit: null,
    quota: null,
    expiresOn: null,
    metadata: {},
    active: true,
    createdOn: at(1),
    modifiedOn: at(1),
    ...overrides,
  };
}

function gatewayPolicy(accountId: string, overrides: Partial<GatewayPolicyRecord> = {}): GatewayPolicyRecord {
  return {
    id: hexId(),
    accountId,
    name: 'Gold',
    accessRights: [],
    rateLimit: null,
    quota: null,
    active: true,
    createdOn: at(1),
    modifiedOn: at(1),
    ...overrides,
  };
}

function route(zoneId: string, overrides: Partial<RouteRecord> = {}): RouteRecord {
  return {
    id: hexId(),
    zoneId,
    hostname: 'api.example',
    pathPrefix: '/',
    upstreamUrl: 'http://backend:8080',
    stripPrefix: false,
    upstreamTimeoutMs: null,
    description: '',
    createdOn: at(1),
    modifiedOn: at(1),
    ...overrides,
  };
}

function rule(overrides: Partial<RuleRecord> = {}): RuleRecord {
  const id = hexId();
  return {
    id,
    version: 1,
    action: 'block',
    actionParameters: { response: { status_code: 403, content: 'no', content_type: 'text/plain' } },
    expression: 'not cf.tls_client_auth.cert_verified',
    description: 'verified clients only',
    enabled: true,
    ref: id,
    lastUpdated: at(1),
    logging: null,
    ...overrides,
  };
}

function ruleset(zoneId: string, overrides: Partial<RulesetRecord> = {}): RulesetRecord {
  return {
    id: hexId(),
    zoneId,
    phase: 'http_request_firewall_custom',
    name: 'default',
    description: '',
    kind: 'zone',
    version: 1,
    lastUpdated: at(1),
    rules: [rule()],
    ...overrides,
  };
}

/** An account with one zone and its managed CA: what most cases start from. */
async function tenant(store: Store): Promise<{ account: AccountRecord; zone: ZoneRecord; ca: ManagedCaRecord }> {
  const a = account();
  const z = zone(a.id);
  const ca = managedCa(a.id);
  await store.createAccount(a);
  await store.createZone(z);
  await store.createManagedCa(ca);
  return { account: a, zone: z, ca };
}

const isConflict = (error: unknown): boolean => error instanceof StoreConflictError;

/** The names of the real migration set from `first` on, in the order they run. */
function migrationsFrom(first: string): string[] {
  return Object.keys(MIGRATIONS).filter((name) => name >= first);
}

/** A migrator that knows the migrations up to and including `last` (an older release's set). */
/** A client certificate as the store wrote it before migration 0014: one row, status columns included. */
async function insertCertificateBefore0014<Schema>(db: Kysely<Schema>, record: ClientCertificateRecord): Promise<void> {
  const untyped = db as unknown as Kysely<{ client_certificates: Record<string, unknown> }>;
  await untyped
    .insertInto('client_certificates')
    .values({
      id: record.id,
      zone_id: record.zoneId,
      account_id: record.accountId,
      ca_id: record.caId,
      certificate_pem: record.certificatePem,
      csr: record.csr,
      common_name: record.commonName,
      country: record.country,
      state: record.state,
      location: record.location,
      organization: record.organization,
      organizational_unit: record.organizationalUnit,
      serial_number: record.serialNumber,
      fingerprint_sha256: record.fingerprintSha256,
      ski: record.ski,
      signature: record.signature,
      status: record.status,
      validity_days: record.validityDays,
      issued_on: record.issuedOn,
      expires_on: record.expiresOn,
      revoked_at: record.revokedAt,
    })
    .execute();
}

async function migratorUpTo<Schema>(db: Kysely<Schema>, options: StoreOptions, last: string): Promise<Migrator> {
  const schema =
    options.kind === 'sqlite'
      ? undefined
      : (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]?.schema;
  const upTo = Object.fromEntries(Object.entries(MIGRATIONS).filter(([name]) => name <= last));
  return new Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve(upTo) },
    ...(schema === undefined ? {} : { migrationTableSchema: schema }),
  });
}

// ---------------------------------------------------------------------------------------------
// The contract.

function defineContract(getTarget: () => Target): void {
  /** A test with a fresh, migrated, empty store that is closed afterwards. */
  const storeTest = (name: string, body: (store: Store) => Promise<void>): void => {
    test(name, async () => {
      const store = await openStore(await getTarget().fresh());
      try {
        await body(store);
      } finally {
        await store.close();
      }
    });
  };

  storeTest(
    'accounts: create, get, list all or by ids; absent is undefined or []; duplicate id conflicts',
    async (store) => {
      const first = account({ name: 'First', createdAt: at(1) });
      const second = account({ name: 'Second', createdAt: at(2) });
      await store.createAccount(second);
      await store.createAccount(first);
      assert.deepEqual(await store.getAccount(first.id), first);
      assert.equal(await store.getAccount(hexId()), undefined);
      assert.deepEqual(await store.listAccounts(), [first, second], 'oldest first');
      assert.deepEqual(await store.listAccounts([second.id, hexId()]), [second]);
      assert.deepEqual(await store.listAccounts([]), []);
      await assert.rejects(store.createAccount({ ...first, name: 'Again' }), isConflict);
      assert.deepEqual(await store.getAccount(first.id), first);
    },
  );

  storeTest(
    'zones: get, list by accounts and exact name, sorted by code units; name unique across accounts',
    async (store) => {
      const a = account();
      const b = account();
      await store.createAccount(a);
      await store.createAccount(b);
      // An en-US collation puts B.example after a-b.example; the contract is plain code-unit order.
      const dashed = zone(a.id, { name: 'a-b.example' });
      const plain = zone(a.id, { name: 'ab.example' });
      const other = zone(b.id, { name: 'B.example' });
      for (const z of [plain, other, dashed]) await store.createZone(z);

      assert.deepEqual(await store.getZone(dashed.id), dashed);
      assert.equal(await store.getZone(hexId()), undefined);
      assert.deepEqual(await store.listZones({}), [other, dashed, plain]);
      assert.deepEqual(await store.listZones({ accountIds: [a.id] }), [dashed, plain]);
      assert.deepEqual(await store.listZones({ accountIds: [a.id, b.id], name: 'ab.example' }), [plain]);
      assert.deepEqual(await store.listZones({ name: 'AB.example' }), [], 'names match exactly');
      assert.deepEqual(await store.listZones({ accountIds: [] }), []);

      await assert.rejects(store.createZone(zone(b.id, { name: 'ab.example' })), isConflict);
      assert.deepEqual(await store.listZones({ accountIds: [b.id] }), [other]);
    },
  );

  storeTest(
    'zones: delegated round-trips and can be changed; overlapping zones are the name, its parents and below',
    async (store) => {
      const a = account();
      const b = account();
      await store.createAccount(a);
      await store.createAccount(b);
      const parent = zone(a.id, { name: 'b.test' });
      const child = zone(b.id, { name: 'api.b.test', delegated: true });
      const grandchild = zone(a.id, { name: 'x.api.b.test' });
      const sibling = zone(a.id, { name: 'www.b.test' });
      const lookalike = zone(b.id, { name: 'xb.test' });
      const unrelated = zone(b.id, { name: 'b.testing' });
      for (const z of [parent, child, grandchild, sibling, lookalike, unrelated]) await store.createZone(z);

      assert.deepEqual(await store.getZone(child.id), child);
      assert.deepEqual(await store.listOverlappingZones('api.b.test'), [child, parent, grandchild]);
      assert.deepEqual(await store.listOverlappingZones('b.test'), [child, parent, sibling, grandchild]);
      assert.deepEqual(await store.listOverlappingZones('new.x.api.b.test'), [child, parent, grandchild]);
      assert.deepEqual(await store.listOverlappingZones('c.test'), []);

      await store.setZoneDelegated(child.id, false);
      await store.setZoneDelegated(parent.id, true);
      assert.equal((await store.getZone(child.id))?.delegated, false);
      assert.equal((await store.getZone(parent.id))?.delegated, true);
    },
  );

  storeTest(
    'lockZoneNames: concurrent check-then-insert transactions for overlapping names: exactly one wins',
    async (store) => {
      const names = ['b.test', 'api.b.test', 'x.api.b.test', 'b.test', 'api.b.test', 'login.b.test'];
      const tenants = names.map(() => account());
      for (const a of tenants) await store.createAccount(a);
      // What TenancyService.createZone does, with time between the check and the insert: without
      // the lock, every transaction would see no overlap and insert (they are different names).
      const attempts = names.map((name, index) =>
        store.transaction(async (tx) => {
          await tx.lockZoneNames();
          const overlapping = await tx.listOverlappingZones(name);
          await new Promise((resolve) => setTimeout(resolve, 25));
          if (overlapping.length > 0) return false;
          await tx.createZone(zone(tenants[index]!.id, { name }));
          return true;
        }),
      );
      const won = (await Promise.all(attempts)).filter(Boolean);
      assert.equal(won.length, 1);
      assert.equal((await store.listZones({})).length, 1);
    },
  );

  storeTest(
    'tokens: every scope kind and nullable time round-trips; lookup by hash; status; hash conflicts',
    async (store) => {
      const global = token({ createdAt: at(1) });
      const ofAccount = token({
        scope: { kind: 'account', accountId: hexId() },
        permission: 'read',
        createdAt: at(2),
        notBefore: at(2),
        expiresOn: at(30),
      });
      const ofZone = token({ scope: { kind: 'zone', zoneId: hexId(), accountId: hexId() }, createdAt: at(3) });
      for (const t of [ofZone, global, ofAccount]) await store.createToken(t);

      assert.deepEqual(await store.getToken(ofAccount.id), ofAccount);
      assert.deepEqual(await store.getTokenBySecretHash(ofZone.secretHash), ofZone);
      assert.equal(await store.getTokenBySecretHash(randomBytes(32).toString('hex')), undefined);
      assert.equal(await store.getToken(hexId()), undefined);
      assert.deepEqual(await store.listTokens(), [global, ofAccount, ofZone]);

      await store.setTokenStatus(global.id, 'disabled');
      assert.equal((await store.getToken(global.id))?.status, 'disabled');
      assert.equal((await store.getToken(ofZone.id))?.status, 'active');

      await assert.rejects(store.createToken(token({ secretHash: global.secretHash })), isConflict);
      assert.equal((await store.listTokens()).length, 3);
    },
  );

  storeTest(
    'managed CAs: one per account (a second conflicts, the first stays); get by account and id; list',
    async (store) => {
      const a = account();
      const b = account();
      await store.createAccount(a);
      await store.createAccount(b);
      const caA = managedCa(a.id, { createdAt: at(1), nextCrlNumber: 7 });
      const caB = managedCa(b.id, { createdAt: at(2) });
      await store.createManagedCa(caA);
      await store.createManagedCa(caB);

      assert.deepEqual(await store.getManagedCa(a.id), caA);
      assert.deepEqual(await store.getManagedCaById(caB.id), caB);
      assert.equal(await store.getManagedCa(hexId()), undefined);
      assert.equal(await store.getManagedCaById(randomUUID()), undefined);
      assert.deepEqual(await store.listManagedCas(), [caA, caB]);

      await assert.rejects(store.createManagedCa(managedCa(a.id)), isConflict);
      assert.deepEqual(await store.getManagedCa(a.id), caA);
    },
  );

  storeTest(
    'takeCrlNumber: returns the next number and advances; 20 concurrent callers get 20 distinct',
    async (store) => {
      const { ca } = await tenant(store);
      assert.equal(await store.takeCrlNumber(ca.id), 1);
      assert.equal(await store.takeCrlNumber(ca.id), 2);
      assert.equal((await store.getManagedCaById(ca.id))?.nextCrlNumber, 3);

      const taken = await Promise.all(Array.from({ length: 20 }, () => store.takeCrlNumber(ca.id)));
      assert.deepEqual(
        [...taken].sort((x, y) => x - y),
        Array.from({ length: 20 }, (_, i) => i + 3),
      );
      assert.equal((await store.getManagedCaById(ca.id))?.nextCrlNumber, 23);
      await assert.rejects(store.takeCrlNumber(randomUUID()), /No managed CA/);
    },
  );

  storeTest('mTLS certificates: round trip, account-scoped get, type filter, CA count, delete', async (store) => {
    const a = account();
    const b = account();
    await store.createAccount(a);
    await store.createAccount(b);
    const caCert = mtlsCertificate(a.id, { uploadedOn: at(1) });
    const leaf = mtlsCertificate(a.id, {
      name: null,
      ca: false,
      type: 'gateway_managed',
      sealedPrivateKey: 'v1:bGVhZg==',
      uploadedOn: at(2),
    });
    const otherAccount = mtlsCertificate(b.id, { uploadedOn: at(3) });
    for (const c of [leaf, otherAccount, caCert]) await store.createMtlsCertificate(c);

    assert.deepEqual(await store.getMtlsCertificate(a.id, leaf.id), leaf);
    assert.equal(await store.getMtlsCertificate(b.id, leaf.id), undefined, 'another account does not see it');
    assert.deepEqual(await store.listMtlsCertificates(a.id), [caCert, leaf]);
    assert.deepEqual(await store.listMtlsCertificates(a.id, ['gateway_managed', 'access_managed']), [leaf]);
    assert.deepEqual(await store.listMtlsCertificates(a.id, []), []);
    assert.equal(await store.countCaCertificates(a.id), 1);
    assert.equal(await store.countCaCertificates(hexId()), 0);
    assert.deepEqual(await store.listAllMtlsCertificates(), [caCert, leaf, otherAccount]);

    await assert.rejects(store.createMtlsCertificate({ ...caCert }), isConflict);
    assert.equal(await store.updateMtlsCertificateCompatibility(b.id, caCert.id, 'legacy', at(2)), false);
    assert.equal(await store.updateMtlsCertificateCompatibility(a.id, caCert.id, 'legacy', at(2)), true);
    assert.deepEqual(await store.getMtlsCertificate(a.id, caCert.id), {
      ...caCert,
      compatibility: 'legacy',
      updatedAt: at(2),
    });
    assert.equal((await store.getMtlsCertificate(a.id, leaf.id))?.compatibility, 'strict', 'only that certificate');
    await store.deleteMtlsCertificate(b.id, caCert.id);
    assert.ok(await store.getMtlsCertificate(a.id, caCert.id), 'delete is account-scoped');
    await store.deleteMtlsCertificate(a.id, caCert.id);
    assert.equal(await store.getMtlsCertificate(a.id, caCert.id), undefined);
    assert.equal(await store.countCaCertificates(a.id), 0);
    await store.deleteMtlsCertificate(a.id, caCert.id);
  });

  storeTest(
    'revoked serials cache: follows revocations and reactivations from the changes alone, reads of one CA queued',
    async (store) => {
      const { zone: z, ca } = await tenant(store);
      const first = clientCertificate(z, ca.id, { issuedOn: at(2) });
      const second = clientCertificate(z, ca.id, { issuedOn: at(3), commonName: 'device-2' });
      for (const c of [first, second]) await store.createClientCertificate(c);
      const cache = new RevokedSerialsCache();
      const serials = async (): Promise<[string, number][]> => [...(await cache.read(store, ca.id)).revokedAtMs];
      assert.deepEqual(await serials(), []);

      await store.updateClientCertificateStatus(z.id, first.id, 'revoked', at(10));
      assert.deepEqual(await serials(), [[serialForLookup(first.serialNumber), Date.parse(at(10))]]);
      const held = await cache.read(store, ca.id);
      assert.ok(held.serials.set.has(serialForLookup(first.serialNumber)), 'the lookup form the index reads');

      // A reactivation and a revocation, then two reads at once (a compile and a CRL publication).
      await store.updateClientCertificateStatus(z.id, first.id, 'active', null);
      await store.updateClientCertificateStatus(z.id, second.id, 'pending_revocation', at(11));
      const [a, b] = await Promise.all([cache.read(store, ca.id), cache.read(store, ca.id)]);
      assert.equal(a, b, 'one entry, kept current in place');
      assert.deepEqual([...a.revokedAtMs], [[serialForLookup(second.serialNumber), Date.parse(at(11))]]);
      assert.deepEqual([...a.serials.set.keys()], [serialForLookup(second.serialNumber)]);
      assert.equal(held.serials.set.has(serialForLookup(first.serialNumber)), false, 'updated in place');
      assert.deepEqual(
        await store.listRevokedSerials(ca.id),
        { serials: [second.serialNumber], revokedAtMs: [Date.parse(at(11))] },
        'the same as a full listing',
      );
    },
  );

  storeTest(
    'bulk revocation by tag: every active certificate of the zone with it, past one 1,000-id batch and across CAs',
    async (store) => {
      const { zone: z, ca } = await tenant(store);
      const elsewhere = zone(z.accountId);
      await store.createZone(elsewhere);
      const otherAccount = account();
      await store.createAccount(otherAccount);
      const otherCa = managedCa(otherAccount.id);
      await store.createManagedCa(otherCa);
      // Read before the revocation, so it must follow the change from the status versions alone.
      const cache = new RevokedSerialsCache();
      for (const id of [ca.id, otherCa.id]) await cache.read(store, id);
      const create = async (c: ClientCertificateRecord, tags: string[]): Promise<ClientCertificateRecord> => {
        await store.createClientCertificate(c);
        await store.setClientCertificateTags(c.id, c.zoneId, tags);
        return c;
      };
      const tagged: ClientCertificateRecord[] = [];
      // 1,140 of the first CA (two UPDATE batches of 1,000 ids) and 60 of the other.
      for (let index = 0; index < 1_200; index += 1) {
        tagged.push(await create(clientCertificate(z, index % 20 === 0 ? otherCa.id : ca.id), ['fleet', 'x']));
      }
      const untagged = await create(clientCertificate(z, ca.id), ['other']);
      const revokedBefore = {
        ...(await create(clientCertificate(z, ca.id), ['fleet'])),
        status: 'revoked' as const,
        revokedAt: at(5),
      };
      await store.updateClientCertificateStatus(z.id, revokedBefore.id, 'revoked', at(5));
      const otherZone = await create(clientCertificate(elsewhere, ca.id), ['fleet']);
      const versions = [await store.getRevocationVersion(ca.id), await store.getRevocationVersion(otherCa.id)];

      // Read before too, then told of the revocation by its answer alone (the process that revoked).
      const told = new RevokedSerialsCache();
      for (const id of [ca.id, otherCa.id]) await told.read(store, id);

      const revoked = await store.bulkRevokeClientCertificates(z.id, { tag: 'fleet' }, at(20));
      const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);
      assert.deepEqual(
        revoked.map(({ id, caId }) => ({ id, caId })).sort(byId),
        tagged.map((c) => ({ id: c.id, caId: c.caId })).sort(byId),
        'the tagged active ones, each with its CA',
      );
      const newVersions = [await store.getRevocationVersion(ca.id), await store.getRevocationVersion(otherCa.id)];
      assert.deepEqual(
        revoked.map(({ id, serialNumber, version }) => ({ id, serialNumber, version })).sort(byId),
        tagged
          .map((c) => ({ id: c.id, serialNumber: c.serialNumber, version: newVersions[c.caId === ca.id ? 0 : 1] }))
          .sort(byId),
        'each with its serial and the new revocation version of its CA',
      );
      const another = new RevokedSerialsCache();
      for (const [index, id] of [ca.id, otherCa.id].entries()) {
        const serials = revoked.filter((entry) => entry.caId === id).map((entry) => entry.serialNumber);
        const version = newVersions[index] ?? 0;
        assert.equal(version, (versions[index] ?? 0) + 1, 'each CA raised once');
        assert.equal(await told.applyOwn(id, version, serials, Date.parse(at(20))), true, 'the version that follows');
        // A cache at another version (here: never read) may have missed a change in between: left to its next read.
        assert.equal(await another.applyOwn(id, version, serials, Date.parse(at(20))), false);
      }
      const revokedSerials = (caId: string, more: ClientCertificateRecord[] = []) =>
        [...tagged.filter((c) => c.caId === caId), ...more].map((c) => c.serialNumber).sort();
      const listedSerials = async (caId: string) => [...(await store.listRevokedSerials(caId)).serials].sort();
      assert.deepEqual(await listedSerials(ca.id), revokedSerials(ca.id, [revokedBefore]));
      assert.deepEqual(await listedSerials(otherCa.id), revokedSerials(otherCa.id));
      assert.equal((await store.getClientCertificate(z.id, tagged[1]?.id ?? ''))?.revokedAt, at(20));
      assert.deepEqual(await store.getClientCertificate(z.id, revokedBefore.id), revokedBefore, 'left as it was');
      assert.equal((await store.getClientCertificate(z.id, untagged.id))?.status, 'active');
      assert.equal((await store.getClientCertificate(elsewhere.id, otherZone.id))?.status, 'active', 'zone-scoped');
      assert.ok((await store.getRevocationVersion(ca.id)) > (versions[0] ?? 0));
      assert.ok((await store.getRevocationVersion(otherCa.id)) > (versions[1] ?? 0));
      for (const id of [ca.id, otherCa.id]) {
        assert.deepEqual(
          [...(await cache.read(store, id)).revokedAtMs.keys()].sort(),
          (await listedSerials(id)).map(serialForLookup).sort(),
          'the revoked serials cache follows',
        );
      }
      for (const id of [ca.id, otherCa.id]) {
        assert.deepEqual(
          [...(await told.read(store, id)).revokedAtMs.keys()].sort(),
          (await listedSerials(id)).map(serialForLookup).sort(),
          'the cache told by the answer holds the same',
        );
      }
      assert.deepEqual(await store.bulkRevokeClientCertificates(z.id, { tag: 'fleet' }, at(21)), [], 'none left');
    },
  );

  storeTest(
    'client certificates: round trip, zone-scoped get, status changes, revoked list, serial lookup, conflicts',
    async (store) => {
      const { zone: z, ca } = await tenant(store);
      const other = zone(z.accountId);
      await store.createZone(other);
      const first = clientCertificate(z, ca.id, { issuedOn: at(2) });
      const second = clientCertificate(z, ca.id, { issuedOn: at(3), commonName: 'device-2' });
      const elsewhere = clientCertificate(other, ca.id, { issuedOn: at(4) });
      for (const c of [second, elsewhere, first]) await store.createClientCertificate(c);

      assert.deepEqual(await store.getClientCertificate(z.id, first.id), first);
      assert.equal(await store.getClientCertificate(other.id, first.id), undefined, 'another zone does not see it');
      assert.deepEqual(await store.getClientCertificateBySerial(ca.id, second.serialNumber), second);
      assert.equal(await store.getClientCertificateBySerial(randomUUID(), second.serialNumber), undefined);
      assert.equal(await store.countActiveClientCertificates(z.id), 2);
      assert.deepEqual(await store.listRevokedSerials(ca.id), { serials: [], revokedAtMs: [] });
      const versionBefore = await store.getRevocationVersion(ca.id);

      await store.updateClientCertificateStatus(z.id, first.id, 'pending_revocation', at(10));
      await store.updateClientCertificateStatus(other.id, second.id, 'revoked', at(10)); // wrong zone: no change
      await store.updateClientCertificateStatus(other.id, elsewhere.id, 'revoked', at(11));
      const pending = { ...first, status: 'pending_revocation' as const, revokedAt: at(10) };
      assert.deepEqual(await store.getClientCertificate(z.id, first.id), pending);
      assert.equal((await store.getClientCertificate(z.id, second.id))?.status, 'active');
      assert.equal(await store.countActiveClientCertificates(z.id), 1);
      // Serials with their revocation times, in no particular order.
      const listed = await store.listRevokedSerials(ca.id);
      assert.deepEqual(
        listed.serials.map((serial, index) => [serial, listed.revokedAtMs[index]]).sort(),
        [
          [pending.serialNumber, Date.parse(at(10))],
          [elsewhere.serialNumber, Date.parse(at(11))],
        ].sort(),
      );
      // Two status changes of its certificates (the wrong-zone update changed nothing): the version moved.
      assert.equal(await store.getRevocationVersion(ca.id), versionBefore + 2);
      assert.equal(await store.getRevocationVersion(randomUUID()), 0, 'an unknown CA');
      assert.deepEqual(
        (await store.listClientCertificateFingerprints([first.id, randomUUID()])).map((c) => [c.id, c.zoneId]),
        [[first.id, z.id]],
        'only known ids',
      );

      await store.updateClientCertificateStatus(z.id, first.id, 'active', null);
      assert.deepEqual(await store.getClientCertificate(z.id, first.id), first, 'reactivated');
      assert.deepEqual(
        (await store.listAllClientCertificates()).map((c) => c.id),
        [first.id, second.id, elsewhere.id],
      );

      await assert.rejects(
        store.createClientCertificate(clientCertificate(z, ca.id, { serialNumber: first.serialNumber })),
        isConflict,
        'serials are unique per CA',
      );
      await assert.rejects(
        store.createClientCertificate({ ...second, serialNumber: 'ff' }),
        isConflict,
        'ids are unique',
      );
    },
  );

  storeTest(
    'client certificates: pages ordered by (issuedOn, id) with totals, status filters, empty page past the end',
    async (store) => {
      const { zone: z, ca } = await tenant(store);
      const certificates: ClientCertificateRecord[] = [];
      for (let i = 0; i < 7; i++) {
        // Pairs share an issue time, so the id decides their order.
        const c = clientCertificate(z, ca.id, {
          issuedOn: at(2, Math.floor(i / 2)),
          status: i % 3 === 0 ? 'revoked' : 'active',
          revokedAt: i % 3 === 0 ? at(20) : null,
        });
        certificates.push(c);
      }
      for (const c of [...certificates].reverse()) await store.createClientCertificate(c);
      const ordered = [...certificates].sort((x, y) =>
        x.issuedOn === y.issuedOn ? (x.id < y.id ? -1 : 1) : x.issuedOn < y.issuedOn ? -1 : 1,
      );

      const page = (offset: number, limit: number, statuses?: ClientCertificateRecord['status'][]) =>
        store.listClientCertificates(z.id, statuses === undefined ? {} : { statuses }, { offset, limit });
      assert.deepEqual(await page(0, 3), { items: ordered.slice(0, 3), total: 7 });
      assert.deepEqual(await page(3, 3), { items: ordered.slice(3, 6), total: 7 });
      assert.deepEqual(await page(6, 3), { items: ordered.slice(6), total: 7 });
      assert.deepEqual(await page(9, 3), { items: [], total: 7 });

      const revoked = ordered.filter((c) => c.status === 'revoked');
      assert.deepEqual(await page(0, 10, ['revoked']), { items: revoked, total: 3 });
      assert.deepEqual(await page(1, 1, ['revoked', 'pending_revocation']), { items: revoked.slice(1, 2), total: 3 });
      assert.deepEqual(await page(0, 10, []), { items: [], total: 0 });
      assert.deepEqual(await store.listClientCertificates(hexId(), {}, { offset: 0, limit: 10 }), {
        items: [],
        total: 0,
      });
    },
  );

  storeTest(
    'hostname associations: replace sets the whole list, [] clears it, managed and uploaded CA lists are independent',
    async (store) => {
      const { account: a, zone: z } = await tenant(store);
      const other = zone(a.id);
      await store.createZone(other);
      const uploaded = mtlsCertificate(a.id);
      await store.createMtlsCertificate(uploaded);

      await store.replaceHostnames(z.id, null, ['b.example', 'a.example', 'a-b.example', 'b.example']);
      await store.replaceHostnames(z.id, uploaded.id, ['a.example', 'c.example']);
      await store.replaceHostnames(other.id, uploaded.id, ['z.example']);
      assert.deepEqual(await store.listHostnames(z.id, null), ['a-b.example', 'a.example', 'b.example']);
      assert.deepEqual(await store.listHostnames(z.id, uploaded.id), ['a.example', 'c.example']);
      assert.deepEqual(await store.listHostnames(z.id, randomUUID()), []);
      assert.deepEqual(await store.listAssociationsOfCertificate(uploaded.id), [
        ...[other.id, z.id].sort().flatMap((zoneId) =>
          zoneId === z.id
            ? [
                { zoneId, hostname: 'a.example', mtlsCertificateId: uploaded.id },
                { zoneId, hostname: 'c.example', mtlsCertificateId: uploaded.id },
              ]
            : [{ zoneId, hostname: 'z.example', mtlsCertificateId: uploaded.id }],
        ),
      ]);

      await store.replaceHostnames(z.id, null, ['c.example']);
      assert.deepEqual(await store.listHostnames(z.id, null), ['c.example'], 'replaced, not merged');
      assert.deepEqual(await store.listHostnames(z.id, uploaded.id), ['a.example', 'c.example'], 'other CA untouched');

      await store.replaceHostnames(z.id, uploaded.id, []);
      assert.deepEqual(await store.listHostnames(z.id, uploaded.id), []);
      assert.deepEqual(await store.listHostnames(other.id, uploaded.id), ['z.example'], 'other zone untouched');
      assert.deepEqual(
        await store.listAllAssociations(),
        [
          { zoneId: z.id, hostname: 'c.example', mtlsCertificateId: null },
          { zoneId: other.id, hostname: 'z.example', mtlsCertificateId: uploaded.id },
        ].sort((x, y) => (x.zoneId < y.zoneId ? -1 : 1)),
      );
    },
  );

  storeTest(
    'zones: usage counts what a zone holds; deleteZone removes it with its configuration and keeps its client certificates',
    async (store) => {
      const { account: a, zone: z, ca } = await tenant(store);
      const other = zone(a.id);
      await store.createZone(other);
      const live = clientCertificate(z, ca.id);
      const revoked = clientCertificate(z, ca.id, { status: 'revoked', revokedAt: at(3) });
      const reactivating = clientCertificate(z, ca.id, { status: 'pending_reactivation' });
      for (const certificate of [live, revoked, reactivating]) await store.createClientCertificate(certificate);
      await store.replaceHostnames(z.id, null, ['a.example', 'b.example']);
      await store.createEdgeCertificate(edgeCertificate(z.id));
      await store.createRoute(route(z.id));
      await store.createApi(gatewayApi(z.id));
      await store.saveRuleset(ruleset(z.id), null);
      await store.putZoneSetting(z.id, 'managed_headers', { xfcc: true });
      await store.createRoute(route(other.id, { hostname: 'other.example' }));

      assert.deepEqual(await store.zoneUsage(z.id), {
        routes: 1,
        apis: 1,
        hostnameAssociations: 2,
        edgeCertificates: 1,
        liveClientCertificates: 2,
      });
      assert.deepEqual(await store.zoneUsage(hexId()), {
        routes: 0,
        apis: 0,
        hostnameAssociations: 0,
        edgeCertificates: 0,
        liveClientCertificates: 0,
      });

      await store.deleteZone(z.id);
      assert.equal(await store.getZone(z.id), undefined);
      assert.deepEqual(await store.listRoutes(z.id), []);
      assert.deepEqual(await store.listApis(z.id), []);
      assert.deepEqual(await store.listEdgeCertificates(z.id), []);
      assert.deepEqual(await store.listHostnames(z.id, null), []);
      assert.deepEqual(await store.listRulesets(z.id), []);
      assert.equal(await store.getZoneSetting(z.id, 'managed_headers'), undefined);
      // Issued certificates outlive the zone: the CRL and OCSP still find them.
      assert.deepEqual(
        (await store.listRevokedSerials(ca.id)).serials,
        [revoked.serialNumber], // pending_reactivation authenticates again at once: not revoked
      );
      assert.deepEqual(await store.getClientCertificateBySerial(ca.id, live.serialNumber), live);
      assert.equal((await store.listRoutes(other.id)).length, 1, 'another zone keeps its configuration');
      // The name is free again, for a new zone with a new id.
      await store.createZone(zone(a.id, { name: z.name }));
    },
  );

  storeTest('edge certificates: round trip with hosts, zone-scoped get and delete, lists', async (store) => {
    const { zone: z } = await tenant(store);
    const other = zone(z.accountId);
    await store.createZone(other);
    const first = edgeCertificate(z.id, { uploadedOn: at(1) });
    const second = edgeCertificate(z.id, { hosts: [], uploadedOn: at(2) });
    const elsewhere = edgeCertificate(other.id, { uploadedOn: at(3) });
    for (const e of [second, elsewhere, first]) await store.createEdgeCertificate(e);

    assert.deepEqual(await store.getEdgeCertificate(z.id, first.id), first);
    assert.equal(await store.getEdgeCertificate(other.id, first.id), undefined);
    assert.deepEqual(await store.listEdgeCertificates(z.id), [first, second]);
    assert.deepEqual(await store.listAllEdgeCertificates(), [first, second, elsewhere]);
    await assert.rejects(store.createEdgeCertificate({ ...first }), isConflict);

    await store.deleteEdgeCertificate(other.id, first.id);
    assert.ok(await store.getEdgeCertificate(z.id, first.id), 'delete is zone-scoped');
    await store.deleteEdgeCertificate(z.id, first.id);
    assert.deepEqual(await store.listEdgeCertificates(z.id), [second]);
  });

  storeTest('settings: absent is undefined; put inserts then overwrites', async (store) => {
    assert.equal(await store.getSetting('edge_ca'), undefined);
    await store.putSetting('edge_ca', 'one');
    await store.putSetting('other', '');
    await store.putSetting('edge_ca', 'two');
    assert.equal(await store.getSetting('edge_ca'), 'two');
    assert.equal(await store.getSetting('other'), '');
  });

  storeTest(
    'routes: round trip, zone-scoped get/update/delete, ordered by hostname then longest prefix',
    async (store) => {
      const { zone: z } = await tenant(store);
      const other = zone(z.accountId);
      await store.createZone(other);
      // "B.example" sorts before "a.example" in code units (an en-US collation would not).
      const root = route(z.id, { hostname: 'a.example', pathPrefix: '/' });
      const deep = route(z.id, { hostname: 'a.example', pathPrefix: '/api/v1', stripPrefix: true, description: 'v1' });
      const api = route(z.id, { hostname: 'a.example', pathPrefix: '/api', upstreamUrl: 'h2c://grpc:50051' });
      const upper = route(z.id, { hostname: 'B.example', pathPrefix: '/x' });
      const wildcard = route(z.id, { hostname: '*.a.example' });
      const elsewhere = route(other.id, { hostname: 'c.example' });
      for (const r of [api, elsewhere, root, upper, deep, wildcard]) await store.createRoute(r);

      assert.deepEqual(await store.getRoute(z.id, deep.id), deep);
      assert.equal(await store.getRoute(other.id, deep.id), undefined, 'another zone does not see it');
      assert.equal(await store.getRoute(z.id, hexId()), undefined);
      assert.deepEqual(await store.listRoutes(z.id), [wildcard, upper, deep, api, root]);
      assert.deepEqual(await store.listRoutes(hexId()), []);
      assert.deepEqual(await store.listAllRoutes(), [wildcard, upper, deep, api, root, elsewhere]);

      const changed = {
        ...api,
        upstreamUrl: 'https://new',
        stripPrefix: true,
        upstreamTimeoutMs: 2_500,
        description: 'new',
        modifiedOn: at(2),
      };
      await store.updateRoute(changed);
      assert.deepEqual(await store.getRoute(z.id, api.id), changed);
      await store.updateRoute({ ...changed, createdOn: at(9) });
      assert.equal((await store.getRoute(z.id, api.id))?.createdOn, at(1), 'createdOn never changes');
      await store.updateRoute({ ...changed, zoneId: other.id, description: 'moved?' });
      assert.deepEqual(await store.getRoute(z.id, api.id), changed, 'update is zone-scoped');

      await store.deleteRoute(other.id, root.id);
      assert.ok(await store.getRoute(z.id, root.id), 'delete is zone-scoped');
      await store.deleteRoute(z.id, root.id);
      assert.equal(await store.getRoute(z.id, root.id), undefined);
      await store.deleteRoute(z.id, root.id);
    },
  );

  storeTest(
    'routes: (hostname, prefix) is unique across zones, on create and on update; ids are unique',
    async (store) => {
      const { zone: z } = await tenant(store);
      const other = zone(z.accountId);
      await store.createZone(other);
      const first = route(z.id, { hostname: 'api.example', pathPrefix: '/v1' });
      const second = route(z.id, { hostname: 'api.example', pathPrefix: '/v2' });
      await store.createRoute(first);
      await store.createRoute(second);

      await assert.rejects(
        store.createRoute(route(other.id, { hostname: 'api.example', pathPrefix: '/v1' })),
        isConflict,
      );
      await assert.rejects(store.createRoute({ ...first, pathPrefix: '/v3' }), isConflict, 'same id');
      await assert.rejects(store.updateRoute({ ...second, pathPrefix: '/v1' }), isConflict);
      assert.deepEqual(
        await store.listAllRoutes(),
        [first, second].sort((x, y) => (x.id < y.id ? -1 : 1)), // same hostname, equal prefix lengths: by id
      );
      await store.createRoute(route(z.id, { hostname: 'api.example', pathPrefix: '/V1' }));
      await store.createRoute(route(other.id, { hostname: 'www.example', pathPrefix: '/v1' }));
      assert.equal((await store.listAllRoutes()).length, 4, 'prefixes are case-sensitive; hostnames part of the key');
    },
  );

  storeTest('zone settings: absent is undefined; JSON values round-trip; put overwrites; per zone', async (store) => {
    const { zone: z } = await tenant(store);
    const other = zone(z.accountId);
    await store.createZone(other);
    assert.equal(await store.getZoneSetting(z.id, 'managed_request_headers'), undefined);

    const headers = { add_forwarded_client_cert_header: true, add_client_certificate_headers: false };
    await store.putZoneSetting(z.id, 'managed_request_headers', headers);
    await store.putZoneSetting(other.id, 'managed_request_headers', {});
    assert.deepEqual(await store.getZoneSetting(z.id, 'managed_request_headers'), headers);
    await store.putZoneSetting(z.id, 'managed_request_headers', { add_forwarded_client_cert_header: false });
    assert.deepEqual(await store.getZoneSetting(z.id, 'managed_request_headers'), {
      add_forwarded_client_cert_header: false,
    });
    assert.deepEqual(await store.getZoneSetting(other.id, 'managed_request_headers'), {}, 'other zone untouched');

    const values: unknown[] = [
      null,
      false,
      0,
      'text with "quotes" and ünïcode',
      [1, 'two', { three: 3 }],
      { a: { b: [] } },
    ];
    for (const [index, value] of values.entries()) await store.putZoneSetting(z.id, `value-${index}`, value);
    for (const [index, value] of values.entries()) {
      assert.deepEqual(await store.getZoneSetting(z.id, `value-${index}`), value, JSON.stringify(value));
    }
    assert.equal(await store.getZoneSetting(hexId(), 'managed_request_headers'), undefined);

    const all = await store.listAllZoneSettings();
    assert.equal(all.length, 2 + values.length);
    assert.deepEqual(
      all
        .filter((setting) => setting.name === 'managed_request_headers')
        .sort((x, y) => (x.zoneId < y.zoneId ? -1 : 1)),
      [
        { zoneId: z.id, name: 'managed_request_headers', value: { add_forwarded_client_cert_header: false } },
        { zoneId: other.id, name: 'managed_request_headers', value: {} },
      ].sort((x, y) => (x.zoneId < y.zoneId ? -1 : 1)),
    );
  });

  storeTest(
    'rulesets: expectedVersion null creates; the next save needs the stored version; history newest first',
    async (store) => {
      const { zone: z } = await tenant(store);
      const v1 = ruleset(z.id);
      await store.saveRuleset(v1, null);
      assert.deepEqual(await store.getRuleset(z.id, v1.id), v1);
      assert.deepEqual(await store.getRulesetByPhase(z.id, v1.phase), v1);
      assert.equal(await store.getRulesetByPhase(z.id, 'http_request_late_transform'), undefined);
      assert.equal(await store.getRuleset(hexId(), v1.id), undefined, 'another zone does not see it');

      const v2 = { ...v1, version: 2, lastUpdated: at(2), rules: [...v1.rules, rule({ action: 'log' })] };
      await assert.rejects(store.saveRuleset(v2, null), isConflict, 'null when it exists');
      await assert.rejects(store.saveRuleset(v2, 2), isConflict, 'a version not stored');
      assert.deepEqual(await store.getRuleset(z.id, v1.id), v1, 'refused saves change nothing');
      await store.saveRuleset(v2, 1);
      const v3 = { ...v2, version: 3, lastUpdated: at(3), rules: [] };
      await assert.rejects(store.saveRuleset(v3, 1), isConflict, 'a stale version');
      await store.saveRuleset(v3, 2);

      assert.deepEqual(await store.getRuleset(z.id, v1.id), v3);
      assert.deepEqual(await store.listRulesetVersions(v1.id), [v3, v2, v1]);
      assert.deepEqual(await store.getRulesetVersion(v1.id, 1), v1);
      assert.deepEqual(await store.getRulesetVersion(v1.id, 2), v2);
      assert.equal(await store.getRulesetVersion(v1.id, 4), undefined);
      assert.deepEqual(await store.listRulesetVersions(hexId()), []);
    },
  );

  storeTest(
    'rulesets: one entry point per (zone, phase); lists; delete is zone-scoped and removes the history',
    async (store) => {
      const { zone: z } = await tenant(store);
      const other = zone(z.accountId);
      await store.createZone(other);
      const custom = ruleset(z.id);
      const late = ruleset(z.id, { phase: 'http_request_late_transform', rules: [] });
      const elsewhere = ruleset(other.id);
      for (const r of [custom, late, elsewhere]) await store.saveRuleset(r, null);
      await assert.rejects(store.saveRuleset(ruleset(z.id), null), isConflict, 'a second entry point of a phase');

      const byId = (x: RulesetRecord, y: RulesetRecord): number => (x.id < y.id ? -1 : 1);
      assert.deepEqual(await store.listRulesets(z.id), [custom, late].sort(byId));
      assert.deepEqual(await store.listRulesets(hexId()), []);
      assert.deepEqual((await store.listAllRulesets()).sort(byId), [custom, late, elsewhere].sort(byId));

      await store.saveRuleset({ ...custom, version: 2 }, 1);
      await store.deleteRuleset(other.id, custom.id);
      assert.ok(await store.getRuleset(z.id, custom.id), 'delete is zone-scoped');
      assert.equal((await store.listRulesetVersions(custom.id)).length, 2);
      await store.deleteRuleset(z.id, custom.id);
      assert.equal(await store.getRuleset(z.id, custom.id), undefined);
      assert.equal(await store.getRulesetByPhase(z.id, custom.phase), undefined);
      assert.deepEqual(await store.listRulesetVersions(custom.id), [], 'history removed');
      assert.equal(await store.getRulesetVersion(custom.id, 1), undefined);
      await store.deleteRuleset(z.id, custom.id);

      // The phase is free again, and a new entry point starts a new history.
      const again = ruleset(z.id);
      await store.saveRuleset(again, null);
      assert.deepEqual(await store.listRulesetVersions(again.id), [again]);
    },
  );

  storeTest('rulesets: concurrent saves of the same version: exactly one wins, the others conflict', async (store) => {
    const { zone: z } = await tenant(store);
    const v1 = ruleset(z.id);
    await store.saveRuleset(v1, null);
    const attempts = Array.from({ length: 5 }, (_, i) => ({ ...v1, version: 2, description: `writer ${i}` }));
    const results = await Promise.allSettled(attempts.map((attempt) => store.saveRuleset(attempt, 1)));
    const won = results.flatMap((result, i) => (result.status === 'fulfilled' ? [attempts[i]!] : []));
    assert.equal(won.length, 1, JSON.stringify(results.map((result) => result.status)));
    for (const result of results)
      if (result.status === 'rejected') assert.ok(isConflict(result.reason), String(result.reason));
    assert.deepEqual(await store.getRuleset(z.id, v1.id), won[0]);
    assert.deepEqual(await store.listRulesetVersions(v1.id), [won[0], v1]);
  });

  storeTest('transaction: commits every write and returns what work returns', async (store) => {
    const a = account();
    const result = await store.transaction(async (tx) => {
      await tx.createAccount(a);
      await tx.createZone(zone(a.id, { name: 'tx.example' }));
      await tx.replaceHostnames((await tx.listZones({ name: 'tx.example' }))[0]!.id, null, ['h.tx.example']);
      return 'done';
    });
    assert.equal(result, 'done');
    assert.deepEqual(await store.getAccount(a.id), a);
    assert.equal((await store.listAllAssociations()).length, 1);
  });

  storeTest('transaction: a throw inside rolls back every write', async (store) => {
    const { account: a, zone: z, ca } = await tenant(store);
    await store.replaceHostnames(z.id, null, ['kept.example']);
    const failure = new Error('boom');
    await assert.rejects(
      store.transaction(async (tx) => {
        await tx.createZone(zone(a.id, { name: 'lost.example' }));
        await tx.createClientCertificate(clientCertificate(z, ca.id));
        await tx.replaceHostnames(z.id, null, []);
        await tx.takeCrlNumber(ca.id);
        await tx.putSetting('lost', 'yes');
        await tx.createRoute(route(z.id));
        await tx.putZoneSetting(z.id, 'lost', true);
        await tx.saveRuleset(ruleset(z.id), null);
        throw failure;
      }),
      (error) => error === failure,
    );
    assert.deepEqual(await store.listZones({ name: 'lost.example' }), []);
    assert.deepEqual(await store.listAllClientCertificates(), []);
    assert.deepEqual(await store.listHostnames(z.id, null), ['kept.example']);
    assert.equal((await store.getManagedCaById(ca.id))?.nextCrlNumber, 1);
    assert.equal(await store.getSetting('lost'), undefined);
    assert.deepEqual(await store.listAllRoutes(), []);
    assert.equal(await store.getZoneSetting(z.id, 'lost'), undefined);
    assert.deepEqual(await store.listAllRulesets(), []);
  });

  storeTest(
    'transaction: a conflict caught inside leaves the transaction usable (re-read, then commit)',
    async (store) => {
      const { account: a, ca } = await tenant(store);
      const seen = await store.transaction(async (tx) => {
        await tx.putSetting('before', '1');
        await assert.rejects(tx.createManagedCa(managedCa(a.id)), isConflict);
        const existing = await tx.getManagedCa(a.id);
        await tx.putSetting('after', '1');
        return existing;
      });
      assert.deepEqual(seen, ca);
      assert.equal(await store.getSetting('before'), '1');
      assert.equal(await store.getSetting('after'), '1');
    },
  );

  storeTest('transaction: a nested transaction joins the outer one', async (store) => {
    await assert.rejects(
      store.transaction(async (tx) => {
        await tx.transaction((inner) => inner.putSetting('inner', 'x'));
        throw new Error('outer fails');
      }),
      /outer fails/,
    );
    assert.equal(await store.getSetting('inner'), undefined);
  });

  storeTest(
    'foreign keys are enforced (a zone of an unknown account is refused, and not as a conflict)',
    async (store) => {
      await assert.rejects(store.createZone(zone(hexId())), (error) => !isConflict(error));
      assert.deepEqual(await store.listZones({}), []);
    },
  );

  storeTest(
    'gateway APIs: round trip of every field, zone-scoped get/delete, hostname then longest path order',
    async (store) => {
      const { zone: z, account: a } = await tenant(store);
      const other = zone(a.id);
      await store.createZone(other);
      const full = gatewayApi(z.id, {
        hostname: 'b.example',
        listenPath: '/v1',
        protocol: 'grpc',
        upstreamUrl: 'h2c://grpc:50051',
        stripListenPath: true,
        upstreamTimeoutMs: 86_400_000,
        active: false,
        authMode: 'mtls_static',
        tokenRequired: true,
        allowedCertificates: [
          { kind: 'mtls_certificate', id: randomUUID() },
          { kind: 'client_certificate', id: randomUUID() },
          { kind: 'sha256', value: 'ab'.repeat(32) },
        ],
        rateLimit: { rate: 100, per: 60 },
      });
      const root = gatewayApi(z.id, { hostname: 'b.example', listenPath: '/' });
      const first = gatewayApi(z.id, { hostname: 'a.example', listenPath: '/x' });
      const elsewhere = gatewayApi(other.id, { hostname: 'c.example' });
      for (const record of [root, full, first, elsewhere]) await store.createApi(record);

      assert.deepEqual(await store.getApi(z.id, full.id), full);
      assert.equal(await store.getApi(other.id, full.id), undefined, 'get is zone-scoped');
      assert.deepEqual(await store.listApis(z.id), [first, full, root]);
      assert.deepEqual(await store.listAllApis(), [first, full, root, elsewhere]);

      const changed = { ...full, name: 'Renamed', allowedCertificates: [], rateLimit: null, modifiedOn: at(2) };
      await store.updateApi({ ...changed, createdOn: at(9) });
      assert.deepEqual(await store.getApi(z.id, full.id), changed, 'createdOn is kept');

      await store.deleteApi(other.id, full.id);
      assert.ok(await store.getApi(z.id, full.id), 'delete is zone-scoped');
      await store.deleteApi(z.id, full.id);
      assert.equal(await store.getApi(z.id, full.id), undefined);
      await store.deleteApi(z.id, full.id);
    },
  );

  storeTest('gateway APIs: (hostname, listen path) is unique across zones, on create and update', async (store) => {
    const { zone: z, account: a } = await tenant(store);
    const other = zone(a.id);
    await store.createZone(other);
    const taken = gatewayApi(z.id, { hostname: 'api.example', listenPath: '/v1' });
    await store.createApi(taken);
    await assert.rejects(
      store.createApi(gatewayApi(other.id, { hostname: 'api.example', listenPath: '/v1' })),
      isConflict,
    );
    const moving = gatewayApi(z.id, { hostname: 'api.example', listenPath: '/v2' });
    await store.createApi(moving);
    await assert.rejects(store.updateApi({ ...moving, listenPath: '/v1' }), isConflict);
    assert.deepEqual(await store.getApi(z.id, moving.id), moving);
    // A conflict inside a transaction leaves it usable (no aborted PostgreSQL transaction).
    await store.transaction(async (tx) => {
      await assert.rejects(tx.createApi(gatewayApi(z.id, { hostname: 'api.example', listenPath: '/v1' })), isConflict);
      await tx.createApi(gatewayApi(z.id, { hostname: 'api.example', listenPath: '/v3' }));
    });
    assert.equal((await store.listApis(z.id)).length, 3);
    await assert.rejects(store.createApi(gatewayApi(hexId())), (error) => !isConflict(error), 'unknown zone');
  });

  storeTest(
    'gateway keys: round trip, account-scoped get/delete, lookups by secret hash and binding',
    async (store) => {
      const { account: a } = await tenant(store);
      const b = account();
      await store.createAccount(b);
      const full = gatewayKey(a.id, {
        alias: 'device 1',
        certificateBinding: { kind: 'spki_sha256', value: 'cd'.repeat(32) },
        secretHash: 'ef'.repeat(32),
        policyIds: [hexId(), hexId()],
        accessRights: [{ apiId: hexId(), methods: ['GET', 'POST'], paths: ['/orders/*'] }],
        rateLimit: { rate: 10, per: 1 },
        quota: { max: 1000, renewalRate: 86400 },
        expiresOn: at(30),
        metadata: { owner: 'team-a', ü: 'ünïcode' },
        active: false,
        createdOn: at(2),
      });
      const tokenOnly = gatewayKey(a.id, { certificateBinding: null, secretHash: '01'.repeat(32), createdOn: at(3) });
      const older = gatewayKey(a.id, { createdOn: at(1) });
      const ofB = gatewayKey(b.id);
      for (const record of [full, tokenOnly, older, ofB]) await store.createKey(record);

      assert.deepEqual(await store.getKey(a.id, full.id), full);
      assert.equal(await store.getKey(b.id, full.id), undefined, 'get is account-scoped');
      assert.deepEqual(await store.listKeys(a.id), [older, full, tokenOnly], 'oldest first');
      assert.deepEqual(await store.listKeys(b.id), [ofB]);
      assert.equal((await store.listAllKeys()).length, 4);
      assert.deepEqual(await store.getKeyBySecretHash('ef'.repeat(32)), full);
      assert.equal(await store.getKeyBySecretHash('00'.repeat(32)), undefined);
      assert.deepEqual(await store.getKeyByBinding(a.id, { kind: 'spki_sha256', value: 'cd'.repeat(32) }), full);
      assert.equal(await store.getKeyByBinding(a.id, { kind: 'leaf_sha256', value: 'cd'.repeat(32) }), undefined);
      assert.equal(
        await store.getKeyByBinding(b.id, { kind: 'spki_sha256', value: 'cd'.repeat(32) }),
        undefined,
        'lookup by binding is account-scoped',
      );

      const changed = { ...full, alias: 'renamed', policyIds: [], metadata: {}, quota: null, modifiedOn: at(4) };
      await store.updateKey({ ...changed, createdOn: at(9) });
      assert.deepEqual(await store.getKey(a.id, full.id), changed, 'createdOn is kept');

      await store.deleteKey(b.id, full.id);
      assert.ok(await store.getKey(a.id, full.id), 'delete is account-scoped');
      await store.deleteKey(a.id, full.id);
      assert.equal(await store.getKey(a.id, full.id), undefined);
      assert.equal(await store.getKeyBySecretHash('ef'.repeat(32)), undefined);
    },
  );

  storeTest(
    'gateway keys: one key per binding in an account, per secret across accounts; NULLs never collide',
    async (store) => {
      const { account: a } = await tenant(store);
      const b = account();
      await store.createAccount(b);
      const value = 'aa'.repeat(32);
      const ofA = gatewayKey(a.id, { certificateBinding: { kind: 'leaf_sha256', value } });
      await store.createKey(ofA);
      await assert.rejects(
        store.createKey(gatewayKey(a.id, { certificateBinding: { kind: 'leaf_sha256', value } })),
        isConflict,
        'the same account binds a certificate once',
      );
      // Another account binding the same certificate is another key: no tenant can squat it.
      const ofB = gatewayKey(b.id, { certificateBinding: { kind: 'leaf_sha256', value } });
      await store.createKey(ofB);
      assert.deepEqual(await store.getKeyByBinding(a.id, { kind: 'leaf_sha256', value }), ofA);
      assert.deepEqual(await store.getKeyByBinding(b.id, { kind: 'leaf_sha256', value }), ofB);
      // The same hex as the other kind is another binding.
      await store.createKey(gatewayKey(a.id, { certificateBinding: { kind: 'spki_sha256', value } }));
      const secret = 'bb'.repeat(32);
      await store.createKey(gatewayKey(a.id, { certificateBinding: null, secretHash: secret }));
      await assert.rejects(
        store.createKey(gatewayKey(b.id, { certificateBinding: null, secretHash: secret })),
        isConflict,
        'a secret finds one key across the installation',
      );
      // Many keys without a binding, and many without a secret.
      await store.createKey(gatewayKey(a.id, { certificateBinding: null, secretHash: 'cc'.repeat(32) }));
      await store.createKey(gatewayKey(a.id, { secretHash: null }));
      await store.createKey(gatewayKey(a.id, { secretHash: null }));
      assert.equal((await store.listKeys(a.id)).length, 6);
      assert.deepEqual(await store.listKeys(b.id), [ofB]);
      await store.transaction(async (tx) => {
        await assert.rejects(
          tx.createKey(gatewayKey(b.id, { certificateBinding: { kind: 'leaf_sha256', value } })),
          isConflict,
        );
        await tx.createKey(gatewayKey(b.id));
      });
      assert.equal((await store.listKeys(b.id)).length, 2);
      await assert.rejects(
        store.updateKey({ ...gatewayKey(a.id), id: ofA.id, certificateBinding: { kind: 'spki_sha256', value } }),
        isConflict,
        'an update cannot take a binding of the same account either',
      );
    },
  );

  storeTest('gateway policies: round trip, account-scoped, oldest first, update keeps createdOn', async (store) => {
    const { account: a } = await tenant(store);
    const b = account();
    await store.createAccount(b);
    const gold = gatewayPolicy(a.id, {
      accessRights: [
        { apiId: hexId(), methods: [], paths: [] },
        { apiId: hexId(), methods: ['GET'], paths: ['/a/*', '/b'] },
      ],
      rateLimit: { rate: 5, per: 60 },
      quota: { max: 10, renewalRate: 3600 },
      createdOn: at(2),
    });
    const silver = gatewayPolicy(a.id, { name: 'Silver', active: false, createdOn: at(1) });
    const ofB = gatewayPolicy(b.id, { createdOn: at(3) });
    for (const record of [gold, silver, ofB]) await store.createPolicy(record);

    assert.deepEqual(await store.getPolicy(a.id, gold.id), gold);
    assert.equal(await store.getPolicy(b.id, gold.id), undefined);
    assert.deepEqual(await store.listPolicies(a.id), [silver, gold]);
    assert.deepEqual(await store.listAllPolicies(), [silver, gold, ofB]);
    await assert.rejects(store.createPolicy(gold), isConflict);

    const changed = { ...gold, name: 'Platinum', accessRights: [], rateLimit: null, modifiedOn: at(3) };
    await store.updatePolicy({ ...changed, createdOn: at(9) });
    assert.deepEqual(await store.getPolicy(a.id, gold.id), changed);
    await store.deletePolicy(b.id, gold.id);
    assert.ok(await store.getPolicy(a.id, gold.id), 'delete is account-scoped');
    await store.deletePolicy(a.id, gold.id);
    assert.deepEqual(await store.listPolicies(a.id), [silver]);
  });

  storeTest('gateway tables: a throw inside a transaction rolls back APIs, keys and policies', async (store) => {
    const { account: a, zone: z } = await tenant(store);
    const kept = gatewayKey(a.id);
    await store.createKey(kept);
    await assert.rejects(
      store.transaction(async (tx) => {
        await tx.createApi(gatewayApi(z.id));
        await tx.createPolicy(gatewayPolicy(a.id));
        await tx.createKey(gatewayKey(a.id));
        await tx.deleteKey(a.id, kept.id);
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.deepEqual(await store.listAllApis(), []);
    assert.deepEqual(await store.listAllPolicies(), []);
    assert.deepEqual(await store.listAllKeys(), [kept]);
  });

  test('migrations: a fresh database runs each once; reopening keeps the data and migrates nothing', async () => {
    const options = await getTarget().fresh();
    const db = connectDatabase(options);
    try {
      assert.deepEqual(await migrateDatabase(db, options), [
        '0001-initial',
        '0002-routes-rulesets-zone-settings',
        '0003-apis-keys-policies-analytics',
        '0004-analytics-time-index',
        '0005-analytics-rollups',
        '0006-upstream-timeouts',
        '0007-ca-compatibility',
        '0008-tenant-isolation',
        '0009-ca-revocation',
        '0010-analytics-mtls-status',
        '0011-est-enrollment',
        '0012-developer-portal',
        '0013-revocation-version',
        '0014-client-certificate-states',
      ]);
      assert.deepEqual(await migrateDatabase(db, options), []);
    } finally {
      await db.destroy();
    }
    const store = await openStore(options);
    const a = account();
    await store.createAccount(a);
    await store.close();

    const reopened = await openStore(options);
    try {
      assert.deepEqual(await reopened.listAccounts(), [a]);
    } finally {
      await reopened.close();
    }
  });
  test('migration 0008 keeps every key and makes certificate bindings unique per account', async () => {
    const options = await getTarget().fresh();
    const db = connectDatabase(options);
    const a = account();
    const b = account();
    const value = 'ab'.repeat(32);
    const row = (accountId: string, overrides: Record<string, unknown>) => ({
      id: hexId(),
      account_id: accountId,
      alias: 'device',
      binding_kind: 'leaf_sha256',
      binding_value: randomBytes(32).toString('hex'),
      secret_hash: null,
      policy_ids: '[]',
      access_rights: '[{"apiId":"0123456789abcdef0123456789abcdef","methods":["GET"],"paths":[]}]',
      rate_limit: '{"rate":10,"per":60}',
      quota: null,
      expires_on: at(30),
      metadata: '{"owner":"team"}',
      active: 1,
      created_on: at(1),
      modified_on: at(2),
      ...overrides,
    });
    const rows = [
      row(a.id, { binding_value: value }),
      row(a.id, { binding_kind: 'spki_sha256', binding_value: value, created_on: at(2) }),
      row(b.id, { binding_kind: null, binding_value: null, secret_hash: 'cd'.repeat(32), created_on: at(3) }),
    ];
    try {
      const migrator = await migratorUpTo(db, options, '0007-ca-compatibility');
      assert.equal((await migrator.migrateToLatest()).error, undefined);
      const untyped = db as unknown as Kysely<{ accounts: object; gateway_keys: ReturnType<typeof row> }>;
      for (const record of [a, b]) {
        await untyped
          .insertInto('accounts')
          .values({ id: record.id, name: record.name, created_at: record.createdAt })
          .execute();
      }
      await untyped.insertInto('gateway_keys').values(rows).execute();
      // What another migration may have added before this one is carried through a rebuild.
      await sql`alter table gateway_keys add column note text`.execute(db);
      await sql`update gateway_keys set note = 'kept'`.execute(db);
      await sql`create index gateway_keys_note_idx on gateway_keys (note)`.execute(db);
      assert.equal((await migrateDatabase(db, options))[0], '0008-tenant-isolation');
      const notes = await sql<{ note: string }>`select note from gateway_keys`.execute(db);
      assert.deepEqual(
        notes.rows.map((row) => row.note),
        ['kept', 'kept', 'kept'],
      );
      const indexes =
        options.kind === 'sqlite'
          ? await sql<{
              name: string;
            }>`select name from sqlite_master where type = 'index' and tbl_name = 'gateway_keys'`.execute(db)
          : await sql<{
              name: string;
            }>`select indexname as name from pg_indexes where tablename = 'gateway_keys' and schemaname = current_schema()`.execute(
              db,
            );
      const names = indexes.rows.map((row) => row.name);
      assert.ok(names.includes('gateway_keys_note_idx') && names.includes('gateway_keys_account_idx'), names.join());
    } finally {
      await db.destroy();
    }
    const store = await openStore(options);
    try {
      const keys = await store.listAllKeys();
      assert.deepEqual(
        keys.map((key) => [key.id, key.accountId, key.certificateBinding, key.secretHash]),
        [
          [rows[0]!.id, a.id, { kind: 'leaf_sha256', value }, null],
          [rows[1]!.id, a.id, { kind: 'spki_sha256', value }, null],
          [rows[2]!.id, b.id, null, 'cd'.repeat(32)],
        ],
      );
      const [first] = keys;
      assert.ok(first);
      assert.deepEqual(first.accessRights, [
        { apiId: '0123456789abcdef0123456789abcdef', methods: ['GET'], paths: [] },
      ]);
      assert.deepEqual(
        [first.rateLimit, first.expiresOn, first.metadata],
        [{ rate: 10, per: 60 }, at(30), { owner: 'team' }],
      );
      await store.createKey(gatewayKey(b.id, { certificateBinding: { kind: 'leaf_sha256', value } }));
      await assert.rejects(
        store.createKey(gatewayKey(a.id, { certificateBinding: { kind: 'leaf_sha256', value } })),
        isConflict,
      );
      await assert.rejects(
        store.createKey(gatewayKey(a.id, { certificateBinding: null, secretHash: 'cd'.repeat(32) })),
        isConflict,
        'secrets stay unique across accounts',
      );
      assert.equal((await store.listKeys(a.id)).length, 2);
    } finally {
      await store.close();
    }
  });

  test('migration 0008 keeps every client certificate and zone, and lets a zone with certificates be deleted', async () => {
    const options = await getTarget().fresh();
    const db = connectDatabase(options);
    const a = account();
    const z = zone(a.id, { name: 'gone.example' });
    const ca = managedCa(a.id);
    const certificates = [
      clientCertificate(z, ca.id, { status: 'revoked', revokedAt: at(3) }),
      clientCertificate(z, ca.id, { issuedOn: at(3) }),
    ];
    try {
      const migrator = await migratorUpTo(db, options, '0007-ca-compatibility');
      assert.equal((await migrator.migrateToLatest()).error, undefined);
      // Written through the store where the tables are the same; zones had no `delegated` yet.
      const old = new KyselyStore(db);
      await old.createAccount(a);
      const untyped = db as unknown as Kysely<{
        zones: { id: string; account_id: string; name: string; created_at: string };
      }>;
      await untyped
        .insertInto('zones')
        .values({ id: z.id, account_id: a.id, name: z.name, created_at: z.createdAt })
        .execute();
      await old.createManagedCa(ca);
      for (const certificate of certificates) await insertCertificateBefore0014(db, certificate);
      await assert.rejects(old.deleteZone(z.id), 'before 0008 the certificates hold their zone');
      assert.equal((await migrateDatabase(db, options))[0], '0008-tenant-isolation');
    } finally {
      await db.destroy();
    }
    const store = await openStore(options);
    try {
      assert.deepEqual(await store.getZone(z.id), z, 'a stored zone is not delegated');
      assert.deepEqual(await store.listAllClientCertificates(), certificates);
      await store.deleteZone(z.id);
      assert.equal(await store.getZone(z.id), undefined);
      assert.deepEqual(await store.listAllClientCertificates(), certificates);
      assert.deepEqual((await store.listRevokedSerials(ca.id)).serials, [certificates[0]!.serialNumber]);
      await assert.rejects(
        store.createClientCertificate({ ...certificates[1]!, id: randomUUID() }),
        isConflict,
        '(CA, serial) stays unique',
      );
    } finally {
      await store.close();
    }
  });

  test('migration 0014 moves every certificate status into its state row, versions and revocation times kept', async () => {
    const options = await getTarget().fresh();
    const db = connectDatabase(options);
    const a = account();
    const z = zone(a.id);
    const ca = managedCa(a.id);
    const certificates = [
      clientCertificate(z, ca.id, { status: 'revoked', revokedAt: at(3) }),
      clientCertificate(z, ca.id, { status: 'pending_revocation', revokedAt: at(4) }),
      clientCertificate(z, ca.id, { issuedOn: at(3) }),
      clientCertificate(z, ca.id, { status: 'pending_reactivation', issuedOn: at(4) }),
    ];
    try {
      const migrator = await migratorUpTo(db, options, '0013-revocation-version');
      assert.equal((await migrator.migrateToLatest()).error, undefined);
      const old = new KyselyStore(db);
      await old.createAccount(a);
      await old.createZone(z);
      await old.createManagedCa(ca);
      for (const certificate of certificates) await insertCertificateBefore0014(db, certificate);
      // The first two were revoked at version 2 of their CA (migration 0013).
      await sql`update managed_cas set revocation_version = 2`.execute(db);
      await sql`update client_certificates set status_version = 2 where status like '%revocation' or status = 'revoked'`.execute(
        db,
      );
      assert.deepEqual(await migrateDatabase(db, options), ['0014-client-certificate-states']);
    } finally {
      await db.destroy();
    }
    const store = await openStore(options);
    try {
      const byIssueThenId = (x: ClientCertificateRecord, y: ClientCertificateRecord) =>
        x.issuedOn === y.issuedOn ? (x.id < y.id ? -1 : 1) : x.issuedOn < y.issuedOn ? -1 : 1;
      assert.deepEqual(await store.listAllClientCertificates(), [...certificates].sort(byIssueThenId));
      const revoked = await store.listRevokedSerials(ca.id);
      assert.deepEqual(
        revoked.serials.map((serial, index) => [serial, revoked.revokedAtMs[index]]).sort(),
        [
          [certificates[0]!.serialNumber, Date.parse(at(3))],
          [certificates[1]!.serialNumber, Date.parse(at(4))],
        ].sort(),
      );
      assert.deepEqual(
        (await store.listRevocationChanges(ca.id, 1)).map((change) => change.id).sort(),
        [certificates[0]!.id, certificates[1]!.id].sort(),
      );
      assert.deepEqual(await store.listRevocationChanges(ca.id, 2), []);
      // A change after the migration raises the version and is seen by a reader of version 2.
      await store.updateClientCertificateStatus(z.id, certificates[2]!.id, 'revoked', at(5));
      assert.deepEqual(
        (await store.listRevocationChanges(ca.id, 2)).map((change) => [change.id, change.status]),
        [[certificates[2]!.id, 'revoked']],
      );
    } finally {
      await store.close();
    }
  });

  test('migration 0005 moves every per-request analytics row into rollups, losing none', async () => {
    const options = await getTarget().fresh();
    const db = connectDatabase(options);
    const zoneId = hexId();
    const base = Date.UTC(2025, 0, 2, 12, 0, 0);
    // 5,000 rows at one millisecond (the move reads 5,000 per chunk: the chunk boundary falls inside
    // a millisecond), plus rows in two more seconds, one with rule hits and odd numbers.
    const row = (time: number, overrides: Record<string, unknown> = {}) => ({
      time: new Date(time).toISOString(),
      zone_id: zoneId,
      api_id: null,
      key_id: null,
      hostname: 'api.example.com',
      method: 'GET',
      path: '/orders',
      status: 200,
      fingerprint: 'f'.repeat(64),
      serial: '0a',
      issuer: 'CN=CA',
      latency_ms: 2,
      bytes_in: 1,
      bytes_out: 10,
      rule_hits: '[]',
      ...overrides,
    });
    const rows = [
      ...Array.from({ length: 4999 }, () => row(base + 5)),
      row(base + 5, { status: 503, latency_ms: 40 }),
      row(base + 1500, { path: '/a', rule_hits: '["r1"]' }),
      row(base + 2999, { rule_hits: 'not json', bytes_out: 7 }),
    ];
    try {
      const migrator = await migratorUpTo(db, options, '0004-analytics-time-index');
      assert.equal((await migrator.migrateToLatest()).error, undefined);
      const untyped = db as unknown as Kysely<{ analytics_records: ReturnType<typeof row> }>;
      for (let start = 0; start < rows.length; start += 1000) {
        await untyped
          .insertInto('analytics_records')
          .values(rows.slice(start, start + 1000))
          .execute();
      }
      assert.deepEqual(await migrateDatabase(db, options), migrationsFrom('0005-analytics-rollups'));
    } finally {
      await db.destroy();
    }
    const store = await openStore(options);
    try {
      const range = { since: new Date(base).toISOString(), until: new Date(base + 3000).toISOString() };
      const byStatus = await store.queryAnalytics({ zoneId, ...range, groupBy: 'status', groupLimit: 10 });
      assert.deepEqual(byStatus.totals, {
        requests: 5002,
        errors: 1,
        bytesIn: 5002,
        bytesOut: 4999 * 10 + 10 + 10 + 7,
        latencyAvgMs: Math.round(((5001 * 2 + 40) / 5002) * 100) / 100,
        latencyMaxMs: 40,
      });
      assert.deepEqual(
        byStatus.groups.map((group) => [group.key, group.requests]),
        [
          [200, 5001],
          [503, 1],
        ],
      );
      const secondTwo = await store.queryAnalytics({
        zoneId,
        since: new Date(base + 1000).toISOString(),
        until: new Date(base + 2000).toISOString(),
        groupLimit: 1,
      });
      assert.equal(secondTwo.totals.requests, 1);
      const [seen] = await store.lastSeenByCertificate(zoneId, { ...range, limit: 5 });
      assert.ok(seen);
      assert.equal(seen.requests, 5002);
      assert.equal(seen.lastSeen, new Date(base + 2999).toISOString());
    } finally {
      await store.close();
    }
    // Each request's detail is kept, rule hits included.
    const reader = connectDatabase(options);
    try {
      const details = (await reader.selectFrom('analytics_rollups').select('requests_detail').execute()).flatMap(
        (stored) => JSON.parse(stored.requests_detail) as unknown[][],
      );
      assert.equal(details.length, 5002);
      assert.deepEqual(
        details.filter((detail) => detail[1] === '/a'),
        [[500, '/a', 2, 1, 10, ['r1']]],
      );
    } finally {
      await reader.destroy();
    }
  });

  test('migration 0007 gives every CA uploaded before it the strict compatibility', async () => {
    const options = await getTarget().fresh();
    const db = connectDatabase(options);
    const a = account();
    const uploaded = mtlsCertificate(a.id);
    try {
      const migrator = await migratorUpTo(db, options, '0006-upstream-timeouts');
      assert.equal((await migrator.migrateToLatest()).error, undefined);
      const untyped = db as unknown as Kysely<{ accounts: object; mtls_certificates: object }>;
      await untyped.insertInto('accounts').values({ id: a.id, name: a.name, created_at: a.createdAt }).execute();
      await untyped
        .insertInto('mtls_certificates')
        .values({
          id: uploaded.id,
          account_id: a.id,
          name: uploaded.name,
          ca: 1,
          certificates_pem: uploaded.certificatesPem,
          issuer: uploaded.issuer,
          serial_number: uploaded.serialNumber,
          signature: uploaded.signature,
          type: uploaded.type,
          fingerprint_sha256: uploaded.fingerprintSha256,
          sealed_private_key: null,
          expires_on: uploaded.expiresOn,
          uploaded_on: uploaded.uploadedOn,
          updated_at: uploaded.updatedAt,
        })
        .execute();
      assert.deepEqual(await migrateDatabase(db, options), migrationsFrom('0007-ca-compatibility'));
    } finally {
      await db.destroy();
    }
    const store = await openStore(options);
    try {
      assert.deepEqual(await store.getMtlsCertificate(a.id, uploaded.id), { ...uploaded, compatibility: 'strict' });
    } finally {
      await store.close();
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Targets.

describe('store contract: SQLite', () => {
  let dir: string;
  let count = 0;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'portcullis-store-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('a new database file is created, with its directory, readable by its owner only', async () => {
    const file = path.join(dir, 'nested', 'fresh.db');
    const store = await openStore({ kind: 'sqlite', file });
    await store.close();
    assert.equal(statSync(file).mode & 0o777, 0o600);
  });

  defineContract(() => ({
    fresh: () => Promise.resolve({ kind: 'sqlite', file: path.join(dir, `store-${++count}.db`) }),
  }));
});

const skipPostgres = postgresSkipReason();

describe('store contract: PostgreSQL', { skip: skipPostgres ?? false }, () => {
  let server: TestPostgres;
  let count = 0;
  before(async () => {
    server = await startPostgres();
    await server.createDatabase('store');
  });
  after(async () => {
    await server.stop();
  });

  // Each case migrates into its own schema of one database, so every case also proves that
  // migrations keep to the current schema when other schemas hold the same tables.
  defineContract(() => ({
    fresh: async () => ({ kind: 'postgres', url: await server.createSchema('store', `case_${++count}`) }),
  }));
});
