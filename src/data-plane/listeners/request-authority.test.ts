import { test } from 'node:test';
import assert from 'node:assert/strict';
import { http1HostProblem, http2AuthorityProblem } from './request-authority.ts';

test('HTTP/1.1: one valid Host passes, whatever its case or port', () => {
  for (const host of ['api.example.com', 'API.Example.com:8443', '127.0.0.1', '[::1]:443', 'a_b.example', ''])
    assert.equal(http1HostProblem(['Host', host, 'Accept', '*/*']), undefined, host);
});

test('HTTP/1.1: no Host, two Host lines (any case), or an invalid value are refused', () => {
  assert.equal(http1HostProblem(['Accept', '*/*']), 'no Host header');
  assert.equal(http1HostProblem(['Accept', '*/*'], '1.0'), undefined, 'HTTP/1.0 has no Host requirement');
  assert.equal(http1HostProblem(['Host', 'a', 'Host', 'b'], '1.0'), 'more than one Host header');
  assert.equal(http1HostProblem(['Host', 'a.example', 'HOST', 'a.example']), 'more than one Host header');
  for (const host of [
    'user@a.example',
    'a.example:',
    'a.example:123456',
    'a b',
    'a/b',
    'a.example:80:80',
    '[zz]',
    '%zz',
  ])
    assert.match(http1HostProblem(['host', host]) ?? '', /not a valid host/, host);
});

test('HTTP/2: Host and :authority must agree when both are sent (case and :443 do not count)', () => {
  assert.equal(http2AuthorityProblem({ ':authority': 'a.example' }), undefined);
  assert.equal(http2AuthorityProblem({ host: 'a.example' }), undefined);
  assert.equal(http2AuthorityProblem({ ':authority': 'a.example', host: 'A.EXAMPLE:443' }), undefined);
  assert.equal(http2AuthorityProblem({ ':authority': 'a.example:8443', host: 'a.example:8443' }), undefined);
  assert.match(http2AuthorityProblem({ ':authority': 'a.example', host: 'b.example' }) ?? '', /another host/);
  assert.match(http2AuthorityProblem({ ':authority': 'a.example', host: 'a.example:8443' }) ?? '', /another host/);
  assert.match(
    http2AuthorityProblem({ ':authority': 'a.example', host: 'a b' }) ?? '',
    /the Host header is not a valid host/,
  );
  assert.match(http2AuthorityProblem({ ':authority': 'u@a.example' }) ?? '', /:authority is not a valid/);
});
