/**
 * FaultGuard: the one way the data plane registers an event handler, a timer or a promise
 * continuation (ADR 0011). An exception thrown there would otherwise end the whole process, every
 * other connection with it; through the guard it is
 *
 *   caught ─▶ counted   portcullis_internal_errors_total{stage} (onInternalError; serve's /metrics)
 *          ─▶ logged    at most one line per stage per second, with how many were left out
 *          ─▶ contained the one request, stream, session or socket it happened on ends
 *                       (fault-containment.ts: 500 GW_ERR_INTERNAL if nothing was answered yet)
 *
 * and the process keeps serving. There is deliberately no process-wide 'uncaughtException' handler:
 * an exception that escapes anyway is a state nobody reasoned about, and must end the process
 * rather than keep serving from it. `src/data-plane/guard/guarded-handlers.test.ts` fails on any raw
 * `.on(`, `.once(`, `.then(`, timer or `createServer(handler)` in the data plane outside this file.
 *
 * Cost: a try/catch around a synchronous call costs nothing in V8. A handler registered once per
 * server or once per connection is wrapped once; per-request listeners get one wrapper each.
 */
import type { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { containFault, destroyTarget, type FaultTarget } from './fault-containment.ts';
import { LogThrottle } from './log-throttle.ts';

export type { FaultTarget } from './fault-containment.ts';

/** Where a fault happened: the `stage` label of portcullis_internal_errors_total (a fixed set). */
export type GuardStage =
  /** The SNI router reading a ClientHello (serve). */
  | 'client_hello'
  /** A completed handshake: reading the client's identity, handing the socket to HTTP. */
  | 'tls_accept'
  /** Events of an accepted TLS socket, and of the listening servers. */
  | 'connection'
  /** An HTTP/1.1 request: the handler and everything it runs synchronously (GatewayPipeline.serve). */
  | 'http1_request'
  /** An HTTP/2 stream: the handler and everything it runs synchronously. */
  | 'http2_stream'
  /** Events of an HTTP/2 session. */
  | 'http2_session'
  /** Events of the client's response or stream once the request was handed over (close, abort, trailers). */
  | 'response'
  /** The client's request body on its way upstream. */
  | 'request_body'
  /** The HTTP/1.1 upstream client (pool, connections). */
  | 'upstream_http1'
  /** The HTTP/2 upstream client (gRPC, h2c). */
  | 'upstream_http2'
  /** Rate limits and quotas answered by a remote store (Redis). */
  | 'usage_limits'
  /** The OCSP check a request of an uploaded CA's certificate waits for (uploaded-ca-revocation-check.ts). */
  | 'ocsp_check'
  /** The public PKI endpoints (CA, CRL, OCSP). */
  | 'public_pki'
  /** EST enrollment (RFC 7030, est-request-handler.ts): the body read and the answer of the control plane. */
  | 'est';

export interface FaultGuardOptions {
  readonly logger: Logger;
  /** Told of every fault, by stage (GatewayMetrics.internalError). */
  readonly onInternalError?: (stage: GuardStage) => void;
  /** The clock of the log throttle (tests). */
  readonly now?: () => number;
}

declare const kGuarded: unique symbol;
/** A listener made by FaultGuard.wrap: only these can be attached as they are (no wrapper per registration). */
export type Guarded<A extends unknown[]> = ((...args: A) => void) & { readonly [kGuarded]: true };

/** Node hands listeners at most four arguments here ('stream': stream, headers, flags, raw headers). */
type Handler4 = (a: unknown, b: unknown, c: unknown, d: unknown) => void;

/** Longest error message logged (a message may quote what the client sent). */
const MAX_MESSAGE = 300;

export class FaultGuard {
  readonly #logger: Logger;
  readonly #onInternalError: ((stage: GuardStage) => void) | undefined;
  readonly #throttle: LogThrottle;

  /**
   * For 'error' events that are expected and heard elsewhere (see requestBodyOf). Shared, so that
   * attaching it allocates nothing. An 'error' event without any listener is thrown by Node, from
   * wherever it was emitted: at the process.
   */
  readonly expectedError: Guarded<[unknown]>;

  constructor(options: FaultGuardOptions) {
    this.expectedError = this.wrap('request_body', undefined, () => undefined);
    this.#logger = options.logger;
    this.#onInternalError = options.onInternalError;
    this.#throttle = new LogThrottle(1_000, options.now);
  }

  /**
   * `handler`, guarded: what it throws is caught and `target` contained. Made once (per server, per
   * connection) and attached many times, or kept to be removed later (`off`).
   */
  wrap<A extends unknown[]>(stage: GuardStage, target: FaultTarget, handler: (...args: A) => void): Guarded<A> {
    const call = handler as unknown as Handler4;
    const guarded: Handler4 = (a, b, c, d) => {
      try {
        call(a, b, c, d);
      } catch (error) {
        this.caught(stage, error, target);
      }
    };
    return guarded as unknown as Guarded<A>;
  }

  /** `emitter.on(event, listener)` for a listener already guarded (wrap). */
  attach<A extends unknown[]>(emitter: NodeJS.EventEmitter, event: string, listener: Guarded<A>): void {
    emitter.on(event, listener);
  }

  /** `emitter.once(event, listener)` for a listener already guarded (wrap). */
  attachOnce<A extends unknown[]>(emitter: NodeJS.EventEmitter, event: string, listener: Guarded<A>): void {
    emitter.once(event, listener);
  }

  /** `emitter.on(event, handler)`, guarded; returns the listener registered (for `off`). */
  listen<A extends unknown[]>(
    emitter: EventEmitter,
    event: string,
    stage: GuardStage,
    target: FaultTarget,
    handler: (...args: A) => void,
  ): Guarded<A> {
    const guarded = this.wrap(stage, target, handler);
    emitter.on(event, guarded);
    return guarded;
  }

  /** `emitter.once(event, handler)`, guarded; returns the listener registered (for `off`). */
  listenOnce<A extends unknown[]>(
    emitter: EventEmitter,
    event: string,
    stage: GuardStage,
    target: FaultTarget,
    handler: (...args: A) => void,
  ): Guarded<A> {
    const guarded = this.wrap(stage, target, handler);
    emitter.once(event, guarded);
    return guarded;
  }

  /**
   * A server event that hands over something new (a connection, a request, a stream, a session):
   * a fault contains `targetOf(...arguments)`, that one thing. Registered once per server: no
   * allocation per event.
   */
  listenEach<A extends unknown[]>(
    emitter: EventEmitter,
    event: string,
    stage: GuardStage,
    targetOf: (first: NoInfer<A>[0], second: NoInfer<A>[1]) => FaultTarget,
    handler: (...args: A) => void,
  ): void {
    const call = handler as unknown as Handler4;
    const guarded: Handler4 = (a, b, c, d) => {
      try {
        call(a, b, c, d);
      } catch (error) {
        this.caught(stage, error, targetOf(a, b));
      }
    };
    emitter.on(event, guarded);
  }

  /**
   * `promise.then(onFulfilled, onRejected)` with both guarded: a continuation that throws would
   * otherwise be an unhandled rejection, which ends the process.
   */
  settle<T>(
    promise: Promise<T>,
    stage: GuardStage,
    target: FaultTarget,
    onFulfilled: (value: T) => void,
    onRejected: (error: unknown) => void,
  ): void {
    promise.then(this.wrap(stage, target, onFulfilled), this.wrap(stage, target, onRejected));
  }

  /** `setTimeout(callback, ms)`, guarded. */
  timeout(ms: number, stage: GuardStage, target: FaultTarget, callback: () => void): NodeJS.Timeout {
    return setTimeout(this.wrap(stage, target, callback), ms);
  }

  /** `setTimeout(listener, ms)` for a listener already guarded (wrap): a timer re-armed without a new wrapper. */
  after(ms: number, listener: Guarded<[]>): NodeJS.Timeout {
    return setTimeout(listener, ms);
  }

  /** `process.nextTick(listener)` for a listener already guarded (wrap): no allocation per call. */
  soon(listener: Guarded<[]>): void {
    process.nextTick(listener);
  }

  /** `setInterval(callback, ms)`, guarded. */
  interval(ms: number, stage: GuardStage, target: FaultTarget, callback: () => void): NodeJS.Timeout {
    return setInterval(this.wrap(stage, target, callback), ms);
  }

  /**
   * A fault at `stage`: counted, logged (throttled), and `target` contained. Never throws: each
   * step is on its own, so a failing metric or log cannot keep the client from its answer.
   */
  caught(stage: GuardStage, error: unknown, target: FaultTarget): void {
    try {
      this.#onInternalError?.(stage);
    } catch {
      // A metric that cannot count must not turn one fault into a crash.
    }
    try {
      this.#log(stage, error);
    } catch {
      // Nor a log that cannot write.
    }
    try {
      containFault(target);
    } catch {
      try {
        destroyTarget(target);
      } catch {
        // Nothing left to end it with; the client's own timeouts and ours (idle, request) will.
      }
    }
  }

  #log(stage: GuardStage, error: unknown): void {
    const suppressed = this.#throttle.admit(stage);
    if (suppressed === undefined) return;
    // The error's kind, message and where it was thrown: enough to find the bug, never a stack
    // trace (which can carry values of other frames) in the log.
    const failure = error instanceof Error ? error : undefined;
    this.#logger.error(
      {
        stage,
        error: failure?.name ?? typeof error,
        err: (failure?.message ?? String(error)).slice(0, MAX_MESSAGE),
        at: failure === undefined ? undefined : thrownAt(failure),
        suppressed,
      },
      'internal error: that request, stream or connection was ended (500 or reset); the gateway keeps serving',
    );
  }
}

/** `function (file.ts:line:column)` of the frame that threw, the file without its directory. */
function thrownAt(error: Error): string | undefined {
  const frame = /\n\s+at (.+)/.exec(error.stack ?? '')?.[1];
  return frame?.replace(/(?:file:\/\/)?[^\s()]*[/\\]/g, '');
}
