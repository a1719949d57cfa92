/**
 * ResponseSinks for the two client protocols. Each is idempotent: once the response has failed or the
 * client is gone, later calls do nothing (an upstream error and an upstream close may both report).
 * Their listeners on the client's response are guarded (stage `response`, fault-guard.ts).
 */
import http2, { type ServerHttp2Stream } from 'node:http2';
import type { ServerResponse } from 'node:http';
import type { Writable } from 'node:stream';
import { sendHttp1Error, sendHttp2Error, type PublicError } from '../pipeline/gateway-response.ts';
import type { HeaderMap } from './hop-by-hop.ts';
import type { ResponseShape, ResponseSink } from './exchange.ts';
import type { FaultGuard } from '../guard/fault-guard.ts';

/**
 * The one 'close' listener of an HTTP/1.1 response, shared by everything that must know when the
 * response is over (the forwarder's abort handling, the analytics report; serve's
 * Http1GatewayRequest). Each further listener costs a `once` wrapper and turns the emitter's single
 * listener into an array: about 2 % of a proxied request (measured with `npm run bench:paired`).
 */
export interface ResponseCloseHub {
  /** `callback`, once, if the response closes before it finished (the client went away). */
  onAbort(callback: () => void): void;
}

export class Http1Sink implements ResponseSink {
  readonly #res: ServerResponse;
  readonly #closeAfter: boolean;
  readonly #guard: FaultGuard;
  readonly #closeHub: ResponseCloseHub | undefined;
  #failed = false;

  /** `closeHub`: the response's shared 'close' listener, when something else listens too. */
  constructor(res: ServerResponse, closeAfter: boolean, guard: FaultGuard, closeHub?: ResponseCloseHub) {
    this.#res = res;
    this.#closeAfter = closeAfter;
    this.#guard = guard;
    this.#closeHub = closeHub;
  }

  start(status: number, headers: HeaderMap, shape: ResponseShape): Writable | null {
    const res = this.#res;
    if (this.#failed || res.destroyed) return null;
    if (this.#closeAfter) headers.connection = 'close';
    res.writeHead(status, headers);
    // A bodiless answer (an HTTP/2 upstream's HEADERS with END_STREAM): nobody writes or ends the body.
    if (shape.endStream) res.end();
    return res;
  }

  trailers(): void {
    // HTTP/1.1 clients get no trailers: chunked trailers need a declared Trailer header and are
    // rarely read; gRPC (which needs them) only runs over HTTP/2.
  }

  fail(error: PublicError): void {
    if (this.#failed || this.#res.writableEnded) return;
    this.#failed = true;
    sendHttp1Error(this.#res, error, { closeConnection: this.#closeAfter });
  }

  sentBody(): void {
    // HTTP/1.1 bytes out are read from the connection's write counter (one response at a time).
  }

  onAbort(callback: () => void): void {
    if (this.#closeHub !== undefined) {
      this.#closeHub.onAbort(callback);
      return;
    }
    const res = this.#res;
    this.#guard.listenOnce(res, 'close', 'response', res, () => {
      if (!res.writableFinished) callback();
    });
  }
}

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
