import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Http1RequestError,
  Http1RequestParser,
  type RequestHead,
  type RequestParserHandler,
} from './request-parser.ts';

interface Parsed {
  head: RequestHead;
  body: string;
  ended: boolean;
}

/** Feeds `raw` (latin1) in pieces of `step` bytes, as the connection does: it resumes after each request's end. */
function parse(raw: string, step = raw.length): Parsed[] {
  const requests: Parsed[] = [];
  const handler: RequestParserHandler = {
    onRequestHead: (head) => requests.push({ head, body: '', ended: false }),
    onRequestBody: (chunk) => {
      const last = requests.at(-1);
      if (last !== undefined) last.body += chunk.toString('latin1');
    },
    onRequestEnd: () => {
      const last = requests.at(-1);
      if (last !== undefined) last.ended = true;
    },
  };
  const parser = new Http1RequestParser(handler);
  const bytes = Buffer.from(raw, 'latin1');
  for (let at = 0; at < bytes.length; at += step) {
    const piece = bytes.subarray(at, Math.min(bytes.length, at + step));
    let start = 0;
    while (start < piece.length) start = parser.push(piece, start);
  }
  return requests;
}

function refusal(raw: string): string {
  try {
    parse(raw);
  } catch (error) {
    assert.ok(error instanceof Http1RequestError, String(error));
    return error.code;
  }
  return 'accepted';
}

const GET = 'GET /a?b=c HTTP/1.1\r\nHost: example.com\r\n\r\n';

test('a GET: method, target, version, raw and merged headers, no body, keep-alive', () => {
  const [request] = parse(GET);
  assert.ok(request !== undefined);
  assert.equal(request.head.method, 'GET');
  assert.equal(request.head.target, '/a?b=c');
  assert.equal(request.head.http10, false);
  assert.deepEqual(request.head.rawHeaders, ['Host', 'example.com']);
  assert.equal(request.head.headers.host, 'example.com');
  assert.equal(request.head.keepAlive, true);
  assert.equal(request.head.body, 'none');
  assert.equal(request.ended, true);
});

test('push() stops after each request: pipelined requests are read one at a time', () => {
  const parser = new Http1RequestParser({ onRequestHead: () => {}, onRequestBody: () => {}, onRequestEnd: () => {} });
  const bytes = Buffer.from(GET + GET, 'latin1');
  assert.equal(parser.push(bytes), GET.length);
  assert.equal(parser.push(bytes, GET.length), bytes.length);
});

test('the same requests whether fed whole or byte by byte', () => {
  const raw =
    '\r\nPOST /u HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello' +
    'POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y;z="q r"\r\nabc\r\n2\r\nde\r\n0\r\nT: 1\r\n\r\n' +
    GET;
  const whole = parse(raw);
  const bytewise = parse(raw, 1);
  assert.equal(whole.length, 3);
  assert.deepEqual(
    bytewise.map((r) => [r.head.method, r.head.target, r.body, r.ended]),
    whole.map((r) => [r.head.method, r.head.target, r.body, r.ended]),
  );
  assert.equal(whole[0]?.body, 'hello');
  assert.equal(whole[1]?.body, 'abcde');
  assert.deepEqual(
    whole.map((r) => r.head.body),
    ['length', 'chunked', 'none'],
  );
});

test('repeated fields merge as node:http merges them', () => {
  const [request] = parse(
    'GET / HTTP/1.1\r\nHost: h\r\nAccept: a\r\naccept: b\r\nCookie: x=1\r\nCookie: y=2\r\n' +
      'Set-Cookie: s\r\nUser-Agent: first\r\nUser-Agent: second\r\nX-Empty:\r\n\r\n',
  );
  assert.ok(request !== undefined);
  const headers = request.head.headers;
  assert.equal(headers.accept, 'a, b');
  assert.equal(headers.cookie, 'x=1; y=2');
  assert.deepEqual(headers['set-cookie'], ['s']);
  assert.equal(headers['user-agent'], 'first');
  assert.equal(headers['x-empty'], '');
  assert.equal(request.head.rawHeaders.length, 18);
});

