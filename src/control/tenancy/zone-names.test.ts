import { test } from 'node:test';
import assert from 'node:assert/strict';
import { enclosingNames, overlapOf, reservedReason } from './zone-names.ts';

test('overlapOf: same name, parent, subdomain; label boundaries only', () => {
  assert.equal(overlapOf('b.test', 'b.test'), 'same');
  assert.equal(overlapOf('b.test', 'api.b.test'), 'parent');
  assert.equal(overlapOf('api.b.test', 'b.test'), 'subdomain');
  assert.equal(overlapOf('x.api.b.test', 'b.test'), 'subdomain');
  assert.equal(overlapOf('ab.test', 'b.test'), undefined, 'a shared suffix is not a parent');
  assert.equal(overlapOf('b.test', 'b.testing'), undefined);
  assert.equal(overlapOf('a.test', 'b.test'), undefined);
});

test('enclosingNames: the name and each parent, most specific first', () => {
  assert.deepEqual(enclosingNames('a.b.test'), ['a.b.test', 'b.test', 'test']);
  assert.deepEqual(enclosingNames('localhost'), ['localhost']);
});

test('reservedReason: localhost and its subdomains, and the gateway hostnames with parents and subdomains', () => {
  assert.match(reservedReason('localhost', []) ?? '', /RFC 6761/);
  assert.match(reservedReason('app.localhost', []) ?? '', /RFC 6761/);
  assert.equal(reservedReason('localhost.example', []), undefined, 'a label named localhost elsewhere is fine');
  const own = ['gw.example.net', '127.0.0.1'];
  assert.match(reservedReason('gw.example.net', own) ?? '', /gw\.example\.net, a name of the gateway itself/);
  assert.match(reservedReason('example.net', own) ?? '', /claims gw\.example\.net/, 'a parent would contain it');
  assert.match(reservedReason('x.gw.example.net', own) ?? '', /claims gw\.example\.net/);
  assert.equal(reservedReason('other.example.net', own), undefined);
  assert.equal(reservedReason('b.test', own), undefined);
});
