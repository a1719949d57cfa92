/**
 * compileGatewaySnapshot over a real SQLite store in a temp dir and real certificates: two zones,
 * the managed CA on api.a.test, an uploaded CA on api.b.test, an edge certificate for www.b.test,
 * a revoked and a reactivated client certificate, and an association to a deleted CA.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, randomBytes, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openStore } from '../../store/open-store.ts';
import type { Store } from '../../store/ports.ts';
import type { ClientCertificateRecord, MtlsCertificateRecord, ZoneRecord } from '../../model/records.ts';
import { SecretBox } from '../../store/secret-box.ts';
import {
  createManagedCa,
  createRootCa,
  issueCertificate,
  type IssuedCertificate,
} from '../../pki/certificate-issuer.ts';
import type { GatewaySnapshot } from '../../runtime-config/gateway-snapshot.ts';
import { EdgeCaService } from '../certificates/edge-ca-service.ts';
import { compileGatewaySnapshot, hostCovers } from './gateway-snapshot-compiler.ts';
import { GatewayPublisher } from './gateway-publisher.ts';
import pino from 'pino';
import { newHexId, newUuid } from '../ids.ts';

const NOW = '2025-01-01T00:00:00Z';

const fingerprintOf = (pem: string): string => new X509Certificate(pem).fingerprint256;
const trusted = (snapshot: GatewaySnapshot, host: string): string[] =>
  [...snapshot.resolve(host).trustedCaFingerprints].sort();

function uploadedCa(accountId: string, ca: IssuedCertificate): MtlsCertificateRecord {
  return {
    id: newUuid(),
    accountId,
    name: 'uploaded',
    ca: true,
    certificatesPem: ca.certPem,
    issuer: 'CN=Uploaded',
    serialNumber: '1',
    signature: 'ECDSAWithSHA256',
    type: 'custom',
    fingerprintSha256: ca.sha256,
    sealedPrivateKey: null,
    compatibility: 'strict',
    expiresOn: '2035-01-01T00:00:00Z',
    uploadedOn: NOW,
    updatedAt: NOW,
  };
}

function clientCertificate(zone: ZoneRecord, caId: string, issued: IssuedCertificate): ClientCertificateRecord {
  return {
    id: newUuid(),
    zoneId: zone.id,
    accountId: zone.accountId,
    caId,
    certificatePem: issued.certPem,
    csr: '',
    commonName: 'device',
    country: '',
    state: '',
    location: '',
    organization: '',
    organizationalUnit: '',
    serialNumber: issued.serialHex.toLowerCase(),
    fingerprintSha256: issued.sha256,
    ski: '',
    signature: 'ECDSAWithSHA256',
    status: 'active',
    validityDays: 365,
    issuedOn: NOW,
    expiresOn: '2026-01-01T00:00:00Z',
    revokedAt: null,
  };
}

describe('compileGatewaySnapshot', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'portcullis-snapshot-'));
  const box = new SecretBox(randomBytes(32));
  let store: Store;
  let snapshot: GatewaySnapshot;
  let managedCaPem: string;
  let uploadedCaPem: string;
  let edgeCaPem: string;
  let edgeCertPem: string;
  let revoked: IssuedCertificate;
  let reactivated: IssuedCertificate;
  let zoneBId: string;
  let accountBId: string;
  let edgeIssuerCa: IssuedCertificate;

  const edgeRecord = (zoneId: string, hosts: string[], issued: IssuedCertificate, uploadedOn: string) => ({
    id: newUuid(),
    zoneId,
    hosts,
    certificatePem: issued.certPem,
    sealedPrivateKey: box.seal(issued.keyPem),
    issuer: 'CN=Public CA',
    signature: 'ECDSAWithSHA256',
    expiresOn: '2026-01-01T00:00:00Z',
    uploadedOn,
    modifiedOn: uploadedOn,
  });

  before(async () => {
    store = await openStore({ kind: 'sqlite', file: path.join(dir, 'store.db') });
    const edgeCa = new EdgeCaService(store, box);
    edgeCaPem = (await edgeCa.authority()).certPem;

    const accountA = { id: newHexId(), name: 'A', createdAt: NOW, delegated: false };
    const accountB = { id: newHexId(), name: 'B', createdAt: NOW, delegated: false };
    const zoneA: ZoneRecord = {
      id: newHexId(),
      accountId: accountA.id,
      name: 'a.test',
      createdAt: NOW,
      delegated: false,
    };
    const zoneB: ZoneRecord = {
      id: newHexId(),
      accountId: accountB.id,
      name: 'b.test',
      createdAt: NOW,
      delegated: false,
    };
    for (const account of [accountA, accountB]) await store.createAccount(account);
    for (const zone of [zoneA, zoneB]) await store.createZone(zone);

    // Zone a.test: the account's managed CA on api.a.test, one revoked and one reactivated client certificate.
    const managed = await createManagedCa('CN=Managed CA A');
    managedCaPem = managed.certPem;
    const managedId = newUuid();
    await store.createManagedCa({
      id: managedId,
      accountId: accountA.id,
      name: 'Managed CA A',
      certificatePem: managed.certPem,
      sealedPrivateKey: box.seal(managed.keyPem),
      nextCrlNumber: 1,
      createdAt: NOW,
    });
    await store.replaceHostnames(zoneA.id, null, ['api.a.test']);
    const issue = () => issueCertificate({ ca: managed, subject: 'CN=device', usage: 'client', validityDays: 30 });
    revoked = await issue();
    reactivated = await issue();
    const revokedRecord = clientCertificate(zoneA, managedId, revoked);
    const reactivatedRecord = clientCertificate(zoneA, managedId, reactivated);
    await store.createClientCertificate(revokedRecord);
    await store.createClientCertificate(reactivatedRecord);
    await store.updateClientCertificateStatus(zoneA.id, revokedRecord.id, 'revoked', NOW);
    await store.updateClientCertificateStatus(zoneA.id, reactivatedRecord.id, 'revoked', NOW);
    await store.updateClientCertificateStatus(zoneA.id, reactivatedRecord.id, 'active', null);

    // Zone b.test: an uploaded CA on api.b.test, a deleted one on old.b.test, an edge certificate for www.b.test.
    const uploaded = await createRootCa({ name: 'CN=Uploaded CA B', validityDays: 365 });
    uploadedCaPem = uploaded.certPem;
    const uploadedRecord = uploadedCa(accountB.id, uploaded);
    await store.createMtlsCertificate(uploadedRecord);
    await store.replaceHostnames(zoneB.id, uploadedRecord.id, ['api.b.test']);
    const gone = uploadedCa(accountB.id, await createRootCa({ name: 'CN=Deleted CA B', validityDays: 365 }));
    await store.createMtlsCertificate(gone);
    await store.replaceHostnames(zoneB.id, gone.id, ['old.b.test']);
    await store.deleteMtlsCertificate(accountB.id, gone.id);

    const edgeIssuer = await createRootCa({ name: 'CN=Public CA', validityDays: 365 });
    const edge = await issueCertificate({
      ca: edgeIssuer,
      subject: 'CN=www.b.test',
      dnsNames: ['www.b.test'],
      usage: 'server',
      validityDays: 30,
    });
    edgeCertPem = edge.certPem;
    zoneBId = zoneB.id;
    accountBId = accountB.id;
    edgeIssuerCa = edgeIssuer;
    await store.createEdgeCertificate(edgeRecord(zoneB.id, ['www.b.test'], edge, NOW));

    snapshot = await compileGatewaySnapshot({ store, box, edgeCa });
  });

  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('every associated hostname and every edge-certificate host gets a policy', () => {
    const hosts = [...snapshot.policies()].map((policy) => policy.hostname).sort();
    assert.deepEqual(hosts, ['', 'api.a.test', 'api.b.test', 'old.b.test', 'www.b.test']);
  });

  test('each hostname trusts exactly its associated CAs', () => {
    assert.deepEqual(trusted(snapshot, 'api.a.test'), [fingerprintOf(managedCaPem)]);
    assert.deepEqual(trusted(snapshot, 'api.b.test'), [fingerprintOf(uploadedCaPem)]);
    assert.deepEqual(trusted(snapshot, 'www.b.test'), []);
  });

  test('client auth is optional with an association, none without', () => {
    assert.equal(snapshot.resolve('api.a.test').clientAuth, 'optional');
    assert.equal(snapshot.resolve('api.b.test').clientAuth, 'optional');
    assert.equal(snapshot.resolve('www.b.test').clientAuth, 'none');
  });

  test('an association to a deleted CA trusts nothing', () => {
    const policy = snapshot.resolve('old.b.test');
    assert.equal(policy.isDefault, false);
    assert.deepEqual(policy.clientCaPems, []);
    assert.equal(policy.clientAuth, 'none');
  });

  test('www.b.test presents the uploaded edge certificate with its key', () => {
    const policy = snapshot.resolve('www.b.test');
    assert.equal(fingerprintOf(policy.certPem), fingerprintOf(edgeCertPem));
    assert.match(policy.keyPem, /BEGIN PRIVATE KEY/);
    assert.equal(new X509Certificate(policy.certPem).checkPrivateKey(createPrivateKey(policy.keyPem)), true);
  });

  test('api.a.test presents an edge-CA certificate for its own name', () => {
    const certificate = new X509Certificate(snapshot.resolve('api.a.test').certPem);
    assert.equal(certificate.checkHost('api.a.test'), 'api.a.test');
    assert.equal(certificate.checkIssued(new X509Certificate(edgeCaPem)), true);
  });

  test('a revoked client certificate is in the revocations, a reactivated one is not', () => {
    const { revocations } = snapshot.resolve('api.a.test');
    const issuer = fingerprintOf(managedCaPem);
    assert.equal(revocations.isRevoked(issuer, revoked.serialHex), true);
    assert.equal(revocations.isRevoked(issuer, reactivated.serialHex), false);
    assert.equal(revocations.size, 1);
    // One index for the whole snapshot (lookups are by issuing CA): every host shares it.
    assert.equal(snapshot.resolve('api.b.test').revocations, revocations);
  });

  test('an unknown hostname resolves to the default policy: localhost edge-CA certificate, no client CA', () => {
    const policy = snapshot.resolve('unknown.example');
    assert.equal(policy, snapshot.defaultPolicy);
    assert.equal(policy.clientAuth, 'none');
    assert.deepEqual(policy.clientCaPems, []);
    const certificate = new X509Certificate(policy.certPem);
    assert.equal(certificate.checkHost('localhost'), 'localhost');
    assert.equal(certificate.checkIssued(new X509Certificate(edgeCaPem)), true);
  });

  test('edge certificate hosts cover exact names and one-label wildcards only', () => {
    assert.equal(hostCovers('www.b.test', 'www.b.test'), true);
    assert.equal(hostCovers('*.b.test', 'www.b.test'), true);
    assert.equal(hostCovers('*.b.test', 'a.www.b.test'), false);
    assert.equal(hostCovers('*.b.test', 'b.test'), false);
  });

  test('after a recompile: the newest covering edge certificate wins, a wildcard covers one label', async () => {
    const serve = (names: string[]) =>
      issueCertificate({ ca: edgeIssuerCa, subject: '', dnsNames: names, usage: 'server', validityDays: 30 });
    const wildcard = await serve(['*.b.test']);
    const newer = await serve(['www.b.test']);
    await store.createEdgeCertificate(edgeRecord(zoneBId, ['*.b.test'], wildcard, '2024-06-01T00:00:00Z'));
    await store.createEdgeCertificate(edgeRecord(zoneBId, ['www.b.test'], newer, '2025-06-01T00:00:00Z'));
    const next = await compileGatewaySnapshot({ store, box, edgeCa: new EdgeCaService(store, box) });
    assert.equal(fingerprintOf(next.resolve('www.b.test').certPem), fingerprintOf(newer.certPem));
    assert.equal(fingerprintOf(next.resolve('api.b.test').certPem), fingerprintOf(wildcard.certPem));
    assert.equal(fingerprintOf(next.resolve('other.b.test').certPem), fingerprintOf(wildcard.certPem));
    assert.deepEqual(trusted(next, 'api.b.test'), [fingerprintOf(uploadedCaPem)]);
    assert.deepEqual(trusted(next, 'other.b.test'), []);
    assert.equal(snapshot.resolve('www.b.test').certPem, edgeCertPem, 'the earlier snapshot is unchanged');
  });

  test("the publisher's recompile reuses the certificates it parsed: the same CA objects, none parsed again", async () => {
    const edgeCa = new EdgeCaService(store, box);
    const publisher = new GatewayPublisher({ store, box, edgeCa }, pino({ level: 'silent' }));
    const holder = await publisher.start();
    const first = holder.current();
    await publisher.republish();
    const second = holder.current();
    assert.notEqual(second, first, 'a new snapshot');
    for (const host of ['api.a.test', 'api.b.test']) {
      const [before] = first.resolve(host).trustedCas;
      assert.ok(before !== undefined);
      assert.equal(second.resolve(host).trustedCas[0], before, `${host}: its CA parsed once`);
    }
    // A snapshot compiled on its own parses what it needs itself.
    const alone = await compileGatewaySnapshot({ store, box, edgeCa });
    assert.notEqual(alone.resolve('api.b.test').trustedCas[0], second.resolve('api.b.test').trustedCas[0]);
  });

  test('an uploaded CA keeps its compatibility in the policy and the trustId; strict wins for a CA in two uploads', async () => {
    const legacyCa = await createRootCa({ name: 'CN=Legacy CA B', validityDays: 365 });
    const legacyRecord = { ...uploadedCa(accountBId, legacyCa), compatibility: 'legacy' as const };
    const strictCopy = { ...uploadedCa(accountBId, legacyCa), fingerprintSha256: randomBytes(32).toString('hex') };
    await store.createMtlsCertificate(legacyRecord);
    await store.createMtlsCertificate(strictCopy);
    await store.replaceHostnames(zoneBId, legacyRecord.id, ['legacy.b.test', 'both.b.test']);
    await store.replaceHostnames(zoneBId, strictCopy.id, ['both.b.test']);
    const compile = () => compileGatewaySnapshot({ store, box, edgeCa: new EdgeCaService(store, box) });
    const next = await compile();
    assert.deepEqual([...next.resolve('legacy.b.test').legacyCaFingerprints], [fingerprintOf(legacyCa.certPem)]);
    assert.deepEqual([...next.resolve('both.b.test').legacyCaFingerprints], []);
    assert.deepEqual([...next.resolve('api.b.test').legacyCaFingerprints], []);
    await store.updateMtlsCertificateCompatibility(accountBId, legacyRecord.id, 'strict', NOW);
    const after = await compile();
    assert.deepEqual([...after.resolve('legacy.b.test').legacyCaFingerprints], []);
    assert.notEqual(
      after.resolve('legacy.b.test').trustId,
      next.resolve('legacy.b.test').trustId,
      'a compatibility change is a new trust set: sessions made under the old one do not resume',
    );
  });
});

/**
 * Hostnames across accounts, with rows written straight through the store (as data from before the
 * zone-name check would be): an account's zone inside an older zone of another account, a zone
 * naming a hostname outside its name, a delegation, and a wildcard one label above another
 * account's zone. Nothing of one account may serve the other's hostnames.
 */
