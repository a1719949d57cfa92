import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isLoopback, unreachablePublicUrl } from './public-url-reach.ts';

test('a loopback public URL is unreachable when the gateway listens beyond loopback', () => {
  assert.equal(unreachablePublicUrl('https://localhost:8443', { host: '0.0.0.0' }), 'https://localhost:8443');
  assert.equal(unreachablePublicUrl('https://127.0.0.1:8443', { host: '::' }), 'https://127.0.0.1:8443');
  assert.equal(unreachablePublicUrl('https://[::1]:8443', { host: '192.0.2.10' }), 'https://[::1]:8443');
  assert.equal(unreachablePublicUrl('https://[::ffff:127.0.0.1]', { host: '0.0.0.0' }), 'https://[::ffff:7f00:1]');
});

test('no warning when both are loopback, or the public URL names another host', () => {
  assert.equal(unreachablePublicUrl('https://localhost:8443', { host: '127.0.0.1' }), undefined);
  assert.equal(unreachablePublicUrl('https://gw.example.com', { host: '0.0.0.0' }), undefined);
  assert.equal(unreachablePublicUrl('https://192.0.2.10:8443', { host: '0.0.0.0' }), undefined);
});

test('what counts as loopback', () => {
  for (const host of ['localhost', 'LOCALHOST.', 'a.localhost', '127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1']) {
    assert.equal(isLoopback(host), true, host);
  }
  for (const host of ['0.0.0.0', '::', '128.0.0.1', 'localhost.example.com', '192.0.2.1', 'example.com']) {
    assert.equal(isLoopback(host), false, host);
  }
});
