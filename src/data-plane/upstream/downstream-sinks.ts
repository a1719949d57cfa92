/**
 * The ResponseSink of an HTTP/2 client stream (HTTP/1.1's is the exchange itself,
 * listeners/h1/http1-exchange.ts). It is idempotent: once the response has failed or the
 * client is gone, later calls do nothing (an upstream error and an upstream close may both report).
 * Its listeners on the client's stream are guarded (stage `response`, fault-guard.ts).
 */
import http2, { type ServerHttp2Stream } from 'node:http2';
import type { Writable } from 'node:stream';
import { sendHttp2Error, type PublicError } from '../pipeline/gateway-response.ts';
import type { HeaderMap } from './hop-by-hop.ts';
import type { ResponseShape, ResponseSink } from './exchange.ts';
import type { FaultGuard } from '../guard/fault-guard.ts';

export class Http2Sink implements ResponseSink {
  readonly #stream: ServerHttp2Stream;
  readonly #grpc: boolean;
  readonly #guard: FaultGuard;
  #trailers: HeaderMap | undefined;
  #failed = false;
  /** Body bytes forwarded to the client (sentBody). */
  bodyBytes = 0;

  constructor(stream: ServerHttp2Stream, grpc: boolean, guard: FaultGuard) {
    this.#stream = stream;
    this.#grpc = grpc;
    this.#guard = guard;
  }

  start(status: number, headers: HeaderMap, shape: ResponseShape): Writable | null {
    const stream = this.#stream;
    if (this.#failed || stream.destroyed || stream.closed) return null;
    headers[':status'] = String(status);
    if (shape.expectTrailers) {
      this.#guard.listenOnce(stream, 'wantTrailers', 'response', stream, () => {
        stream.sendTrailers(this.#trailers ?? {});
      });
    }
    stream.respond(headers, { endStream: shape.endStream, waitForTrailers: shape.expectTrailers });
    return stream;
  }

  trailers(trailers: HeaderMap): void {
    this.#trailers = trailers;
  }

  sentBody(bytes: number): void {
    this.bodyBytes += bytes;
  }

  fail(error: PublicError): void {
    if (this.#failed) return;
    this.#failed = true;
    sendHttp2Error(this.#stream, error, { grpc: this.#grpc });
  }

  onAbort(callback: () => void): void {
    const stream = this.#stream;
    this.#guard.listenOnce(stream, 'close', 'response', stream, () => {
      if (stream.rstCode !== http2.constants.NGHTTP2_NO_ERROR || !stream.writableFinished) callback();
    });
  }
}
