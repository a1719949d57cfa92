/**
 * Http1GatewayRequest: one HTTP/1.1 request of `portcullis serve` as the GatewayPipeline sees it
 * (gateway-pipeline.ts GatewayRequest), and its response's one 'close' listener
 * (downstream-sinks.ts ResponseCloseHub) for the analytics report and the forwarder's abort.
 *
 * One object per request, with methods rather than closures, and the 'close' listener is one
 * function for every response (FaultGuard.wrapShared) that finds the request on the response: a
 * request on a keep-alive connection allocates this object and its sink, nothing else here.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { TLSSocket } from 'node:tls';
import type { FaultGuard, Guarded } from '../guard/fault-guard.ts';
import type { GatewayRequest, ResponseReport, SinkOptions } from '../pipeline/gateway-pipeline.ts';
import { authorityHost } from '../pipeline/host-decision.ts';
import { Http1Sink, type ResponseCloseHub } from '../upstream/downstream-sinks.ts';
import type { ResponseSink } from '../upstream/exchange.ts';
import { countedHttp1Body } from '../upstream/http1-request-body.ts';

/**
 * The status recorded when the client went away before any response header was sent (nginx's 499
 * "client closed request"): no status was ever sent, and analytics must not say 200.
 */
export const CLIENT_CLOSED_REQUEST = 499;

const kRequest = Symbol('portcullis.gatewayRequest');
type ResponseOfRequest = ServerResponse & { [kRequest]?: Http1GatewayRequest };

/** What every request of one handler shares: made once per handler. */
export interface Http1RequestContext {
  readonly guard: FaultGuard;
  /** The 'close' listener of every response (responseCloseListener). */
  readonly onResponseClose: Guarded<[]>;
  /** Draining (SIGTERM): answers close their connection. */
  readonly draining: () => boolean;
}

/** The one 'close' listener of every response of a handler. */
export function responseCloseListener(guard: FaultGuard): Guarded<[]> {
  return guard.wrapShared('response', (res) => (res as ResponseOfRequest)[kRequest]?.closed());
}

export class Http1GatewayRequest implements GatewayRequest, ResponseCloseHub {
  readonly host: string;
  readonly method: string;
  readonly target: string;
  readonly version = 'HTTP/1.1';
  readonly headers: IncomingHttpHeaders;
  readonly rawHeaders: readonly string[];
  readonly clientAddress: string;
  readonly authority: string;
  // Never a gRPC call (see isGrpcCall): proxied over HTTP/1.1 like any other request.
  readonly grpc = false;
  readonly #req: IncomingMessage;
  readonly #res: ServerResponse;
  readonly #context: Http1RequestContext;
  /** Node's parser refuses a request with both headers (RFC 9112 §6.3), so chunked means no declared length. */
  readonly #chunked: boolean;
  #chunkedBytesIn = 0;
  #listening = false;
  #closed = false;
  #report: ResponseReport | undefined;
  /** The connection's bytes written when the request came in (requests on a connection are sequential). */
  #writtenBefore = 0;
  /** The forwarder's abort callback(s): one in practice. */
  #onAbort: (() => void) | (() => void)[] | undefined;

  constructor(req: IncomingMessage, res: ServerResponse, url: string, context: Http1RequestContext) {
    const headers = req.headers;
    const authority = headers.host ?? '';
    this.host = authorityHost(authority);
    this.method = req.method ?? 'GET';
    this.target = url;
    this.headers = headers;
    this.rawHeaders = req.rawHeaders;
    this.clientAddress = req.socket.remoteAddress ?? '';
    this.authority = authority;
    this.#req = req;
    this.#res = res;
    this.#context = context;
    this.#chunked = headers['transfer-encoding'] !== undefined;
  }

  socket(): TLSSocket | undefined {
    const socket = this.#req.socket;
    return socket instanceof TLSSocket ? socket : undefined;
  }

  body(): Readable | null {
    const req = this.#req;
    if (this.#chunked) return countedHttp1Body(req, (bytes) => (this.#chunkedBytesIn += bytes));
    return (req.headers['content-length'] ?? '0') !== '0' ? req : null;
  }

  sink({ closeConnection }: SinkOptions): ResponseSink {
    const context = this.#context;
    return new Http1Sink(this.#res, closeConnection || context.draining(), context.guard, this);
  }

  onDone(report: ResponseReport): void {
    this.#report = report;
    this.#writtenBefore = this.#req.socket.bytesWritten;
    this.#listen();
  }

  onAbort(callback: () => void): void {
    const more = this.#onAbort;
    this.#onAbort = more === undefined ? callback : Array.isArray(more) ? [...more, callback] : [more, callback];
    this.#listen();
  }

  /** The response closed (finished, or the client went away): told once, by the shared listener. */
  closed(): void {
    if (this.#closed) return;
    this.#closed = true;
    const res = this.#res;
    if (this.#report !== undefined) {
      this.#report.done(
        res.headersSent ? res.statusCode : CLIENT_CLOSED_REQUEST,
        this.#chunked ? this.#chunkedBytesIn : contentLength(this.headers['content-length']),
        this.#req.socket.bytesWritten - this.#writtenBefore,
      );
    }
    const onAbort = this.#onAbort;
    if (onAbort === undefined || res.writableFinished) return;
    if (typeof onAbort === 'function') onAbort();
    else for (const callback of onAbort) callback();
  }

  #listen(): void {
    if (this.#listening) return;
    this.#listening = true;
    const res = this.#res as ResponseOfRequest;
    res[kRequest] = this;
    this.#context.guard.attach(res, 'close', this.#context.onResponseClose);
  }
}

/** A content-length header as received (text) or as we sent it (node:http2 keeps the number we gave). */
export function contentLength(value: string | number | string[] | undefined): number {
  const length = typeof value === 'number' ? value : Number(typeof value === 'string' ? value : undefined);
  return Number.isSafeInteger(length) && length >= 0 ? length : 0;
}
