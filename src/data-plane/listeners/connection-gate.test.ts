import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectionGate, clientOf } from './connection-gate.ts';

test('a client is its IPv4 address, or its IPv6 /64 whatever the notation', () => {
  assert.equal(clientOf('192.0.2.7'), '192.0.2.7');
  assert.equal(clientOf('::ffff:192.0.2.7'), '192.0.2.7');
  assert.equal(clientOf('2001:db8:1:2:aaaa:bbbb:cccc:dddd'), '2001:db8:1:2::/64');
  assert.equal(clientOf('2001:0db8:0001:0002::1'), '2001:db8:1:2::/64');
  assert.equal(clientOf('2001:db8::1'), '2001:db8:0:0::/64');
  assert.equal(clientOf('::1'), '0:0:0:0::/64');
  assert.equal(clientOf('fe80::1%eth0'), 'fe80:0:0:0::/64');
  assert.equal(clientOf('64:ff9b::192.0.2.7'), '64:ff9b:0:0::/64');
});

test('per-client and total caps; a release frees the slot; 0 means no cap', () => {
  const gate = new ConnectionGate({ maxConnections: 3, maxConnectionsPerClient: 2, firstRequestTimeoutMs: 1 });
  assert.equal(gate.admit('a'), undefined);
  assert.equal(gate.admit('a'), undefined);
  assert.equal(gate.admit('a'), 'max_connections_per_client');
  assert.equal(gate.admit('b'), undefined);
  assert.equal(gate.admit('c'), 'max_connections');
  assert.equal(gate.openConnections, 3);
  gate.release('a');
  assert.equal(gate.admit('c'), undefined);
  assert.equal(gate.admit('a'), 'max_connections');

  const open = new ConnectionGate({ maxConnections: 0, maxConnectionsPerClient: 0, firstRequestTimeoutMs: 1 });
  for (let index = 0; index < 1000; index++) assert.equal(open.admit('a'), undefined);
});
