/**
 * RevokedEntries: entries appended to a kept encoding make the same revokedCertificates, entry for entry, as the
 * whole list encoded at once (order aside: RFC 5280 §5.1.2.6 sets none), and a CRL signed over it is read back
 * with every serial and date. Serials listed twice are refused across appends too, unless the caller vouches.
 */
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificateList } from '@peculiar/asn1-x509';
import { X509Certificate, X509Crl } from '@peculiar/x509';
import { childRanges } from './der-writer.ts';
import { RevokedEntries, type CrlEntry } from './crl-entries.ts';
import { createManagedCa } from './certificate-issuer.ts';
import { generateCrl } from './crl-generator.ts';
import { serialForLookup } from './serial.ts';

const base = Date.parse('2026-12-07T10:00:00Z');
const entry = (index: number): CrlEntry => ({
  serialHex: `${(0x100000 + index * 7919).toString(16)}00ff`,
  revokedAt: base + index * 1000,
});
/** The entries' TLVs as hex strings, sorted: the same set whatever the order. */
const tlvsOf = (entries: RevokedEntries): string[] => {
  const contents = Buffer.from(entries.contents());
  return childRanges(contents)
    .map(([start, end]) => contents.subarray(start, end).toString('hex'))
    .sort();
};

describe('RevokedEntries', () => {
  test('appended in three steps: the same entries as all of them encoded at once', () => {
    const all = Array.from({ length: 300 }, (_, index) => entry(index));
    const kept = new RevokedEntries(all.slice(0, 100));
    kept.append(all.slice(100, 101));
    kept.append(all.slice(101)); // grows past its first buffer more than once
    assert.equal(kept.count, 300);
    assert.deepEqual(tlvsOf(kept), tlvsOf(new RevokedEntries(all)));
  });

  test('a serial appended again is refused, however it is written, unless the caller vouches for distinct serials', () => {
    const kept = new RevokedEntries([{ serialHex: '0a0b', revokedAt: base }]);
    assert.throws(() => kept.append([{ serialHex: '0A:0B', revokedAt: base }]), /listed twice/);
    assert.equal(kept.count, 1, 'the refused entry is not kept');
    const vouched = new RevokedEntries([{ serialHex: '0a0b', revokedAt: base }], true);
    vouched.append([{ serialHex: '0c', revokedAt: base }]);
    assert.equal(vouched.count, 2);
  });

  test('a CRL over kept entries lists every serial with its date, and is signed by the CA', async () => {
    const ca = await createManagedCa('CN=Kept Entries Test CA');
    const kept = new RevokedEntries([entry(1), entry(2)], true);
    kept.append([entry(3)]);
    const thisUpdate = new Date(base);
    const der = generateCrl({
      ca,
      crlNumber: 3,
      entries: kept,
      thisUpdate,
      nextUpdate: new Date(base + 86_400_000),
    }).der;
    const crl = new X509Crl(der);
    assert.ok(await crl.verify({ publicKey: new X509Certificate(ca.certPem) }));
    const listed = new Map(
      crl.entries.map((item) => [serialForLookup(item.serialNumber), item.revocationDate.getTime()]),
    );
    assert.deepEqual(
      listed,
      new Map([1, 2, 3].map((index) => [serialForLookup(entry(index).serialHex), entry(index).revokedAt])),
    );
    // A CRL of no entries leaves the list out (RFC 5280 §5.1.2.6).
    const empty = generateCrl({
      ca,
      crlNumber: 4,
      entries: new RevokedEntries(),
      thisUpdate,
      nextUpdate: new Date(base + 86_400_000),
    });
    assert.equal(AsnConvert.parse(empty.der, CertificateList).tbsCertList.revokedCertificates, undefined);
  });
});
