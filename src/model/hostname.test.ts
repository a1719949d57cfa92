import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalHostname, isHostname, MAX_HOSTNAME_LENGTH } from './hostname.ts';

test('canonicalHostname lowercases and drops one trailing dot (RFC 4343, RFC 1034 §3.1)', () => {
  assert.equal(canonicalHostname('API.Example.COM.'), 'api.example.com');
  assert.equal(canonicalHostname('api.example.com'), 'api.example.com');
  assert.equal(canonicalHostname('xn--bcher-kva.EXAMPLE'), 'xn--bcher-kva.example');
  assert.equal(canonicalHostname('example.com..'), 'example.com.');
  assert.equal(canonicalHostname(''), '');
});

test('isHostname: letters, digits and inner hyphens, labels of 1 to 63 characters', () => {
  assert.equal(isHostname('api.example.com'), true);
  assert.equal(isHostname('localhost'), true);
  assert.equal(isHostname('a-b.example'), true);
  assert.equal(isHostname(`${'a'.repeat(63)}.example`), true);
  for (const bad of ['', '-a.example', 'a-.example', 'a..example', '.example', 'a b.example', 'API.example']) {
    assert.equal(isHostname(bad), false, bad);
  }
  assert.equal(isHostname(`${'a'.repeat(64)}.example`), false);
});

test('isHostname: at most 253 characters', () => {
  const label = 'a'.repeat(61);
  const at = (length: number) => `${`${label}.`.repeat(4)}${'b'.repeat(length - 4 * 62)}`;
  assert.equal(isHostname(at(MAX_HOSTNAME_LENGTH)), true);
  assert.equal(isHostname(at(MAX_HOSTNAME_LENGTH + 1)), false);
});

test('isHostname: a wildcard first label only when asked for', () => {
  assert.equal(isHostname('*.example.com'), false);
  assert.equal(isHostname('*.example.com', { wildcard: true }), true);
  assert.equal(isHostname('a.*.example.com', { wildcard: true }), false);
  assert.equal(isHostname('*', { wildcard: true }), false);
});

test('isHostname: underscores only when asked for', () => {
  assert.equal(isHostname('_acme.example.com'), false);
  assert.equal(isHostname('_acme.example.com', { underscore: true }), true);
});

test('isHostname: dotted asks for two labels at least', () => {
  assert.equal(isHostname('com', { dotted: true }), false);
  assert.equal(isHostname('example.com', { dotted: true }), true);
});
