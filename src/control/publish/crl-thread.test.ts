import 'reflect-metadata';
import assert from 'node:assert/strict';
import { X509Certificate, X509Crl } from '@peculiar/x509';
import { after, before, describe, test } from 'node:test';
import { createManagedCa, type IssuedCertificate } from '../../pki/certificate-issuer.ts';
import { generateCrl } from '../../pki/crl-generator.ts';
import { serialForLookup } from '../../pki/serial.ts';
import { CrlThread } from './crl-thread.ts';

describe('CrlThread', () => {
  let ca: IssuedCertificate;
  const thread = new CrlThread();
  const thisUpdate = new Date(Math.floor(Date.now() / 1000) * 1000);
  const nextUpdate = new Date(thisUpdate.getTime() + 86_400_000);
  const job = (crlNumber: number) => ({ caId: 'ca-1', ca, crlNumber, thisUpdate, nextUpdate });
  const list = new Map(
    Array.from({ length: 2500 }, (_, index) => [
      serialForLookup(`${(0x200000 + index).toString(16)}0123456789abcdef`),
      thisUpdate.getTime() - 60_000,
    ]),
  );
  const serialsOf = (der: Uint8Array): string[] =>
    new X509Crl(der).entries.map((entry) => serialForLookup(entry.serialNumber)).sort();

  before(async () => {
    ca = await createManagedCa('CN=CRL Thread Test CA');
  });
  after(() => thread.close());

  test('the whole list first: the same CRL as one signed in place, signed by the CA, timers keep running', async () => {
    let turns = 0;
    const ticking = setInterval(() => (turns += 1), 5);
    const der = await thread.generate(job(42), list).finally(() => clearInterval(ticking));
    const inPlace = generateCrl({
      ...job(42),
      entries: [...list].map(([serialHex, revokedAt]) => ({ serialHex, revokedAt })),
    });
    const crl = new X509Crl(der);
    assert.ok(await crl.verify({ publicKey: new X509Certificate(ca.certPem) }), 'signed by the CA');
    assert.deepEqual(serialsOf(der), serialsOf(inPlace.der));
    assert.equal(crl.entries.length, list.size);
    assert.ok(turns > 0, 'timers ran while the thread signed the CRL');
  });

  test('then only the changes: an added and a removed serial reach the next CRL', async () => {
    const [removed] = list.keys();
    list.delete(removed!);
    thread.noteChange('ca-1', removed!, undefined);
    list.set('ABCDEF01', thisUpdate.getTime());
    thread.noteChange('ca-1', 'ABCDEF01', thisUpdate.getTime());
    const der = await thread.generate(job(43), list);
    assert.deepEqual(serialsOf(der), [...list.keys()].sort());
    assert.ok(!serialsOf(der).includes(removed!));
  });

  test('revocations in a row are appended to the kept list, a re-dated serial is rewritten: each CRL holds the list', async () => {
    for (const [crlNumber, serial] of [
      [50, 'ABCDEF11'],
      [51, 'ABCDEF12'],
    ] as const) {
      list.set(serial, thisUpdate.getTime());
      thread.noteChange('ca-1', serial, thisUpdate.getTime());
      assert.deepEqual(serialsOf(await thread.generate(job(crlNumber), list)), [...list.keys()].sort());
    }
    const redated = thisUpdate.getTime() - 3_600_000;
    list.set('ABCDEF11', redated);
    thread.noteChange('ca-1', 'ABCDEF11', redated);
    const crl = new X509Crl(await thread.generate(job(52), list));
    const dates = crl.entries.filter((entry) => serialForLookup(entry.serialNumber) === 'ABCDEF11');
    assert.deepEqual(
      dates.map((entry) => entry.revocationDate.getTime()),
      [redated],
      'listed once, with its new date',
    );
    assert.equal(crl.entries.length, list.size);
  });

  test('a failure in the thread is an error here, and the next CRL sends the whole list again', async () => {
    await assert.rejects(thread.generate(job(-1), list), /crlNumber must be from 0/);
    list.set('ABCDEF02', thisUpdate.getTime()); // not noted: only a whole list carries it
    const der = await thread.generate(job(44), list);
    assert.deepEqual(serialsOf(der), [...list.keys()].sort());
  });

  test('a thread that died is started again, and is sent the whole list', async () => {
    await thread.close();
    list.set('ABCDEF03', thisUpdate.getTime()); // not noted either
    const der = await thread.generate(job(45), list);
    assert.deepEqual(serialsOf(der), [...list.keys()].sort());
  });
});
