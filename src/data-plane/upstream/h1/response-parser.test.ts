import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Http1ParseError,
  Http1ResponseParser,
  type Http1ParseErrorReason,
  type ResponseHeaders,
  type ResponseParserLimits,
} from './response-parser.ts';

type Event =
  { head: number; headers: ResponseHeaders; keepAlive: boolean; hintMs: number } | { body: string } | { end: true };

interface Outcome {
  events: Event[];
  reason?: Http1ParseErrorReason;
}

interface RunOptions {
  /** Request methods, one per expected exchange; the next is expect()ed from onResponseEnd. Default ['GET']. */
  methods?: string[];
  /** Split the input at these offsets (ascending); default: one push. */
  cuts?: number[];
  /** Call finish() after the last push. */
  finish?: boolean;
  limits?: Partial<ResponseParserLimits>;
}

/** Feeds `input` (latin1) and records events; consecutive body chunks are merged, so splits compare equal. */
function run(input: string | Buffer, options: RunOptions = {}): Outcome {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'latin1') : input;
  const methods = [...(options.methods ?? ['GET'])];
  const events: Event[] = [];
  const handler = {
    onResponseHead(status: number, headers: ResponseHeaders, keepAlive: boolean, hintMs: number) {
      events.push({ head: status, headers: { ...headers }, keepAlive, hintMs });
    },
    onResponseBody(chunk: Buffer) {
      const last = events.at(-1);
      if (last !== undefined && 'body' in last) last.body += chunk.toString('latin1');
      else events.push({ body: chunk.toString('latin1') });
    },
    onResponseEnd() {
      events.push({ end: true });
      const next = methods.shift();
      if (next !== undefined) parser.expect(next);
    },
  };
  const parser = new Http1ResponseParser(handler, options.limits);
  parser.expect(methods.shift() ?? 'GET');
  const cuts = [0, ...(options.cuts ?? []), bytes.length];
  try {
    for (let k = 1; k < cuts.length; k += 1) parser.push(bytes.subarray(cuts[k - 1], cuts[k]));
    if (options.finish === true) parser.finish();
  } catch (error) {
    if (!(error instanceof Http1ParseError)) throw error;
    return { events, reason: error.reason };
  }
  return { events };
}

function everyByte(length: number): number[] {
  return Array.from({ length: Math.max(0, length - 1) }, (_, k) => k + 1);
}

/** The outcome of one push must equal that of every two-piece split and of byte-by-byte feeding. */
function assertSplitInvariant(input: string, options: RunOptions = {}): Outcome {
  const whole = run(input, options);
  for (let cut = 1; cut < input.length; cut += 1) {
    assert.deepEqual(run(input, { ...options, cuts: [cut] }), whole, `split at ${cut}`);
  }
  assert.deepEqual(run(input, { ...options, cuts: everyByte(input.length) }), whole, 'byte by byte');
  return whole;
}

function assertRejects(input: string, reason: Http1ParseErrorReason, options: RunOptions = {}): void {
  assert.equal(run(input, options).reason, reason, `whole: ${JSON.stringify(input.slice(0, 120))}`);
  const bytewise = run(input, { ...options, cuts: everyByte(input.length) });
  assert.equal(bytewise.reason, reason, `byte by byte: ${JSON.stringify(input.slice(0, 120))}`);
}

const OK_HEAD = 'HTTP/1.1 200 OK\r\n';

test('a Content-Length response: head, body, end', () => {
  const outcome = run('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello');
  assert.deepEqual(outcome, {
    events: [
      {
        head: 200,
        headers: { 'content-type': 'text/plain', 'content-length': '5' },
        keepAlive: true,
        hintMs: -1,
      },
      { body: 'hello' },
      { end: true },
    ],
  });
});

test('every split point and byte-by-byte feeding give the same events', () => {
  const inputs: [string, RunOptions][] = [
    ['HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX: y\r\n\r\nhello', {}],
    [
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n' +
        '5;name=value;q="a \\"b\\"";flag\r\nhello\r\nA\r\n0123456789\r\n0;last\r\nX-Sum: 1\r\nX-Other: 2\r\n\r\n',
      {},
    ],
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n', {}],
    [
      'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 204 No Content\r\n\r\n',
      {
        methods: ['POST', 'GET'],
      },
    ],
    ['HTTP/1.1 200 OK\r\n\r\nuntil close', { finish: true }],
    [
      'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n',
      {
        methods: ['HEAD', 'GET'],
      },
    ],
  ];
  for (const [input, options] of inputs) {
    const outcome = assertSplitInvariant(input, options);
    assert.equal(outcome.reason, undefined, input);
  }
});

