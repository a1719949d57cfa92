/**
 * Access rights: unknown API → api_not_allowed; listed API but no right allows method and path →
 * resource_not_allowed; empty lists mean all; several rights for one API are alternatives, never crossed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compileAccessRights } from './access-rights.ts';
import { compilePathPattern } from './path-pattern.ts';
import type { AccessRight } from '../model/records.ts';

function right(apiId: string, methods: string[] = [], paths: string[] = []): AccessRight {
  return { apiId, methods, paths };
}

test('no rights allow nothing', () => {
  assert.equal(compileAccessRights([]).check('api1', 'GET', '/'), 'api_not_allowed');
});

test('an API with empty lists allows every method and path', () => {
  const rights = compileAccessRights([right('api1')]);
  assert.equal(rights.check('api1', 'DELETE', '/anything/at/all?x=1'), 'allowed');
  assert.equal(rights.check('api2', 'GET', '/'), 'api_not_allowed');
});

test('methods restrict, exactly and case-sensitively', () => {
  const rights = compileAccessRights([right('api1', ['GET', 'POST'])]);
  assert.equal(rights.check('api1', 'GET', '/x'), 'allowed');
  assert.equal(rights.check('api1', 'POST', '/x'), 'allowed');
  assert.equal(rights.check('api1', 'PUT', '/x'), 'resource_not_allowed');
  assert.equal(rights.check('api1', 'HEAD', '/x'), 'resource_not_allowed');
  assert.equal(rights.check('api1', 'get', '/x'), 'resource_not_allowed');
});

test('paths restrict, without the query', () => {
  const rights = compileAccessRights([right('api1', [], ['/orders', '/orders/*'])]);
  assert.equal(rights.check('api1', 'GET', '/orders'), 'allowed');
  assert.equal(rights.check('api1', 'GET', '/orders?page=2'), 'allowed');
  assert.equal(rights.check('api1', 'GET', '/orders/7/items'), 'allowed');
  assert.equal(rights.check('api1', 'GET', '/orders/7?x=/y'), 'allowed');
  assert.equal(rights.check('api1', 'GET', '/orders/'), 'resource_not_allowed');
  assert.equal(rights.check('api1', 'GET', '/ordersx'), 'resource_not_allowed');
  assert.equal(rights.check('api1', 'GET', '/users?/orders'), 'resource_not_allowed');
});

test('several rights for one API are alternatives: methods and paths are never crossed', () => {
  const rights = compileAccessRights([right('api1', ['GET'], ['/read/*']), right('api1', ['POST'], ['/write/*'])]);
  assert.equal(rights.check('api1', 'GET', '/read/1'), 'allowed');
  assert.equal(rights.check('api1', 'POST', '/write/1'), 'allowed');
  assert.equal(rights.check('api1', 'POST', '/read/1'), 'resource_not_allowed');
  assert.equal(rights.check('api1', 'GET', '/write/1'), 'resource_not_allowed');
});

test('a full right for an API wins over its narrower ones, in any order', () => {
  for (const rights of [
    [right('api1', ['GET'], ['/a']), right('api1')],
    [right('api1'), right('api1', ['GET'], ['/a'])],
  ]) {
    assert.equal(compileAccessRights(rights).check('api1', 'PATCH', '/b'), 'allowed');
  }
});

test('rights of one API do not leak into another', () => {
  const rights = compileAccessRights([right('api1'), right('api2', ['GET'], ['/public/*'])]);
  assert.equal(rights.check('api2', 'GET', '/private'), 'resource_not_allowed');
  assert.equal(rights.check('api2', 'GET', '/public/x'), 'allowed');
  assert.equal(rights.check('api1', 'GET', '/private'), 'allowed');
});

test('agrees with a direct reading of the rules', () => {
  const method = fc.constantFrom('GET', 'POST', 'PUT');
  const pattern = fc.constantFrom('/a', '/a/*', '/b/*', '*', '/*/c');
  const rightArb = fc.record({
    apiId: fc.constantFrom('x', 'y'),
    methods: fc.uniqueArray(method, { maxLength: 2 }),
    paths: fc.uniqueArray(pattern, { maxLength: 2 }),
  });
  const path = fc.constantFrom('/a', '/a/b', '/b/c', '/a/c', '/b', '/a?q', '/a/c?x');
  fc.assert(
    fc.property(fc.array(rightArb, { maxLength: 4 }), fc.constantFrom('x', 'y'), method, path, (rights, api, m, p) => {
      const bare = p.split('?')[0] ?? '';
      const mine = rights.filter((r) => r.apiId === api);
      const expected =
        mine.length === 0
          ? 'api_not_allowed'
          : mine.some(
                (r) =>
                  (r.methods.length === 0 || r.methods.includes(m)) &&
                  (r.paths.length === 0 || r.paths.some((q) => compilePathPattern(q)(bare))),
              )
            ? 'allowed'
            : 'resource_not_allowed';
      assert.equal(compileAccessRights(rights).check(api, m, p), expected);
    }),
  );
});
