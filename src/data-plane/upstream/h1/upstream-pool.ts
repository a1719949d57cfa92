/**
 * UpstreamPool: the keep-alive HTTP/1.1 connections to one upstream origin. Idle connections are
 * reused most-recently-used first (the warmest, and the least likely to have been closed by the
 * upstream); above `connections` in use, requests wait in order. One coarse sweep timer per pool
 * enforces every deadline (connect, response, idle) instead of a timer per request. Listeners and
 * timers are guarded (stage `upstream_http1`, fault-guard.ts).
 */
import net from 'node:net';
import tls from 'node:tls';
import type { ResponseSink, UpstreamRequest } from '../exchange.ts';
import { PendingExchange, UpstreamConnection, type ConnectionOwner } from './upstream-connection.ts';
import { publicErrorFor } from './upstream-failure.ts';
import type { FaultGuard } from '../../guard/fault-guard.ts';

export interface UpstreamPoolOptions {
  /** `http://host:port` or `https://host:port`. */
  readonly origin: string;
  readonly connectTimeoutMs: number;
  /** Time allowed for the upstream to send the response head, and between body chunks either way. */
  readonly upstreamTimeoutMs: number;
  /** CA PEM for an https upstream; undefined = Node's bundled roots. */
  readonly ca: string | undefined;
  /** Most connections open at once (default 128). */
  readonly connections?: number;
  /** How long an idle connection is kept (default 4 s, under Node's and nginx's upstream defaults of 5 s). */
  readonly keepAliveTimeoutMs?: number;
  readonly guard: FaultGuard;
}

/**
 * A Keep-Alive `timeout` hint is the upstream's own idle limit: we let go this much earlier, so our
 * reuse does not race its close.
 */
const KEEP_ALIVE_HINT_MARGIN_MS = 1_000;

export class UpstreamPool implements ConnectionOwner {
  readonly upstreamTimeoutMs: number;
  readonly #connectTimeoutMs: number;
  readonly #keepAliveTimeoutMs: number;
  readonly #maxConnections: number;
  readonly #connect: () => net.Socket;
  readonly #connectEvent: 'connect' | 'secureConnect';
  /** Shortened (and the timer restarted) when a request comes with a shorter timeout of its own. */
  #sweepEveryMs: number;
  readonly #guard: FaultGuard;
  readonly #connections = new Set<UpstreamConnection>();
  /** Idle connections, most recently used last. */
  readonly #idle: UpstreamConnection[] = [];
  readonly #queue: PendingExchange[] = [];
  #sweepTimer: NodeJS.Timeout | undefined;
  #closing = false;
  #onEmpty: (() => void) | undefined;
  #closed: Promise<void> | undefined;

  constructor(options: UpstreamPoolOptions) {
    const url = new URL(options.origin);
    const secure = url.protocol === 'https:';
    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    const port = Number(url.port === '' ? (secure ? 443 : 80) : url.port);
    this.upstreamTimeoutMs = options.upstreamTimeoutMs;
    this.#guard = options.guard;
    this.#connectTimeoutMs = options.connectTimeoutMs;
    this.#keepAliveTimeoutMs = options.keepAliveTimeoutMs ?? 4_000;
    this.#maxConnections = options.connections ?? 128;
    this.#connectEvent = secure ? 'secureConnect' : 'connect';
    this.#connect = secure
      ? () =>
          tls.connect({
            host,
            port,
            // SNI only for names (RFC 6066 §3: literal IP addresses are not permitted).
            ...(net.isIP(host) === 0 ? { servername: host } : {}),
            ...(options.ca === undefined ? {} : { ca: options.ca }),
            ALPNProtocols: ['http/1.1'],
          })
      : () => net.connect({ host, port });
    this.#sweepEveryMs = sweepIntervalFor(Math.min(options.upstreamTimeoutMs, options.connectTimeoutMs));
  }

  dispatch(request: UpstreamRequest, sink: ResponseSink): void {
    if (request.timeoutMs !== undefined) this.#sweepOftenEnoughFor(request.timeoutMs);
    const exchange = new PendingExchange(request, sink);
    sink.onAbort(() => {
      this.#abandon(exchange);
    });
    this.#route(exchange);
  }

  #route(exchange: PendingExchange): void {
    if (this.#closing) {
      exchange.done = true;
      exchange.sink.fail(publicErrorFor('closed'));
      return;
    }
    let idle = this.#idle.pop();
    // One the upstream closed (or that failed) since it was released waits here only for its 'close' event.
    while (idle !== undefined && !idle.reusable) idle = this.#idle.pop();
    if (idle !== undefined) idle.start(exchange);
    else if (this.#connections.size < this.#maxConnections) this.#open().start(exchange);
    else {
      exchange.queuedUntil = Date.now() + (exchange.request.timeoutMs ?? this.upstreamTimeoutMs);
      this.#queue.push(exchange);
    }
  }

