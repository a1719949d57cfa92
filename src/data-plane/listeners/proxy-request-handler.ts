/**
 * ProxyRequestHandler: what `portcullis proxy` does with each request, for both client protocols.
 *
 *   identity (read once per connection) → client-auth verdict ─✗ 401/403 JSON (or gRPC status)
 *     → upstream headers (strip spoofed identity, set verified identity, X-Forwarded-*)
 *       → forward: gRPC → HTTP/2 upstream, everything else → HTTP/1.1 pool (h2c upstream: HTTP/2)
 *                                                         ─✗ 502 / 504 JSON
 */
import http2, { type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import type { Logger } from 'pino';
import { GW_ERR_REQUEST_INVALID } from '../../errors/index.ts';
import { GRPC_NEEDS_HTTP2 } from '../upstream/upstream-forwarders.ts';
import type { UpstreamTarget } from '../../config/upstream-target.ts';
import { buildIdentityHeaders, type IdentityHeaderFormat } from '../pipeline/identity-headers.ts';
import type { ConnectionIdentity } from './connection-identity.ts';
import { decideClientAuth, type ClientAuthPolicy } from '../pipeline/client-auth-decision.ts';
import { isGrpcCall, sendHttp2Error, type PublicError } from '../pipeline/gateway-response.ts';
import { buildUpstreamHeaders } from '../upstream/upstream-headers.ts';
import { Http2Sink } from '../upstream/downstream-sinks.ts';
import type { Forwarder, ResponseSink, UpstreamRequest } from '../upstream/exchange.ts';
import { requestBodyOf } from '../upstream/http2-request-body.ts';
import type { FaultGuard } from '../guard/fault-guard.ts';
import { meterHttp1, meterHttp2, type ProxyRequestObserver } from './proxy-request-meter.ts';
import type { Http1Exchange } from './h1/http1-exchange.ts';
import type { RequestHandler } from './mtls-listener.ts';

export interface ProxyRequestHandlerOptions {
  readonly policy: ClientAuthPolicy;
  readonly forwardIdentity: readonly IdentityHeaderFormat[];
  readonly upstream: UpstreamTarget;
  /** Carries non-gRPC requests; undefined for an h2c upstream. */
  readonly http1: Forwarder | undefined;
  /** Carries gRPC (and, for h2c, every request); undefined for an http:// upstream. */
  readonly http2: Forwarder | undefined;
  readonly logger: Logger;
  /** The guard of the data plane, for the listeners the sinks and request bodies register. */
  readonly guard: FaultGuard;
  /** Told of each request once it is over (access log, metrics); absent: nothing is measured. */
  readonly observe?: ProxyRequestObserver | undefined;
}

export class ProxyRequestHandler implements RequestHandler {
  readonly #options: ProxyRequestHandlerOptions;
  /** The client-auth policy in force: replaced as a whole on reload (SIGHUP). */
  #policy: ClientAuthPolicy;
  /** Set when draining: HTTP/1.1 responses then close their connection. */
  draining = false;

  constructor(options: ProxyRequestHandlerOptions) {
    this.#options = options;
    this.#policy = options.policy;
  }

  /** From the next request on (open connections included), revocations and the allowlist are these. */
  replacePolicy(policy: ClientAuthPolicy): void {
    this.#policy = policy;
  }

  /** HTTP/1.1 (ADR 0022): the exchange is the request and the sink its answer goes through. */
  handleHttp1(exchange: Http1Exchange, identity: ConnectionIdentity): void {
    const observe = this.#options.observe;
    if (observe !== undefined) meterHttp1(exchange, identity, observe);
    const clientAddress = exchange.socket.remoteAddress ?? '';
    const denial = this.#deny(identity, clientAddress);
    if (denial !== undefined) {
      // A client whose certificate is refused gets one clear answer and then the connection ends.
      exchange.sendError(denial, true);
      return;
    }
    const url = exchange.target;
    if (url.charCodeAt(0) !== 0x2f /* '/' */) {
      exchange.sendError(GW_ERR_REQUEST_INVALID.create('request target must be origin-form'), true);
      return;
    }
    const headers = exchange.headers;
    this.#forward(
      {
        method: exchange.method,
        path: this.#options.upstream.basePath + url,
        authority: headers.host ?? '',
        headers: buildUpstreamHeaders(headers, {
          clientAddress,
          host: headers.host ?? '',
          identityHeaders: this.#identityHeaders(identity),
          keepTeTrailers: false,
        }),
        body: exchange.body(),
      },
      exchange.asSink(this.draining),
      // Never a gRPC call (see isGrpcCall): proxied over HTTP/1.1 like any other request.
      false,
    );
  }

  handleHttp2(
    stream: ServerHttp2Stream,
    headers: IncomingHttpHeaders,
    flags: number,
    identity: ConnectionIdentity,
  ): void {
    const grpc = isGrpcCall(headers['content-type']);
    const { observe, guard } = this.#options;
    const meter = observe === undefined ? undefined : meterHttp2(stream, headers, identity, observe, guard);
    // Read once: the session's socket is a Proxy, and every property read goes through it.
    const clientAddress = stream.session?.socket.remoteAddress ?? '';
    const denial = this.#deny(identity, clientAddress);
    if (denial !== undefined) {
      sendHttp2Error(stream, denial, { grpc });
      return;
    }
    const path = headers[':path'];
    const authority = headers[':authority'] ?? headers.host ?? '';
    if (path === undefined || path.charCodeAt(0) !== 0x2f) {
      sendHttp2Error(stream, GW_ERR_REQUEST_INVALID.create(':path must be origin-form'), { grpc });
      return;
    }
    const endStream = (flags & http2.constants.NGHTTP2_FLAG_END_STREAM) !== 0;
    this.#forward(
      {
        method: headers[':method'] ?? 'GET',
        path: this.#options.upstream.basePath + path,
        authority,
        headers: buildUpstreamHeaders(headers, {
          clientAddress,
          host: authority,
          identityHeaders: this.#identityHeaders(identity),
          keepTeTrailers: grpc,
        }),
        body: endStream ? null : requestBodyOf(stream, guard, meter?.countIn),
      },
      sinkOf(new Http2Sink(stream, grpc, guard), meter),
      grpc,
    );
  }

  #forward(request: UpstreamRequest, sink: ResponseSink, grpc: boolean): void {
    const { http1, http2: h2 } = this.#options;
    const forwarder = grpc || http1 === undefined ? h2 : http1;
    if (forwarder === undefined) {
      sink.fail(GRPC_NEEDS_HTTP2);
      return;
    }
    forwarder.forward(request, sink);
  }

  #deny(identity: ConnectionIdentity, remoteAddress: string): PublicError | undefined {
    const refusal = decideClientAuth(identity, this.#policy, Date.now());
    if (refusal === undefined) return undefined;
    this.#options.logger.info(
      { code: refusal.error.code, reason: refusal.reason, fingerprint: identity.fingerprint256, remoteAddress },
      'client certificate refused',
    );
    return refusal.error;
  }

  #identityHeaders(identity: ConnectionIdentity): Readonly<Record<string, string>> {
    const formats = this.#options.forwardIdentity;
    if (formats.length === 0) return {};
    identity.memo ??= buildIdentityHeaders(
      {
        presented: identity.presented,
        verified: identity.verified,
        revoked: false,
        fields: identity.fields(),
        chainDer: identity.chain.map((cert) => cert.raw),
      },
      formats,
    );
    return identity.memo as Record<string, string>;
  }
}

function sinkOf(sink: Http2Sink, meter: { answeredBy(sink: Http2Sink): void } | undefined): Http2Sink {
  meter?.answeredBy(sink);
  return sink;
}
