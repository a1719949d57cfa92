/**
 * The request body of an HTTP/2 stream as a plain Readable. The stream itself is a Duplex that also
 * carries our response, and the upstream client destroys a request body when the client went away.
 *
 * A client reset (RST_STREAM) destroys the body with an error. Its consumer hears it on its own
 * listener, but there may be no consumer yet: an exchange waiting for an upstream connection (every
 * connection of the pool busy) has not started reading. Without a listener of its own, that error
 * was thrown at the process. The body's listener ignores it: the exchange is dropped when the
 * client's response closes (ResponseSink.onAbort).
 */
import type { ServerHttp2Stream } from 'node:http2';
import { PassThrough, type Readable } from 'node:stream';
import { byteCounter } from './byte-counter.ts';
import type { FaultGuard } from '../guard/fault-guard.ts';

/** `onBytes`: told of every chunk's size as it passes (analytics' bytes in: gRPC declares no length). */
export function requestBodyOf(
  stream: ServerHttp2Stream,
  guard: FaultGuard,
  onBytes?: (bytes: number) => void,
): Readable {
  const body = onBytes === undefined ? new PassThrough() : byteCounter(onBytes);
  guard.attach(body, 'error', guard.expectedError);
  stream.pipe(body);
  guard.listenOnce(stream, 'aborted', 'request_body', stream, () =>
    body.destroy(new Error('client aborted the request')),
  );
  return body;
}
