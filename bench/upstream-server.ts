/**
 * The upstream every proxied target forwards to, shared by all of them so they are compared on
 * identical work; it answers any request with the same small fixed body. Child process, pinned
 * beside the load generator; prints {"port":N} when listening. argv[2] picks the implementation:
 *  - "raw" (default): a node:net server that frames HTTP/1.1 requests itself (head, then a
 *    Content-Length body if any; no chunked request bodies — proxied GETs have none) and writes a
 *    prebuilt response. It costs about a third of node:http per request, which keeps the core it
 *    shares with the load generator from saturating before a fast proxy does.
 *  - "node-http": a plain node:http server, for comparison.
 */
import http from 'node:http';
import net from 'node:net';
import { BODY, RESPONSE_HEADERS } from './fixed-response.ts';

const kind = process.argv[2] ?? 'raw';
const HEAD_END = Buffer.from('\r\n\r\n');
const MAX_HEAD = 64 * 1024;
const RESPONSE = Buffer.concat([
  Buffer.from(
    'HTTP/1.1 200 OK\r\n' +
      Object.entries(RESPONSE_HEADERS)
        .map(([name, value]) => `${name}: ${value}\r\n`)
        .join('') +
      'connection: keep-alive\r\n\r\n',
    'latin1',
  ),
  BODY,
]);

/** Answers each complete request on the socket with RESPONSE; closes on a malformed or oversized head. */
function serveRaw(socket: net.Socket): void {
  socket.setNoDelay(true);
  let pending: Buffer | undefined;
  let bodyLeft = 0;
  socket.on('data', (chunk: Buffer) => {
    let data = pending === undefined ? chunk : Buffer.concat([pending, chunk]);
    pending = undefined;
    let answers = 0;
    for (let guard = 0; guard < 10_000 && data.length > 0; guard++) {
      if (bodyLeft > 0) {
        const take = Math.min(bodyLeft, data.length);
        bodyLeft -= take;
        data = data.subarray(take);
        if (bodyLeft === 0) answers++;
        continue;
      }
      const end = data.indexOf(HEAD_END);
      if (end < 0) {
        if (data.length > MAX_HEAD) socket.destroy();
        else pending = data;
        break;
      }
      const head = data.toString('latin1', 0, end).toLowerCase();
      if (head.includes('\r\ntransfer-encoding:')) {
        socket.destroy();
        return;
      }
      bodyLeft = Number(/\r\ncontent-length:\s*(\d+)/.exec(head)?.[1] ?? 0);
      data = data.subarray(end + 4);
      if (bodyLeft === 0) answers++;
    }
    if (answers === 1) socket.write(RESPONSE);
    else if (answers > 1) socket.write(Buffer.concat(new Array<Buffer>(answers).fill(RESPONSE)));
  });
  socket.on('error', () => socket.destroy());
}

const server: net.Server =
  kind === 'node-http'
    ? http.createServer({ keepAliveTimeout: 120_000, headersTimeout: 130_000 }, (req, res) => {
        req.resume();
        res.writeHead(200, RESPONSE_HEADERS);
        res.end(BODY);
      })
    : net.createServer(serveRaw);
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('unexpected address');
  process.stdout.write(JSON.stringify({ port: address.port, kind }) + '\n');
});
process.on('SIGTERM', () => {
  server.close();
  if (server instanceof http.Server) server.closeAllConnections();
  else process.exit(0);
});
