/**
 * The body of a chunked HTTP/1.1 request (RFC 9112 §7.1: no declared length), counted as it is
 * forwarded. Bodies with a Content-Length are handed to the upstream as they are: the header already
 * says their size, and they keep the direct path.
 *
 * pipeline() ties the two ends together as if the upstream client read the request itself: a client
 * that aborts mid-upload fails the body (the exchange is also aborted when the response closes), and
 * a body the upstream client destroys (the client went away) destroys the request. When the upstream
 * fails instead, the upstream client reads the rest and drops it, so the client gets its 502.
 */
import type { IncomingMessage } from 'node:http';
import { pipeline, type Readable } from 'node:stream';
import { byteCounter } from './byte-counter.ts';

export function countedHttp1Body(req: IncomingMessage, onBytes: (bytes: number) => void): Readable {
  return pipeline(req, byteCounter(onBytes), () => {
    // Errors reach the upstream client through the body stream itself; nothing else to do here.
  });
}
