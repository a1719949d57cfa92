/**
 * UpstreamConnection: one pooled HTTP/1.1 connection to an upstream, carrying one exchange at a
 * time. A request is written only once the previous response has ended: no pipelining (optional in
 * RFC 9112 §9.3.2, and a framing disagreement there would hand a response to the wrong client).
 * Any doubt about where a response ends (a parse error, bytes nobody asked for, an early answer
 * while the request body was still being sent) closes the connection instead of reusing it.
 *
 * The response is written straight into the client's response as it is parsed: no intermediate
 * stream, no full buffering. Backpressure both ways: a full client socket pauses the upstream read,
 * a full upstream socket pauses the request body. Every listener is guarded, made once per
 * connection (stage `upstream_http1`): a fault destroys this connection, whose close fails its exchange.
 */
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { GW_ERR_UPSTREAM_UNAVAILABLE } from '../../../errors/index.ts';
import { filterResponseHeaders } from '../hop-by-hop.ts';
import { BODY_FOLLOWS, type ResponseSink, type UpstreamRequest } from '../exchange.ts';
import { declaredLength, serializeRequestHead, type RequestFraming } from './request-head.ts';
import { Http1ResponseParser, type ResponseHeaders, type ResponseParserHandler } from './response-parser.ts';
import { publicErrorFor, type UpstreamFailure } from './upstream-failure.ts';
import type { FaultGuard, Guarded } from '../../guard/fault-guard.ts';

/** A request waiting for a connection, or being carried by one. */
export class PendingExchange {
  readonly request: UpstreamRequest;
  readonly sink: ResponseSink;
  /** The answer was given (or the client left): later events for this exchange are ignored. */
  done = false;
  /** Sent again once already, after a reused connection closed without answering. */
  retried = false;
  /** While queued for a connection: when it times out (epoch ms). */
  queuedUntil = 0;
  connection: UpstreamConnection | undefined;

  constructor(request: UpstreamRequest, sink: ResponseSink) {
    this.request = request;
    this.sink = sink;
  }
}

export interface ConnectionOwner {
  /** The upstream timeout of a request that has none of its own (UpstreamRequest.timeoutMs). */
  readonly upstreamTimeoutMs: number;
  /** The exchange is over and the connection may carry another; `keepAliveHintMs` from Keep-Alive, or -1. */
  release(connection: UpstreamConnection, keepAliveHintMs: number): void;
  /** The connection closed. `retry`: an exchange the upstream never saw, which may be sent again. */
  removed(connection: UpstreamConnection, retry: PendingExchange | undefined): void;
}

/**
 * Methods a proxy may send again when a reused connection closed before any answer (RFC 9110
 * §9.2.2: idempotent, and §9.3.1/§9.3.2 safe). Only without a body, which was consumed already.
 */
const RETRYABLE = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

export class UpstreamConnection implements ResponseParserHandler {
  readonly socket: Socket;
  readonly #owner: ConnectionOwner;
  readonly #parser: Http1ResponseParser;
  #connected = false;
  /** Exchanges this connection completed: a reused connection may have been closed by the upstream meanwhile. */
  #completed = 0;
  /** When the current wait fails (epoch ms; 0: not waiting), and as what. */
  #deadline: number;
  #deadlineFailure: UpstreamFailure = 'connect-timeout';
  /** For the pool: when this idle connection is closed (epoch ms). */
  idleUntil = 0;

  #exchange: PendingExchange | undefined;
  #receivedBytes = false;
  #writable: NodeJS.WritableStream | null = null;
  #responsePaused = false;
  #keepAlive = false;
  #keepAliveHintMs = -1;

  #body: Readable | null = null;
  #bodyDone = true;
  #bodyChunked = false;
  /** Bytes of a Content-Length body still to come. */
  #bodyLeft = 0;
  /** The upstream's socket is full: it is not reading our request body. */
  #bodyBlocked = false;
  /**
   * The response ended inside the current push(): the connection goes back to the pool only once
   * the parser has seen the rest of that read, so that bytes after the response (which nobody asked
   * for: we never pipeline) fail this connection instead of being parsed as the next client's answer.
   */
  #releasePending = false;

