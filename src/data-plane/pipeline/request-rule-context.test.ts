import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CertificateFields } from '../../pki/certificate-fields.ts';
import type { ConnectionIdentity } from '../listeners/connection-identity.ts';
import { RequestRuleContext, type RuleRequestInput } from './request-rule-context.ts';

const input: RuleRequestInput = {
  host: 'api.example.com',
  method: 'POST',
  target: '/v1/items?limit=5',
  version: 'HTTP/1.1',
  headers: { host: 'API.example.com:8443', 'user-agent': 'probe/1', 'x-forwarded-for': '192.0.2.1' },
  rawHeaders: ['Host', 'API.example.com:8443', 'User-Agent', 'probe/1', 'X-Forwarded-For', '192.0.2.1'],
  clientAddress: '198.51.100.7',
  socket: () => undefined,
};

const identity = {
  presented: true,
  fields: () => ({ serial: '0A1B', issuerDn: 'CN=Issuing CA', subjectDn: 'CN=device' }) as CertificateFields,
  chain: [],
} as unknown as ConnectionIdentity;

test('one context object answers the request, connection and client-certificate fields of one request', () => {
  const context = new RequestRuleContext(input, identity, true, false);
  const { request, connection, clientAuth } = context;
  assert.equal(request.host, 'api.example.com');
  assert.equal(request.method, 'POST');
  assert.equal(request.uri, '/v1/items?limit=5');
  assert.equal(request.path, '/v1/items');
  assert.equal(request.query, 'limit=5');
  assert.equal(request.fullUri, 'https://api.example.com/v1/items?limit=5');
  assert.deepEqual(request.headers['user-agent'], ['probe/1']);
  assert.deepEqual(request.headerNames, ['Host', 'User-Agent', 'X-Forwarded-For']);
  assert.equal(request.userAgent, 'probe/1');
  assert.equal(request.xForwardedFor, '192.0.2.1');
  assert.deepEqual(connection.sourceIp, { version: 4, value: (198n << 24n) + (51n << 16n) + (100n << 8n) + 7n });
  assert.equal(connection.ssl, true);
  assert.equal(connection.tlsVersion, '', 'no TLS socket: empty, never a throw');
  assert.equal(connection.serverPort, 0);
  assert.equal(clientAuth.certPresented, true);
  assert.equal(clientAuth.certVerified, true);
  assert.equal(clientAuth.certRevoked, false);
  assert.equal(clientAuth.certSerial, '0A1B');
  assert.equal(clientAuth.certIssuerDn, 'CN=Issuing CA');
  assert.equal(clientAuth.certChainRfc9440, '');
  // The verdict is the request's own: another request on the same connection may differ.
  assert.equal(new RequestRuleContext(input, identity, false, true).clientAuth.certRevoked, true);
});
