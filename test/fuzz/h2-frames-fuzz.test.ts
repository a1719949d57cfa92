/**
 * HTTP/2 frame-level fuzzer: raw frames on a TLS connection with ALPN h2 and a valid client
 * certificate, against `portcullis serve` and `portcullis proxy` in this process. A case is the
 * connection preface (now and then a broken one), then a random sequence of HEADERS (header blocks
 * from test/helpers/hpack.ts, split over CONTINUATION, padded, with priority), DATA, RST_STREAM,
 * SETTINGS, WINDOW_UPDATE, PING, PRIORITY, GOAWAY, PUSH_PROMISE, unknown types and raw garbage, with
 * random stream ids and flags, lengths that lie, and short pauses; the requests go to upstream paths
 * that answer at once, late, in drips, or never, so streams end before the response head, mid-body
 * and mid-response. After every case the gateway must be intact (fuzz-gateways.ts) and a long-lived
 * HTTP/2 session of a good client must still be served.
 *
 * Cases: PORTCULLIS_FUZZ_RUNS (default below); seed: PORTCULLIS_FUZZ_SEED (fuzz-settings.ts).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import tls from 'node:tls';
import type { ClientHttp2Session } from 'node:http2';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { encodeHeaderBlock, type HeaderField } from '../helpers/hpack.ts';
import {
  CLIENT_PREFACE,
  Flag,
  frame,
  FrameType,
  goawayPayload,
  padded,
  priorityPayload,
  Setting,
  settingsPayload,
  uint32Payload,
} from '../helpers/h2-frames.ts';
import { connectH2, h2Request } from '../helpers/h2-client.ts';
import { CrashWatch } from './crash-watch.ts';
import { startFuzzProxy, startFuzzServe, type FuzzGateway } from './fuzz-gateways.ts';
import { fuzz } from './fuzz-settings.ts';

const SERVE_RUNS = 100;
const PROXY_RUNS = 40;

// ---- what a case is made of ----------------------------------------------------------------------

/**
 * The stream a frame goes on. Mostly what a client would use: a new stream (the next odd id) for
 * HEADERS, an open one for the rest ('open' counts back from the last opened); now and then any id
 * at all (zero, even, reused, huge), which ends the connection with a protocol error.
 */
type StreamRef =
  | { readonly ref: 'new' }
  | { readonly ref: 'open'; readonly back: number }
  | { readonly ref: 'raw'; readonly id: number };

type Op =
  | {
      kind: 'headers';
      stream: StreamRef;
      fields: HeaderField[] | Buffer;
      endStream: boolean;
      endHeaders: boolean;
      pieces: number;
      pad: number | null;
      priority: boolean;
      lie: number;
      noise: number;
    }
  | {
      kind: 'data';
      stream: StreamRef;
      size: number;
      endStream: boolean;
      pad: number | null;
      lie: number;
      noise: number;
    }
  | { kind: 'trailers'; stream: StreamRef; fields: HeaderField[] }
  | { kind: 'rst'; stream: StreamRef; code: number }
  | { kind: 'settings'; ack: boolean; settings: [number, number][]; lie: number }
  | { kind: 'window'; stream: StreamRef | null; increment: number }
  | { kind: 'ping'; ack: boolean; size: number }
  | { kind: 'priority'; stream: StreamRef; dependsOn: StreamRef; weight: number; exclusive: boolean }
  | { kind: 'goaway'; code: number }
  | { kind: 'push'; stream: StreamRef }
  | { kind: 'unknown'; type: number; flags: number; stream: StreamRef; size: number }
  | { kind: 'garbage'; bytes: Uint8Array }
  | { kind: 'pause'; ms: number };

interface Case {
  preface: 'valid' | 'none' | 'broken';
  ops: Op[];
  /** How long to keep reading after the last write (responses in flight). */
  linger: number;
  /** End politely (FIN) or abruptly (RST, destroy). */
  end: 'end' | 'destroy';
}