test('HTTP/1.0: keep-alive only when asked; HTTP/1.1: unless close is asked', () => {
  assert.equal(parse('GET / HTTP/1.0\r\n\r\n')[0]?.head.keepAlive, false);
  assert.equal(parse('GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n')[0]?.head.keepAlive, true);
  assert.equal(parse('GET / HTTP/1.1\r\nHost: h\r\nConnection: x, close\r\n\r\n')[0]?.head.keepAlive, false);
});

test('Expect: 100-continue is seen on HTTP/1.1 only', () => {
  const expect = 'Host: h\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\nx';
  assert.equal(parse(`POST / HTTP/1.1\r\n${expect}`)[0]?.head.expectContinue, true);
  assert.equal(parse(`POST / HTTP/1.0\r\n${expect}`)[0]?.head.expectContinue, false);
});

test('framing: ambiguous or unsupported bodies are refused (RFC 9112 §6.1-6.3)', () => {
  const post = (fields: string, body = ''): string => `POST / HTTP/1.1\r\nHost: h\r\n${fields}\r\n${body}`;
  assert.equal(refusal(post('Content-Length: 1\r\nTransfer-Encoding: chunked\r\n')), 'HPE_INVALID_TRANSFER_ENCODING');
  assert.equal(refusal(post('Transfer-Encoding: chunked\r\nContent-Length: 1\r\n')), 'HPE_INVALID_TRANSFER_ENCODING');
  assert.equal(refusal(post('Content-Length: 1\r\nContent-Length: 1\r\n')), 'HPE_UNEXPECTED_CONTENT_LENGTH');
  assert.equal(refusal(post('Content-Length: 1x\r\n')), 'HPE_INVALID_CONTENT_LENGTH');
  assert.equal(refusal(post('Content-Length: -1\r\n')), 'HPE_INVALID_CONTENT_LENGTH');
  assert.equal(refusal(post('Content-Length: 1\t\r\n')), 'HPE_INVALID_CONTENT_LENGTH');
  assert.equal(refusal(post('Transfer-Encoding: gzip, chunked\r\n')), 'HPE_INVALID_TRANSFER_ENCODING');
  assert.equal(
    refusal(post('Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n')),
    'HPE_INVALID_TRANSFER_ENCODING',
  );
  assert.equal(
    refusal('POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'),
    'HPE_INVALID_TRANSFER_ENCODING',
  );
  assert.equal(refusal(post('Transfer-Encoding: chunked\r\n', 'g\r\n')), 'HPE_INVALID_CHUNK_SIZE');
  assert.equal(refusal(post('Transfer-Encoding: chunked\r\n', '1 ;a\r\nx\r\n')), 'HPE_INVALID_CHUNK_SIZE');
  assert.equal(refusal(post('Transfer-Encoding: chunked\r\n', '1\r\nxy\r\n')), 'HPE_INVALID_CHUNK_SIZE');
  assert.equal(
    refusal(post('Transfer-Encoding: chunked\r\n', `1;${'e'.repeat(5000)}\r\nx\r\n`)),
    'HPE_CHUNK_EXTENSIONS_OVERFLOW',
  );
  assert.equal(
    refusal(post('Transfer-Encoding: chunked\r\n', '0\r\nContent-Length: 5\r\n\r\n')),
    'HPE_INVALID_CONTENT_LENGTH',
  );
});