  readonly #guard: FaultGuard;
  /** The listeners on request bodies and on the client's response, guarded once per connection. */
  readonly #onBodyData: Guarded<[Buffer]>;
  readonly #onBodyEnd: Guarded<[]>;
  readonly #onBodyError: Guarded<[]>;
  readonly #onClientDrain: Guarded<[]>;

  constructor(
    socket: Socket,
    owner: ConnectionOwner,
    connectEvent: 'connect' | 'secureConnect',
    connectDeadline: number,
    guard: FaultGuard,
  ) {
    this.socket = socket;
    this.#owner = owner;
    this.#deadline = connectDeadline;
    this.#guard = guard;
    this.#parser = new Http1ResponseParser(this);
    this.#onBodyData = guard.wrap('upstream_http1', socket, (chunk: Buffer) => {
      this.#bodyData(chunk);
    });
    this.#onBodyEnd = guard.wrap('upstream_http1', socket, () => {
      this.#bodyEnd();
    });
    this.#onBodyError = guard.wrap('upstream_http1', socket, () => {
      this.#fail('bad-request');
    });
    this.#onClientDrain = guard.wrap('upstream_http1', socket, () => {
      this.#clientDrain();
    });
    socket.setNoDelay(true);
    guard.listenOnce(socket, connectEvent, 'upstream_http1', socket, () => {
      this.#connected = true;
      socket.setKeepAlive(true, 60_000);
      this.#armDeadline();
    });
    guard.listen(socket, 'data', 'upstream_http1', socket, (chunk: Buffer) => {
      this.#onData(chunk);
    });
    guard.listen(socket, 'end', 'upstream_http1', socket, () => {
      this.#onEnd();
    });
    guard.listen(socket, 'drain', 'upstream_http1', socket, () => {
      if (!this.#bodyBlocked) return;
      this.#bodyBlocked = false;
      this.#body?.resume();
      this.#armDeadline();
    });
    guard.listen(socket, 'error', 'upstream_http1', socket, () => {
      // 'close' follows and decides; the cause is not the client's business (and may name hosts).
    });
    guard.listen(socket, 'close', 'upstream_http1', socket, () => {
      this.#onClose();
    });
  }

  /** Starts an exchange on this (idle or connecting) connection. */
  start(exchange: PendingExchange): void {
    const { request } = exchange;
    exchange.connection = this;
    this.#exchange = exchange;
    this.#receivedBytes = false;
    this.#keepAlive = false;
    this.#keepAliveHintMs = -1;
    const body = request.body;
    const length = body === null ? undefined : declaredLength(request.headers);
    const framing: RequestFraming =
      body === null ? { kind: 'none' } : length === undefined ? { kind: 'chunked' } : { kind: 'length', length };
    let head: string;
    try {
      head = serializeRequestHead(request.method, request.path, request.headers, framing);
      this.#parser.expect(request.method);
    } catch {
      this.#fail('bad-request');
      return;
    }
    this.socket.write(head, 'latin1');
    if (body !== null) {
      this.#body = body;
      this.#bodyDone = false;
      this.#bodyBlocked = false;
      this.#bodyChunked = length === undefined;
      this.#bodyLeft = length ?? 0;
    }
    this.#armDeadline();
    if (body === null) return;
    this.#guard.attach(body, 'data', this.#onBodyData);
    this.#guard.attach(body, 'end', this.#onBodyEnd);
    this.#guard.attach(body, 'error', this.#onBodyError);
  }

  /** The client went away: the exchange cannot finish, and its connection cannot be reused mid-way. */
  abandon(): void {
    this.#exchange = undefined;
    this.#detachBody('destroy');
    this.socket.destroy();
  }

  /** Called by the pool's sweep: fails the exchange whose wait ran past its deadline. */
  checkDeadline(now: number): void {
    if (this.#deadline !== 0 && now >= this.#deadline) this.#fail(this.#deadlineFailure);
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** Whether the pool may hand this idle connection a new exchange. */
  get reusable(): boolean {
    const socket = this.socket;
    return !socket.destroyed && socket.writable && !socket.readableEnded && !this.#parser.busy;
  }

  /**
   * Sets the deadline for what we wait on now. Before the connection is up, the connect deadline
   * stands. After, the upstream is timed only while we wait on it: for the response head once the
   * request is sent (or while it does not read our body), and between response chunks; never while
   * the client is slow (uploading, or reading the response).
   */
  #armDeadline(): void {
    if (!this.#connected) return;
    this.#deadlineFailure = 'response-timeout';
    const exchange = this.#exchange;
    const waitingOnUpstream =
      exchange !== undefined &&
      !this.#responsePaused &&
      (this.#writable !== null || this.#bodyDone || this.#bodyBlocked);
    this.#deadline = waitingOnUpstream ? Date.now() + (exchange.request.timeoutMs ?? this.#owner.upstreamTimeoutMs) : 0;
  }

  // ---- request body -------------------------------------------------------------------------

  #bodyData(chunk: Buffer): void {
    const socket = this.socket;
    let flowing: boolean;
    if (this.#bodyChunked) {
      if (chunk.length === 0) return; // a zero-size chunk would end the body (RFC 9112 §7.1)
      socket.cork();
      socket.write(`${chunk.length.toString(16)}\r\n`, 'latin1');
      socket.write(chunk);
      flowing = socket.write('\r\n', 'latin1');
      socket.uncork();
    } else {
      this.#bodyLeft -= chunk.length;
      // More than the client declared: the extra bytes would be read as a next request upstream.
      if (this.#bodyLeft < 0) {
        this.#fail('bad-request');
        return;
      }
      flowing = socket.write(chunk);
    }
    if (!flowing) {
      this.#bodyBlocked = true;
      this.#body?.pause();
      this.#armDeadline();
    }
  }

  #bodyEnd(): void {
    if (!this.#bodyChunked && this.#bodyLeft !== 0) {
      this.#fail('bad-request');
      return;
    }
    if (this.#bodyChunked) this.socket.write('0\r\n\r\n', 'latin1');
    this.#detachBody('keep');
    this.#armDeadline();
  }

  /**
   * Stops forwarding the request body. 'keep': it was all sent. 'drain': the rest is read and dropped,
   * so the client's connection stays usable for the answer it is about to get (a 502, or an early
   * answer). 'destroy': the client is gone.
   */
  #detachBody(then: 'keep' | 'drain' | 'destroy'): void {
    const body = this.#body;
    if (body === null) return;
    this.#body = null;
    this.#bodyDone = true;
    this.#bodyBlocked = false;
    body.off('data', this.#onBodyData);
    body.off('end', this.#onBodyEnd);
    body.off('error', this.#onBodyError);
    if (then === 'destroy') body.destroy();
    else if (then === 'drain') body.resume();
  }

  // ---- response -----------------------------------------------------------------------------

  #onData(chunk: Buffer): void {
    this.#receivedBytes = true;
    try {
      this.#parser.push(chunk);
    } catch {
      // A malformed response, or bytes nobody asked for: this connection's framing cannot be trusted.
      this.#releasePending = false;
      this.#fail('protocol');
      return;
    }
    if (this.#releasePending) {
      this.#releasePending = false;
      this.#owner.release(this, this.#keepAliveHintMs);
    }
  }

  onResponseHead(
    status: number,
    headers: ResponseHeaders,
    keepAlive: boolean,
    keepAliveHintMs: number,
    fieldLines: string,
  ): void {
    const exchange = this.#exchange;
    // 1xx interim answers (RFC 9110 §15.2) are not relayed: the client's own server answered Expect.
    if (status < 200 || exchange === undefined) return;
    this.#keepAlive = keepAlive;
    this.#keepAliveHintMs = keepAliveHintMs;
    // An HTTP/1.1 client on the lean loop gets the head's validated lines as bytes (ADR 0023); any other sink, the
    // filtered header object.
    const sink = exchange.sink;
    let writable = sink.startRelayed === undefined ? undefined : sink.startRelayed(status, headers, fieldLines);
    if (writable === undefined) writable = sink.start(status, filterResponseHeaders(headers), BODY_FOLLOWS);
    if (writable === null) {
      exchange.done = true;
      this.abandon();
      return;
    }
    this.#writable = writable;
    this.#armDeadline();
  }

  onResponseBody(chunk: Buffer): void {
    const writable = this.#writable;
    if (writable === null || this.#exchange === undefined) return;
    this.#exchange.sink.sentBody(chunk.length);
    if (writable.write(chunk) || this.#responsePaused) {
      this.#armDeadline();
      return;
    }
    // The client reads slower than the upstream sends: stop reading, and do not time the upstream out
    // for the client's slowness.
    this.#responsePaused = true;
    this.#deadline = 0;
    this.socket.pause();
    this.#guard.attachOnce(writable, 'drain', this.#onClientDrain);
  }

  #clientDrain(): void {
    if (!this.#responsePaused) return;
    this.#responsePaused = false;
    this.#armDeadline();
    this.socket.resume();
  }

  onResponseEnd(): void {
    const exchange = this.#exchange;
    const writable = this.#writable;
    this.#exchange = undefined;
    this.#writable = null;
    this.#deadline = 0;
    this.#completed++;
    if (this.#responsePaused) {
      // An ended writable emits no 'drain': read on, what is left belongs to nobody or the next exchange.
      this.#responsePaused = false;
      writable?.off('drain', this.#onClientDrain);
      this.socket.resume();
    }
    // Answered before the request body was all sent: the upstream will not read the rest as this
    // request's, so the connection is closed; the rest of the client's body is read and dropped.
    // (A Content-Length body whose last byte was written is sent, even if its 'end' is still to come.)
    const bodyUnsent = !this.#bodyDone && (this.#bodyChunked || this.#bodyLeft !== 0);
    this.#detachBody(bodyUnsent ? 'drain' : 'keep');
    if (exchange !== undefined) exchange.done = true;
    writable?.end();
    if (this.#keepAlive && !bodyUnsent && !this.socket.destroyed) this.#releasePending = true;
    else this.socket.destroy();
  }

  #onEnd(): void {
    // EOF: completes a close-delimited body; a response that had begun and is cut short fails.
    // An exchange that saw no byte at all is decided by 'close' (it may be sent again).
    if (this.#exchange === undefined || !this.#receivedBytes) return;
    try {
      this.#parser.finish();
    } catch {
      this.#fail('connection-lost');
    }
  }

  #onClose(): void {
    const exchange = this.#exchange;
    let retry: PendingExchange | undefined;
    if (exchange !== undefined && !exchange.done) {
      if (this.#mayRetry(exchange)) {
        this.#exchange = undefined;
        exchange.retried = true;
        exchange.connection = undefined;
        retry = exchange;
      } else {
        this.#fail('connection-lost');
      }
    }
    this.#owner.removed(this, retry);
  }

  /**
   * A keep-alive connection the upstream closed just as we reused it (its idle timeout raced ours):
   * the request never reached it, so a safe one goes out again on another connection, once.
   */
  #mayRetry(exchange: PendingExchange): boolean {
    return (
      this.#completed > 0 &&
      !this.#receivedBytes &&
      !exchange.retried &&
      exchange.request.body === null &&
      RETRYABLE.has(exchange.request.method)
    );
  }

  #fail(failure: UpstreamFailure): void {
    const exchange = this.#exchange;
    const started = this.#writable !== null;
    this.#exchange = undefined;
    this.#writable = null;
    this.#deadline = 0;
    this.socket.destroy();
    if (exchange !== undefined && !exchange.done) {
      exchange.done = true;
      exchange.sink.fail(started ? GW_ERR_UPSTREAM_UNAVAILABLE : publicErrorFor(failure));
    }
    // After the answer is written: destroying an HTTP/1.1 request would close the client's socket under it.
    this.#detachBody('drain');
  }
}