const rawStreamId = fc.oneof(fc.constantFrom(0, 1, 2, 4, 101, 0x7fffffff), fc.integer({ min: 0, max: 0x7fffffff }));
const newStream = fc.constant<StreamRef>({ ref: 'new' });
const openStream = fc.integer({ min: 0, max: 3 }).map((back): StreamRef => ({ ref: 'open', back }));
const anyStream = rawStreamId.map((id): StreamRef => ({ ref: 'raw', id }));
/** For HEADERS: mostly a new stream; sometimes an open one (trailers, or an error), rarely any id. */
const headersStream = fc.oneof(
  { weight: 14, arbitrary: newStream },
  { weight: 2, arbitrary: openStream },
  { weight: 1, arbitrary: anyStream },
);
/** For the other stream frames: mostly an open stream. */
const frameStream = fc.oneof(
  { weight: 14, arbitrary: openStream },
  { weight: 1, arbitrary: newStream },
  { weight: 1, arbitrary: anyStream },
);
const errorCode = fc.oneof(fc.integer({ min: 0, max: 0xd }), fc.constantFrom(0xff, 0xffffffff));
/** Flag bits a frame type does not define: a receiver must ignore them (RFC 9113 §4.1). */
const noise = fc.oneof(
  { weight: 6, arbitrary: fc.constant(0) },
  { weight: 1, arbitrary: fc.constantFrom(0x2, 0x10, 0x40, 0x80, 0xd2) },
);
/** How much a frame's length field lies (mostly not at all). */
const lie = fc.oneof(
  { weight: 20, arbitrary: fc.constant(0) },
  { weight: 1, arbitrary: fc.integer({ min: -9, max: 40 }) },
);
const pad = fc.option(fc.integer({ min: 0, max: 300 }), { freq: 8 });
const octets = (maxLength: number) => fc.uint8Array({ maxLength }).map((bytes) => Buffer.from(bytes));

/** Paths of the upstreams (fuzz-upstreams.ts): answered at once, late, in drips, never; h2c too. */
const ROUTED_PATHS = [
  '/',
  '/slow/30',
  '/slow/120',
  '/drip/10',
  '/big',
  '/hang',
  '/h2c/',
  '/h2c/slow/50',
  '/h2c/drip/8',
  '/h2c/big',
  '/h2c/hang',
  '/custom-answer',
  '/?q=fuzz',
  '/.well-known/portcullis/ca/00000000-0000-0000-0000-000000000000.pem',
  '/.well-known/portcullis/ocsp/00000000-0000-0000-0000-000000000000',
  '/.well-known/portcullis/ocsp/00000000-0000-0000-0000-000000000000/MAoGCCsGAQUFBzABAQ%3D%3D',
];

/** Fields a client may well send: the request stays well-formed. */
const BENIGN_FIELDS: readonly HeaderField[] = [
  ['content-type', 'application/json'],
  ['content-type', 'application/grpc'],
  ['accept', '*/*'],
  ['user-agent', 'fuzz/1.0'],
  ['te', 'trailers'],
  ['cookie', 'a=b'],
  ['cookie', 'c=d'],
  ['x-value', 'fuzz me'],
  ['x-value', 'obs-text \u00e9\u00ff'],
  ['x-forwarded-client-cert', 'Hash=spoofed;Subject="CN=admin"'],
  ['cf-cert-verified', 'true'],
  ['client-cert', ':AAAA:'],
  ['x-forwarded-for', '10.0.0.1'],
  ['authorization', 'Bearer fuzz'],
  ['x-fuzz-block', '1'],
  ['content-length', '0'],
  ['content-length', '10'],
  ['content-length', '2000'],
  ['expect', '100-continue'],
];

