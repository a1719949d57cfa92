import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChunkedBodyDecoder, type ChunkedRefusal } from './chunked-body-decoder.ts';

class Refused extends Error {
  constructor(readonly reason: ChunkedRefusal) {
    super(reason);
  }
}

interface Outcome {
  body: string;
  ended: boolean;
  /** Where decode() stopped after the end (bytes after it are not the body's). */
  stoppedAt: number;
  trailers: string[];
  refused?: ChunkedRefusal;
}

/** Decodes `input` (latin1) in pieces of `step` bytes, with a trailer cap of `maxTrailer`. */
function decode(input: string, step = input.length, maxTrailer = 64): Outcome {
  const outcome: Outcome = { body: '', ended: false, stoppedAt: -1, trailers: [] };
  const decoder = new ChunkedBodyDecoder(
    {
      onChunkData: (chunk) => (outcome.body += chunk.toString('latin1')),
      onChunkedEnd: () => (outcome.ended = true),
      checkTrailerBytes: (buffer, sectionStart, from, to) => {
        for (let k = from; k < to; k += 1) {
          if (buffer[k] === 0x0a && (k === sectionStart || buffer[k - 1] !== 0x0d)) throw new Error('bare LF');
        }
      },
      validateTrailerFields: (text) => {
        if (text !== '') outcome.trailers.push(text); // an empty section split across reads is validated as ''
      },
      refusal: (reason) => new Refused(reason),
    },
    maxTrailer,
  );
  decoder.reset();
  const bytes = Buffer.from(input, 'latin1');
  try {
    for (let offset = 0; offset < bytes.length; offset += step) {
      const piece = bytes.subarray(offset, Math.min(offset + step, bytes.length));
      const next = decoder.decode(piece, 0);
      if (!decoder.decoding) {
        outcome.stoppedAt = offset + next;
        break;
      }
      assert.equal(next, piece.length);
    }
  } catch (error) {
    if (!(error instanceof Refused)) throw error;
    outcome.refused = error.reason;
  }
  return outcome;
}

test('decodes chunks, extensions and the last chunk, and stops right after the body', () => {
  const body = '3;a=b;c="x \\" y"\r\nabc\r\nA\r\n0123456789\r\n000\r\n\r\nNEXT';
  for (const step of [body.length, 7, 1]) {
    const outcome = decode(body, step);
    assert.equal(outcome.body, 'abc0123456789', `step ${step}`);
    assert.equal(outcome.ended, true);
    assert.equal(outcome.stoppedAt, body.length - 'NEXT'.length);
    assert.deepEqual(outcome.trailers, []);
  }
});

test('hands a trailer section to the parser to validate, in one piece or split', () => {
  const body = '1\r\nx\r\n0\r\nT: 1\r\nU: 2\r\n\r\n';
  assert.deepEqual(decode(body).trailers, ['T: 1\r\nU: 2\r\n']);
  assert.deepEqual(decode(body, 1).trailers, ['T: 1\r\nU: 2\r\n']);
  assert.equal(decode(body, 1).stoppedAt, body.length);
  // An empty section split right after the last-chunk line.
  assert.deepEqual(decode('0\r\n\r\n', 4), { body: '', ended: true, stoppedAt: 5, trailers: [] });
});

test('refuses bad chunk sizes and line ends', () => {
  const cases: [string, ChunkedRefusal][] = [
    ['g\r\n', 'bad-chunk-size'],
    ['\r\n', 'bad-chunk-size'],
    ['1 \r\nx\r\n', 'bad-chunk-extension'],
    [' 1\r\nx\r\n', 'bad-chunk-size'],
    ['12345678901234567\r\n', 'bad-chunk-size'], // 17 digits
    ['20000000000000\r\n', 'bad-chunk-size'], // over 2^53 - 1
    ['1\nx\r\n', 'bad-chunk-line'],
    ['1\r\nxy\r\n', 'bad-chunk-data-end'],
    ['1\r\nx\rz', 'bad-chunk-data-end'],
    ['1;\r\nx\r\n', 'bad-chunk-extension'],
    ['1;a=\r\nx\r\n', 'bad-chunk-extension'],
    ['1;a="b\r\nx\r\n', 'bad-chunk-extension'],
    ['1; a\r\nx\r\n', 'bad-chunk-extension'],
    [`1;${'e'.repeat(5000)}\r\nx\r\n`, 'chunk-extension-too-large'],
    [`1;${'e'.repeat(4096)}\r\nx\r\n`, 'chunk-extension-too-large'], // ";" + 4096 is over
  ];
  for (const [input, reason] of cases) {
    for (const step of [input.length, 1]) {
      assert.equal(decode(input, step).refused, reason, `${JSON.stringify(input.slice(0, 30))} step ${step}`);
    }
  }
  // The cap is exact: 4096 bytes of extensions are fine.
  assert.equal(decode(`1;${'e'.repeat(4095)}\r\nx\r\n0\r\n\r\n`).body, 'x');
});

test('a chunk-size line never buffered past its cap: blames the size or the extensions', () => {
  assert.equal(decode('1'.repeat(5000)).refused, 'bad-chunk-size');
  assert.equal(decode('1'.repeat(5000), 100).refused, 'bad-chunk-size');
  assert.equal(decode(`1;${'e'.repeat(5000)}`, 100).refused, 'chunk-extension-too-large');
});

test('caps the trailer section like a head, and passes its bytes to the line-end check', () => {
  const big = `0\r\nT: ${'v'.repeat(80)}\r\n\r\n`;
  assert.equal(decode(big).refused, 'trailer-section-too-large');
  assert.equal(decode(big, 5).refused, 'trailer-section-too-large');
  assert.equal(decode(`0\r\nT: ${'v'.repeat(50)}\r\n\r\n`, 5).trailers.length, 1);
  assert.throws(() => decode('0\r\nT: 1\nU: 2\r\n\r\n'), /bare LF/);
  assert.throws(() => decode('0\r\nT: 1\nU: 2\r\n\r\n', 3), /bare LF/);
});

test('the parser sees refusals through its own error, and the decoder is reusable after reset()', () => {
  const decoder = new ChunkedBodyDecoder(
    {
      onChunkData: () => undefined,
      onChunkedEnd: () => undefined,
      checkTrailerBytes: () => undefined,
      validateTrailerFields: () => undefined,
      refusal: (reason, detail) => new TypeError(`${reason}: ${detail}`),
    },
    64,
  );
  decoder.reset();
  assert.throws(() => decoder.decode(Buffer.from('z\r\n'), 0), { name: 'TypeError', message: /bad-chunk-size/ });
  decoder.reset();
  assert.equal(decoder.decode(Buffer.from('0\r\n\r\n'), 0), 5);
  assert.equal(decoder.decoding, false);
});
