/**
 * ResponseSinks for the two client protocols. Each is idempotent: once the response has failed or the
 * client is gone, later calls do nothing (an upstream error and an upstream close may both report).
 */
import http2, { type ServerHttp2Stream } from 'node:http2';
import type { ServerResponse } from 'node:http';
import type { Writable } from 'node:stream';
import { sendHttp1Error, sendHttp2Error, type PublicError } from '../gateway-response.ts';
import type { HeaderMap } from './hop-by-hop.ts';
import type { ResponseSink } from './exchange.ts';

export class Http1Sink implements ResponseSink {
  readonly #res: ServerResponse;
  readonly #closeAfter: boolean;
  #failed = false;

  constructor(res: ServerResponse, closeAfter: boolean) {
    this.#res = res;
    this.#closeAfter = closeAfter;
  }

  start(status: number, headers: HeaderMap): Writable | null {
    const res = this.#res;
    if (this.#failed || res.destroyed) return null;
    if (this.#closeAfter) headers.connection = 'close';
    res.writeHead(status, headers);
    return res;
  }

  trailers(): void {
    // HTTP/1.1 clients get no trailers: chunked trailers need a declared Trailer header and are
    // rarely read; gRPC (which needs them) only runs over HTTP/2.
  }

  fail(error: PublicError): void {
    if (this.#failed || this.#res.writableEnded) return;
    this.#failed = true;
    sendHttp1Error(this.#res, error, this.#closeAfter);
  }

  onAbort(callback: () => void): void {
    const res = this.#res;
    res.once('close', () => {
      if (!res.writableFinished) callback();
    });
  }
}

export class Http2Sink implements ResponseSink {
  readonly #stream: ServerHttp2Stream;
  readonly #grpc: boolean;
  #trailers: HeaderMap | undefined;
  #failed = false;

  constructor(stream: ServerHttp2Stream, grpc: boolean) {
    this.#stream = stream;
    this.#grpc = grpc;
  }

  start(status: number, headers: HeaderMap, endStream: boolean, expectTrailers: boolean): Writable | null {
    const stream = this.#stream;
    if (this.#failed || stream.destroyed || stream.closed) return null;
    headers[':status'] = String(status);
    if (expectTrailers) {
      stream.once('wantTrailers', () => {
        stream.sendTrailers(this.#trailers ?? {});
      });
    }
    stream.respond(headers, { endStream, waitForTrailers: expectTrailers });
    return stream;
  }

  trailers(trailers: HeaderMap): void {
    this.#trailers = trailers;
  }

  fail(error: PublicError): void {
    if (this.#failed) return;
    this.#failed = true;
    sendHttp2Error(this.#stream, error, this.#grpc);
  }

  onAbort(callback: () => void): void {
    const stream = this.#stream;
    stream.once('close', () => {
      if (stream.rstCode !== http2.constants.NGHTTP2_NO_ERROR || !stream.writableFinished) callback();
    });
  }
}
