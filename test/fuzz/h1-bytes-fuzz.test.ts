/**
 * HTTP/1.1 fuzzer: raw bytes on a TLS connection (ALPN http/1.1, a valid client certificate)
 * against `portcullis serve` and `portcullis proxy` in this process. A case is one to three
 * requests, pipelined, made of odd request lines (methods, absolute- and authority-form targets,
 * versions), odd header blocks (Content-Length with Transfer-Encoding, duplicate Content-Length,
 * obfuscated Transfer-Encoding, obs-fold, bare CR or LF, NUL, a space before the colon, huge and
 * many fields, Expect, Upgrade, spoofed identity headers) and bodies (short, long, chunked with bad
 * sizes, extensions and trailers), written in random pieces with pauses, and often cut off or
 * reset early. Upstream paths answer at once, late, in drips or never (fuzz-upstreams.ts).
 *
 * After every case the gateway must be intact (fuzz-gateways.ts), and no answer on the connection
 * may be a 5xx: the upstreams are healthy, so a 5xx would be the gateway's own, for what a client
 * sent.
 *
 * Cases: PORTCULLIS_FUZZ_RUNS (default below); seed: PORTCULLIS_FUZZ_SEED (fuzz-settings.ts).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import tls from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { CrashWatch } from './crash-watch.ts';
import { startFuzzProxy, startFuzzServe, type FuzzGateway } from './fuzz-gateways.ts';
import { fuzz } from './fuzz-settings.ts';

const SERVE_RUNS = 100;
const PROXY_RUNS = 50;

interface Message {
  readonly requestLine: string;
  readonly headers: readonly string[];
  readonly body: string;
  /** Line ending of this message's head. */
  readonly eol: string;
}

interface Case {
  readonly messages: readonly Message[];
  /** Where the bytes are cut into writes (fractions of the whole), with a pause after each piece. */
  readonly cuts: readonly (readonly [at: number, pauseMs: number])[];
  /** Only this fraction of the bytes is sent (1: all). */
  readonly sent: number;
  readonly linger: number;
  readonly end: 'end' | 'destroy';
}

/** Paths of the upstreams (fuzz-upstreams.ts): answered at once, late, in drips, never; h2c too. */
const ROUTED_PATHS = [
  '/',
  '/slow/30',
  '/slow/120',
  '/drip/10',
  '/big',
  '/hang',
  '/h2c/',
  '/h2c/slow/40',
  '/h2c/drip/6',
  '/h2c/hang',
  '/custom-answer',
  '/?q=fuzz',
  '/.well-known/portcullis/crl/00000000-0000-0000-0000-000000000000.crl',
  '/.well-known/portcullis/ocsp/00000000-0000-0000-0000-000000000000',
];

/** Fields a client may well send: the request stays well-formed. */
const BENIGN_FIELDS = [
  'Accept: */*',
  'User-Agent: fuzz/1.0',
  'Content-Type: application/json',
  'Content-Type: application/grpc',
  'Connection: keep-alive',
  'Connection: close',
  'Expect: 100-continue',
  'TE: trailers',
  'X-Forwarded-Client-Cert: Hash=spoofed;Subject="CN=admin"',
  'Cf-Cert-Verified: true',
  'X-Forwarded-For: 10.0.0.1',
  'Authorization: Bearer fuzz',
  'X-Fuzz-Block: 1',
  'X-Value: fuzz me',
  'X-Obs: \u00e9\u00ff',
  'Cookie: a=b',
  'Cookie: c=d',
];

/** Fields that make a request malformed or ambiguous (RFC 9112 §5, §6), or odd. */
const hostileField: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    'Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__',
    'Connection: Upgrade\r\nUpgrade: websocket',
    'Expect: nonsense',
    'Trailer: X-Trailer',
    'X-Fold: first\r\n second',
    'X-Space : before colon',
    'X-Nul: a\u0000b',
    'X-Bare-Cr: a\rb',
    'X-Del: \u007f',
    ': empty name',
    'No colon here',
    'Host: other.example.test',
    'Host:',
    'Transfer-Encoding: chunked',
    'Transfer-Encoding: gzip, chunked',
    'Transfer-Encoding: chunked, gzip',
    'Transfer-Encoding:  chunked',
    'Transfer-Encoding: CHUNKED',
    'Transfer-Encoding: identity',
    'Transfer-Encoding: xchunked',
    'Transfer-Encoding: chunked\r\nContent-Length: 5',
    'Content-Length: 5\r\nContent-Length: 6',
    'Content-Length: 5\r\nContent-Length: 5',
    'Content-Length: -1',
    'Content-Length: 5, 5',
    'Content-Length: 1e3',
    'Content-Length: 99999999999999999999',
  ),
  fc.integer({ min: 0, max: 3_000 }).map((length) => `Content-Length: ${length}`),
  fc.integer({ min: 1, max: 80_000 }).map((size) => `X-Huge: ${'h'.repeat(size)}`),
  fc
    .integer({ min: 1, max: 300 })
    .map((count) => Array.from({ length: count }, (_, index) => `X-Many-${index}: m`).join('\r\n')),
  fc
    .tuple(fc.string({ minLength: 1, maxLength: 10 }), fc.string({ maxLength: 20 }))
    .map(([name, value]) => `${name}: ${value}`),
);

