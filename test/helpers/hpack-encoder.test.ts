/**
 * The test HPACK encoder (test/helpers/hpack.ts) against the RFC's examples and against Node's own
 * HTTP/2 server: header blocks it encodes, written in hand-made frames on a raw socket, arrive as
 * exactly the fields that were encoded (short and long names and values, every octet a value may
 * hold, many fields, a block split over CONTINUATION frames).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http2, { type IncomingHttpHeaders } from 'node:http2';
import net, { type AddressInfo } from 'node:net';
import { encodeHeaderBlock, encodeInteger, type HeaderField } from './hpack.ts';
import { CLIENT_PREFACE, Flag, frame, FrameType, settingsPayload } from './h2-frames.ts';

describe('test HPACK encoder', () => {
  let server: http2.Http2Server;
  let port: number;
  /** Headers of each stream the server got, by the `x-case` header. */
  const received = new Map<string, IncomingHttpHeaders>();
  const waiting = new Map<string, (headers: IncomingHttpHeaders) => void>();

  before(async () => {
    server = http2.createServer();
    server.on('stream', (stream, headers) => {
      const name = String(headers['x-case']);
      received.set(name, headers);
      waiting.get(name)?.(headers);
      stream.respond({ ':status': 204 }, { endStream: true });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  after(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  /** Sends one request whose header block is `fields` (split into `pieces` frames); resolves with what Node decoded. */
  const decodedByNode = (name: string, fields: readonly HeaderField[], pieces = 1): Promise<IncomingHttpHeaders> =>
    new Promise((resolve, reject) => {
      const block = encodeHeaderBlock([
        [':method', 'GET'],
        [':scheme', 'http'],
        [':path', '/'],
        [':authority', 'hpack.test'],
        ['x-case', name],
        ...fields,
      ]);
      const size = Math.ceil(block.length / pieces);
      const frames = [CLIENT_PREFACE, frame(FrameType.SETTINGS, 0, 0, settingsPayload([]))];
      for (let at = 0, index = 0; at < block.length; at += size, index++) {
        const last = at + size >= block.length;
        const flags = (last ? Flag.END_HEADERS : 0) | (index === 0 ? Flag.END_STREAM : 0);
        frames.push(
          frame(index === 0 ? FrameType.HEADERS : FrameType.CONTINUATION, flags, 1, block.subarray(at, at + size)),
        );
      }
      const socket = net.connect(port, '127.0.0.1', () => socket.write(Buffer.concat(frames)));
      socket.on('data', () => undefined);
      socket.on('error', reject);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`Node's server never decoded case ${name}`));
      }, 5_000);
      waiting.set(name, (headers) => {
        clearTimeout(timer);
        socket.destroy();
        resolve(headers);
      });
    });

  test('integers with an N-bit prefix: the examples of RFC 7541 Appendix C.1', () => {
    assert.deepEqual([...encodeInteger(10, 5)], [0x0a]);
    assert.deepEqual([...encodeInteger(1337, 5)], [0x1f, 0x9a, 0x0a]);
    assert.deepEqual([...encodeInteger(42, 8)], [0x2a]);
    assert.deepEqual([...encodeInteger(127, 7)], [0x7f, 0x00], 'the prefix limit itself takes a second octet');
  });

  test('Node decodes short, long and empty names and values, and every octet a value may hold', async () => {
    const everyOctet = Buffer.from(
      Array.from({ length: 256 }, (_, octet) => octet).filter(
        (octet) => octet === 0x09 || (octet >= 0x20 && octet !== 0x7f),
      ),
    );
    const longName = `x-${'n'.repeat(200)}`;
    const headers = await decodedByNode(
      'values',
      [
        ['x-short', 'v'],
        ['x-empty', ''],
        [longName, 'w'.repeat(300)],
        ['x-octets', `<${everyOctet.toString('latin1')}>`],
        ['x-big', 'b'.repeat(16_000)],
      ],
      2,
    ); // over 16 KiB: more than one frame (SETTINGS_MAX_FRAME_SIZE)
    assert.equal(headers['x-short'], 'v');
    assert.equal(headers['x-empty'], '');
    assert.equal(headers[longName], 'w'.repeat(300));
    assert.equal(headers['x-octets'], `<${everyOctet.toString('latin1')}>`);
    assert.equal(headers['x-big'], 'b'.repeat(16_000));
  });

  test('Node decodes many fields, repeated names, and a block split over CONTINUATION frames', async () => {
    const many: HeaderField[] = Array.from({ length: 100 }, (_, index) => [`x-field-${index}`, String(index)]);
    const headers = await decodedByNode('many', [...many, ['x-repeated', 'a'], ['x-repeated', 'b']], 7);
    for (let index = 0; index < 100; index++) assert.equal(headers[`x-field-${index}`], String(index));
    assert.equal(headers['x-repeated'], 'a, b');
  });
});
