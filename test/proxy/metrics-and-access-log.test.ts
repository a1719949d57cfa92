/**
 * `portcullis proxy --metrics-listen` and `--access-log` on a running proxy: HTTP/1.1 (with a
 * declared and a chunked body) and HTTP/2 requests with a client certificate, and one without, are
 * counted on /metrics and logged one JSON line each (time, certificate SHA-256, method, path without
 * its query, status, latency, bytes); a failed handshake is counted by reason; the CLI refuses a
 * non-loopback metrics address without --metrics-allow-remote (exit 2); neither is on by default.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import { loadProxyConfig } from '../../src/config/proxy-config.ts';
import { parseProxyObservability } from '../../src/config/proxy-observability-options.ts';
import { startProxy, type RunningProxy } from '../../src/app/proxy.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createTestPki, serverCaPem, startTestProxy, type TestPki } from '../helpers/proxy-fixture.ts';
import { connectH2, h2Request } from '../helpers/h2-client.ts';
import { runCli } from '../helpers/cli.ts';
import type { Issued } from '../helpers/pki.ts';
import { startHttp1Echo, type RunningUpstream } from '../helpers/upstreams.ts';

interface AccessLine {
  time: string;
  client_cert_sha256: string | null;
  method: string;
  path: string;
  protocol: string;
  status: number;
  latency_ms: number;
  bytes_in: number;
  bytes_out: number;
}

describe('proxy: --metrics-listen and --access-log', () => {
  let pki: TestPki;
  let upstream: RunningUpstream;
  let proxy: RunningProxy;
  let client: Issued;
  let ca: string;
  let accessLogFile: string;
  let stopped = false;

  const call = (
    options: { method?: string; path?: string; body?: string; chunked?: boolean; cert?: Issued } = {},
  ): Promise<number> =>
    new Promise((resolve, reject) => {
      const headers: Record<string, string> = {};
      if (options.body !== undefined && options.chunked !== true) {
        headers['content-length'] = String(Buffer.byteLength(options.body));
      }
      const req = https.request(
        {
          host: '127.0.0.1',
          port: proxy.address.port,
          servername: 'localhost',
          ca,
          method: options.method ?? 'GET',
          path: options.path ?? '/',
          headers,
          agent: false,
          ...(options.cert === undefined ? {} : { cert: options.cert.certPem, key: options.cert.keyPem }),
        },
        (response) => {
          response.resume();
          response.on('end', () => resolve(response.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      if (options.body !== undefined) req.write(options.body);
      req.end();
    });

  const scrape = async (): Promise<string> => {
    const address = proxy.metricsAddress;
    assert.ok(address);
    const response = await fetch(`http://127.0.0.1:${address.port}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    return response.text();
  };

  before(async () => {
    pki = await createTestPki();
    upstream = await startHttp1Echo();
    client = await pki.ca.issue({ subject: 'CN=device-1' });
    ca = await serverCaPem(pki);
    accessLogFile = path.join(pki.dir, 'access.log');
    const config = await loadProxyConfig({
      listen: '127.0.0.1:0',
      cert: pki.files.serverCert,
      key: pki.files.serverKey,
      clientCa: [pki.files.caPem],
      upstream: upstream.url,
      forwardIdentity: 'xfcc',
      upstreamTimeout: '5s',
      connectTimeout: '2s',
      shutdownTimeout: '3s',
    });
    const observability = parseProxyObservability({ metricsListen: '127.0.0.1:0', accessLog: accessLogFile });
    proxy = await startProxy(config, createLogger('silent'), observability);
  });

  after(async () => {
    if (!stopped) await proxy.stop();
    await upstream.close();
    await pki.cleanup();
  });

  test('requests are counted on /metrics and logged one JSON line each', async () => {
    assert.equal(await call({ path: '/hello?token=s3cret', cert: client }), 200);
    assert.equal(await call({ method: 'POST', path: '/upload', body: 'hello', cert: client }), 200);
    assert.equal(
      await call({ method: 'POST', path: '/chunks', body: 'x'.repeat(1000), chunked: true, cert: client }),
      200,
    );
    const refused = await call({ path: '/no-cert' });
    assert.ok(refused === 401 || refused === 403, `refused: ${refused}`);
    const session = await connectH2(proxy.address.port, ca, client.certPem, client.keyPem);
    const h2 = await h2Request(session, { ':path': '/over-h2', ':method': 'POST' }, 'twelve bytes');
    assert.equal(h2.status, 200);
    session.close();
    // A client that is not TLS at all: a failed handshake, counted by its reason.
    await new Promise<void>((resolve) => {
      const socket = net.connect(proxy.address.port, '127.0.0.1', () => socket.end('GET / HTTP/1.1\r\n\r\n'));
      socket.on('close', () => resolve());
      socket.on('error', () => undefined);
    });

    let text = '';
    for (let tries = 0; tries < 100; tries += 1) {
      text = await scrape();
      if (/^portcullis_requests_total\{status="200"\} 4$/m.test(text) && /handshake_failures_total\{/.test(text)) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.match(text, /^portcullis_requests_total\{status="200"\} 4$/m, text);
    assert.match(text, new RegExp(`^portcullis_requests_total\\{status="${refused}"\\} 1$`, 'm'));
    assert.match(text, /^portcullis_request_duration_seconds_count 5$/m);
    assert.match(text, /^portcullis_request_bytes_total\{direction="in"\} 1017$/m, '5 + 1000 chunked + 12 over h2');
    assert.match(text, /^portcullis_tls_handshake_failures_total\{reason="[A-Z0-9_]+"\} 1$/m);
    assert.match(text, /^portcullis_open_connections \d+$/m);
    assert.equal((await fetch(`http://127.0.0.1:${proxy.metricsAddress?.port}/other`)).status, 404);

    // The access log: flushed when the proxy stops.
    await proxy.stop();
    stopped = true;
    const raw = await readFile(accessLogFile, 'utf8');
    assert.doesNotMatch(raw, /s3cret/, 'query strings are not logged');
    const lines = raw
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as AccessLine);
    assert.equal(lines.length, 5);
    const byPath = new Map(lines.map((line) => [line.path, line]));
    const hello = byPath.get('/hello');
    assert.ok(hello);
    assert.deepEqual(Object.keys(hello), [
      'time',
      'client_cert_sha256',
      'method',
      'path',
      'protocol',
      'status',
      'latency_ms',
      'bytes_in',
      'bytes_out',
    ]);
    assert.equal(hello.client_cert_sha256, client.sha256);
    assert.deepEqual([hello.method, hello.protocol, hello.status, hello.bytes_in], ['GET', 'HTTP/1.1', 200, 0]);
    assert.ok(hello.bytes_out > 0 && hello.latency_ms >= 0);
    assert.ok(Math.abs(Date.parse(hello.time) - Date.now()) < 60_000);
    assert.equal(byPath.get('/upload')?.bytes_in, 5);
    assert.equal(byPath.get('/chunks')?.bytes_in, 1000);
    assert.deepEqual([byPath.get('/no-cert')?.client_cert_sha256, byPath.get('/no-cert')?.status], [null, refused]);
    const overH2 = byPath.get('/over-h2');
    assert.deepEqual([overH2?.protocol, overH2?.method, overH2?.status, overH2?.bytes_in], ['HTTP/2', 'POST', 200, 12]);
    assert.ok((overH2?.bytes_out ?? 0) > 0);
  });

  test('neither is on by default', async () => {
    const plain = await startTestProxy(pki, upstream.url);
    try {
      assert.equal(plain.metricsAddress, undefined);
    } finally {
      await plain.stop();
    }
  });

  /** `portcullis proxy` with this file's certificates and upstream, for the usage checks below. */
  const proxyArgs = (): string[] => [
    'proxy',
    '--listen',
    '127.0.0.1:0',
    '--cert',
    pki.files.serverCert,
    '--key',
    pki.files.serverKey,
    '--client-ca',
    pki.files.caPem,
    '--upstream',
    upstream.url,
  ];

  test('the CLI refuses a non-loopback metrics address without --metrics-allow-remote (exit 2)', async () => {
    const result = await runCli([...proxyArgs(), '--metrics-listen', '0.0.0.0:0']);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr + result.stdout, /not a loopback address.*--metrics-allow-remote/);
  });

  test('the CLI refuses --metrics-listen with --workers above 1 (exit 2): one worker per scrape would be wrong', async () => {
    const result = await runCli([...proxyArgs(), '--metrics-listen', '127.0.0.1:0', '--workers', '2']);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr + result.stdout, /--metrics-listen cannot be combined with --workers/);
  });
});