describe('compileGatewaySnapshot: hostnames across accounts', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'portcullis-snapshot-owners-'));
  const box = new SecretBox(randomBytes(32));
  let store: Store;
  let edgeCa: EdgeCaService;
  let victim: ZoneRecord;
  let squat: ZoneRecord;
  let stray: ZoneRecord;
  let victimCaPem: string;
  let squatCaPem: string;
  let squatCaId: string;
  let squatRouteId: string;
  const problems: { zoneId: string; what: string; reason: string }[] = [];

  const compile = () => compileGatewaySnapshot({ store, box, edgeCa, onProblem: (problem) => problems.push(problem) });
  const route = (zone: ZoneRecord, hostname: string) => ({
    id: newHexId(),
    zoneId: zone.id,
    hostname,
    pathPrefix: '/',
    upstreamUrl: `http://127.0.0.1:9/${zone.accountId}`,
    stripPrefix: false,
    upstreamTimeoutMs: null,
    description: '',
    createdOn: NOW,
    modifiedOn: NOW,
  });

  before(async () => {
    store = await openStore({ kind: 'sqlite', file: path.join(dir, 'store.db') });
    edgeCa = new EdgeCaService(store, box);
    const accountB = { id: newHexId(), name: 'B (victim)', createdAt: NOW };
    const accountA = { id: newHexId(), name: 'A (squatter)', createdAt: NOW };
    for (const account of [accountA, accountB]) await store.createAccount(account);
    victim = {
      id: newHexId(),
      accountId: accountB.id,
      name: 'b.test',
      createdAt: '2025-01-01T00:00:00.000000Z',
      delegated: false,
    };
    squat = {
      id: newHexId(),
      accountId: accountA.id,
      name: 'api.b.test',
      createdAt: '2025-02-01T00:00:00.000000Z',
      delegated: false,
    };
    stray = {
      id: newHexId(),
      accountId: accountA.id,
      name: 'a.test',
      createdAt: '2025-01-15T00:00:00.000000Z',
      delegated: false,
    };
    for (const zone of [victim, squat, stray]) await store.createZone(zone);

    const victimCa = uploadedCa(accountB.id, await createRootCa({ name: 'CN=Victim CA', validityDays: 365 }));
    const squatCa = uploadedCa(accountA.id, await createRootCa({ name: 'CN=Squatter CA', validityDays: 365 }));
    victimCaPem = victimCa.certificatesPem;
    squatCaPem = squatCa.certificatesPem;
    squatCaId = squatCa.id;
    for (const ca of [victimCa, squatCa]) await store.createMtlsCertificate(ca);
    // Both name api.b.test; the squatter also claims its parent's www, and a name of no zone of its own.
    await store.replaceHostnames(victim.id, victimCa.id, ['api.b.test', 'login.api.b.test']);
    await store.replaceHostnames(squat.id, squatCa.id, ['api.b.test', 'login.api.b.test']);
    const squatRoute = route(squat, 'api.b.test');
    squatRouteId = squatRoute.id;
    await store.createRoute(squatRoute);
    await store.replaceHostnames(stray.id, squatCa.id, ['www.b.test', 'elsewhere.example']);
  });

  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("an undelegated zone inside an older zone of another account serves nothing there: the victim's trust applies", async () => {
    problems.length = 0;
    const snapshot = await compile();
    for (const host of ['api.b.test', 'login.api.b.test']) {
      const policy = snapshot.resolve(host);
      assert.equal(policy.zoneId, victim.id, host);
      assert.deepEqual([...policy.trustedCaFingerprints], [fingerprintOf(victimCaPem)], host);
    }
    assert.equal(snapshot.routes.match('api.b.test', '/'), undefined, "the squatter's route is not compiled");
    const reported = problems.map((problem) => `${problem.zoneId === squat.id ? 'squat' : 'other'}: ${problem.what}`);
    assert.ok(reported.includes('squat: zone api.b.test'), reported.join('\n'));
    assert.ok(reported.includes('squat: hostname api.b.test'));
    assert.match(problems.find((p) => p.what === 'zone api.b.test')?.reason ?? '', /older zone b\.test .*delegated/);
  });

  test('a zone naming hostnames outside its own name serves none of them (no "first zone" fallback)', async () => {
    problems.length = 0;
    const snapshot = await compile();
    assert.equal(snapshot.resolve('www.b.test'), snapshot.defaultPolicy);
    assert.equal(snapshot.resolve('elsewhere.example'), snapshot.defaultPolicy);
    const strayProblems = problems.filter((problem) => problem.zoneId === stray.id).map((problem) => problem.what);
    assert.deepEqual(strayProblems.sort(), ['hostname elsewhere.example', 'hostname www.b.test']);
    assert.match(problems.find((p) => p.zoneId === stray.id)?.reason ?? '', /lies outside the zone a\.test/);
  });

  test("once the operator delegates the subdomain zone, it serves its names and the parent's account none of them", async () => {
    await store.setZoneDelegated(squat.id, true);
    problems.length = 0;
    const snapshot = await compile();
    for (const host of ['api.b.test', 'login.api.b.test']) {
      const policy = snapshot.resolve(host);
      assert.equal(policy.zoneId, squat.id, host);
      assert.deepEqual([...policy.trustedCaFingerprints], [fingerprintOf(squatCaPem)], host);
    }
    assert.equal(snapshot.routes.match('api.b.test', '/')?.zoneId, squat.id);
    assert.ok(!problems.some((problem) => problem.what.startsWith('zone ')), 'the overlap is allowed now');
    assert.ok(problems.some((p) => p.zoneId === victim.id && p.what === 'hostname login.api.b.test'));
    await store.setZoneDelegated(squat.id, false);
  });

  test("a wildcard never covers the apex of another account's zone one label down", async () => {
    await store.setZoneDelegated(squat.id, true);
    // The delegated zone names nothing at its apex now: only a wildcard one label up could cover it.
    await store.replaceHostnames(squat.id, squatCaId, []);
    await store.deleteRoute(squat.id, squatRouteId);
    await store.replaceHostnames(victim.id, null, ['*.b.test']);
    const snapshot = await compile();
    assert.equal(snapshot.resolve('www.b.test').zoneId, victim.id, 'the wildcard covers the parent account names');
    assert.equal(snapshot.resolve('www.b.test').hostname, '*.b.test');
    assert.equal(snapshot.lookup('api.b.test'), undefined, "another account's apex: no policy (421)");
    assert.equal(snapshot.resolve('api.b.test'), snapshot.defaultPolicy);
    await store.setZoneDelegated(squat.id, false);
    const undelegated = await compile();
    assert.equal(undelegated.resolve('api.b.test').zoneId, victim.id, 'undelegated, the apex is the parent account');
  });
});
