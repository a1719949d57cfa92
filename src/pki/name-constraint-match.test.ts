import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  dnsIntersects,
  dnsWithin,
  emailWithin,
  ipWithin,
  isDnsConstraint,
  isDnsName,
  isEmailConstraint,
  isIpConstraint,
  isMailbox,
  uriHost,
  uriWithin,
} from './name-constraint-match.ts';

test('DNS names: host names and one leading wildcard label; no empty labels, trailing dots or spaces', () => {
  for (const good of ['example.com', 'a-b.example.com', '_acme.example.com', 'localhost', '*.example.com']) {
    assert.ok(isDnsName(good), good);
  }
  for (const bad of ['', '.example.com', 'example.com.', 'a..b', '-a.example', 'a b.example', 'a.*.example', '*']) {
    assert.ok(!isDnsName(bad), bad);
  }
  assert.ok(isDnsConstraint('') && isDnsConstraint('.example.com') && isDnsConstraint('example.com'));
  assert.ok(!isDnsConstraint('*.example.com') && !isDnsConstraint('..example.com'));
});

test('DNS subtrees: zero or more labels to the left, case-insensitive; a leading dot means subdomains only', () => {
  assert.ok(dnsWithin('example.com', 'example.com'));
  assert.ok(dnsWithin('Foo.Bar.EXAMPLE.com', 'example.COM'));
  assert.ok(!dnsWithin('notexample.com', 'example.com'));
  assert.ok(!dnsWithin('example.com', '.example.com'));
  assert.ok(dnsWithin('a.example.com', '.example.com'));
  assert.ok(dnsWithin('anything.test', ''));
  assert.ok(dnsWithin('*.example.com', 'example.com'), 'every name the wildcard covers is inside');
  assert.ok(!dnsWithin('*.example.com', 'a.example.com'), 'only one of them is');
  assert.ok(dnsIntersects('*.example.com', 'a.example.com'), 'an excluded name the wildcard covers');
  assert.ok(!dnsIntersects('*.example.com', 'other.test'));
  assert.ok(!dnsIntersects('a.example.com', 'b.example.com'));
});

test('mailboxes: one @, a dot-atom local part, a host; constraints: mailbox, host or .domain', () => {
  assert.ok(isMailbox('ops@example.com') && isMailbox("o'brien+x@mail.example.com"));
  for (const bad of ['invalid@address@example.com', '@example.com', 'ops@', 'a..b@example.com', 'a b@example.com']) {
    assert.ok(!isMailbox(bad), bad);
  }
  assert.ok(
    isEmailConstraint('ops@example.com') && isEmailConstraint('example.com') && isEmailConstraint('.example.com'),
  );
  assert.ok(!isEmailConstraint('invalid@invalid@example.com'));
  assert.ok(emailWithin('ops@Example.com', 'ops@example.COM'));
  assert.ok(!emailWithin('Ops@example.com', 'ops@example.com'), 'the local part is case-sensitive');
  assert.ok(emailWithin('ops@example.com', 'example.com'));
  assert.ok(!emailWithin('ops@mail.example.com', 'example.com'));
  assert.ok(emailWithin('ops@mail.example.com', '.example.com'));
  assert.ok(!emailWithin('ops@example.com', '.example.com'));
});

test('URIs: the host of the authority, without userinfo and port; none for IP literals or no authority', () => {
  assert.equal(uriHost('https://user@Api.Example.com:8443/x?y#z'), 'api.example.com');
  assert.equal(uriHost('spiffe://trust.example/ns/a'), 'trust.example');
  assert.equal(uriHost('urn:uuid:1234'), undefined);
  assert.equal(uriHost('https://[::1]/'), undefined);
  assert.equal(uriHost('https://192.0.2.1/'), '192.0.2.1', 'digits are labels: a URI constraint host never equals one');
  assert.ok(uriWithin('api.example.com', '.example.com') && !uriWithin('example.com', '.example.com'));
  assert.ok(uriWithin('example.com', 'example.com') && !uriWithin('api.example.com', 'example.com'));
});

test('IP constraints: address + contiguous mask of twice the length; families never mix', () => {
  const net = new Uint8Array([192, 0, 2, 0, 255, 255, 255, 0]);
  assert.ok(isIpConstraint(net));
  assert.ok(!isIpConstraint(new Uint8Array([127, 0, 0, 1])));
  assert.ok(!isIpConstraint(new Uint8Array([10, 0, 0, 0, 255, 0, 255, 0])));
  assert.ok(ipWithin(new Uint8Array([192, 0, 2, 7]), net));
  assert.ok(!ipWithin(new Uint8Array([192, 0, 3, 7]), net));
  assert.ok(!ipWithin(new Uint8Array(16), net));
});