/** Fields that make a request malformed (RFC 9113 §8.2, §8.3) or odd. */
const hostileField: fc.Arbitrary<HeaderField> = fc.oneof(
  fc.constantFrom<HeaderField>(
    ['te', 'gzip'],
    ['connection', 'keep-alive'],
    ['transfer-encoding', 'chunked'],
    ['upgrade', 'h2c'],
    ['keep-alive', '5'],
    ['host', 'other.example.test'],
    ['X-Upper', 'v'],
    [':protocol', 'websocket'],
    [':status', '200'],
    [':unknown', 'x'],
    ['', 'empty name'],
    ['bad name', 'v'],
    ['x-value', ' padded '],
    ['x-value', 'nul\u0000inside'],
    ['x-value', 'cr\rlf\n'],
    ['x-value', 'del\u007f'],
    ['x-value', 'tab\tinside'],
    ['content-length', '1e3'],
    ['content-length', ' 5'],
    ['content-length', '5,5'],
    ['content-length', ''],
    ['content-length', '-1'],
  ),
  fc.integer({ min: 0, max: 70_000 }).map((length): HeaderField => ['content-length', String(length)]),
  fc
    .tuple(fc.constantFrom('x-fuzz', 'x-long', 'accept'), fc.integer({ min: 0, max: 12_000 }))
    .map(([name, size]): HeaderField => [name, 'v'.repeat(size)]),
  fc
    .tuple(fc.string({ minLength: 1, maxLength: 12 }), fc.string({ maxLength: 30 }))
    .map(([name, value]): HeaderField => [name, value]),
);

