/**
 * Bodies stream through the proxy in both directions without being buffered whole: a large upload
 * and a large download arrive intact (byte count and hash), and a slow reader of a large response
 * exercises backpressure (the upstream read is paused while the client's socket is full).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { createTestPki, serverCaPem, startTestProxy, type TestPki } from '../helpers/proxy-fixture.ts';
import type { Issued } from '../helpers/pki.ts';

const SIZE = 8 * 1024 * 1024; // 8 MiB
const payload = Buffer.alloc(SIZE, 'portcullis-');
const payloadHash = createHash('sha256').update(payload).digest('hex');

describe('streaming bodies', () => {
  let pki: TestPki;
  let upstream: http.Server;
  let proxy: Awaited<ReturnType<typeof startTestProxy>>;
  let client: Issued;
  let ca: string;

  before(async () => {
    pki = await createTestPki();
    ca = await serverCaPem(pki);
    client = await pki.ca.issue({ subject: 'CN=streamer' });
    upstream = http.createServer((req, res) => {
      if (req.method === 'POST') {
        const hash = createHash('sha256');
        let bytes = 0;
        req.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          hash.update(chunk);
        });
        req.on('end', () => res.end(JSON.stringify({ bytes, hash: hash.digest('hex') })));
        return;
      }
      res.writeHead(200, { 'content-length': SIZE });
      res.end(payload);
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    proxy = await startTestProxy(pki, `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`);
  });

  after(async () => {
    await proxy.stop();
    upstream.closeAllConnections();
    await new Promise<void>((resolve) => upstream.close(() => resolve()));
    await pki.cleanup();
  });

  const options = (method: string): https.RequestOptions => ({
    host: '127.0.0.1',
    port: proxy.port,
    servername: 'localhost',
    method,
    path: '/blob',
    ca,
    cert: client.certPem,
    key: client.keyPem,
    agent: false,
  });

  test('an 8 MiB upload arrives intact', async () => {
    const answer = await new Promise<string>((resolve, reject) => {
      const req = https.request(
        { ...options('POST'), headers: { 'content-type': 'application/octet-stream' } },
        (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => resolve(text));
        },
      );
      req.on('error', reject);
      // Written in chunks, as a streaming client would (chunked transfer encoding).
      for (let offset = 0; offset < SIZE; offset += 64 * 1024) req.write(payload.subarray(offset, offset + 64 * 1024));
      req.end();
    });
    assert.deepEqual(JSON.parse(answer), { bytes: SIZE, hash: payloadHash });
  });

  test('an 8 MiB download read slowly arrives intact', async () => {
    const result = await new Promise<{ bytes: number; hash: string; status: number }>((resolve, reject) => {
      const req = https.request(options('GET'), (res) => {
        const hash = createHash('sha256');
        let bytes = 0;
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          hash.update(chunk);
          // A slow reader: pause briefly every ~1 MiB so the proxy must hold the upstream back.
          if (bytes % (1024 * 1024) < chunk.length) {
            res.pause();
            setTimeout(() => res.resume(), 20);
          }
        });
        res.on('end', () => resolve({ bytes, hash: hash.digest('hex'), status: res.statusCode ?? 0 }));
      });
      req.on('error', reject);
      req.end();
    });
    assert.deepEqual(result, { bytes: SIZE, hash: payloadHash, status: 200 });
  });
});
