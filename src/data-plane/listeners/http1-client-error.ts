/**
 * answerHttp1ClientError: what a client gets when the HTTP/1.1 loop's request parser
 * (h1/request-parser.ts, ADR 0022) refuses its bytes, or a request head or body does not arrive in
 * time: Content-Length with Transfer-Encoding, a repeated or invalid Content-Length, an obs-folded or
 * otherwise invalid header line, a bad chunk size, headers over the size limit, or headers that
 * took too long. The parser reports llhttp's `HPE_*` codes, the contract this file kept when
 * node:http's parser was the one refusing.
 *
 * The answer is the gateway's JSON error body (the same shape as every other refusal) with
 * `Connection: close`, as nginx answers, and the connection is closed after it: once the framing is
 * in doubt, nothing more on that connection can be trusted (RFC 9112 §11.2, request smuggling). 431
 * for oversized headers (RFC 6585 §5), 408 for a request that was not received in time (RFC 9110
 * §15.5.9), 400 for the rest (RFC 9112 §6.3). The message names the kind of problem, never the bytes
 * sent.
 *
 * answerHttp1ClientError writes it on a connection with no response under way (the loop answers a
 * request whose handler already runs through its exchange instead, or cuts a started response), and
 * only while the socket is still writable.
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
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

/** Answers and closes; its timer and listener go through the data plane's guard. */
export function answerHttp1ClientError(error: { readonly code?: string }, socket: Socket, guard: FaultGuard): void {
  const answer = clientErrorAnswer(error.code);
  if (answer === undefined || !socket.writable) {
    socket.destroy();
    return;
  }
  const timer = guard.timeout(ANSWER_FLUSH_MS, 'connection', socket, () => socket.destroy());
  timer.unref();
  guard.listenOnce(socket, 'close', 'connection', socket, () => clearTimeout(timer));
  socket.end(clientErrorResponse(answer), () => socket.destroy());
}