  #open(): UpstreamConnection {
    const connection = new UpstreamConnection(
      this.#connect(),
      this,
      this.#connectEvent,
      Date.now() + this.#connectTimeoutMs,
      this.#guard,
    );
    this.#connections.add(connection);
    this.#sweepTimer ??= this.#guard
      .interval(this.#sweepEveryMs, 'upstream_http1', undefined, () => {
        this.#sweep();
      })
      .unref();
    return connection;
  }

  /** A request's own timeout shorter than the pool's: deadlines are checked often enough for it too. */
  #sweepOftenEnoughFor(timeoutMs: number): void {
    const every = sweepIntervalFor(timeoutMs);
    if (every >= this.#sweepEveryMs) return;
    this.#sweepEveryMs = every;
    if (this.#sweepTimer === undefined) return;
    clearInterval(this.#sweepTimer);
    this.#sweepTimer = this.#guard
      .interval(every, 'upstream_http1', undefined, () => {
        this.#sweep();
      })
      .unref();
  }

  #abandon(exchange: PendingExchange): void {
    if (exchange.done) return;
    exchange.done = true;
    if (exchange.connection !== undefined) {
      exchange.connection.abandon();
      return;
    }
    const index = this.#queue.indexOf(exchange);
    if (index >= 0) this.#queue.splice(index, 1);
  }

  release(connection: UpstreamConnection, keepAliveHintMs: number): void {
    if (!connection.reusable) {
      connection.destroy(); // its 'close' hands a waiting request a new connection
      return;
    }
    const next = this.#queue.shift();
    if (next !== undefined) {
      connection.start(next);
      return;
    }
    const keepFor =
      keepAliveHintMs < 0
        ? this.#keepAliveTimeoutMs
        : Math.min(this.#keepAliveTimeoutMs, keepAliveHintMs - KEEP_ALIVE_HINT_MARGIN_MS);
    if (this.#closing || keepFor <= 0) {
      connection.destroy();
      return;
    }
    connection.idleUntil = Date.now() + keepFor;
    this.#idle.push(connection);
  }

  removed(connection: UpstreamConnection, retry: PendingExchange | undefined): void {
    this.#connections.delete(connection);
    const idleIndex = this.#idle.indexOf(connection);
    if (idleIndex >= 0) this.#idle.splice(idleIndex, 1);
    if (retry !== undefined) this.#route(retry);
    else if (this.#queue.length > 0 && !this.#closing) this.#open().start(this.#queue.shift() as PendingExchange);
    if (this.#connections.size === 0) {
      clearInterval(this.#sweepTimer);
      this.#sweepTimer = undefined;
      this.#onEmpty?.();
    }
  }

  #sweep(): void {
    const now = Date.now();
    for (const connection of this.#connections) connection.checkDeadline(now);
    // Waiting for a connection counts against the upstream timeout too: every one is busy.
    while (this.#queue.length > 0 && (this.#queue[0] as PendingExchange).queuedUntil <= now) {
      const late = this.#queue.shift() as PendingExchange;
      late.done = true;
      late.sink.fail(publicErrorFor('response-timeout'));
    }
    for (let index = this.#idle.length - 1; index >= 0; index--) {
      const idle = this.#idle[index] as UpstreamConnection;
      if (idle.idleUntil > now) continue;
      this.#idle.splice(index, 1);
      idle.destroy();
    }
  }

  /** Closes idle connections at once and the others when their exchange ends; destroys what is left after `graceMs`. */
  close(graceMs = 1_000): Promise<void> {
    this.#closed ??= this.#close(graceMs);
    return this.#closed;
  }

  async #close(graceMs: number): Promise<void> {
    this.#closing = true;
    for (const waiting of this.#queue.splice(0)) {
      waiting.done = true;
      waiting.sink.fail(publicErrorFor('closed'));
    }
    for (const idle of this.#idle.splice(0)) idle.destroy();
    if (this.#connections.size === 0) return;
    const empty = new Promise<void>((resolve) => {
      this.#onEmpty = resolve;
    });
    const timer = this.#guard.timeout(graceMs, 'upstream_http1', undefined, () => {
      for (const connection of this.#connections) connection.destroy();
    });
    try {
      await empty;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Deadlines are checked a few times per timeout: a timeout fires up to a quarter late (10 ms to 500 ms). */
function sweepIntervalFor(shortestTimeoutMs: number): number {
  return Math.min(500, Math.max(10, Math.floor(shortestTimeoutMs / 4)));
}
