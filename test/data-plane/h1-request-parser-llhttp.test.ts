/**
 * Differential test of the client-side HTTP/1.1 request parser (listeners/h1/request-parser.ts) against Node's own
 * server parser (llhttp, strict mode: a plain `http.createServer` on loopback, fed the same bytes).
 *
 * Safety property: whatever requests our parser accepts, llhttp accepts too, in the same order, with the same method,
 * target, version, raw header lines and body bytes, so a request is never framed differently by the gateway than by
 * a Node server behind it (request smuggling). We may refuse more than llhttp: `ours` pins our outcome for each case
 * and the refusals llhttp does not share are listed in ADR 0022. Then a bounded fuzz: mutations of the corpus, each
 * fed to both, hold the same property, and random bytes fed in random pieces never make our parser throw anything
 * but an Http1RequestError, nor parse differently from the same bytes fed whole.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import fc from 'fast-check';
import {
  Http1RequestError,
  Http1RequestParser,
  type RequestParserHandler,
} from '../../src/data-plane/listeners/h1/request-parser.ts';

interface Seen {
  method: string;
  target: string;
  version: string;
  rawHeaders: string[];
  body: string; // latin1
}

interface Outcome {
  requests: Seen[];
  /** Our refusal code, or llhttp's clientError code; undefined when every byte was accepted. */
  error: string | undefined;
}

function ours(raw: string, step = 0): Outcome {
  const requests: Seen[] = [];
  const handler: RequestParserHandler = {
    onRequestHead: (head) =>
      requests.push({
        method: head.method,
        target: head.target,
        version: head.http10 ? '1.0' : '1.1',
        rawHeaders: head.rawHeaders,
        body: '',
      }),
    onRequestBody: (chunk) => {
      const last = requests.at(-1);
      if (last !== undefined) last.body += chunk.toString('latin1');
    },
    onRequestEnd: () => undefined,
  };
  const parser = new Http1RequestParser(handler);
  const bytes = Buffer.from(raw, 'latin1');
  const size = step > 0 ? step : bytes.length;
  try {
    for (let at = 0; at < bytes.length; at += size) {
      const piece = bytes.subarray(at, Math.min(bytes.length, at + size));
      let start = 0;
      while (start < piece.length) start = parser.push(piece, start);
    }
  } catch (error) {
    if (!(error instanceof Http1RequestError)) throw error;
    return { requests, error: error.code };
  }
  return { requests, error: undefined };
}

/** llhttp's view: a node:http server on loopback, each request answered once its body is read. */
class LlhttpServer {
  readonly #server = http.createServer({ requireHostHeader: false });
  #requests: Seen[] = [];
  #error: string | undefined;

