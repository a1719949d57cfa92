import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TLSSocket } from 'node:tls';
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

test('header(name) gives exactly what headers[name] gives, for HTTP/1.1 and HTTP/2 header objects', () => {
  const http2: RuleRequestInput = {
    ...input,
    version: 'HTTP/2',
    headers: { ':authority': 'api.example.com', ':path': '/', 'set-cookie': ['a=1', 'b=2'], accept: 'text/html' },
    rawHeaders: undefined,
  };
  for (const request of [input, http2]) {
    const names = [...Object.keys(request.headers), 'absent', 'constructor', '__proto__', 'toString'];
    const fresh = (): RequestRuleContext => new RequestRuleContext(request, identity, true, false);
    for (const name of names) {
      const expected = fresh().headers[name];
      assert.deepEqual(fresh().header(name), expected, `${request.version} ${name}, before the map is built`);
      const built = fresh();
      assert.ok(built.headers);
      assert.deepEqual(built.header(name), expected, `${request.version} ${name}, after`);
    }
  }
});

test("the connection's own fields are read once per connection, whatever number of requests asks", () => {
  let reads = 0;
  const socket = {
    getProtocol: () => (reads++, 'TLSv1.3'),
    getCipher: () => (reads++, { standardName: 'TLS_AES_128_GCM_SHA256' }),
    get localPort() {
      reads++;
      return 8443;
    },
  };
  const onTls: RuleRequestInput = { ...input, socket: () => socket as unknown as TLSSocket };
  const connection = { ...identity };
  for (let request = 0; request < 3; request++) {
    const context = new RequestRuleContext(onTls, connection, true, false);
    assert.equal(context.tlsVersion, 'TLSv1.3');
    assert.equal(context.tlsCipher, 'TLS_AES_128_GCM_SHA256');
    assert.equal(context.serverPort, 8443);
    assert.deepEqual(context.sourceIp, { version: 4, value: 0xc6336407n });
  }
  assert.equal(reads, 3, 'one read of each TLS field for three requests');
  // Another connection reads its own; an address that is not the one parsed is parsed again.
  const other = new RequestRuleContext({ ...onTls, clientAddress: '::ffff:192.0.2.9' }, connection, true, false);
  assert.deepEqual(other.sourceIp, { version: 4, value: 0xc0000209n });
  assert.equal(new RequestRuleContext(onTls, { ...identity }, true, false).tlsVersion, 'TLSv1.3');
  assert.equal(reads, 4);
  // A connection whose socket is gone reads as empty and keeps nothing.
  const gone = { ...identity };
  assert.equal(new RequestRuleContext(input, gone, true, false).tlsVersion, '');
  assert.equal(new RequestRuleContext(onTls, gone, true, false).tlsVersion, 'TLSv1.3');
});
