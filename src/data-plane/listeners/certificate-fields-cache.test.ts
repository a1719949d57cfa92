import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CertificateFieldsCache } from './certificate-fields-cache.ts';
import type { CertificateFields } from '../../pki/certificate-fields.ts';

const fields = (serial: string): CertificateFields => ({ serial }) as CertificateFields;

test('parses once per fingerprint and returns the cached fields afterwards', () => {
  const cache = new CertificateFieldsCache(10);
  let parses = 0;
  const parse = (): CertificateFields => {
    parses++;
    return fields('A');
  };
  assert.equal(cache.get('f1', parse).serial, 'A');
  assert.equal(cache.get('f1', parse).serial, 'A');
  assert.equal(parses, 1);
});

test('evicts the least recently used entry at capacity', () => {
  const cache = new CertificateFieldsCache(2);
  cache.get('a', () => fields('a'));
  cache.get('b', () => fields('b'));
  cache.get('a', () => fields('never'));
  cache.get('c', () => fields('c'));
  assert.equal(cache.size, 2);
  assert.equal(cache.get('a', () => fields('reparsed')).serial, 'a', 'a was used recently and stays');
  assert.equal(cache.get('b', () => fields('reparsed')).serial, 'reparsed', 'b was evicted');
});
