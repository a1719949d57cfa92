import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RouteTable, upstreamPath, type RouteRuntime } from './route-table.ts';

function route(hostname: string, pathPrefix: string, extra: Partial<RouteRuntime> = {}): RouteRuntime {
  return {
    id: `${hostname}${pathPrefix}`,
    zoneId: 'z',
    hostname,
    pathPrefix,
    upstream: { protocol: 'http', origin: 'http://127.0.0.1:1', basePath: '' },
    stripPrefix: false,
    ...extra,
  };
}

test('the longest prefix wins, on segment boundaries only', () => {
  const table = new RouteTable([route('a.example', '/'), route('a.example', '/api'), route('a.example', '/api/v2')]);
  assert.equal(table.match('a.example', '/api/v2/x')?.pathPrefix, '/api/v2');
  assert.equal(table.match('a.example', '/api/v1')?.pathPrefix, '/api');
  assert.equal(table.match('a.example', '/api')?.pathPrefix, '/api');
  assert.equal(table.match('a.example', '/api?x=1')?.pathPrefix, '/api');
  assert.equal(table.match('a.example', '/apix')?.pathPrefix, '/');
  assert.equal(table.match('b.example', '/'), undefined);
  assert.equal(table.size, 3);
});

test('exact hostname routes first, then the one-label wildcard', () => {
  const table = new RouteTable([route('*.example.com', '/'), route('api.example.com', '/v1')]);
  assert.equal(table.match('api.example.com', '/v1/x')?.hostname, 'api.example.com');
  assert.equal(table.match('api.example.com', '/other')?.hostname, '*.example.com');
  assert.equal(table.match('www.example.com', '/')?.hostname, '*.example.com');
  assert.equal(table.match('a.b.example.com', '/'), undefined);
  assert.equal(table.match('example.com', '/'), undefined);
});

test('upstream path: base path, prefix stripped when asked', () => {
  const base = { protocol: 'http' as const, origin: 'http://127.0.0.1:1', basePath: '/base' };
  assert.equal(upstreamPath(route('h', '/api', { upstream: base }), '/api/x?q=1'), '/base/api/x?q=1');
  const stripped = route('h', '/api', { upstream: base, stripPrefix: true });
  assert.equal(upstreamPath(stripped, '/api/x?q=1'), '/base/x?q=1');
  assert.equal(upstreamPath(stripped, '/api'), '/base/');
  assert.equal(upstreamPath(stripped, '/api?q'), '/base/?q');
  assert.equal(upstreamPath(route('h', '/', { stripPrefix: true }), '/x'), '/x');
});
