/**
 * Raw bytes over a real TLS connection, for inputs a client library refuses to send: malformed
 * HTTP/1.1 (both framing headers, folded lines, bad chunk sizes) and hand-made HTTP/2 frames (HPACK
 * literals holding CR, LF or NUL, uppercase names). Every wait is bounded.
 */
import tls, { type TLSSocket } from 'node:tls';

export interface RawTlsTarget {
  port: number;
  ca: string;
  servername?: string;
  cert?: string;
  key?: string;
}

export interface RawHttp1Answer {
  /** 0 when the connection closed without a status line. */
  status: number;
  /** Lowercase names; the last value of a repeated header. */
  headers: Record<string, string>;
  body: string;
  /** Everything received, as latin1 text. */
  raw: string;
  /** The server closed the connection (within the wait). */
  closed: boolean;
}

function connect(target: RawTlsTarget, alpn: string): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host: '127.0.0.1',
      port: target.port,
      ca: target.ca,
      servername: target.servername ?? 'localhost',
      cert: target.cert,
      key: target.key,
      ALPNProtocols: [alpn],
    });
    socket.once('secureConnect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Writes `bytes` on a new HTTP/1.1 connection and reads until the server closes it (at most `waitMs`). */
export async function sendRawHttp1(
  target: RawTlsTarget,
  bytes: string | Buffer,
  waitMs = 3_000,
): Promise<RawHttp1Answer> {
  const socket = await connect(target, 'http/1.1');
  const chunks: Buffer[] = [];
  const closed = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), waitMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
    socket.write(bytes);
  });
  socket.destroy();
  const raw = Buffer.concat(chunks).toString('latin1');
  const headEnd = raw.indexOf('\r\n\r\n');
  const head = headEnd < 0 ? raw : raw.slice(0, headEnd);
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const status = /^HTTP\/1\.1 (\d{3}) /.exec(statusLine)?.[1];
  return {
    status: status === undefined ? 0 : Number(status),
    headers,
    body: headEnd < 0 ? '' : raw.slice(headEnd + 4),
    raw,
    closed,
  };
}

// ---- HTTP/2 (RFC 9113) with a hand-made HPACK block (RFC 7541) -----------------------------------

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
const FRAME_HEADERS = 0x1;
const FRAME_RST_STREAM = 0x3;
const FRAME_SETTINGS = 0x4;
const FRAME_GOAWAY = 0x7;
const FLAG_END_STREAM = 0x1;
const FLAG_ACK = 0x1;
const FLAG_END_HEADERS = 0x4;

/** RFC 7541 §5.1 integer with an N-bit prefix. */
function hpackInteger(value: number, prefixBits: number, flags: number): number[] {
  const max = (1 << prefixBits) - 1;
  if (value < max) return [flags | value];
  const bytes = [flags | max];
  let rest = value - max;
  while (rest >= 128) {
    bytes.push((rest % 128) + 128);
    rest = Math.floor(rest / 128);
  }
  bytes.push(rest);
  return bytes;
}

function hpackString(text: string): number[] {
  const bytes = Buffer.from(text, 'latin1');
  return [...hpackInteger(bytes.length, 7, 0), ...bytes]; // H = 0: no Huffman coding
}

/** RFC 7541 §6.2.2: a literal field without indexing, new name, sent byte for byte as given. */
export function hpackLiteral(name: string, value: string): Buffer {
  return Buffer.from([0x00, ...hpackString(name), ...hpackString(value)]);
}

/** A GET for `path` on `authority` (static table :method GET, :scheme https), then `extra` fields. */
export function hpackRequest(authority: string, path: string, extra: Buffer[] = []): Buffer {
  return Buffer.concat([
    Buffer.from([0x82, 0x87]),
    hpackLiteral(':path', path),
    hpackLiteral(':authority', authority),
    ...extra,
  ]);
}

function frame(type: number, flags: number, streamId: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(9);
  header.writeUIntBE(payload.length, 0, 3);
  header[3] = type;
  header[4] = flags;
  header.writeUInt32BE(streamId, 5);
  return Buffer.concat([header, payload]);
}

export type RawHttp2Outcome =
  | { kind: 'reset'; errorCode: number }
  | { kind: 'response' }
  | { kind: 'goaway'; errorCode: number }
  | { kind: 'nothing' };

/**
 * Opens an HTTP/2 connection, sends `headerBlock` as stream 1 (END_STREAM, END_HEADERS) and reports
 * what the server did with that stream first: reset it, answered it (a HEADERS frame), or ended
 * the whole connection.
 */
export async function sendRawHttp2(
  target: RawTlsTarget,
  headerBlock: Buffer,
  waitMs = 3_000,
): Promise<RawHttp2Outcome> {
  const socket = await connect(target, 'h2');
  try {
    return await new Promise<RawHttp2Outcome>((resolve) => {
      const timer = setTimeout(() => resolve({ kind: 'nothing' }), waitMs);
      const done = (outcome: RawHttp2Outcome): void => {
        clearTimeout(timer);
        resolve(outcome);
      };
      let buffered = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        buffered = Buffer.concat([buffered, chunk]);
        while (buffered.length >= 9) {
          const length = buffered.readUIntBE(0, 3);
          if (buffered.length < 9 + length) return;
          const type = buffered[3];
          const flags = buffered[4] as number;
          const streamId = buffered.readUInt32BE(5) & 0x7fffffff;
          const payload = buffered.subarray(9, 9 + length);
          buffered = buffered.subarray(9 + length);
          if (type === FRAME_SETTINGS && (flags & FLAG_ACK) === 0) {
            socket.write(frame(FRAME_SETTINGS, FLAG_ACK, 0, Buffer.alloc(0)));
          } else if (type === FRAME_RST_STREAM && streamId === 1) {
            done({ kind: 'reset', errorCode: payload.readUInt32BE(0) });
          } else if (type === FRAME_HEADERS && streamId === 1) {
            done({ kind: 'response' });
          } else if (type === FRAME_GOAWAY) {
            done({ kind: 'goaway', errorCode: payload.readUInt32BE(4) });
          }
        }
      });
      socket.on('error', () => undefined);
      socket.once('close', () => done({ kind: 'nothing' }));
      socket.write(
        Buffer.concat([
          PREFACE,
          frame(FRAME_SETTINGS, 0, 0, Buffer.alloc(0)),
          frame(FRAME_HEADERS, FLAG_END_STREAM | FLAG_END_HEADERS, 1, headerBlock),
        ]),
      );
    });
  } finally {
    socket.destroy();
  }
}

/** RFC 9113 §7. */
export const H2_PROTOCOL_ERROR = 0x1;