const chunk = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.integer({ min: 1, max: 600 }).map((size) => `${size.toString(16)}\r\n${'c'.repeat(size)}\r\n`),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'zz\r\nabc\r\n',
      '-1\r\nabc\r\n',
      '0x3\r\nabc\r\n',
      'ffffffffffffffffff\r\nabc\r\n',
      '3;ext=1\r\nabc\r\n',
      `3;${'e'.repeat(5_000)}\r\nabc\r\n`,
      '3\r\nabcdef\r\n',
      '3\nabc\n',
      '3\r\nabc',
      ' 3\r\nabc\r\n',
    ),
  },
);

/** A body and the framing field that goes with it (or none); `lie` makes the field disagree. */
const framedBody = fc
  .record({
    kind: fc.constantFrom('none', 'none', 'length', 'length', 'chunked'),
    size: fc.integer({ min: 1, max: 3_000 }),
    lie: fc.oneof(
      { weight: 6, arbitrary: fc.constant(0) },
      { weight: 1, arbitrary: fc.integer({ min: -50, max: 50 }) },
    ),
    chunks: fc.array(chunk, { maxLength: 4 }),
    last: fc.constantFrom('0\r\n\r\n', '0\r\n\r\n', '0\r\nX-Trailer: t\r\n\r\n', '0\r\n', '', '0\n\n'),
  })
  .map(({ kind, size, lie, chunks, last }): { field: string | null; body: string } => {
    if (kind === 'none') return { field: null, body: '' };
    if (kind === 'length') return { field: `Content-Length: ${Math.max(0, size + lie)}`, body: 'b'.repeat(size) };
    return { field: 'Transfer-Encoding: chunked', body: chunks.join('') + last };
  });

function messageArbitrary(host: string): fc.Arbitrary<Message> {
  const wellFormed = fc
    .record({
      method: fc.constantFrom('GET', 'GET', 'POST', 'PUT', 'HEAD', 'DELETE', 'OPTIONS', 'PATCH'),
      target: fc.constantFrom(...ROUTED_PATHS),
      fields: fc.array(fc.constantFrom(...BENIGN_FIELDS), { maxLength: 4 }),
      framed: framedBody,
    })
    .map(({ method, target, fields, framed }): Message => ({
      requestLine: `${method} ${target} HTTP/1.1`,
      headers: [`Host: ${host}`, ...fields, ...(framed.field === null ? [] : [framed.field])],
      body: framed.body,
      eol: '\r\n',
    }));
  const odd = fc
    .record({
      base: wellFormed,
      method: fc.option(fc.constantFrom('CONNECT', 'TRACE', 'PRI', 'get', 'G\u0000T', 'X'.repeat(100), ''), {
        freq: 4,
      }),
      target: fc.option(
        fc.constantFrom(
          '*',
          `http://${host}/`,
          `https://${host}/abs`,
          `${host}:443`,
          'no-slash',
          '/a/../b',
          '/%2e%2e/x',
          '/a%2Fb',
          '/a%00b',
          '/\\x',
          '/sp ace',
          '/\u00e9',
          `/${'p'.repeat(20_000)}`,
        ),
        { freq: 3 },
      ),
      version: fc.option(fc.constantFrom('HTTP/1.0', 'HTTP/2.0', 'HTTP/1.2', 'http/1.1', 'HTTP/1', ''), { freq: 4 }),
      dropHost: fc.oneof({ weight: 6, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
      hostile: fc.array(hostileField, { minLength: 0, maxLength: 2 }),
      eol: fc.oneof(
        { weight: 10, arbitrary: fc.constant('\r\n') },
        { weight: 1, arbitrary: fc.constantFrom('\n', '\r') },
      ),
    })
    .map(({ base, method, target, version, dropHost, hostile, eol }): Message => {
      const [baseMethod = 'GET', baseTarget = '/'] = base.requestLine.split(' ');
      return {
        requestLine: `${method ?? baseMethod} ${target ?? baseTarget} ${version ?? 'HTTP/1.1'}`.trimEnd(),
        headers: [...(dropHost ? base.headers.slice(1) : base.headers), ...hostile],
        body: base.body,
        eol,
      };
    });
  return fc.oneof({ weight: 6, arbitrary: wellFormed }, { weight: 4, arbitrary: odd });
}

function caseArbitrary(host: string): fc.Arbitrary<Case> {
  return fc.record({
    messages: fc.array(messageArbitrary(host), { minLength: 1, maxLength: 3 }),
    cuts: fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 0, max: 30 })), {
      maxLength: 3,
    }),
    sent: fc.oneof(
      { weight: 5, arbitrary: fc.constant(1) },
      { weight: 1, arbitrary: fc.double({ min: 0, max: 1, noNaN: true }) },
    ),
    linger: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 130 })),
    end: fc.constantFrom('end' as const, 'destroy' as const),
  });
}

