/**
 * Http2Forwarder: HTTP/2 to the upstream over one multiplexed node:http2 client session, h2c (prior
 * knowledge, RFC 9113 §3.3) or TLS with ALPN h2. Used for gRPC: request and response stream
 * independently (bidirectional streaming), and trailers (grpc-status, grpc-message) are relayed.
 * The session is opened lazily and replaced when it closes, errors or receives GOAWAY. Its listeners
 * and timers are guarded (stage `upstream_http2`): a fault fails that one exchange, or that session.
 */
import http2, { type ClientHttp2Session, type ClientHttp2Stream } from 'node:http2';
import {
  GW_ERR_REQUEST_HEADERS_TOO_LARGE,
  GW_ERR_UPSTREAM_PROTOCOL,
  GW_ERR_UPSTREAM_TIMEOUT,
  GW_ERR_UPSTREAM_UNAVAILABLE,
} from '../../errors/index.ts';
import { filterResponseHeaders } from './hop-by-hop.ts';
import {
  BODY_THEN_TRAILERS,
  HEADERS_ONLY,
  type Forwarder,
  type ResponseSink,
  type UpstreamRequest,
} from './exchange.ts';
import type { FaultGuard } from '../guard/fault-guard.ts';

const { NGHTTP2_CANCEL } = http2.constants;
/** The HEADERS frame type (RFC 9113 §6.2), as 'frameError' reports it. */
const HEADERS_FRAME = 0x1;

export interface Http2ForwarderOptions {
  /** `http://host:port` for h2c, `https://host:port` for TLS. */
  readonly origin: string;
  readonly connectTimeoutMs: number;
  /** Time allowed for the upstream to send response headers. Streams may then run indefinitely. */
  readonly upstreamTimeoutMs: number;
  readonly ca: string | undefined;
  readonly guard: FaultGuard;
}

export class Http2Forwarder implements Forwarder {
  readonly #options: Http2ForwarderOptions;
  readonly #scheme: 'http' | 'https';
  #session: ClientHttp2Session | undefined;

  constructor(options: Http2ForwarderOptions) {
    this.#options = options;
    this.#scheme = options.origin.startsWith('https:') ? 'https' : 'http';
  }

  forward(request: UpstreamRequest, sink: ResponseSink): void {
    const guard = this.#options.guard;
    let upstream: ClientHttp2Stream;
    try {
      upstream = this.#currentSession().request(
        {
          ...request.headers,
          ':method': request.method,
          ':path': request.path,
          ':authority': request.authority,
          ':scheme': this.#scheme,
        },
        { endStream: request.body === null },
      );
    } catch {
      sink.fail(GW_ERR_UPSTREAM_UNAVAILABLE);
      return;
    }
    let started = false;
    const timer = guard.timeout(request.timeoutMs ?? this.#options.upstreamTimeoutMs, 'upstream_http2', sink, () => {
      if (started) return;
      upstream.close(NGHTTP2_CANCEL);
      sink.fail(GW_ERR_UPSTREAM_TIMEOUT);
    });
    sink.onAbort(() => {
      clearTimeout(timer);
      if (!upstream.closed) upstream.close(NGHTTP2_CANCEL);
    });
    guard.listen(upstream, 'response', 'upstream_http2', sink, (headers: http2.IncomingHttpHeaders, flags: number) => {
      clearTimeout(timer);
      started = true;
      const endStream = (flags & http2.constants.NGHTTP2_FLAG_END_STREAM) !== 0;
      const status = Number(headers[':status']);
      // A trailers-only response (gRPC errors) arrives as one HEADERS frame with END_STREAM.
      const writable = sink.start(
        status,
        filterResponseHeaders(headers),
        endStream ? HEADERS_ONLY : BODY_THEN_TRAILERS,
      );
      if (writable === null) {
        upstream.close(NGHTTP2_CANCEL);
        return;
      }
      if (!endStream) {
        guard.listen(upstream, 'data', 'upstream_http2', sink, (chunk: Buffer) => sink.sentBody(chunk.length));
        upstream.pipe(writable);
      }
    });
    // A header block over Node's maxSendHeaderBlockLength (64 KiB) is never sent: the stream is
    // closed here with REFUSED_STREAM, the upstream never sees it. The request is too large (a huge
    // client certificate makes huge identity headers), not the upstream unavailable.
    guard.listenOnce(upstream, 'frameError', 'upstream_http2', sink, (type: number) => {
      if (type === HEADERS_FRAME && !started) sink.fail(GW_ERR_REQUEST_HEADERS_TOO_LARGE);
    });
    guard.listen(upstream, 'trailers', 'upstream_http2', sink, (trailers: http2.IncomingHttpHeaders) => {
      sink.trailers(filterResponseHeaders(trailers));
    });
    guard.listen(upstream, 'error', 'upstream_http2', sink, (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      sink.fail(
        started
          ? GW_ERR_UPSTREAM_UNAVAILABLE
          : error.code === 'ERR_HTTP2_ERROR' && /ALPN|protocol/i.test(error.message)
            ? GW_ERR_UPSTREAM_PROTOCOL.create('the upstream does not speak HTTP/2')
            : GW_ERR_UPSTREAM_UNAVAILABLE,
      );
    });
    guard.listen(upstream, 'close', 'upstream_http2', sink, () => {
      clearTimeout(timer);
      if (!started && upstream.rstCode !== NGHTTP2_CANCEL) sink.fail(GW_ERR_UPSTREAM_UNAVAILABLE);
    });
    if (request.body !== null) {
      request.body.pipe(upstream);
      guard.listen(request.body, 'error', 'upstream_http2', sink, () => {
        if (!upstream.closed) upstream.close(NGHTTP2_CANCEL);
      });
    }
  }

  #currentSession(): ClientHttp2Session {
    const existing = this.#session;
    if (existing !== undefined && !existing.closed && !existing.destroyed) return existing;
    const guard = this.#options.guard;
    const session = http2.connect(this.#options.origin, {
      ...(this.#options.ca === undefined ? {} : { ca: this.#options.ca }),
      ALPNProtocols: ['h2'],
      peerMaxConcurrentStreams: 1000,
    });
    const connectTimer = guard.timeout(this.#options.connectTimeoutMs, 'upstream_http2', session, () =>
      session.destroy(new Error('connect timeout')),
    );
    guard.listenOnce(session, 'connect', 'upstream_http2', session, () => {
      clearTimeout(connectTimer);
    });
    const forget = guard.wrap('upstream_http2', session, (): void => {
      clearTimeout(connectTimer);
      if (this.#session === session) this.#session = undefined;
    });
    guard.attach(session, 'error', forget);
    guard.attach(session, 'goaway', forget);
    guard.attach(session, 'close', forget);
    session.unref();
    this.#session = session;
    return session;
  }

  /**
   * Closes the session gracefully (GOAWAY, open streams finish); at `graceMs` destroys it and
   * resolves, even if a silent peer never closes its side of the TCP connection.
   */
  close(graceMs = 1_000): Promise<void> {
    const session = this.#session;
    this.#session = undefined;
    if (session === undefined || session.destroyed) return Promise.resolve();
    const guard = this.#options.guard;
    return new Promise((resolve) => {
      const timer = guard.timeout(graceMs, 'upstream_http2', session, () => {
        session.destroy();
        resolve();
      });
      guard.listenOnce(session, 'close', 'upstream_http2', session, () => {
        clearTimeout(timer);
        resolve();
      });
      session.close();
    });
  }
}