test('chunked: extensions and trailers are validated, body is de-chunked, trailers are dropped', () => {
  const input =
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n' +
    '5;ext=1\r\nhello\r\n6;a;b="x y"\r\n world\r\n0\r\nExpires: never\r\nX-Checksum: abc\r\n\r\n';
  assert.deepEqual(assertSplitInvariant(input), {
    events: [
      { head: 200, headers: { 'transfer-encoding': 'chunked' }, keepAlive: true, hintMs: -1 },
      { body: 'hello world' },
      { end: true },
    ],
  });
  // Upper-case hex and a case-insensitive coding name.
  const upper = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\nA\r\n0123456789\r\n0\r\n\r\n';
  assert.deepEqual(run(upper).events.slice(1), [{ body: '0123456789' }, { end: true }]);
});

test('a close-delimited body ends at finish(), and the connection is not reusable', () => {
  const input = 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nsome bytes';
  assert.deepEqual(run(input).events, [
    { head: 200, headers: { 'content-type': 'text/plain' }, keepAlive: false, hintMs: -1 },
    { body: 'some bytes' },
  ]);
  assert.deepEqual(run(input, { finish: true }).events.at(-1), { end: true });
  // An empty close-delimited body.
  assert.deepEqual(run('HTTP/1.1 200 OK\r\n\r\n', { finish: true }).events.slice(1), [{ end: true }]);
});

