/**
 * fetchOutbound against real HTTP servers on loopback: what the guard lets through and what it
 * refuses (private addresses unless allowed, names that resolve to them, redirects, oversized or
 * slow answers, other schemes), each bounded in time.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fetchOutbound, type OutboundRequest } from '../../src/control/revocation/outbound-http.ts';

describe('fetchOutbound', () => {
  let server: http.Server;
  let base: string;
  const hanging = new Set<http.ServerResponse>();

  before(async () => {
    server = http.createServer((req, res) => {
      if (req.url === '/ok') res.end('hello');
      else if (req.url === '/echo') req.pipe(res);
      else if (req.url === '/redirect') res.writeHead(302, { location: 'http://169.254.169.254/' }).end();
      else if (req.url === '/big') res.end(Buffer.alloc(2048));
      else if (req.url === '/big-chunked') {
        res.write(Buffer.alloc(1024));
        res.end(Buffer.alloc(1024));
      } else if (req.url === '/slow') hanging.add(res);
      else res.writeHead(500).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    for (const res of hanging) res.destroy();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const get = (path: string, overrides: Partial<OutboundRequest> = {}) =>
    fetchOutbound({
      url: `${base}${path}`,
      timeoutMs: 2000,
      maxBytes: 1024,
      allowPrivateAddresses: true,
      ...overrides,
    });

  test('a GET and a POST within the limits', async () => {
    assert.equal((await get('/ok')).toString(), 'hello');
    const body = Buffer.from('question');
    const echoed = await get('/echo', {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/ocsp-request' },
    });
    assert.deepEqual(echoed, body);
  });

  test('loopback is refused unless the CA allows private addresses, by address and by name', async () => {
    await assert.rejects(get('/ok', { allowPrivateAddresses: false }), /127\.0\.0\.1: a loopback address/);
    const port = (server.address() as AddressInfo).port;
    await assert.rejects(
      fetchOutbound({
        url: `http://localhost:${port}/ok`,
        timeoutMs: 2000,
        maxBytes: 1024,
        allowPrivateAddresses: false,
      }),
      /localhost resolves to (127\.0\.0\.1|::1): a loopback address/,
    );
    await assert.rejects(
      fetchOutbound({
        url: 'http://169.254.169.254/latest/meta-data/',
        timeoutMs: 2000,
        maxBytes: 1024,
        allowPrivateAddresses: true,
      }),
      /a reserved, link-local or multicast address/,
    );
  });

  test('other schemes, credentials, redirects, errors, oversized and slow answers fail', async () => {
    const at = (url: string) => fetchOutbound({ url, timeoutMs: 2000, maxBytes: 1024, allowPrivateAddresses: true });
    await assert.rejects(at('file:///etc/passwd'), /only http and https/);
    await assert.rejects(at(`http://user:pw@127.0.0.1/`), /only http and https/);
    await assert.rejects(get('/redirect'), /HTTP 302: redirects are not followed/);
    await assert.rejects(get('/missing'), /HTTP 500/);
    await assert.rejects(get('/big'), /larger than 1024 bytes/);
    await assert.rejects(get('/big-chunked'), /larger than 1024 bytes/);
    const started = Date.now();
    await assert.rejects(get('/slow', { timeoutMs: 300 }), /no answer within 300 ms/);
    assert.ok(Date.now() - started < 2000, 'the deadline holds');
  });
});
