/**
 * identityFormatsOf, the pure half of the managed headers that the snapshot compiler uses: the
 * default when unset, stored values, ids missing from a stored value, and malformed values.
 * The service itself is tested over the admin API in test/admin-api/routes.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IDENTITY_FORMATS } from '../../config/identity-formats.ts';
import { identityFormatsOf, MANAGED_REQUEST_HEADERS } from './managed-headers-service.ts';

test('never set → only x-forwarded-client-cert', () => {
  assert.deepEqual(identityFormatsOf(undefined), ['xfcc']);
});

test('a stored value picks the formats, in one fixed order', () => {
  const all = {
    add_rfc9440_client_cert_headers: true,
    add_forwarded_client_cert_header: true,
    add_client_certificate_headers: true,
  };
  assert.deepEqual(identityFormatsOf(all), ['cf', 'xfcc', 'rfc9440']);
  assert.deepEqual(
    identityFormatsOf({
      add_client_certificate_headers: false,
      add_forwarded_client_cert_header: false,
      add_rfc9440_client_cert_headers: false,
    }),
    [],
  );
});

test('an id missing from the stored value takes its default; unknown ids are ignored', () => {
  assert.deepEqual(identityFormatsOf({ add_rfc9440_client_cert_headers: true }), ['xfcc', 'rfc9440']);
  assert.deepEqual(identityFormatsOf({ add_forwarded_client_cert_header: false, add_bot_headers: true }), []);
});

test('malformed stored values count as unset (the snapshot must still compile)', () => {
  for (const value of [null, 'xfcc', 42, ['add_client_certificate_headers'], true]) {
    assert.deepEqual(identityFormatsOf(value), ['xfcc'], JSON.stringify(value));
  }
  assert.deepEqual(identityFormatsOf({ add_forwarded_client_cert_header: 'false' }), ['xfcc'], 'not a boolean');
});

test('every identity format has exactly one transform', () => {
  assert.deepEqual(MANAGED_REQUEST_HEADERS.map((transform) => transform.format).sort(), [...IDENTITY_FORMATS].sort());
});
