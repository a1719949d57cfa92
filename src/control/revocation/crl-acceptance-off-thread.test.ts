import 'reflect-metadata';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { before, describe, test } from 'node:test';
import { GatewayError } from '../../errors/index.ts';
import { createManagedCa, type IssuedCertificate } from '../../pki/certificate-issuer.ts';
import { generateCrl } from '../../pki/crl-generator.ts';
import { acceptCrl } from '../../pki/crl-acceptance.ts';
import { OFF_THREAD_BYTES, acceptCrlOffThread } from './crl-acceptance-off-thread.ts';

describe('acceptCrlOffThread', () => {
  let ca: IssuedCertificate;
  let der: Uint8Array;
  const now = new Date();

  before(async () => {
    ca = await createManagedCa('CN=Off Thread CRL Test CA');
    const entries = Array.from({ length: 4000 }, (_, index) => ({
      serialHex: `${(0x100000 + index).toString(16)}abcdef0123456789`,
      revokedAt: new Date(now.getTime() - 60_000),
    }));
    der = generateCrl({
      ca,
      crlNumber: 7,
      entries,
      thisUpdate: new Date(now.getTime() - 1000),
      nextUpdate: new Date(now.getTime() + 86_400_000),
    }).der;
  });

  test('a CRL large enough for a thread is accepted there exactly as in place, and the event loop keeps turning', async () => {
    assert.ok(der.byteLength >= OFF_THREAD_BYTES, `the CRL (${der.byteLength} bytes) takes the thread path`);
    const cas = [new X509Certificate(ca.certPem)];
    let turns = 0;
    const ticking = setInterval(() => (turns += 1), 5);
    const offThread = await acceptCrlOffThread({ der, cas, inForce: new Map(), now }).finally(() =>
      clearInterval(ticking),
    );
    const inPlace = await acceptCrl({ der, cas, inForce: () => undefined, now });
    assert.deepEqual(offThread, inPlace);
    assert.equal(offThread.revokedSerials.length, 4000);
    assert.ok(turns > 0, 'timers ran while the thread parsed the CRL');
  });

  test('a refusal in the thread is the same GatewayError as in place', async () => {
    const cas = [new X509Certificate(ca.certPem)];
    const issuer = cas[0]!.fingerprint256;
    const refusal = await acceptCrlOffThread({ der, cas, inForce: new Map([[issuer, 9n]]), now }).then(
      () => assert.fail('a CRL older than the one in force was accepted'),
      (error: unknown) => error,
    );
    assert.ok(refusal instanceof GatewayError);
    assert.equal(refusal.code, 'GW_ERR_CRL_OUTDATED');
  });
});
