import 'reflect-metadata';
import assert from 'node:assert/strict';
import { X509Certificate, X509Crl } from '@peculiar/x509';
import { before, describe, test } from 'node:test';
import { createManagedCa, type IssuedCertificate } from '../../pki/certificate-issuer.ts';
import { generateCrl } from '../../pki/crl-generator.ts';
import { OFF_THREAD_ENTRIES, generateCrlOffThread } from './crl-generation-off-thread.ts';

describe('generateCrlOffThread', () => {
  let ca: IssuedCertificate;
  const thisUpdate = new Date(Math.floor(Date.now() / 1000) * 1000);
  const nextUpdate = new Date(thisUpdate.getTime() + 86_400_000);
  const entries = Array.from({ length: OFF_THREAD_ENTRIES + 500 }, (_, index) => ({
    serialHex: `${(0x200000 + index).toString(16)}0123456789abcdef`,
    revokedAt: new Date(thisUpdate.getTime() - 60_000),
  }));

  before(async () => {
    ca = await createManagedCa('CN=Off Thread CRL Generation Test CA');
  });

  test('a long CRL is signed in a thread, says what one signed in place says, and timers keep running', async () => {
    let turns = 0;
    const ticking = setInterval(() => (turns += 1), 5);
    const offThread = await generateCrlOffThread({ ca, crlNumber: 42n, entries, thisUpdate, nextUpdate }).finally(() =>
      clearInterval(ticking),
    );
    const inPlace = generateCrl({ ca, crlNumber: 42n, entries, thisUpdate, nextUpdate });
    const [a, b] = [new X509Crl(offThread.der), new X509Crl(inPlace.der)];
    assert.ok(await a.verify({ publicKey: new X509Certificate(ca.certPem) }), 'signed by the CA');
    assert.equal(a.entries.length, entries.length);
    assert.deepEqual(
      a.entries.map((entry) => entry.serialNumber),
      b.entries.map((entry) => entry.serialNumber),
    );
    assert.equal(a.thisUpdate.getTime(), b.thisUpdate.getTime());
    assert.ok(offThread.pem.startsWith('-----BEGIN X509 CRL-----'));
    assert.ok(turns > 0, 'timers ran while the thread signed the CRL');
  });

  test('a failure in the thread is an error here', async () => {
    await assert.rejects(
      generateCrlOffThread({ ca, crlNumber: -1n, entries, thisUpdate, nextUpdate }),
      /crlNumber must be from 0/,
    );
  });
});