function requestFields(host: string): fc.Arbitrary<HeaderField[]> {
  const wellFormed = fc
    .record({
      method: fc.constantFrom('GET', 'GET', 'POST', 'PUT', 'HEAD', 'DELETE', 'OPTIONS'),
      path: fc.constantFrom(...ROUTED_PATHS),
      extras: fc.array(fc.constantFrom(...BENIGN_FIELDS), { maxLength: 4 }),
    })
    .map(({ method, path, extras }): HeaderField[] => [
      [':method', method],
      [':scheme', 'https'],
      [':path', path],
      [':authority', host],
      ...extras,
    ]);
  const odd = fc
    .record({
      base: wellFormed,
      method: fc.option(fc.constantFrom('CONNECT', 'get', 'G ET', '', 'PRI', 'TRACE', 'X'.repeat(300)), { freq: 3 }),
      path: fc.option(
        fc.oneof(
          fc.constantFrom('*', '', 'no-slash', '/a/../b', '/%2e%2e/x', '/a%2Fb', '/\\x', `/${'p'.repeat(9_000)}`),
          fc.string({ maxLength: 40 }).map((rest) => `/${rest}`),
        ),
        { freq: 3 },
      ),
      authority: fc.option(
        fc.constantFrom(
          `${host}:443`,
          host.toUpperCase(),
          `${host}.`,
          'other.example.test',
          '',
          '[::1]',
          'a b',
          `${host}\u0000`,
        ),
        { freq: 3 },
      ),
      scheme: fc.option(fc.constantFrom('http', '', 'ftp'), { freq: 4 }),
      hostile: fc.array(hostileField, { maxLength: 2 }),
      many: fc.option(fc.integer({ min: 50, max: 400 }), { freq: 6 }),
      drop: fc.option(fc.constantFrom(':method', ':path', ':authority', ':scheme'), { freq: 6 }),
      pseudoLast: fc.oneof({ weight: 6, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
    })
    .map(({ base, method, path, authority, scheme, hostile, many, drop, pseudoLast }): HeaderField[] => {
      const replace: Record<string, string | null> = {
        ':method': method,
        ':path': path,
        ':authority': authority,
        ':scheme': scheme,
      };
      const pseudo: HeaderField[] = [];
      const regular: HeaderField[] = [...hostile];
      for (const [name, value] of base) {
        if (name === drop) continue;
        if (typeof name === 'string' && name.startsWith(':')) pseudo.push([name, replace[name] ?? value]);
        else regular.push([name, value]);
      }
      for (let index = 0; index < (many ?? 0); index++) regular.push([`x-many-${index}`, 'm']);
      return pseudoLast ? [...regular, ...pseudo] : [...pseudo, ...regular];
    });
  return fc.oneof({ weight: 7, arbitrary: wellFormed }, { weight: 3, arbitrary: odd });
}

function caseArbitrary(host: string): fc.Arbitrary<Case> {
  const op: fc.Arbitrary<Op> = fc.oneof(
    {
      weight: 10,
      arbitrary: fc.record({
        kind: fc.constant('headers' as const),
        stream: headersStream,
        fields: fc.oneof({ weight: 20, arbitrary: requestFields(host) }, { weight: 1, arbitrary: octets(64) }),
        endStream: fc.boolean(),
        endHeaders: fc.oneof(
          { weight: 15, arbitrary: fc.constant(true) },
          { weight: 1, arbitrary: fc.constant(false) },
        ),
        pieces: fc.oneof(
          { weight: 5, arbitrary: fc.constant(1) },
          { weight: 1, arbitrary: fc.integer({ min: 2, max: 5 }) },
        ),
        pad,
        priority: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
        lie,
        noise,
      }),
    },
    {
      weight: 6,
      arbitrary: fc.record({
        kind: fc.constant('data' as const),
        stream: frameStream,
        size: fc.oneof(
          { weight: 8, arbitrary: fc.integer({ min: 0, max: 2_000 }) },
          { weight: 1, arbitrary: fc.integer({ min: 16_000, max: 70_000 }) },
        ),
        endStream: fc.boolean(),
        pad,
        lie,
        noise,
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('trailers' as const),
        stream: frameStream,
        fields: fc.constantFrom<HeaderField[]>(
          [['x-trailer', 'done']],
          [['grpc-status', '0']],
          [[':path', '/again']],
          [['content-length', '1']],
          [],
        ),
      }),
    },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('rst' as const), stream: frameStream, code: errorCode }) },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('settings' as const),
        ack: fc.oneof({ weight: 6, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
        settings: fc.array(
          fc.oneof(
            {
              weight: 6,
              arbitrary: fc.constantFrom<[number, number]>(
                [Setting.HEADER_TABLE_SIZE, 0],
                [Setting.HEADER_TABLE_SIZE, 65_536],
                [Setting.ENABLE_PUSH, 0],
                [Setting.MAX_CONCURRENT_STREAMS, 1],
                [Setting.INITIAL_WINDOW_SIZE, 0],
                [Setting.INITIAL_WINDOW_SIZE, 1],
                [Setting.INITIAL_WINDOW_SIZE, 0x7fffffff],
                [Setting.MAX_FRAME_SIZE, 16_777_215],
                [Setting.MAX_HEADER_LIST_SIZE, 100],
                [0x8, 1],
                [0xff, 7],
              ),
            },
            {
              weight: 1,
              arbitrary: fc.tuple(
                fc.oneof(fc.constantFrom(...Object.values(Setting)), fc.integer({ min: 0, max: 0xffff })),
                fc.oneof(fc.constantFrom(2, 16_383, 0x80000000, 0xffffffff), fc.nat()),
              ),
            },
          ),
          { maxLength: 3 },
        ),
        lie,
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('window' as const),
        stream: fc.option(frameStream, { freq: 2 }),
        increment: fc.oneof(fc.constantFrom(1, 1_000, 65_535, 0x7fffffff, 0), fc.nat()),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('ping' as const),
        ack: fc.boolean(),
        size: fc.oneof(
          { weight: 6, arbitrary: fc.constant(8) },
          { weight: 1, arbitrary: fc.integer({ min: 0, max: 20 }) },
        ),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('priority' as const),
        stream: frameStream,
        dependsOn: frameStream,
        weight: fc.integer({ min: 0, max: 255 }),
        exclusive: fc.boolean(),
      }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('goaway' as const), code: errorCode }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('push' as const), stream: frameStream }) },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('unknown' as const),
        type: fc.integer({ min: 0x0a, max: 0xff }),
        flags: fc.integer({ min: 0, max: 0xff }),
        stream: frameStream,
        size: fc.integer({ min: 0, max: 100 }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('garbage' as const),
        bytes: fc.uint8Array({ minLength: 1, maxLength: 40 }),
      }),
    },
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('pause' as const), ms: fc.integer({ min: 1, max: 25 }) }) },
  );
  return fc.record({
    preface: fc.oneof(
      { weight: 30, arbitrary: fc.constant('valid' as const) },
      { weight: 1, arbitrary: fc.constantFrom('none' as const, 'broken' as const) },
    ),
    ops: fc.array(op, { minLength: 1, maxLength: 14 }),
    linger: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 130 })),
    end: fc.constantFrom('end' as const, 'destroy' as const),
  });
}

