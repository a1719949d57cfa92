/**
 * Http1GatewayRequest: one HTTP/1.1 request of `portcullis serve` (ADR 0022) as the GatewayPipeline
 * sees it (gateway-pipeline.ts GatewayRequest). The exchange is the request, the response and the
 * sink at once, and counts its own bytes: this object is all a request adds.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { GatewayRequest, ResponseReport, SinkOptions } from '../pipeline/gateway-pipeline.ts';
import { authorityHost } from '../pipeline/host-decision.ts';
import type { ResponseSink } from '../upstream/exchange.ts';
import type { Http1Exchange } from './h1/http1-exchange.ts';

/**
 * The status recorded when the client went away before any response header was sent (nginx's 499
 * "client closed request"): no status was ever sent, and analytics must not say 200.
 */
export const CLIENT_CLOSED_REQUEST = 499;

export class Http1GatewayRequest implements GatewayRequest {
  readonly host: string;
  readonly version = 'HTTP/1.1';
  readonly authority: string;
  // Never a gRPC call (see isGrpcCall): proxied over HTTP/1.1 like any other request.
  readonly grpc = false;
  readonly #exchange: Http1Exchange;
  readonly #draining: boolean;
  #report: ResponseReport | undefined;

  constructor(exchange: Http1Exchange, draining: boolean) {
    const authority = exchange.headers.host ?? '';
    this.host = authorityHost(authority);
    this.authority = authority;
    this.#exchange = exchange;
    this.#draining = draining;
  }

  get method(): string {
    return this.#exchange.method;
  }

  get target(): string {
    return this.#exchange.target;
  }

  get headers(): IncomingHttpHeaders {
    return this.#exchange.headers;
  }

  get rawHeaders(): readonly string[] {
    return this.#exchange.rawHeaders;
  }

  get clientAddress(): string {
    return this.#exchange.socket.remoteAddress ?? '';
  }

  socket(): TLSSocket | undefined {
    return this.#exchange.socket;
  }

  body(): Readable | null {
    return this.#exchange.body();
  }

  sink({ closeConnection }: SinkOptions): ResponseSink {
    return this.#exchange.asSink(closeConnection || this.#draining);
  }

  onDone(report: ResponseReport): void {
    this.#report = report;
    this.#exchange.onClose(this.#closed);
  }

  /** The exchange is over: its status (or 499), body bytes in (chunked: counted; else as declared), bytes out. */
  readonly #closed = (): void => {
    const exchange = this.#exchange;
    this.#report?.done(
      exchange.headersSent ? exchange.statusCode : CLIENT_CLOSED_REQUEST,
      exchange.chunked ? exchange.bodyBytesIn : contentLength(exchange.headers['content-length']),
      exchange.bytesOut,
    );
  };
}

/** A content-length header as received (text) or as we sent it (node:http2 keeps the number we gave). */
export function contentLength(value: string | number | string[] | undefined): number {
  const length = typeof value === 'number' ? value : Number(typeof value === 'string' ? value : undefined);
  return Number.isSafeInteger(length) && length >= 0 ? length : 0;
}
