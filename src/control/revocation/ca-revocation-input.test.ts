import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  applySettingsPatch,
  DEFAULT_CA_REVOCATION_SETTINGS,
  readBlockInput,
  settingsWire,
  withDefaults,
} from './ca-revocation-input.ts';

test('a patch changes only what it names; the rest keeps its value', () => {
  const first = applySettingsPatch(DEFAULT_CA_REVOCATION_SETTINGS, {
    crl_fetch: { enabled: true, urls: ['http://crl.example/a.crl', 'http://crl.example/a.crl'] },
  });
  assert.deepEqual(first.crlFetch, {
    enabled: true,
    urls: ['http://crl.example/a.crl'],
    refreshIntervalSeconds: 3600,
    timeoutMs: 10_000,
  });
  assert.equal(first.onUnavailable, 'fail_closed');
  const second = applySettingsPatch(first, { on_unavailable: 'fail_open', ocsp: { enabled: true, nonce: true } });
  assert.deepEqual(second.crlFetch, first.crlFetch);
  assert.deepEqual(second.ocsp, { enabled: true, timeoutMs: 3000, nonce: true, maxCacheSeconds: 3600 });
  assert.equal(second.onUnavailable, 'fail_open');
  assert.deepEqual(settingsWire(second).crl_fetch, {
    enabled: true,
    urls: ['http://crl.example/a.crl'],
    refresh_interval_seconds: 3600,
    timeout_ms: 10_000,
  });
});

test('out-of-range numbers and unknown modes are refused, naming the field', () => {
  const refused = (patch: Parameters<typeof applySettingsPatch>[1], field: RegExp) =>
    assert.throws(
      () => applySettingsPatch(DEFAULT_CA_REVOCATION_SETTINGS, patch),
      (error: Error & { code?: string }) => {
        assert.equal(error.code, 'GW_ERR_API_VALIDATION');
        assert.match(error.message, field);
        return true;
      },
    );
  refused({ on_unavailable: 'maybe' }, /on_unavailable must be fail_closed or fail_open/);
  refused(
    { crl_fetch: { refresh_interval_seconds: 0 } },
    /crl_fetch.refresh_interval_seconds must be a whole number from 1 to 604800/,
  );
  refused({ crl_fetch: { timeout_ms: 1.5 } }, /crl_fetch.timeout_ms/);
  refused({ ocsp: { timeout_ms: 60_000 } }, /ocsp.timeout_ms must be a whole number from 100 to 30000/);
  refused({ ocsp: { max_cache_seconds: 90_000 } }, /ocsp.max_cache_seconds/);
  refused({ crl_fetch: { urls: ['http://a/1', 'http://a/2', 'http://a/3', 'http://a/4', 'http://a/5'] } }, /at most 4/);
});

test('CRL URLs: http(s) only, and no literal private address unless allowed', () => {
  const urlRefused = (patch: Parameters<typeof applySettingsPatch>[1], reason: RegExp) =>
    assert.throws(
      () => applySettingsPatch(DEFAULT_CA_REVOCATION_SETTINGS, patch),
      (error: Error & { code?: string }) => {
        assert.equal(error.code, 'GW_ERR_REVOCATION_URL_REFUSED');
        assert.match(error.message, reason);
        return true;
      },
    );
  urlRefused({ crl_fetch: { urls: ['file:///etc/passwd'] } }, /crl_fetch.urls\[0\]: only http and https/);
  urlRefused({ crl_fetch: { urls: ['ldap://ldap.example/cn=x'] } }, /only http and https/);
  urlRefused({ crl_fetch: { urls: ['http://10.0.0.5/a.crl'] } }, /10\.0\.0\.5 is a private address/);
  urlRefused({ crl_fetch: { urls: ['http://[::1]:8080/a.crl'] } }, /::1 is a loopback address/);
  urlRefused(
    { allow_private_addresses: true, crl_fetch: { urls: ['http://169.254.169.254/'] } },
    /reserved, link-local/,
  );
  const allowed = applySettingsPatch(DEFAULT_CA_REVOCATION_SETTINGS, {
    allow_private_addresses: true,
    crl_fetch: { urls: ['http://10.0.0.5/a.crl'] },
  });
  assert.deepEqual(allowed.crlFetch.urls, ['http://10.0.0.5/a.crl']);
  assert.throws(
    () => applySettingsPatch(allowed, { allow_private_addresses: false }),
    /10\.0\.0\.5 is a private address/,
  );
});

test('withDefaults completes a stored document', () => {
  assert.deepEqual(withDefaults(undefined), DEFAULT_CA_REVOCATION_SETTINGS);
  assert.equal(withDefaults({ onUnavailable: 'fail_open' }).ocsp.timeoutMs, 3000);
});

test('block entries: exactly one of sha256 and serial_number, normalised', () => {
  assert.deepEqual(readBlockInput({ sha256: `sha256 Fingerprint=${'AB:'.repeat(31)}AB`, description: ' lost ' }), {
    kind: 'sha256',
    value: 'ab'.repeat(32),
    description: 'lost',
  });
  assert.deepEqual(readBlockInput({ serial_number: 'serial=00:0A:1b' }), {
    kind: 'serial',
    value: 'A1B',
    description: '',
  });
  assert.throws(() => readBlockInput({}), /exactly one of sha256 and serial_number/);
  assert.throws(() => readBlockInput({ sha256: 'ab'.repeat(32), serial_number: '01' }), /exactly one/);
  assert.throws(() => readBlockInput({ sha256: 'xyz' }), /64 hex characters/);
  assert.throws(() => readBlockInput({ serial_number: '12g' }), /1 to 40 hex digits/);
  assert.throws(() => readBlockInput({ serial_number: '1'.repeat(41) }), /1 to 40 hex digits/);
});
