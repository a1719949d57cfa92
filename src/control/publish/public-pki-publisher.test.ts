/**
 * PublicPkiPublisher over a real SQLite store and real revocations through the client certificate service: when a
 * revocation answers, the revocation set the data plane holds refuses the certificate; a long CRL (OFF_THREAD_ENTRIES
 * or more) follows from the CRL thread after the answer, a short one is published before it (docs/adr/0021).
 */
import 'reflect-metadata';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { X509Crl } from '@peculiar/x509';
import { generateKeyAndCsr } from '../../pki/key-and-csr.ts';
import { PublicPki } from '../../runtime-config/public-pki.ts';
import { buildRevocationIndex } from '../../runtime-config/gateway-snapshot.ts';
import type { ClientCertificateRecord, ManagedCaRecord, ZoneRecord } from '../../model/records.ts';
import { openStore } from '../../store/open-store.ts';
import type { Store } from '../../store/ports.ts';
import { SecretBox } from '../../store/secret-box.ts';
import { buildServices } from '../build-services.ts';
import { CONFIG_FILE_PRINCIPAL as OPERATOR } from '../config-file/config-applier.ts';
import { OFF_THREAD_ENTRIES } from './public-pki-publisher.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'portcullis-pki-publisher-'));
let store: Store;
/** Sets the fleets up; each test then starts services of its own, as a gateway starting on that store would. */
let setup: ReturnType<typeof buildServices>;
let services: ReturnType<typeof buildServices>;
const publicPki = new PublicPki();
const box = new SecretBox(randomBytes(32));
const startServices = () => {
  services = buildServices({ store, box, publicPki, publicUrl: () => 'https://gw.test' });
};

/**
 * An account with a zone and two issued certificates, and `alreadyRevoked` more rows written as revoked straight
 * into the store (as bench/revocation-scale.ts does), then services started on it.
 */
async function fleet(name: string, alreadyRevoked: number) {
  const account = await setup.tenancy.createAccount(OPERATOR, name);
  const zone = await setup.tenancy.createZone(OPERATOR, { name: `${name}.example.com`, accountId: account.id });
  const issue = async (cn: string) =>
    setup.clientCertificates.create(OPERATOR, zone.id, {
      csr: (await generateKeyAndCsr(cn)).csrPem,
      validityDays: 30,
    });
  const kept = await issue('kept');
  const doomed = await issue('doomed');
  const ca = (await store.getManagedCa(account.id))!;
  await store.transaction(async (trx) => {
    for (let index = 0; index < alreadyRevoked; index++) {
      await trx.createClientCertificate(revokedCopy(kept, zone));
    }
  });
  startServices();
  return { zone, ca, kept, doomed };
}

function revokedCopy(template: ClientCertificateRecord, zone: ZoneRecord): ClientCertificateRecord {
  return {
    ...template,
    zoneId: zone.id,
    id: randomUUID(),
    serialNumber: randomBytes(16).toString('hex'),
    fingerprintSha256: randomBytes(32).toString('hex'),
    status: 'revoked',
    revokedAt: new Date().toISOString(),
  };
}

function crlOf(ca: ManagedCaRecord): X509Crl {
  const entry = publicPki.get(ca.id);
  assert.ok(entry !== undefined, 'a CRL is published');
  return new X509Crl(entry.crlDer);
}

const lists = (crl: X509Crl, serial: string): boolean =>
  crl.entries.some((entry) => entry.serialNumber.toLowerCase() === serial.toLowerCase());

/** The revocation index the data plane would hold for this CA (it shares the cache's map). */
async function dataPlaneIndex(ca: ManagedCaRecord) {
  const { serials } = await services.publicPkiPublisher.revokedSerials.read(store, ca.id);
  const index = buildRevocationIndex(new Map([[ca.certificatePem, serials]]));
  const fingerprint = new X509Certificate(ca.certificatePem).fingerprint256;
  return (serial: string): boolean => index.isRevoked(fingerprint, serial);
}

before(async () => {
  store = await openStore({ kind: 'sqlite', file: path.join(dir, 'store.db') });
  setup = buildServices({ store, box, publicPki: new PublicPki(), publicUrl: () => 'https://gw.test' });
});

after(async () => {
  await services.publicPkiPublisher.settled();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('PublicPkiPublisher', () => {
  test('a long CRL: the revocation answers with the certificate refused, and its CRL follows', async () => {
    const { zone, ca, kept, doomed } = await fleet('long', OFF_THREAD_ENTRIES + 10);
    await services.publicPkiPublisher.publishAll();
    await services.publicPkiPublisher.settled();
    const before = crlOf(ca);
    assert.equal(before.entries.length, OFF_THREAD_ENTRIES + 10);
    const isRevoked = await dataPlaneIndex(ca);
    assert.equal(isRevoked(doomed.serialNumber), false);

    await services.clientCertificates.revoke(OPERATOR, zone.id, doomed.id);
    assert.equal(isRevoked(doomed.serialNumber), true, 'refused as soon as the revocation answers');
    assert.equal(isRevoked(kept.serialNumber), false);
    assert.equal(
      publicPki.get(ca.id)?.crlDer.equals(Buffer.from(before.rawData)),
      true,
      'the answer did not wait for the long CRL',
    );

    await services.publicPkiPublisher.settled();
    const afterwards = crlOf(ca);
    assert.ok(lists(afterwards, doomed.serialNumber), 'the next CRL lists it');
    assert.ok(!lists(afterwards, kept.serialNumber));
    assert.equal(afterwards.entries.length, OFF_THREAD_ENTRIES + 11);

    // A reactivation reaches the data plane at once and the CRL after, sent to the thread as one change.
    await services.clientCertificates.reactivate(OPERATOR, zone.id, doomed.id);
    assert.equal(isRevoked(doomed.serialNumber), false);
    await services.publicPkiPublisher.settled();
    assert.ok(!lists(crlOf(ca), doomed.serialNumber), 'dropped from the CRL');
    assert.equal(crlOf(ca).entries.length, OFF_THREAD_ENTRIES + 10);
  });

  test('a short CRL is published before the revocation answers', async () => {
    const { zone, ca, doomed } = await fleet('short', 5);
    await services.publicPkiPublisher.publishAll();
    await services.clientCertificates.revoke(OPERATOR, zone.id, doomed.id);
    assert.ok(lists(crlOf(ca), doomed.serialNumber));
    assert.equal((await dataPlaneIndex(ca))(doomed.serialNumber), true);
  });
});
