/**
 * GatewayRequestHandler: `portcullis serve`'s listener handler — the protocol adapters. Public PKI
 * paths (CA certificate, CRL, OCSP) are answered on any host without a client certificate; every
 * other request, HTTP/1.1 or HTTP/2, becomes one GatewayRequest for the GatewayPipeline
 * (gateway-pipeline.ts: host check, rules, route or API, auth, limits, proxy, analytics).
 * The listener calls these under its FaultGuard; what they register goes through the same guard.
 */
import http2, { type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import { Readable } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { GW_ERR_INTERNAL, GW_ERR_REQUEST_INVALID } from '../../errors/index.ts';
import type { PublicPki } from '../../runtime-config/public-pki.ts';
import { authorityHost } from '../pipeline/host-decision.ts';
import type { ConnectionIdentity } from './connection-identity.ts';
import { isGrpcCall, sendHttp2Error } from '../pipeline/gateway-response.ts';
import type { RequestHandler } from './mtls-listener.ts';
import { answerPublicPki, isPublicPkiPath, type PkiResult } from './public-pki-handler.ts';
import { readBoundedBody } from './read-bounded-body.ts';
import { GatewayPipeline, type GatewayPipelineOptions } from '../pipeline/gateway-pipeline.ts';
import { Http2Sink } from '../upstream/downstream-sinks.ts';
import { requestBodyOf } from '../upstream/http2-request-body.ts';
import type { FaultGuard, FaultTarget } from '../guard/fault-guard.ts';
import { CLIENT_CLOSED_REQUEST, contentLength, Http1GatewayRequest } from './http1-gateway-request.ts';
import type { EstEndpoint } from '../../runtime-config/est-endpoint.ts';
import { EstRequestHandler, isEstPath } from './est-request-handler.ts';
import type { Http1Exchange } from './h1/http1-exchange.ts';

export { CLIENT_CLOSED_REQUEST };

export interface GatewayRequestHandlerOptions extends GatewayPipelineOptions {
  readonly pki: PublicPki;
  readonly logger: Logger;
  readonly guard: FaultGuard;
  /** EST enrollment (docs/adr/0016); absent: EST paths are proxied like any other. */
  readonly est?: EstEndpoint;
}

export class GatewayRequestHandler implements RequestHandler {
  readonly #pki: PublicPki;
  readonly #logger: Logger;
  readonly #guard: FaultGuard;
  readonly #pipeline: GatewayPipeline;
  readonly #est: EstRequestHandler | undefined;
  draining = false;

  constructor(options: GatewayRequestHandlerOptions) {
    this.#pki = options.pki;
    this.#logger = options.logger;
    this.#guard = options.guard;
    this.#pipeline = new GatewayPipeline(options);
    this.#est =
      options.est === undefined
        ? undefined
        : new EstRequestHandler(options.est, options.snapshots, options.guard, options.logger);
  }

  /** HTTP/1.1 (ADR 0022): one exchange object is the request, its response and its sink. */
  handleHttp1(exchange: Http1Exchange, identity: ConnectionIdentity): void {
    const url = exchange.target;
    if (isPublicPkiPath(url)) {
      this.#answerPki(exchange.method, url, exchange.body() ?? Readable.from([]), exchange, (result) =>
        this.#sendPkiHttp1(exchange, result),
      );
      return;
    }
    if (this.#est !== undefined && isEstPath(url)) {
      this.#est.handleHttp1(exchange, identity);
      return;
    }
    if (url.charCodeAt(0) !== 0x2f /* '/' */) {
      exchange.sendError(GW_ERR_REQUEST_INVALID.create('request target must be origin-form'), true);
      return;
    }
    this.#pipeline.serve(new Http1GatewayRequest(exchange, this.draining), identity);
  }

  handleHttp2(
    stream: ServerHttp2Stream,
    headers: IncomingHttpHeaders,
    flags: number,
    identity: ConnectionIdentity,
  ): void {
    const path = headers[':path'] ?? '';
    const method = headers[':method'] ?? 'GET';
    const grpc = isGrpcCall(headers['content-type']);
    if (isPublicPkiPath(path)) {
      this.#answerPki(method, path, stream, stream, (result) => this.#sendPkiHttp2(stream, method, grpc, result));
      return;
    }
    if (this.#est !== undefined && isEstPath(path)) {
      this.#est.handleHttp2(stream, headers, identity);
      return;
    }
    if (path.charCodeAt(0) !== 0x2f) {
      sendHttp2Error(stream, GW_ERR_REQUEST_INVALID.create(':path must be origin-form'), { grpc });
      return;
    }
    const endStream = (flags & http2.constants.NGHTTP2_FLAG_END_STREAM) !== 0;
    const authority = headers[':authority'] ?? headers.host ?? '';
    // Read once: the session's socket is a Proxy, and every property read goes through it.
    const socket = stream.session?.socket as TLSSocket | undefined;
    let sink: Http2Sink | undefined;
    let bodyBytesIn = 0;
    const guard = this.#guard;
    this.#pipeline.serve(
      {
        host: authorityHost(authority),
        method,
        target: path,
        version: 'HTTP/2',
        headers,
        rawHeaders: undefined,
        clientAddress: socket?.remoteAddress ?? '',
        socket: () => socket,
        authority,
        grpc,
        body: () => (endStream ? null : requestBodyOf(stream, guard, (bytes) => (bodyBytesIn += bytes))),
        onDone: (report) => {
          // Streams share the connection: bytes out are the body bytes forwarded (counted by the sink),
          // or what the gateway's own answer declared; bytes in, the body bytes read (or as declared).
          guard.listenOnce(stream, 'close', 'response', stream, () => {
            // Undefined when the stream closed before response headers were sent (client RST_STREAM,
            // disconnect, a timeout, a malformed request): Node's typing says otherwise.
            const sent = stream.sentHeaders as IncomingHttpHeaders | undefined;
            const forwarded = sink?.bodyBytes ?? 0;
            report.done(
              sent?.[':status'] === undefined ? CLIENT_CLOSED_REQUEST : Number(sent[':status']),
              bodyBytesIn > 0 ? bodyBytesIn : contentLength(headers['content-length']),
              forwarded > 0 ? forwarded : contentLength(sent?.['content-length']),
            );
          });
        },
        sink: () => (sink = new Http2Sink(stream, grpc, guard)),
      },
      identity,
    );
  }

  /** `response`: what a fault while answering ends (the HTTP/1.1 response or the HTTP/2 stream). */
  #answerPki(
    method: string,
    path: string,
    body: Readable,
    response: FaultTarget,
    send: (result: PkiResult) => void,
  ): void {
    const answer = answerPublicPki(this.#pki, method, path, (limit) =>
      readBoundedBody(body, limit, this.#guard, 'public_pki', response),
    );
    this.#guard.settle(answer, 'public_pki', response, send, (error: unknown) => {
      this.#logger.error({ err: (error as Error).message }, 'public PKI request failed');
      send(GW_ERR_INTERNAL);
    });
  }

  #sendPkiHttp1(exchange: Http1Exchange, result: PkiResult): void {
    if (exchange.closed) return;
    if ('code' in result) {
      exchange.sendError(result, this.draining);
      return;
    }
    // A HEAD answer carries no body: the exchange drops it and keeps the length.
    exchange.writeHead(result.status, {
      'content-type': result.contentType,
      'content-length': Buffer.byteLength(result.body),
      'cache-control': 'no-cache',
    });
    exchange.end(result.body);
  }

  #sendPkiHttp2(stream: ServerHttp2Stream, method: string, grpc: boolean, result: PkiResult): void {
    if ('code' in result) {
      sendHttp2Error(stream, result, { grpc });
      return;
    }
    if (stream.destroyed) return;
    stream.respond({
      ':status': result.status,
      'content-type': result.contentType,
      'content-length': Buffer.byteLength(result.body),
      'cache-control': 'no-cache',
    });
    stream.end(method === 'HEAD' ? undefined : result.body);
  }
}