// ---- turning a case into bytes -------------------------------------------------------------------

/** Stream ids as a client hands them out: new ones odd and increasing (RFC 9113 §5.1.1). */
class StreamIds {
  #next = 1;
  readonly #opened: number[] = [];

  resolve(stream: StreamRef): number {
    if (stream.ref === 'raw') return stream.id;
    if (stream.ref === 'new') {
      const id = this.#next;
      this.#next += 2;
      this.#opened.push(id);
      return id;
    }
    return this.#opened[Math.max(0, this.#opened.length - 1 - stream.back)] ?? 1;
  }
}

function encodeOp(op: Exclude<Op, { kind: 'pause' }>, ids: StreamIds): Buffer {
  switch (op.kind) {
    case 'headers': {
      const stream = ids.resolve(op.stream);
      const block = Buffer.isBuffer(op.fields) ? op.fields : encodeHeaderBlock(op.fields);
      const size = Math.max(1, Math.ceil(block.length / op.pieces));
      const frames: Buffer[] = [];
      for (let at = 0, index = 0; at < block.length || index === 0; at += size, index++) {
        const fragment = block.subarray(at, at + size);
        const last = at + size >= block.length;
        const endHeaders = last && op.endHeaders ? Flag.END_HEADERS : 0;
        if (index === 0) {
          let payload = op.priority
            ? Buffer.concat([priorityPayload(stream > 2 ? stream - 2 : 0, 15, false), fragment])
            : fragment;
          if (op.pad !== null) payload = padded(payload, op.pad);
          const flags =
            op.noise |
            endHeaders |
            (op.endStream ? Flag.END_STREAM : 0) |
            (op.pad !== null ? Flag.PADDED : 0) |
            (op.priority ? Flag.PRIORITY : 0);
          frames.push(frame(FrameType.HEADERS, flags, stream, payload, payload.length + op.lie));
        } else {
          frames.push(frame(FrameType.CONTINUATION, endHeaders, stream, fragment));
        }
      }
      return Buffer.concat(frames);
    }
    case 'data': {
      let payload: Buffer = Buffer.alloc(op.size, 0x64);
      if (op.pad !== null) payload = padded(payload, op.pad);
      const flags = op.noise | (op.endStream ? Flag.END_STREAM : 0) | (op.pad !== null ? Flag.PADDED : 0);
      return frame(FrameType.DATA, flags, ids.resolve(op.stream), payload, payload.length + op.lie);
    }
    case 'trailers':
      return frame(
        FrameType.HEADERS,
        Flag.END_STREAM | Flag.END_HEADERS,
        ids.resolve(op.stream),
        encodeHeaderBlock(op.fields),
      );
    case 'rst':
      return frame(FrameType.RST_STREAM, 0, ids.resolve(op.stream), uint32Payload(op.code));
    case 'settings': {
      const payload = op.ack ? Buffer.alloc(0) : settingsPayload(op.settings);
      return frame(FrameType.SETTINGS, op.ack ? Flag.ACK : 0, 0, payload, payload.length + op.lie);
    }
    case 'window':
      return frame(
        FrameType.WINDOW_UPDATE,
        0,
        op.stream === null ? 0 : ids.resolve(op.stream),
        uint32Payload(op.increment),
      );
    case 'ping':
      return frame(FrameType.PING, op.ack ? Flag.ACK : 0, 0, Buffer.alloc(op.size, 0x70));
    case 'priority':
      return frame(
        FrameType.PRIORITY,
        0,
        ids.resolve(op.stream),
        priorityPayload(ids.resolve(op.dependsOn), op.weight, op.exclusive),
      );
    case 'goaway':
      return frame(FrameType.GOAWAY, 0, 0, goawayPayload(0, op.code, Buffer.from('fuzz')));
    case 'push':
      return frame(
        FrameType.PUSH_PROMISE,
        Flag.END_HEADERS,
        ids.resolve(op.stream),
        Buffer.concat([
          uint32Payload(2),
          encodeHeaderBlock([
            [':method', 'GET'],
            [':path', '/'],
          ]),
        ]),
      );
    case 'unknown':
      return frame(op.type, op.flags, ids.resolve(op.stream), Buffer.alloc(op.size, 0x75));
    case 'garbage':
      return Buffer.from(op.bytes);
  }
}

