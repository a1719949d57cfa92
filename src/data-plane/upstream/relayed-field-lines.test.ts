import { test } from 'node:test';
import assert from 'node:assert/strict';
import { relayedFieldLines as relayed } from './relayed-field-lines.ts';
import { connectionListedNames, type HeaderMap } from './hop-by-hop.ts';

const relayedFieldLines = (lines: string, headers: HeaderMap, replaced?: Record<string, string>): string =>
  relayed(lines, headers, connectionListedNames(headers.connection), replaced);

test('relays the lines as they came when nothing is to drop (the same string, no copy)', () => {
  const lines = 'Server: up\r\nContent-Type: text/plain\r\nX-A: 1\r\n';
  const headers: HeaderMap = { server: 'up', 'content-type': 'text/plain', 'x-a': '1', connection: 'keep-alive' };
  assert.equal(relayedFieldLines(lines, headers), lines);
  assert.equal(relayedFieldLines('', {}), '');
});

test('drops the fields Connection names (RFC 9110 §7.6.1), in any case, keeping the others in order', () => {
  const lines = 'X-Secret: 1\r\nserver: up\r\nx-SECRET: 2\r\nX-Other: 3\r\nX-Hop2: z\r\n';
  const headers: HeaderMap = {
    connection: ['close, X-Secret', ' x-hop2 '],
    'x-secret': ['1', '2'],
    server: 'up',
    'x-other': '3',
    'x-hop2': 'z',
  };
  assert.equal(relayedFieldLines(lines, headers), 'server: up\r\nX-Other: 3\r\n');
});

test('drops the lines the gateway replaces, and a hop-by-hop line should one be left', () => {
  const lines = 'RateLimit-Limit: 999\r\nX-A: 1\r\nKeep-Alive: timeout=5\r\n';
  const headers: HeaderMap = { 'ratelimit-limit': '999', 'x-a': '1', 'keep-alive': 'timeout=5' };
  assert.equal(relayedFieldLines(lines, headers, { 'ratelimit-limit': '10' }), 'X-A: 1\r\n');
  // A name present only on Object.prototype is not "replaced".
  const proto = 'Constructor: x\r\n';
  assert.equal(relayedFieldLines(proto, { constructor: 'x' }, {}), proto);
  // Nothing of the replaced names in the head: the lines stay as they are.
  assert.equal(relayedFieldLines('X-A: 1\r\n', { 'x-a': '1' }, { 'ratelimit-limit': '10' }), 'X-A: 1\r\n');
});