function bytesOf(message: Message): Buffer {
  const head = [message.requestLine, ...message.headers].join(message.eol) + message.eol + message.eol;
  return Buffer.from(head + message.body, 'latin1');
}

/** Writes the case on a new TLS connection and returns every status line the gateway answered. */
async function play(gateway: FuzzGateway, fuzzCase: Case): Promise<number[]> {
  const socket = tls.connect({
    host: '127.0.0.1',
    port: gateway.port,
    servername: gateway.host,
    ca: gateway.serverCa,
    cert: gateway.client.certPem,
    key: gateway.client.keyPem,
    ALPNProtocols: ['http/1.1'],
  });
  const received: Buffer[] = [];
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => undefined);
  socket.on('data', (chunk: Buffer) => received.push(chunk));
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', resolve);
      socket.once('close', () => reject(new Error('the gateway closed the connection during the handshake')));
    });
    const all = Buffer.concat(fuzzCase.messages.map(bytesOf));
    const bytes = all.subarray(0, Math.round(all.length * fuzzCase.sent));
    const cuts = [...fuzzCase.cuts].sort((a, b) => a[0] - b[0]);
    let from = 0;
    for (const [fraction, pauseMs] of cuts) {
      const to = Math.round(bytes.length * fraction);
      if (to <= from) continue;
      if (socket.destroyed) break;
      socket.write(bytes.subarray(from, to));
      from = to;
      if (pauseMs > 0) await sleep(pauseMs);
    }
    if (!socket.destroyed && from < bytes.length) socket.write(bytes.subarray(from));
    if (fuzzCase.linger > 0) await sleep(fuzzCase.linger);
  } finally {
    if (fuzzCase.end === 'end') socket.end();
    else socket.destroy();
    await Promise.race([closed, sleep(30)]);
    socket.destroy();
  }
  // Status lines at the start of the stream or of a line (the upstreams' bodies never contain one).
  const text = Buffer.concat(received).toString('latin1');
  return [...text.matchAll(/(?:^|\r\n)HTTP\/1\.[01] (\d{3}) /g)].map((match) => Number(match[1]));
}

describe('HTTP/1.1 byte fuzzer', () => {
  const watch = new CrashWatch();
  before(() => watch.start());
  after(() => watch.stop());

  for (const [start, runs] of [
    [startFuzzServe, SERVE_RUNS],
    [startFuzzProxy, PROXY_RUNS],
  ] as const) {
    test(`${start === startFuzzServe ? 'serve' : 'proxy'}: raw requests never end the process, never get a 5xx`, async () => {
      const gateway = await start(watch);
      try {
        await fuzz(
          `${gateway.name} HTTP/1.1 bytes`,
          caseArbitrary(gateway.host),
          async (fuzzCase) => {
            const statuses = await play(gateway, fuzzCase);
            assert.deepEqual(
              statuses.filter((status) => status >= 500),
              [],
              `answers on the connection: ${statuses.join(', ')}`,
            );
            await gateway.assertIntact();
          },
          runs,
        );
      } finally {
        await gateway.stop();
      }
    });
  }
});
