import { test } from 'node:test';
import assert from 'node:assert/strict';
import { outboundAddressProblem } from './outbound-address.ts';

test('public unicast addresses are reachable', () => {
  for (const address of ['93.184.216.34', '8.8.8.8', '2606:4700::6810:85e5', '172.32.0.1', '100.128.0.1']) {
    assert.equal(outboundAddressProblem(address, false), undefined, address);
  }
});

test('loopback and private ranges only when the CA allows them', () => {
  for (const address of [
    '127.0.0.1',
    '10.1.2.3',
    '172.16.0.1',
    '192.168.1.1',
    '100.64.0.1',
    '::1',
    'fd00::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
  ]) {
    assert.match(outboundAddressProblem(address, false) ?? '', /loopback|private/, address);
    assert.equal(outboundAddressProblem(address, true), undefined, address);
  }
});

test('link-local (metadata services), multicast, reserved and embedding ranges never', () => {
  for (const address of [
    '169.254.169.254',
    '0.0.0.0',
    '255.255.255.255',
    '224.0.0.1',
    '192.0.2.1',
    'fe80::1',
    'ff02::1',
    '::',
    '2001:db8::1',
    '2002:7f00:1::',
    '2001:0:4136:e378::1',
    '64:ff9b::a9fe:a9fe',
    '::ffff:169.254.169.254',
  ]) {
    assert.match(outboundAddressProblem(address, true) ?? '', /reserved/, address);
  }
  assert.equal(outboundAddressProblem('64:ff9b::808:808', false), undefined, 'NAT64 of a public address');
  assert.equal(outboundAddressProblem('not-an-ip', true), 'not an IP address');
});