  async start(): Promise<void> {
    this.#server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      const seen: Seen = {
        method: req.method ?? '',
        target: req.url ?? '',
        version: req.httpVersion,
        rawHeaders: req.rawHeaders,
        body: '',
      };
      this.#requests.push(seen);
      req.on('data', (chunk: Buffer) => (seen.body += chunk.toString('latin1')));
      req.on('end', () => res.end('ok'));
    });
    this.#server.on('clientError', (error: NodeJS.ErrnoException, socket: net.Socket) => {
      this.#error = error.code ?? 'unknown';
      socket.destroy();
    });
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
  }

  async parse(raw: string): Promise<Outcome> {
    this.#requests = [];
    this.#error = undefined;
    const { port } = this.#server.address() as AddressInfo;
    await new Promise<void>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => socket.end(Buffer.from(raw, 'latin1')));
      const timer = setTimeout(() => socket.destroy(), 2_000);
      socket.on('data', () => undefined);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    return { requests: this.#requests, error: this.#error };
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

/** Whatever we accepted, llhttp accepted the same way (our requests are a prefix of its, all of them when we accept all). */
function assertSafe(raw: string, mine: Outcome, theirs: Outcome): void {
  const context = JSON.stringify(raw.slice(0, 300));
  // A request whose body we were still reading when we refused was not accepted: compare only completed ones.
  const accepted = mine.error === undefined ? mine.requests : mine.requests.slice(0, -1);
  assert.ok(theirs.requests.length >= accepted.length, `llhttp accepted fewer requests than we did: ${context}`);
  for (const [index, request] of accepted.entries()) {
    assert.deepEqual(theirs.requests[index], request, `request ${index} framed differently: ${context}`);
  }
  if (mine.error === undefined) {
    assert.equal(theirs.error, undefined, `llhttp refused what we accepted: ${context}`);
    assert.equal(theirs.requests.length, mine.requests.length, `llhttp saw other requests: ${context}`);
  }
}

interface Case {
  readonly name: string;
  readonly raw: string;
  /** Our outcome: every request accepted, or our refusal code. */
  readonly ours: string;
}

const H = 'Host: h\r\n';
const post = (fields: string, body: string): string => `POST /p HTTP/1.1\r\n${H}${fields}\r\n${body}`;

const CORPUS: Case[] = [
  { name: 'GET', raw: `GET / HTTP/1.1\r\n${H}\r\n`, ours: 'accept' },
  {
    name: 'GET with a query; PROPFIND',
    raw: `GET /a?b=c&d HTTP/1.1\r\n${H}\r\nPROPFIND / HTTP/1.1\r\n${H}\r\n`,
    ours: 'accept',
  },
  { name: 'HTTP/1.0 without Host', raw: 'GET / HTTP/1.0\r\n\r\n', ours: 'accept' },
  { name: 'absolute-form target', raw: `GET http://h/x HTTP/1.1\r\n${H}\r\n`, ours: 'accept' },
  { name: 'asterisk-form', raw: `OPTIONS * HTTP/1.1\r\n${H}\r\n`, ours: 'accept' },
  {
    name: 'empty value, obs-text value, OWS',
    raw: `GET / HTTP/1.1\r\n${H}X-E:\r\nX-O: caf\xe9\r\nX-W: \t a b \t\r\n\r\n`,
    ours: 'accept',
  },
  {
    name: 'repeated fields',
    raw: `GET / HTTP/1.1\r\n${H}Accept: a\r\nAccept: b\r\nCookie: x\r\nCookie: y\r\n\r\n`,
    ours: 'accept',
  },
  { name: 'content-length body', raw: post('Content-Length: 5\r\n', 'hello'), ours: 'accept' },
  { name: 'content-length 0', raw: post('Content-Length: 0\r\n', ''), ours: 'accept' },
  { name: 'content-length leading zeros and OWS', raw: post('Content-Length:  005 \r\n', 'hello'), ours: 'accept' },
  {
    name: 'chunked',
    raw: post('Transfer-Encoding: chunked\r\n', '5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n'),
    ours: 'accept',
  },
  { name: 'chunked, CHUNKED', raw: post('Transfer-Encoding: CHUNKED\r\n', '1\r\nx\r\n0\r\n\r\n'), ours: 'accept' },
  {
    name: 'chunked, upper hex',
    raw: post('Transfer-Encoding: chunked\r\n', '00A\r\n0123456789\r\n0\r\n\r\n'),
    ours: 'accept',
  },
  {
    name: 'chunked, extensions',
    raw: post('Transfer-Encoding: chunked\r\n', '5;a=b;c="d e";f\r\nhello\r\n0;z\r\n\r\n'),
    ours: 'accept',
  },
  {
    name: 'chunked, trailers',
    raw: post('Transfer-Encoding: chunked\r\n', '2\r\nab\r\n0\r\nX-Sum: 1\r\nX-B: 2\r\n\r\n'),
    ours: 'accept',
  },
  {
    name: 'body that looks like a request',
    raw: post('Content-Length: 26\r\n', `GET /x HTTP/1.1\r\n${H}\r\n`),
    ours: 'accept',
  },
  { name: 'pipelined GET GET', raw: `GET /1 HTTP/1.1\r\n${H}\r\nGET /2 HTTP/1.1\r\n${H}\r\n`, ours: 'accept' },
  {
    name: 'pipelined POST chunked then POST length then GET',
    raw:
      post('Transfer-Encoding: chunked\r\n', '3\r\nabc\r\n0\r\n\r\n') +
      post('Content-Length: 2\r\n', 'de') +
      `GET /3 HTTP/1.1\r\n${H}\r\n`,
    ours: 'accept',
  },
  { name: 'empty line before a request', raw: `\r\nGET / HTTP/1.1\r\n${H}\r\n`, ours: 'accept' },
  { name: 'connection close', raw: `GET / HTTP/1.1\r\n${H}Connection: close\r\n\r\n`, ours: 'accept' },
  { name: 'expect 100-continue', raw: post('Expect: 100-continue\r\nContent-Length: 1\r\n', 'x'), ours: 'accept' },
  // Refused by both.
  {
    name: 'CL and TE',
    raw: post('Content-Length: 3\r\nTransfer-Encoding: chunked\r\n', '0\r\n\r\n'),
    ours: 'HPE_INVALID_TRANSFER_ENCODING',
  },
  {
    name: 'TE and CL',
    raw: post('Transfer-Encoding: chunked\r\nContent-Length: 3\r\n', '0\r\n\r\n'),
    ours: 'HPE_INVALID_TRANSFER_ENCODING',
  },
  {
    name: 'two content-length',
    raw: post('Content-Length: 1\r\nContent-Length: 2\r\n', 'xy'),
    ours: 'HPE_UNEXPECTED_CONTENT_LENGTH',
  },
  {
    name: 'two equal content-length',
    raw: post('Content-Length: 1\r\nContent-Length: 1\r\n', 'x'),
    ours: 'HPE_UNEXPECTED_CONTENT_LENGTH',
  },
  { name: 'content-length not digits', raw: post('Content-Length: 1a\r\n', 'x'), ours: 'HPE_INVALID_CONTENT_LENGTH' },
  { name: 'content-length negative', raw: post('Content-Length: -1\r\n', ''), ours: 'HPE_INVALID_CONTENT_LENGTH' },
  {
    name: 'content-length trailing HTAB',
    raw: post('Content-Length: 1\t\r\n', 'x'),
    ours: 'HPE_INVALID_CONTENT_LENGTH',
  },
  {
    name: 'TE not chunked last',
    raw: post('Transfer-Encoding: chunked, gzip\r\n', 'x'),
    ours: 'HPE_INVALID_TRANSFER_ENCODING',
  },
  { name: 'obs-fold', raw: `GET / HTTP/1.1\r\n${H}X: a\r\n b\r\n\r\n`, ours: 'HPE_INVALID_HEADER_TOKEN' },
  { name: 'space before colon', raw: `GET / HTTP/1.1\r\n${H}X : a\r\n\r\n`, ours: 'HPE_INVALID_HEADER_TOKEN' },
  { name: 'NUL in value', raw: `GET / HTTP/1.1\r\n${H}X: a\0b\r\n\r\n`, ours: 'HPE_INVALID_HEADER_TOKEN' },
  { name: 'CTL in value', raw: `GET / HTTP/1.1\r\n${H}X: a\x07b\r\n\r\n`, ours: 'HPE_INVALID_HEADER_TOKEN' },
  { name: 'bare LF in field line', raw: `GET / HTTP/1.1\r\n${H}X: a\nY: b\r\n\r\n`, ours: 'HPE_CR_EXPECTED' },
  { name: 'bare CR in field line', raw: `GET / HTTP/1.1\r\n${H}X: a\rY: b\r\n\r\n`, ours: 'HPE_LF_EXPECTED' },
  {
    name: 'bad chunk size',
    raw: post('Transfer-Encoding: chunked\r\n', 'zz\r\nab\r\n0\r\n\r\n'),
    ours: 'HPE_INVALID_CHUNK_SIZE',
  },
  {
    name: 'chunk data too long',
    raw: post('Transfer-Encoding: chunked\r\n', '1\r\nab\r\n0\r\n\r\n'),
    ours: 'HPE_INVALID_CHUNK_SIZE',
  },
  {
    name: 'space before chunk extension',
    raw: post('Transfer-Encoding: chunked\r\n', '1 ;a\r\nx\r\n0\r\n\r\n'),
    ours: 'HPE_INVALID_CHUNK_SIZE',
  },
  { name: 'a method llhttp does not know', raw: `M-1~ / HTTP/1.1\r\n${H}\r\n`, ours: 'HPE_INVALID_METHOD' },
  { name: 'bad method', raw: `G(T / HTTP/1.1\r\n${H}\r\n`, ours: 'HPE_INVALID_METHOD' },
  { name: 'version 1.2', raw: `GET / HTTP/1.2\r\n${H}\r\n`, ours: 'HPE_INVALID_VERSION' },
  { name: 'no version', raw: `GET /\r\n${H}\r\n`, ours: 'HPE_INVALID_URL' },
  {
    name: 'headers over 16 KiB',
    raw: `GET / HTTP/1.1\r\n${H}X: ${'v'.repeat(17_000)}\r\n\r\n`,
    ours: 'HPE_HEADER_OVERFLOW',
  },
  {
    name: 'second request refused after a good one',
    raw: `GET /1 HTTP/1.1\r\n${H}\r\nGET /2 HTTP/1.1\r\nX : y\r\n\r\n`,
    ours: 'HPE_INVALID_HEADER_TOKEN',
  },
  // Refused by us, accepted by llhttp (ADR 0022).
  {
    name: 'TE gzip, chunked',
    raw: post('Transfer-Encoding: gzip, chunked\r\n', '1\r\nx\r\n0\r\n\r\n'),
    ours: 'HPE_INVALID_TRANSFER_ENCODING',
  },
  {
    name: 'two TE fields',
    raw: post('Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n', '0\r\n\r\n'),
    ours: 'HPE_INVALID_TRANSFER_ENCODING',
  },
  {
    name: 'TE on HTTP/1.0',
    raw: 'POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    ours: 'HPE_INVALID_TRANSFER_ENCODING',
  },
  { name: 'obs-text in the target', raw: `GET /caf\xe9 HTTP/1.1\r\n${H}\r\n`, ours: 'HPE_INVALID_URL' },
  { name: 'over 200 fields', raw: `GET / HTTP/1.1\r\n${'A: b\r\n'.repeat(201)}\r\n`, ours: 'HPE_HEADER_OVERFLOW' },
];

describe('client-side request parser vs llhttp', () => {
  const server = new LlhttpServer();
  before(() => server.start());
  after(() => server.stop());

  for (const testCase of CORPUS) {
    test(testCase.name, async () => {
      const mine = ours(testCase.raw);
      assert.equal(mine.error ?? 'accept', testCase.ours, 'our outcome');
      assert.deepEqual(ours(testCase.raw, 1), mine, 'the same outcome fed byte by byte');
      assertSafe(testCase.raw, mine, await server.parse(testCase.raw));
    });
  }

  test('mutated corpus cases: whatever we accept, llhttp accepts the same way', async () => {
    const accepted = CORPUS.filter((c) => c.ours === 'accept' && c.raw.length < 2_000).map((c) => c.raw);
    const mutation = fc.record({
      base: fc.constantFrom(...accepted),
      edits: fc.array(
        fc.record({
          at: fc.double({ min: 0, max: 1, noNaN: true }),
          remove: fc.integer({ min: 0, max: 3 }),
          insert: fc.constantFrom(
            '',
            ' ',
            '\t',
            '\r',
            '\n',
            '\r\n',
            '\0',
            ':',
            ';',
            ',',
            '0',
            'a',
            '"',
            '\xff',
            'chunked',
          ),
        }),
        { minLength: 1, maxLength: 3 },
      ),
    });
    const samples = fc.sample(mutation, { numRuns: 150, seed: 22 });
    for (const { base, edits } of samples) {
      let raw = base;
      for (const edit of edits) {
        const at = Math.floor(edit.at * raw.length);
        raw = raw.slice(0, at) + edit.insert + raw.slice(at + edit.remove);
      }
      assertSafe(raw, ours(raw), await server.parse(raw));
    }
  });
});

test('random bytes in random pieces: only Http1RequestError, and the same outcome as fed whole', () => {
  const alphabet = fc.constantFrom(
    ...'GET POST / HTTP/1.1 1.0 \r\n : ; = " , 0 5 a f z Host Content-Length Transfer-Encoding chunked \t \0 \xff'.split(
      ' ',
    ),
    ' ',
    '\r\n',
    '\r\n\r\n',
  );
  fc.assert(
    fc.property(fc.array(alphabet, { maxLength: 60 }), fc.integer({ min: 1, max: 7 }), (parts, step) => {
      const raw = `POST / HTTP/1.1\r\n${parts.join('')}`;
      assert.deepEqual(ours(raw, step), ours(raw));
    }),
    { numRuns: 2_000, seed: 22 },
  );
});
