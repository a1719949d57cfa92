/**
 * The request body of an HTTP/2 stream as a plain Readable. The stream itself is a Duplex that also
 * carries our response, and the upstream client destroys a request body when the client went away.
 */
import type { ServerHttp2Stream } from 'node:http2';
import { PassThrough, type Readable } from 'node:stream';
import { byteCounter } from './byte-counter.ts';
import type { FaultGuard } from '../fault-guard.ts';

/** `onBytes`: told of every chunk's size as it passes (analytics' bytes in: gRPC declares no length). */
export function requestBodyOf(
  stream: ServerHttp2Stream,
  guard: FaultGuard,
  onBytes?: (bytes: number) => void,
): Readable {
  const body = onBytes === undefined ? new PassThrough() : byteCounter(onBytes);
  stream.pipe(body);
  guard.listenOnce(stream, 'aborted', 'request_body', stream, () =>
    body.destroy(new Error('client aborted the request')),
  );
  return body;
}
