import 'reflect-metadata';
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createCa, type CaHandle, type Issued } from '../../test/helpers/pki.ts';
import { buildOcspQuery, readOcspAnswer } from './ocsp-client.ts';
import { buildOcspResponse, type OcspCertificateStatus } from './ocsp-responder.ts';

const MINUTE = 60_000;

describe('OCSP client: the question and the checks on the answer', () => {
  let ca: CaHandle;
  let other: CaHandle;
  let good: Issued;
  let revoked: Issued;

  before(async () => {
    ca = await createCa('CN=OCSP CA');
    other = await createCa('CN=Another CA');
    good = await ca.issue({ subject: 'CN=good' });
    revoked = await ca.issue({ subject: 'CN=revoked' });
  });

  const statuses = (): Map<string, OcspCertificateStatus> =>
    new Map<string, OcspCertificateStatus>([
      [good.serialHex.toLowerCase(), { status: 'good' }],
      [revoked.serialHex.toLowerCase(), { status: 'revoked', revokedAt: new Date(Date.now() - MINUTE) }],
    ]);

  /** The managed CA's responder (ocsp-responder.ts) answering as `signer`. */
  const answer = (requestDer: Uint8Array, signer: CaHandle = ca, now = new Date(), nextUpdate?: Date) =>
    buildOcspResponse({
      ca: { certPem: signer.certPem, keyPem: signer.keyPem },
      requestDer,
      lookup: (serial) => statuses().get(serial.replace(/^0+/, '')) ?? { status: 'unknown' },
      now,
      nextUpdate: nextUpdate ?? new Date(now.getTime() + 10 * MINUTE),
    });

  test('good, revoked and unknown, with thisUpdate and nextUpdate', async () => {
    const unknownLeaf = await ca.issue({ subject: 'CN=never heard of' });
    for (const [leaf, status] of [
      [good, 'good'],
      [revoked, 'revoked'],
      [unknownLeaf, 'unknown'],
    ] as const) {
      const query = buildOcspQuery(leaf.der, ca.der);
      const read = readOcspAnswer(await answer(query.der), query, ca.der, new Date());
      assert.equal(read.status, status);
      assert.ok(read.nextUpdate !== undefined && read.nextUpdate.getTime() > Date.now());
    }
  });

  test('a nonce asked must come back', async () => {
    const query = buildOcspQuery(good.der, ca.der, new Uint8Array(16).fill(7));
    assert.equal(readOcspAnswer(await answer(query.der), query, ca.der, new Date()).status, 'good');
    const withoutNonce = buildOcspQuery(good.der, ca.der);
    const echoless = await answer(withoutNonce.der);
    assert.throws(() => readOcspAnswer(echoless, query, ca.der, new Date()), /did not echo the nonce/);
  });

  test('signed by another CA, tampered with, about another certificate: not believed', async () => {
    const query = buildOcspQuery(good.der, ca.der);
    const foreign = await answer(query.der, other);
    assert.throws(() => readOcspAnswer(foreign, query, ca.der, new Date()), /signed neither by the CA/);
    const tampered = Buffer.from(await answer(query.der));
    tampered.writeUInt8(tampered.readUInt8(tampered.length - 5) ^ 0xff, tampered.length - 5);
    assert.throws(() => readOcspAnswer(tampered, query, ca.der, new Date()), /does not verify/);
    const aboutRevoked = await answer(buildOcspQuery(revoked.der, ca.der).der);
    assert.throws(() => readOcspAnswer(aboutRevoked, query, ca.der, new Date()), /not about this certificate/);
  });

  test('stale or from the future: not believed', async () => {
    const query = buildOcspQuery(good.der, ca.der);
    const old = new Date(Date.now() - 60 * MINUTE);
    const stale = await answer(query.der, ca, old, new Date(old.getTime() + MINUTE));
    assert.throws(() => readOcspAnswer(stale, query, ca.der, new Date()), /past its nextUpdate/);
    const ahead = new Date(Date.now() + 60 * MINUTE);
    const future = await answer(query.der, ca, ahead);
    assert.throws(() => readOcspAnswer(future, query, ca.der, new Date()), /from the future/);
  });

  test('an unsuccessful responseStatus says which', async () => {
    const query = buildOcspQuery(good.der, ca.der);
    const malformed = await answer(new Uint8Array([1, 2, 3]));
    assert.throws(() => readOcspAnswer(malformed, query, ca.der, new Date()), /answered malformedRequest/);
  });
});
