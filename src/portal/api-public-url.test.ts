import { test } from 'node:test';
import assert from 'node:assert/strict';
import { apiPublicUrl } from './api-public-url.ts';

test('the public URL on the default HTTPS port names no port', () => {
  assert.equal(
    apiPublicUrl({ hostname: 'api.example.com', listenPath: '/orders' }, 'https://gateway.example.com'),
    'https://api.example.com/orders/',
  );
});

test("the public URL's port, not the listener's, goes into the URL", () => {
  assert.equal(
    apiPublicUrl({ hostname: 'api.example.com', listenPath: '/' }, 'https://gateway.example.com:8443'),
    'https://api.example.com:8443/',
  );
});

test('a wildcard hostname gets an example label', () => {
  assert.equal(
    apiPublicUrl({ hostname: '*.apps.example.com', listenPath: '/v1' }, 'https://gateway.example.com'),
    'https://any.apps.example.com/v1/',
  );
});