test('field syntax: obs-fold, space before the colon, bare CR or LF, NUL, CTLs are refused', () => {
  const get = (fields: string): string => `GET / HTTP/1.1\r\nHost: h\r\n${fields}\r\n`;
  assert.equal(refusal(get('X: a\r\n b\r\n')), 'HPE_INVALID_HEADER_TOKEN');
  assert.equal(refusal(get('X : a\r\n')), 'HPE_INVALID_HEADER_TOKEN');
  assert.equal(refusal(get('X: a\nY: b\r\n')), 'HPE_CR_EXPECTED');
  assert.equal(refusal(get('X: a\rY: b\r\n')), 'HPE_LF_EXPECTED');
  assert.equal(refusal(get('X: a\0b\r\n')), 'HPE_INVALID_HEADER_TOKEN');
  assert.equal(refusal(get('X: a\x01b\r\n')), 'HPE_INVALID_HEADER_TOKEN');
  assert.equal(refusal(get('X(: a\r\n')), 'HPE_INVALID_HEADER_TOKEN');
  assert.equal(refusal('GET / HTTP/1.1\nHost: h\r\n\r\n'), 'HPE_CR_EXPECTED');
});

test('request line: method token, target without spaces or controls, HTTP/1.0 or 1.1 only', () => {
  assert.equal(refusal('G(T / HTTP/1.1\r\n\r\n'), 'HPE_INVALID_METHOD');
  assert.equal(refusal(' / HTTP/1.1\r\n\r\n'), 'HPE_INVALID_METHOD');
  assert.equal(refusal('GET /a b HTTP/1.1\r\n\r\n'), 'HPE_INVALID_VERSION');
  assert.equal(refusal('GET  / HTTP/1.1\r\n\r\n'), 'HPE_INVALID_URL');
  assert.equal(refusal('GET /\xe9 HTTP/1.1\r\n\r\n'), 'HPE_INVALID_URL');
  assert.equal(refusal('GET / HTTP/2.0\r\n\r\n'), 'HPE_INVALID_VERSION');
  assert.equal(refusal('GET / HTTP/1.1 \r\n\r\n'), 'HPE_INVALID_VERSION');
  assert.equal(refusal('GET /\r\n\r\n'), 'HPE_INVALID_URL');
});

test('caps: a head over 16 KiB or over 200 fields is HPE_HEADER_OVERFLOW (431), whole or in pieces', () => {
  const big = `GET / HTTP/1.1\r\nX: ${'v'.repeat(17 * 1024)}\r\n\r\n`;
  assert.equal(refusal(big), 'HPE_HEADER_OVERFLOW');
  assert.throws(
    () => parse(big, 1000),
    (error: Http1RequestError) => error.code === 'HPE_HEADER_OVERFLOW',
  );
  const many = `GET / HTTP/1.1\r\n${'A: b\r\n'.repeat(201)}\r\n`;
  assert.equal(refusal(many), 'HPE_HEADER_OVERFLOW');
  assert.equal(refusal(`GET / HTTP/1.1\r\n${'A: b\r\n'.repeat(200)}\r\n`), 'accepted');
});

test('after a refusal the parser stays dead', () => {
  const parser = new Http1RequestParser({ onRequestHead: () => {}, onRequestBody: () => {}, onRequestEnd: () => {} });
  assert.throws(() => parser.push(Buffer.from('BAD\x00 / HTTP/1.1\r\n\r\n')));
  assert.throws(() => parser.push(Buffer.from(GET)));
});

test('a header named __proto__ is an ordinary field', () => {
  const [request] = parse('GET / HTTP/1.1\r\nHost: h\r\n__proto__: x\r\n\r\n');
  assert.equal((request?.head.headers as Record<string, unknown>)['__proto__'], 'x');
});

test('empty lines before a request are skipped, even split across reads; a bare CR there is refused', () => {
  assert.equal(parse(`\r\n\r\n${GET}`, 1).length, 1);
  assert.equal(refusal(`\r${GET}`), 'HPE_LF_EXPECTED');
  assert.throws(
    () => parse(`\r${GET}`, 1),
    (error: Http1RequestError) => error.code === 'HPE_LF_EXPECTED',
  );
});
