/**
 * answerHttp1ClientError: what a client gets when Node's HTTP/1.1 parser (llhttp) refuses its bytes
 * before any handler saw a request (the http server's 'clientError'): Content-Length with
 * Transfer-Encoding, a repeated or invalid Content-Length, an obs-folded or otherwise invalid
 * header line, a bad chunk size, headers over the size limit, or headers that took too long.
 *
 * Node's own answer is a bare status line. Ours is the gateway's JSON error body (the same shape as
 * every other refusal) with `Connection: close`, as nginx answers, and the connection is closed
 * after it: once the framing is in doubt, nothing more on that connection can be trusted
 * (RFC 9112 §11.2, request smuggling). 431 for oversized headers (RFC 6585 §5), 408 for a request
 * that was not received in time (RFC 9110 §15.5.9), 400 for the rest (RFC 9112 §6.3).
 *
 * The answer is written only when the socket is still writable and no response on it has started:
 * a status line in the middle of another response would corrupt it, so then the socket is just
 * destroyed (what Node does too). The message names the kind of problem, never the bytes sent.
 */
import { STATUS_CODES } from 'node:http';
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import {
  GW_ERR_REQUEST_HEADERS_TOO_LARGE,
  GW_ERR_REQUEST_INVALID,
  GW_ERR_REQUEST_TIMEOUT,
} from '../../errors/index.ts';
import { errorBody, type PublicError } from '../pipeline/gateway-response.ts';
import type { FaultGuard } from '../guard/fault-guard.ts';

/** A client that does not read our answer does not keep its socket longer than this. */
const ANSWER_FLUSH_MS = 1_000;

/** llhttp error codes (`HPE_*`) → what the client is told was wrong. */
const PARSE_PROBLEMS: Readonly<Record<string, string>> = {
  HPE_INVALID_CONTENT_LENGTH: 'invalid Content-Length, or Content-Length with Transfer-Encoding',
  HPE_UNEXPECTED_CONTENT_LENGTH: 'more than one Content-Length',
  HPE_INVALID_TRANSFER_ENCODING: 'invalid Transfer-Encoding, or Transfer-Encoding with Content-Length',
  HPE_INVALID_CHUNK_SIZE: 'invalid chunk size',
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 'chunk extensions too large',
  HPE_INVALID_HEADER_TOKEN: 'invalid header line (a character not allowed, or a folded line)',
  HPE_INVALID_METHOD: 'invalid method',
  HPE_INVALID_URL: 'invalid request target',
  HPE_INVALID_VERSION: 'invalid HTTP version or line ending',
};

/** The answer for a parser error code; undefined when it is not a request problem (a reset, a write error). */
export function clientErrorAnswer(code: string | undefined): PublicError | undefined {
  if (code === 'HPE_HEADER_OVERFLOW') return GW_ERR_REQUEST_HEADERS_TOO_LARGE;
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return GW_ERR_REQUEST_TIMEOUT;
  if (code === undefined || !code.startsWith('HPE_')) return undefined;
  return GW_ERR_REQUEST_INVALID.create(PARSE_PROBLEMS[code] ?? 'malformed HTTP/1.1 request');
}

/** The whole response, head and JSON body, as one write. */
export function clientErrorResponse(error: PublicError): string {
  const body = errorBody(error);
  return (
    `HTTP/1.1 ${error.httpStatus} ${STATUS_CODES[error.httpStatus] ?? 'Error'}\r\n` +
    'content-type: application/json\r\n' +
    `content-length: ${Buffer.byteLength(body)}\r\n` +
    'cache-control: no-store\r\n' +
    'connection: close\r\n\r\n' +
    body
  );
}

/** The http server's 'clientError' handler; its timer and listener go through the data plane's guard. */
export function answerHttp1ClientError(error: NodeJS.ErrnoException, socket: Duplex, guard: FaultGuard): void {
  const answer = clientErrorAnswer(error.code);
  // node:http's own check (_http_server.js socketOnError): the response in progress on this socket.
  const inProgress = (socket as { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
  if (answer === undefined || !socket.writable || inProgress?.headersSent === true) {
    socket.destroy();
    return;
  }
  const target = socket instanceof Socket ? socket : undefined;
  const timer = guard.timeout(ANSWER_FLUSH_MS, 'connection', target, () => socket.destroy());
  timer.unref();
  guard.listenOnce(socket, 'close', 'connection', target, () => clearTimeout(timer));
  socket.end(clientErrorResponse(answer), () => socket.destroy());
}
