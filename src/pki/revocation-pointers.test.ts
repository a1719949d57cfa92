import 'reflect-metadata';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as x509 from '@peculiar/x509';
import { createCa } from '../../test/helpers/pki.ts';
import { isFetchableUrl, revocationPointers } from './revocation-pointers.ts';

test('CRL distribution points and OCSP responders: http(s) only, at most four, no duplicates', async () => {
  const ca = await createCa('CN=Pointer CA');
  const leaf = await ca.issue({
    subject: 'CN=device',
    extraExtensions: [
      new x509.CRLDistributionPointsExtension([
        'http://crl.example/fleet.crl',
        'ldap://ldap.example/cn=Fleet',
        'file:///etc/passwd',
        'https://crl.example/fleet.crl',
        'http://crl.example/fleet.crl',
        'http://user:secret@crl.example/x.crl',
      ]),
      new x509.AuthorityInfoAccessExtension({
        ocsp: ['http://ocsp.example/', 'gopher://ocsp.example/'],
        caIssuers: ['http://ca.example/ca.der'],
      }),
    ],
  });
  assert.deepEqual(revocationPointers(leaf.der), {
    crlUrls: ['http://crl.example/fleet.crl', 'https://crl.example/fleet.crl'],
    ocspUrls: ['http://ocsp.example/'],
  });
});

test('a certificate without pointers, and bytes that are not a certificate, point nowhere', async () => {
  const ca = await createCa('CN=Plain CA');
  const leaf = await ca.issue({ subject: 'CN=plain' });
  assert.deepEqual(revocationPointers(leaf.der), { crlUrls: [], ocspUrls: [] });
  assert.deepEqual(revocationPointers(new Uint8Array([0x30, 0x00])), { crlUrls: [], ocspUrls: [] });
});

test('isFetchableUrl', () => {
  assert.equal(isFetchableUrl('https://crl.example/a.crl'), true);
  assert.equal(isFetchableUrl('http://10.0.0.1:8080/a.crl'), true);
  assert.equal(isFetchableUrl('file:///etc/passwd'), false);
  assert.equal(isFetchableUrl('ftp://crl.example/a.crl'), false);
  assert.equal(isFetchableUrl('http://u:p@crl.example/'), false);
  assert.equal(isFetchableUrl('/relative.crl'), false);
});
