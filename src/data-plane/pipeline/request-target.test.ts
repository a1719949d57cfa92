import { test } from 'node:test';
import assert from 'node:assert/strict';
import { requestTargetProblem } from './request-target.ts';

test('ordinary paths pass, queries are not inspected', () => {
  for (const target of ['/', '/a', '/a/b.json', '/a..b/c', '/.well-known/x', '/a/...', '/a/%41', '/x?p=../..%2F'])
    assert.equal(requestTargetProblem(target), undefined, target);
});

test('dot segments are refused, raw or percent-encoded, anywhere in the path', () => {
  for (const target of ['/a/../b', '/a/./b', '/a/..', '/..', '/.', '/a/%2e%2E/b', '/a/.%2e', '/a/%2E?x', '/a/..?q'])
    assert.match(requestTargetProblem(target) ?? '', /dot segment/, target);
});

test('encoded separators, backslashes and NUL are refused', () => {
  assert.match(requestTargetProblem('/a%2Fb') ?? '', /separator/);
  assert.match(requestTargetProblem('/a%5cb') ?? '', /separator/);
  assert.match(requestTargetProblem('/a\\b') ?? '', /backslash/);
  assert.match(requestTargetProblem('/a%00') ?? '', /NUL/);
});