test('finish() is a no-op when idle, before or after an exchange', () => {
  const parser = new Http1ResponseParser({ onResponseHead() {}, onResponseBody() {}, onResponseEnd() {} });
  parser.finish();
  parser.expect('GET');
  parser.push(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'));
  assert.equal(parser.busy, false);
  parser.finish();
});

test('HEAD, 204 and 304 responses have no body whatever Content-Length says', () => {
  const head = run('HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n', { methods: ['HEAD'] });
  assert.deepEqual(head.events, [
    { head: 200, headers: { 'content-length': '1000' }, keepAlive: true, hintMs: -1 },
    { end: true },
  ]);
  // A response to HEAD may also announce chunked (RFC 9112 §6.1).
  const headChunked = run('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n', { methods: ['HEAD'] });
  assert.deepEqual(headChunked.events.at(-1), { end: true });
  for (const status of [204, 304]) {
    const outcome = run(`HTTP/1.1 ${status} X\r\nContent-Length: 7\r\n\r\n`);
    assert.deepEqual(outcome.events, [
      { head: status, headers: { 'content-length': '7' }, keepAlive: true, hintMs: -1 },
      { end: true },
    ]);
    // Whatever follows is not a body: with no exchange expected it is a violation.
    assert.equal(run(`HTTP/1.1 ${status} X\r\nContent-Length: 7\r\n\r\nbody!!!`).reason, 'unexpected-data');
    // Content-Length syntax is still checked.
    assert.equal(run(`HTTP/1.1 ${status} X\r\nContent-Length: -7\r\n\r\n`).reason, 'bad-content-length');
  }
});

test('interim 100 and 103 heads are reported, then the final response', () => {
  const input =
    'HTTP/1.1 100 Continue\r\n\r\n' +
    'HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n' +
    'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';
  const parser = new Http1ResponseParser({
    onResponseHead: (status) => assert.equal(parser.busy, true, `busy during ${status}`),
    onResponseBody() {},
    onResponseEnd() {},
  });
  assert.deepEqual(assertSplitInvariant(input, { methods: ['POST'] }).events, [
    { head: 100, headers: {}, keepAlive: true, hintMs: -1 },
    { head: 103, headers: { link: '</style.css>; rel=preload' }, keepAlive: true, hintMs: -1 },
    { head: 200, headers: { 'content-length': '2' }, keepAlive: true, hintMs: -1 },
    { body: 'ok' },
    { end: true },
  ]);
  parser.expect('POST');
  parser.push(Buffer.from(input));
  assert.equal(parser.busy, false);
});

test('back to back: expect() from onResponseEnd parses the rest of the buffer as the next response', () => {
  const input =
    'HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc' +
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nd\r\n0\r\n\r\n' +
    'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n';
  assert.deepEqual(run(input, { methods: ['GET', 'GET', 'GET'] }).events, [
    { head: 200, headers: { 'content-length': '3' }, keepAlive: true, hintMs: -1 },
    { body: 'abc' },
    { end: true },
    { head: 200, headers: { 'transfer-encoding': 'chunked' }, keepAlive: true, hintMs: -1 },
    { body: 'd' },
    { end: true },
    { head: 404, headers: { 'content-length': '0' }, keepAlive: true, hintMs: -1 },
    { end: true },
  ]);
});

test('bytes after the end without expect() are unexpected-data, after the response was delivered', () => {
  const outcome = run('HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcd');
  assert.equal(outcome.reason, 'unexpected-data');
  // Exactly Content-Length bytes were delivered, and the response ended.
  assert.deepEqual(outcome.events.slice(1), [{ body: 'abc' }, { end: true }]);
  // Same after a chunked body and after a later push.
  assert.equal(run('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nX').reason, 'unexpected-data');
  assert.equal(run('HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\naX', { cuts: [39] }).reason, 'unexpected-data');
});

test('bytes before the first expect() are unexpected-data', () => {
  const parser = new Http1ResponseParser({ onResponseHead() {}, onResponseBody() {}, onResponseEnd() {} });
  assert.equal(parser.busy, false);
  assert.throws(
    () => parser.push(Buffer.from('HTTP/1.1 200 OK\r\n\r\n')),
    (error: Http1ParseError) => error.reason === 'unexpected-data',
  );
});

test('body chunks are subarrays of the pushed buffer (no copy)', () => {
  const input = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello');
  const chunks: Buffer[] = [];
  const parser = new Http1ResponseParser({
    onResponseHead() {},
    onResponseBody: (c) => chunks.push(c),
    onResponseEnd() {},
  });
  parser.expect('GET');
  parser.push(input);
  const [chunk, ...more] = chunks;
  assert.ok(chunk !== undefined && more.length === 0);
  assert.equal(chunk.buffer, input.buffer);
  assert.equal(chunk.byteOffset, input.byteOffset + input.length - 5);
});

test('header fields: lowercase names, trimmed values, repeated names become arrays in order', () => {
  const input =
    OK_HEAD +
    'Set-Cookie: a=1\r\nX-Empty:\r\nX-Pad: \t padded value \t\r\nSET-COOKIE: b=2\r\nX-Obs: caf\xe9\r\n' +
    'set-cookie: c=3\r\n__proto__: safe\r\nContent-Length: 0\r\n\r\n';
  const head = run(input).events[0];
  assert.ok(head !== undefined && 'head' in head);
  assert.deepEqual(head.headers, {
    'set-cookie': ['a=1', 'b=2', 'c=3'],
    'x-empty': '',
    'x-pad': 'padded value',
    'x-obs': 'caf\xe9',
    ['__proto__']: 'safe',
    'content-length': '0',
  });
  // The status line: no reason phrase, an empty one, one with obs-text and HTAB.
  for (const line of ['HTTP/1.1 200\r\n', 'HTTP/1.1 200 \r\n', 'HTTP/1.1 200 \xc7a va\tbien\r\n']) {
    assert.deepEqual(run(`${line}Content-Length: 0\r\n\r\n`).events.at(-1), { end: true }, line);
  }
});

test('keepAlive: HTTP/1.1 by default, not with a close token, never for HTTP/1.0', () => {
  const keepAlive = (head: string, methods: string[] = ['GET']): boolean | undefined => {
    const first = run(`${head}Content-Length: 0\r\n\r\n`, { methods }).events[0];
    return first !== undefined && 'head' in first ? first.keepAlive : undefined;
  };
  assert.equal(keepAlive(OK_HEAD), true);
  assert.equal(keepAlive(`${OK_HEAD}Connection: close\r\n`), false);
  assert.equal(keepAlive(`${OK_HEAD}Connection: Keep-Alive, Close\r\n`), false);
  assert.equal(keepAlive(`${OK_HEAD}Connection: x-foo\r\nConnection: CLOSE\r\n`), false);
  assert.equal(keepAlive(`${OK_HEAD}Connection: Keep-Alive\r\n`), true);
  assert.equal(keepAlive(`${OK_HEAD}Connection: closed, x-close\r\n`), true);
  assert.equal(keepAlive(`${OK_HEAD}Connection: close\t\r\n`), false);
  assert.equal(keepAlive(`${OK_HEAD}Proxy-Connection: close\r\n`), false);
  assert.equal(keepAlive('HTTP/1.0 200 OK\r\n'), false);
  assert.equal(keepAlive('HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n'), false);
  assert.equal(keepAlive(OK_HEAD, ['HEAD']), true);
  assert.equal(keepAlive('HTTP/1.1 204 No Content\r\n'), true);
});

test('after a response with keepAlive false, expect() is a caller bug and later bytes are unexpected-data', () => {
  const handler = { onResponseHead() {}, onResponseBody() {}, onResponseEnd() {} };
  for (const head of [`${OK_HEAD}Connection: close\r\n`, 'HTTP/1.0 200 OK\r\n']) {
    const parser = new Http1ResponseParser(handler);
    parser.expect('GET');
    parser.push(Buffer.from(`${head}Content-Length: 0\r\n\r\n`));
    assert.throws(() => parser.expect('GET'), /not reusable/);
    assert.throws(
      () => parser.push(Buffer.from('H')),
      (error: Http1ParseError) => error.reason === 'unexpected-data',
    );
  }
  // Framing fields with leading HTAB or trailing SP are fine (llhttp agrees).
  assert.deepEqual(run(`${OK_HEAD}Content-Length:\t5  \r\n\r\nhello`).events.slice(1), [
    { body: 'hello' },
    { end: true },
  ]);
  const chunkedSp = `${OK_HEAD}Transfer-Encoding:\t chunked \r\n\r\n1\r\nx\r\n0\r\n\r\n`;
  assert.deepEqual(run(chunkedSp).events.slice(1), [{ body: 'x' }, { end: true }]);
});

test('keepAliveHintMs: the timeout parameter of Keep-Alive, in ms, else -1', () => {
  const hint = (value: string | undefined): number | undefined => {
    const field = value === undefined ? '' : `Keep-Alive: ${value}\r\n`;
    const first = run(`${OK_HEAD}${field}Content-Length: 0\r\n\r\n`).events[0];
    return first !== undefined && 'head' in first ? first.hintMs : undefined;
  };
  assert.equal(hint(undefined), -1);
  assert.equal(hint('timeout=5'), 5000);
  assert.equal(hint('timeout=5, max=1000'), 5000);
  assert.equal(hint('max=1000, Timeout = 30'), 30000);
  assert.equal(hint('max=1000'), -1);
  assert.equal(hint('timeout=abc'), -1);
  assert.equal(hint('timeout=-1'), -1);
  assert.equal(hint('timeout='), -1);
  assert.equal(hint('timeout=9999999999'), -1);
});

test('Content-Length: one value of digits (leading zeros are digits); a repeated one, even identical, is refused', () => {
  const body = (head: string): string | undefined => {
    const outcome = run(`${OK_HEAD}${head}\r\nabcdeXYZ`);
    const second = outcome.events[1];
    return second !== undefined && 'body' in second ? second.body : undefined;
  };
  assert.equal(body('Content-Length: 5\r\nContent-Length: 5\r\n'), undefined);
  assert.equal(body('Content-Length: 5, 5\r\n'), undefined);
  assert.equal(body('Content-Length: 005\r\n'), 'abcde');
  assert.equal(body('Content-Length: 999999999999999\r\n'), 'abcdeXYZ');
});

test('rejects every violation with its stable reason', () => {
  const cl = (value: string): string => `${OK_HEAD}Content-Length: ${value}\r\n\r\n`;
  const te = (value: string): string => `${OK_HEAD}Transfer-Encoding: ${value}\r\n\r\n0\r\n\r\n`;
  const chunked = (body: string): string => `${OK_HEAD}Transfer-Encoding: chunked\r\n\r\n${body}`;
  const cases: [string, Http1ParseErrorReason, RunOptions?][] = [
    // Status line (RFC 9112 §4).
    ['HTTP/2.0 200 OK\r\n\r\n', 'bad-status-line'],
    ['HTTP/1.2 200 OK\r\n\r\n', 'bad-status-line'],
    ['HTTP/0.9 200 OK\r\n\r\n', 'bad-status-line'],
    ['http/1.1 200 OK\r\n\r\n', 'bad-status-line'],
    ['HTTP/1.1 099 Low\r\n\r\n', 'bad-status-line'],
    ['HTTP/1.1 99 Low\r\n\r\n', 'bad-status-line'],
    ['HTTP/1.1 600 High\r\n\r\n', 'bad-status-line'],
    ['HTTP/1.1 20x OK\r\n\r\n', 'bad-status-line'],
    ['HTTP/1.1 2000 OK\r\n\r\n', 'bad-status-line'],
    ['HTTP/1.1  200 OK\r\n\r\n', 'bad-status-line'],
    ['HTTP/1.1 200\tOK\r\n\r\n', 'bad-status-line'],
    ['HTTP/1.1 200 O\x00K\r\n\r\n', 'bad-status-line'],
    ['HTTP/1.1 200 O\x7fK\r\n\r\n', 'bad-status-line'],
    ['HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n', 'bad-status-line'],
    ['HTTP/1.1 200 OK\rContent-Length: 0\r\n\r\n', 'bad-status-line'],
    ['\r\nHTTP/1.1 200 OK\r\n\r\n', 'bad-status-line'],
    ['SSH-2.0-OpenSSH_9.6\r\n', 'bad-status-line'],
    // Field lines (RFC 9112 §5, RFC 9110 §5.5).
    [`${OK_HEAD}Content-Length : 0\r\n\r\n`, 'bad-header'],
    [`${OK_HEAD}Content-Length\t: 0\r\n\r\n`, 'bad-header'],
    [`${OK_HEAD}: empty-name\r\n\r\n`, 'bad-header'],
    [`${OK_HEAD}No-Colon\r\n\r\n`, 'bad-header'],
    [`${OK_HEAD}X(y): z\r\n\r\n`, 'bad-header'],
    [`${OK_HEAD}X\xe9: z\r\n\r\n`, 'bad-header'],
    [`${OK_HEAD}X: a\x00b\r\n\r\n`, 'bad-header'],
    [`${OK_HEAD}X: a\x01b\r\n\r\n`, 'bad-header'],
    [`${OK_HEAD}X: a\x7fb\r\n\r\n`, 'bad-header'],
    [`${OK_HEAD}X: a\nContent-Length: 0\r\n\r\n`, 'bad-header'],
    [`${OK_HEAD}X: a\rContent-Length: 0\r\n\r\n`, 'bad-header'],
    [`${OK_HEAD}X: a\r\r\n\r\n`, 'bad-header'],
    [`${OK_HEAD}X: a\r\n\nContent-Length: 0\r\n\r\n`, 'bad-header'],
    [`${OK_HEAD}X: a\r\n\rContent-Length: 0\r\n\r\n`, 'bad-header'],
    [`${OK_HEAD}X: a\r\n folded\r\n\r\n`, 'obs-fold'],
    [`${OK_HEAD}X: a\r\n\tfolded\r\n\r\n`, 'obs-fold'],
    [`${OK_HEAD} X: a\r\n\r\n`, 'obs-fold'],
    // A bare LF or CR is caught as it arrives, before any CRLFCRLF.
    [`${OK_HEAD}X: a\nY`, 'bad-header'],
    [`${OK_HEAD}X: a\rY`, 'bad-header'],
    ['HTTP/1.1 200 OK\n', 'bad-status-line'],
    // Content-Length (RFC 9110 §8.6).
    [cl('+5'), 'bad-content-length'],
    [cl('-1'), 'bad-content-length'],
    [cl('5 5'), 'bad-content-length'],
    [cl('1,2'), 'bad-content-length'],
    [cl('5,'), 'bad-content-length'],
    [cl('0x5'), 'bad-content-length'],
    [cl('5.0'), 'bad-content-length'],
    [cl(''), 'bad-content-length'],
    [cl('1234567890123456'), 'bad-content-length'],
    [cl('05, 5'), 'bad-content-length'],
    [`${OK_HEAD}Content-Length: 5\r\nContent-Length: 6\r\n\r\n`, 'bad-content-length'],
    // Transfer-Encoding and framing (RFC 9112 §6).
    [`${OK_HEAD}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, 'conflicting-framing'],
    [`${OK_HEAD}Transfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n0\r\n\r\n`, 'conflicting-framing'],
    [`${OK_HEAD}Transfer-Encoding: gzip\r\nContent-Length: 5\r\n\r\n`, 'conflicting-framing'],
    // llhttp reads a trailing HTAB (not SP) as part of these values.
    [`${OK_HEAD}Content-Length: 5\t\r\n\r\nhello`, 'bad-content-length'],
    [`${OK_HEAD}Content-Length: 5 \t \r\n\r\nhello`, 'bad-content-length'],
    [`${OK_HEAD}Transfer-Encoding: chunked\t\r\n\r\n0\r\n\r\n`, 'unsupported-transfer-coding'],
    [te('gzip'), 'unsupported-transfer-coding'],
    [te('gzip, chunked'), 'unsupported-transfer-coding'],
    [te('chunked, chunked'), 'unsupported-transfer-coding'],
    [te('chunked,'), 'unsupported-transfer-coding'],
    [te(', chunked'), 'unsupported-transfer-coding'],
    [te('identity'), 'unsupported-transfer-coding'],
    [te('xchunked'), 'unsupported-transfer-coding'],
    [te('chunked\xa0'), 'unsupported-transfer-coding'],
    [te(''), 'unsupported-transfer-coding'],
    [
      `${OK_HEAD}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
      'unsupported-transfer-coding',
    ],
    [
      `${OK_HEAD}Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n`,
      'unsupported-transfer-coding',
    ],
    ['HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 'unsupported-transfer-coding'],
    ['HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n', 'switching-protocols'],
    ['HTTP/1.1 200 Connection Established\r\n\r\n', 'switching-protocols', { methods: ['CONNECT'] }],
    // Chunked coding (RFC 9112 §7.1).
    [chunked('g\r\nx\r\n0\r\n\r\n'), 'bad-chunk'],
    [chunked('\r\n0\r\n\r\n'), 'bad-chunk'],
    [chunked('-5\r\nhello\r\n0\r\n\r\n'), 'bad-chunk'],
    [chunked('0x5\r\nhello\r\n0\r\n\r\n'), 'bad-chunk'],
    [chunked('+5\r\nhello\r\n0\r\n\r\n'), 'bad-chunk'],
    [chunked(' 5\r\nhello\r\n0\r\n\r\n'), 'bad-chunk'],
    [chunked('5 \r\nhello\r\n0\r\n\r\n'), 'bad-chunk'],
    [chunked('5 ;a=b\r\nhello\r\n0\r\n\r\n'), 'bad-chunk'],
    [chunked('5garbage\r\nhello\r\n0\r\n\r\n'), 'bad-chunk'],
    [chunked('10000000000000000\r\n'), 'bad-chunk'],
    [chunked('ffffffffffffffff\r\n'), 'bad-chunk'],
    [chunked('20000000000000\r\n'), 'bad-chunk'],
    [chunked('5\nhello\r\n0\r\n\r\n'), 'bad-chunk'],
    [chunked('5\r\r\nhello\r\n0\r\n\r\n'), 'bad-chunk'],
    [chunked('5\r\nhelloXX0\r\n\r\n'), 'bad-chunk'],
    [chunked('5\r\nhello\n0\r\n\r\n'), 'bad-chunk'],
    [chunked('5\r\nhello\r0\r\n\r\n'), 'bad-chunk'],
    [chunked('5\r\nhello world\r\n0\r\n\r\n'), 'bad-chunk'],
    [chunked('5;\r\nhello\r\n0\r\n\r\n'), 'bad-chunk'],
    [chunked('5;a=\r\nhello\r\n0\r\n\r\n'), 'bad-chunk'],
    [chunked('5;a="x\r\nhello\r\n0\r\n\r\n'), 'bad-chunk'],
    [chunked('5;a="x\x00"\r\nhello\r\n0\r\n\r\n'), 'bad-chunk'],
    [chunked('5;a b\r\nhello\r\n0\r\n\r\n'), 'bad-chunk'],
    [chunked('0\n\r\n'), 'bad-chunk'],
    [chunked(`5;a=${'x'.repeat(5000)}\r\nhello\r\n0\r\n\r\n`), 'chunk-extension-too-large'],
    [chunked(`5;a=${'x'.repeat(4095)}\r\nhello\r\n0\r\n\r\n`), 'chunk-extension-too-large'],
    [chunked(`5;a=${'x'.repeat(10000)}`), 'chunk-extension-too-large'],
    [chunked(`5${'0'.repeat(10000)}`), 'bad-chunk'],
    // Trailer section: validated like a header section.
    [chunked('0\r\nX: a\r\n folded\r\n\r\n'), 'obs-fold'],
    [chunked('0\r\nX : a\r\n\r\n'), 'bad-header'],
    [chunked('0\r\nX: a\x00\r\n\r\n'), 'bad-header'],
    [chunked('0\r\n\rX: a\r\n\r\n'), 'bad-header'],
    [chunked('0\r\nX: a\n\r\n\r\n'), 'bad-header'],
    [chunked('0\r\n\n'), 'bad-header'],
    [chunked('0\r\nContent-Length: 5\r\n\r\n'), 'conflicting-framing'],
    [chunked('0\r\ntransfer-encoding: chunked\r\n\r\n'), 'conflicting-framing'],
    [chunked(`0\r\nX: ${'a'.repeat(20000)}\r\n\r\n`), 'head-too-large'],
    [chunked(`0\r\nX: ${'a'.repeat(20000)}`), 'head-too-large'],
    [chunked(`0\r\n${'X: a\r\n'.repeat(3)}\r\n`), 'too-many-headers', { limits: { maxHeaderCount: 2 } }],
    // Truncation.
    ['', 'truncated', { finish: true }],
    ['HTTP/1.1 200 OK\r\nContent-Len', 'truncated', { finish: true }],
    [`${OK_HEAD}Content-Length: 10\r\n\r\nshort`, 'truncated', { finish: true }],
    [chunked('5\r\nhel'), 'truncated', { finish: true }],
    [chunked('5\r\nhello\r\n'), 'truncated', { finish: true }],
    [chunked('5\r\nhello\r\n0\r\n'), 'truncated', { finish: true }],
    [chunked('5\r\nhello\r\n0\r\nX: y\r\n'), 'truncated', { finish: true }],
    ['HTTP/1.1 100 Continue\r\n\r\n', 'truncated', { finish: true }],
    // Unexpected data.
    ['HTTP/1.1 204 No Content\r\n\r\nX', 'unexpected-data'],
    // After an interim head that closes the connection (like llhttp's "Data after Connection: close").
    [`HTTP/1.1 103 Early Hints\r\nConnection: close\r\n\r\n${OK_HEAD}Content-Length: 0\r\n\r\n`, 'unexpected-data'],
    [`HTTP/1.0 100 Continue\r\n\r\n${OK_HEAD}Content-Length: 0\r\n\r\n`, 'unexpected-data'],
  ];
  for (const [input, reason, options] of cases) assertRejects(input, reason, options);
});

test('head-too-large: at the limit is fine, one byte over is not, also when fed in small pieces', () => {
  const limits = { maxHeadBytes: 256 };
  const exact = (size: number): string => {
    const fixed = `${OK_HEAD}Content-Length: 0\r\nX: \r\n\r\n`;
    return `${OK_HEAD}Content-Length: 0\r\nX: ${'a'.repeat(size - fixed.length)}\r\n\r\n`;
  };
  assert.equal(exact(256).length, 256);
  assert.deepEqual(run(exact(256), { limits }).events.at(-1), { end: true });
  assert.deepEqual(run(exact(256), { limits, cuts: everyByte(256) }).events.at(-1), { end: true });
  assertRejects(exact(257), 'head-too-large', { limits });
  // No CRLFCRLF ever: the parser gives up after maxHeadBytes, instead of buffering without bound.
  let pushed = 0;
  const parser = new Http1ResponseParser({ onResponseHead() {}, onResponseBody() {}, onResponseEnd() {} }, limits);
  parser.expect('GET');
  assert.throws(
    () => {
      parser.push(Buffer.from(`${OK_HEAD}X: `));
      for (let k = 0; k < 10_000; k += 1) {
        parser.push(Buffer.from('aaaaaaa'));
        pushed += 7;
      }
    },
    (error: Http1ParseError) => error.reason === 'head-too-large',
  );
  assert.ok(pushed <= 256, `gave up after ${pushed} bytes`);
  // Default limit: 16 KiB.
  assertRejects(`${OK_HEAD}X: ${'a'.repeat(16 * 1024)}\r\n\r\n`, 'head-too-large');
  assert.equal(run(`${OK_HEAD}X: ${'a'.repeat(16 * 1024 - 40)}\r\n\r\n`, { finish: true }).reason, undefined);
});

test('too-many-headers: maxHeaderCount fields are fine, one more is not', () => {
  const fields = (count: number): string =>
    `${OK_HEAD}${Array.from({ length: count }, (_, k) => `X-${k}: v\r\n`).join('')}\r\n`;
  assert.equal(run(fields(200), { finish: true }).reason, undefined);
  assertRejects(fields(201), 'too-many-headers');
  assert.equal(run(fields(3), { finish: true, limits: { maxHeaderCount: 3 } }).reason, undefined);
  assertRejects(fields(4), 'too-many-headers', { limits: { maxHeaderCount: 3 } });
});

test('after an error the parser is dead: every call throws the same error', () => {
  const handler = { onResponseHead() {}, onResponseBody() {}, onResponseEnd() {} };
  const parser = new Http1ResponseParser(handler);
  parser.expect('GET');
  let first: unknown;
  try {
    parser.push(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n'));
  } catch (error) {
    first = error;
  }
  assert.ok(first instanceof Http1ParseError);
  assert.equal(first.reason, 'bad-content-length');
  assert.equal(first.name, 'Http1ParseError');
  assert.equal(parser.busy, false);
  assert.throws(
    () => parser.push(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n')),
    (e) => e === first,
  );
  assert.throws(
    () => parser.push(Buffer.alloc(0)),
    (e) => e === first,
  );
  assert.throws(
    () => parser.expect('GET'),
    (e) => e === first,
  );
  assert.throws(
    () => parser.finish(),
    (e) => e === first,
  );
  // A failed finish() kills it too.
  const truncated = new Http1ResponseParser(handler);
  truncated.expect('GET');
  truncated.push(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc'));
  assert.throws(
    () => truncated.finish(),
    (e: Http1ParseError) => e.reason === 'truncated',
  );
  assert.throws(
    () => truncated.push(Buffer.from('defghi')),
    (e: Http1ParseError) => e.reason === 'truncated',
  );
});

test('a throwing handler kills the parser too', () => {
  const boom = new Error('handler bug');
  const parser = new Http1ResponseParser({
    onResponseHead() {
      throw boom;
    },
    onResponseBody() {},
    onResponseEnd() {},
  });
  parser.expect('GET');
  assert.throws(
    () => parser.push(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n')),
    (e) => e === boom,
  );
  assert.throws(
    () => parser.finish(),
    (e) => e === boom,
  );
});

test('busy is true from expect() to onResponseEnd, and expect() while busy is a programming error', () => {
  const seen: boolean[] = [];
  const parser = new Http1ResponseParser({
    onResponseHead: () => seen.push(parser.busy),
    onResponseBody: () => seen.push(parser.busy),
    onResponseEnd: () => seen.push(parser.busy),
  });
  parser.expect('GET');
  assert.equal(parser.busy, true);
  assert.throws(() => parser.expect('GET'), /in progress/);
  parser.push(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'));
  assert.deepEqual(seen, [true, true, false]);
  assert.equal(parser.busy, false);
});

test('errors are cheap: no stack frames are captured', () => {
  const error = new Http1ParseError('bad-chunk', 'x');
  assert.equal(error.stack?.includes('\n    at '), false);
  assert.match(error.message, /bad-chunk/);
  assert.ok(Error.stackTraceLimit > 0, 'the global limit is restored');
});

test('fieldLines: the end-to-end lines exactly as received, the hop-by-hop ones left out, also across pushes', () => {
  const head =
    'HTTP/1.1 200 OK\r\nServer: up\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\nX-Mixed:\t a\xe9 b \r\n' +
    'Transfer-Encoding: chunked\r\nkeep-alive: timeout=5\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\n';
  for (const step of [head.length, 3]) {
    const seen: string[] = [];
    const parser = new Http1ResponseParser({
      onResponseHead: (_status, _headers, _keepAlive, _hint, fieldLines) => seen.push(fieldLines),
      onResponseBody() {},
      onResponseEnd() {},
    });
    parser.expect('GET');
    const bytes = Buffer.from(`${head}0\r\n\r\n`, 'latin1');
    for (let offset = 0; offset < bytes.length; offset += step) parser.push(bytes.subarray(offset, offset + step));
    // X-Hop is named by Connection: the relay drops it (relayed-field-lines.ts), the parser keeps it.
    assert.deepEqual(seen, ['Server: up\r\nX-Hop: 1\r\nX-Mixed:\t a\xe9 b \r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n']);
  }
  const only: string[] = [];
  const parser = new Http1ResponseParser({
    onResponseHead: (_s, _h, _k, _t, fieldLines) => only.push(fieldLines),
    onResponseBody() {},
    onResponseEnd() {},
  });
  parser.expect('GET');
  parser.push(Buffer.from('HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n', 'latin1'));
  assert.deepEqual(only, ['']);
});