/** Writes the case on a new TLS connection (ALPN h2, the good client certificate), then ends it. */
async function play(gateway: FuzzGateway, fuzzCase: Case): Promise<void> {
  const socket = tls.connect({
    host: '127.0.0.1',
    port: gateway.port,
    servername: gateway.host,
    ca: gateway.serverCa,
    cert: gateway.client.certPem,
    key: gateway.client.keyPem,
    ALPNProtocols: ['h2'],
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => undefined);
  socket.resume(); // whatever the gateway answers is read and dropped
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', resolve);
      socket.once('close', () => reject(new Error('the gateway closed the connection during the handshake')));
    });
    assert.equal(socket.alpnProtocol, 'h2');
    const preface =
      fuzzCase.preface === 'valid'
        ? Buffer.concat([CLIENT_PREFACE, frame(FrameType.SETTINGS, 0, 0, settingsPayload([]))])
        : fuzzCase.preface === 'broken'
          ? Buffer.from('PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n', 'latin1')
          : Buffer.alloc(0);
    const ids = new StreamIds();
    let pending: Buffer[] = [preface];
    const flush = (): void => {
      if (pending.length > 0 && !socket.destroyed) socket.write(Buffer.concat(pending));
      pending = [];
    };
    for (const op of fuzzCase.ops) {
      if (op.kind === 'pause') {
        flush();
        await sleep(op.ms);
      } else {
        pending.push(encodeOp(op, ids));
      }
    }
    flush();
    if (fuzzCase.linger > 0) await sleep(fuzzCase.linger);
  } finally {
    if (fuzzCase.end === 'end') socket.end();
    else socket.destroy();
    // A polite end may go unanswered by a gateway that waits on its own timers: do not wait long.
    await Promise.race([closed, sleep(30)]);
    socket.destroy();
  }
}

// ---- the fuzzer ------------------------------------------------------------------------------------

describe('HTTP/2 frame fuzzer', () => {
  const watch = new CrashWatch();
  before(() => watch.start());
  after(() => watch.stop());

  for (const [start, runs] of [
    [startFuzzServe, SERVE_RUNS],
    [startFuzzProxy, PROXY_RUNS],
  ] as const) {
    test(`${start === startFuzzServe ? 'serve' : 'proxy'}: random frames never end the process, and every other client is served`, async () => {
      const gateway = await start(watch);
      let session: ClientHttp2Session | undefined;
      try {
        session = await connectH2(
          gateway.port,
          gateway.serverCa,
          gateway.client.certPem,
          gateway.client.keyPem,
          gateway.host,
        );
        const bystander = session;
        await fuzz(
          `${gateway.name} HTTP/2 frames`,
          caseArbitrary(gateway.host),
          async (fuzzCase) => {
            await play(gateway, fuzzCase);
            await gateway.assertIntact();
            const beside = await h2Request(bystander, { ':path': '/bystander', ':authority': gateway.host });
            assert.equal(beside.status, 200, 'the long-lived HTTP/2 session of a good client is still served');
          },
          runs,
        );
      } finally {
        session?.destroy();
        await gateway.stop();
      }
    });
  }
});
