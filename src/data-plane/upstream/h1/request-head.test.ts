/**
 * The request head written to the upstream: exact bytes, framing owned by the writer, and every
 * part that could split the head (CR, LF, NUL, spaces in the target) refused rather than written.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { declaredLength, InvalidRequestHeadError, serializeRequestHead } from './request-head.ts';

test('writes the request line, Host first, then the fields in order, one line per value', () => {
  const head = serializeRequestHead(
    'GET',
    '/a?b=c',
    { accept: '*/*', 'set-x': ['1', '2'], host: 'api.example.com' },
    { kind: 'none' },
  );
  assert.equal(head, 'GET /a?b=c HTTP/1.1\r\nhost: api.example.com\r\naccept: */*\r\nset-x: 1\r\nset-x: 2\r\n\r\n');
});

test('framing comes from the body, never from the client: its Content-Length, Transfer-Encoding and Expect are dropped', () => {
  const headers = { host: 'h', 'content-length': '999', 'transfer-encoding': 'chunked', expect: '100-continue' };
  assert.equal(
    serializeRequestHead('PUT', '/', headers, { kind: 'length', length: 5 }),
    'PUT / HTTP/1.1\r\nhost: h\r\ncontent-length: 5\r\n\r\n',
  );
  assert.equal(
    serializeRequestHead('POST', '/', headers, { kind: 'chunked' }),
    'POST / HTTP/1.1\r\nhost: h\r\ntransfer-encoding: chunked\r\n\r\n',
  );
});

test('a bodiless POST, PUT or PATCH says Content-Length: 0 (RFC 9110 §8.6); a bodiless GET says nothing', () => {
  for (const method of ['POST', 'PUT', 'PATCH']) {
    assert.equal(
      serializeRequestHead(method, '/', { host: 'h' }, { kind: 'none' }),
      `${method} / HTTP/1.1\r\nhost: h\r\ncontent-length: 0\r\n\r\n`,
    );
  }
  assert.equal(serializeRequestHead('GET', '/', { host: 'h' }, { kind: 'none' }), 'GET / HTTP/1.1\r\nhost: h\r\n\r\n');
});

test('refuses anything that would split or bend the head', () => {
  const refused: [string, string, Record<string, string | string[]>][] = [
    ['GET\r\nX', '/', {}],
    ['G ET', '/', {}],
    ['', '/', {}],
    ['GET', '/a b', {}],
    ['GET', '/a\r\nx: y', {}],
    ['GET', '', {}],
    ['GET', '/\0', {}],
    ['GET', '/', { 'x-a': 'one\r\nx-b: two' }],
    ['GET', '/', { 'x-a': 'one\ntwo' }],
    ['GET', '/', { 'x-a': 'nul\0' }],
    ['GET', '/', { 'x-a': 'del\x7f' }],
    ['GET', '/', { 'x-a': ['ok', 'bad\r'] }],
    ['GET', '/', { 'x-a': 'wide \u0100' }],
    ['GET', '/', { 'bad name': 'v' }],
    ['GET', '/', { 'bad:name': 'v' }],
    ['GET', '/', { '': 'v' }],
    ['GET', '/', { host: 'h\r\nx: y' }],
  ];
  for (const [method, target, headers] of refused) {
    assert.throws(
      () => serializeRequestHead(method, target, headers, { kind: 'none' }),
      InvalidRequestHeadError,
      JSON.stringify([method, target, headers]),
    );
  }
});

test('accepts tabs and obs-text in values, as RFC 9110 §5.5 allows', () => {
  assert.equal(
    serializeRequestHead('GET', '/', { 'x-a': 'a\tb \xe9' }, { kind: 'none' }),
    'GET / HTTP/1.1\r\nx-a: a\tb \xe9\r\n\r\n',
  );
});

test('declaredLength: only a plain decimal counts; anything else is sent chunked and counted', () => {
  assert.equal(declaredLength({ 'content-length': '0' }), 0);
  assert.equal(declaredLength({ 'content-length': '12345' }), 12345);
  for (const value of ['', '+5', '-1', '0x10', '1 2', '1.5', '1234567890123456']) {
    assert.equal(declaredLength({ 'content-length': value }), undefined, value);
  }
  assert.equal(declaredLength({ 'content-length': ['5', '5'] }), undefined);
  assert.equal(declaredLength({}), undefined);
});
