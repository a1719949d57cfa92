/**
 * Http1ClientConnection: the lean HTTP/1.1 loop on one accepted TLS socket (ADR 0022), in place of
 * node:http's server, IncomingMessage and ServerResponse.
 *
 *   bytes ─▶ Http1RequestParser (strict, request-parser.ts) ─✗ JSON 400/431 (http1-client-error.ts), closed
 *     └ each request head: Host unambiguous (request-authority.ts) ─✗ 400, closed; else one Http1Exchange
 *       to the handler; its body streams with backpressure (a full reader pauses the socket)
 *   pipelining: the parser stops at the end of each request; bytes after it wait (the socket paused)
 *     until the answer to that request is written (RFC 9112 §9.3.2: answers in request order)
 *   keep-alive: HTTP/1.1 unless `close` is asked, HTTP/1.0 only with `keep-alive` (RFC 9112 §9.3);
 *     after an answer whose request body was not read, the rest of the body is read and dropped
 *     (as node:http does), unless the client still waits for 100 Continue (then the connection ends)
 *
 * One timer per connection, not per request: a deadline (a number) is moved as the connection goes
 * from state to state, and the timer, when it fires early, re-arms itself for what is left. The
 * timeouts are node:http's as the listener configured them before (ADR 0022):
 *   idle between requests (keep-alive)     5 s   closed quietly
 *   a request head once it began           10 s  408, closed
 *   a whole request, body included         300 s 408, closed
 * (before the first request, the listener's --first-request-timeout.)
 *
 * Every listener is registered once per connection through the FaultGuard (ADR 0011); a fault in the
 * handler answers that request with 500 (the exchange is its FaultTarget), anything else here ends
 * the connection.
 */
import type { TLSSocket } from 'node:tls';
import { GW_ERR_REQUEST_INVALID } from '../../../errors/index.ts';
import type { FaultGuard, Guarded } from '../../guard/fault-guard.ts';
import { answerHttp1ClientError, clientErrorAnswer } from '../http1-client-error.ts';
import { http1HostProblem } from '../request-authority.ts';
import { Http1Exchange, type ExchangeConnection } from './http1-exchange.ts';
import {
  Http1RequestError,
  Http1RequestParser,
  type RequestHead,
  type RequestParserHandler,
} from './request-parser.ts';

export interface Http1Timeouts {
  /** Idle time allowed between an answer and the next request (node:http's keepAliveTimeout). */
  readonly keepAliveMs: number;
  /** Time allowed for a request head once its first byte came (headersTimeout). */
  readonly headersMs: number;
  /** Time allowed for a whole request, body included (requestTimeout). */
  readonly requestMs: number;
}

export const DEFAULT_HTTP1_TIMEOUTS: Http1Timeouts = Object.freeze({
  keepAliveMs: 5_000,
  headersMs: 10_000,
  requestMs: 300_000,
});

export interface Http1LoopOptions {
  readonly guard: FaultGuard;
  readonly timeouts: Http1Timeouts;
  /** A request with a valid Host: the handler (its faults are contained to the exchange). */
  readonly onRequest: (exchange: Http1Exchange) => void;
  /** The first request head arrived on this connection. */
  readonly onFirstRequest: () => void;
  /** Draining (SIGTERM): every answer closes its connection. */
  readonly draining: () => boolean;
  /** Told of each refused request, by its parser code (logged at debug by the listener). */
  readonly onRefused?: (code: string) => void;
}

const NONE = 0;
const IDLE = 1;
const HEAD = 2;
const REQUEST = 3;

const CONTINUE = 'HTTP/1.1 100 Continue\r\n\r\n';
const TIMEOUT = Object.freeze({ code: 'ERR_HTTP_REQUEST_TIMEOUT' });
/** A refused client that does not read our answer does not keep its socket longer than this. */
const ANSWER_FLUSH_MS = 1_000;

export class Http1ClientConnection implements RequestParserHandler, ExchangeConnection {
  readonly socket: TLSSocket;
  readonly guard: FaultGuard;
  readonly #options: Http1LoopOptions;
  readonly #parser: Http1RequestParser;
  /** The request being received or answered; further requests wait for its answer. */
  #current: Http1Exchange | undefined;
  /** Bytes of pipelined requests that wait for the current answer (the socket is paused meanwhile). */
  #held: Buffer | undefined;
  #parsing = false;
  #firstSeen = false;
  /** Paused because the request body's reader is full. */
  #bodyPaused = false;
  /** No more requests on this connection: it closes once the current answer is written. */
  #ending = false;
  #corks = 0;
  #deadline = 0;
  #deadlineKind = NONE;
  #timer: NodeJS.Timeout | undefined;
  /** When the armed timer fires (epoch ms); 0: none armed. */
  #timerAt = 0;
  readonly #onTimer: Guarded<[]>;
  readonly #uncork: Guarded<[]>;

  constructor(socket: TLSSocket, options: Http1LoopOptions) {
    this.socket = socket;
    this.#options = options;
    this.#parser = new Http1RequestParser(this);
    const guard = (this.guard = options.guard);
    this.#onTimer = guard.wrap('connection', socket, () => this.#timerFired());
    this.#uncork = guard.wrap('connection', socket, () => {
      const corks = this.#corks;
      this.#corks = 0;
      for (let n = 0; n < corks; n++) socket.uncork();
    });
    guard.listen(socket, 'data', 'connection', socket, (chunk: Buffer) => this.#onData(chunk));
    guard.listen(socket, 'drain', 'connection', socket, () => this.#current?.emit('drain'));
    guard.listen(socket, 'error', 'connection', socket, () => {
      // 'close' follows; a client's reset is not ours to log.
    });
    guard.listenOnce(socket, 'close', 'connection', socket, () => this.#onClose());
  }

  /** Draining: closes the connection now if no request is under way (node:http's closeIdleConnections). */
  closeIfIdle(): void {
    if (this.#current === undefined && !this.#parser.inHead && this.#held === undefined) this.socket.destroy();
  }

  // ---- bytes in -----------------------------------------------------------------------------

  #onData(chunk: Buffer): void {
    if (this.#ending) return; // the answer that closes the connection is on its way: nothing more is read
    if (this.#held !== undefined) {
      // Read before the pause took effect: it waits with the rest.
      this.#held = Buffer.concat([this.#held, chunk]);
      return;
    }
    this.#parse(chunk);
  }

  #parse(data: Buffer): void {
    this.#parsing = true;
    try {
      let start = 0;
      for (;;) {
        const next = this.#parser.push(data, start);
        if (next >= data.length || this.#ending) break;
        start = next;
        if (this.#current !== undefined) {
          // A pipelined request: it is read once the current one is answered.
          this.#held = data.subarray(start);
          this.socket.pause();
          break;
        }
      }
    } catch (error) {
      this.#refuse(error instanceof Http1RequestError ? error : { code: 'HPE_INTERNAL' });
      return;
    } finally {
      this.#parsing = false;
    }
    if (this.#parser.inHead && this.#deadlineKind !== HEAD) {
      this.#setDeadline(HEAD, Date.now() + this.#options.timeouts.headersMs);
    }
  }

  onRequestHead(head: RequestHead): void {
    if (!this.#firstSeen) {
      this.#firstSeen = true;
      this.#options.onFirstRequest();
    }
    const exchange = new Http1Exchange(this, head);
    this.#current = exchange;
    const body = exchange.body();
    // A body failed (cut short, timed out) before any reader listened: an 'error' nobody hears is thrown by Node.
    if (body !== null) this.#options.guard.attach(body, 'error', this.#options.guard.expectedError);
    if (head.body === 'none') this.#setDeadline(NONE, 0);
    else this.#setDeadline(REQUEST, Date.now() + this.#options.timeouts.requestMs);
    const problem = requestProblem(head);
    if (problem !== undefined) {
      exchange.sendError(GW_ERR_REQUEST_INVALID.create(problem), true);
      return;
    }
    try {
      this.#options.onRequest(exchange);
    } catch (error) {
      // As a fault in node:http's 'request' handler: that request gets a 500, the connection goes on.
      this.#options.guard.caught('http1_request', error, exchange);
    }
  }

  onRequestBody(chunk: Buffer): void {
    const exchange = this.#current;
    if (exchange === undefined) return;
    if (exchange.finished) {
      exchange.bodyBytesIn += chunk.length; // answered already: read and dropped
      return;
    }
    if (!exchange.pushBody(chunk) && !this.#bodyPaused) {
      this.#bodyPaused = true;
      this.socket.pause();
    }
  }

  onRequestEnd(): void {
    const exchange = this.#current;
    if (exchange === undefined) return;
    exchange.endBody();
    if (!exchange.finished) {
      this.#setDeadline(NONE, 0); // the answer is under way: the upstream's timeouts apply
      return;
    }
    // Answered before its body was all read: the body is dropped now, and the next request may come.
    this.#current = undefined;
    this.#resumeReading();
    if (!this.#ending) this.#setDeadline(IDLE, Date.now() + this.#options.timeouts.keepAliveMs);
  }

  // ---- ExchangeConnection -------------------------------------------------------------------

  keepAliveAfter(exchange: Http1Exchange, closeRequested: boolean): boolean {
    const keep =
      !closeRequested &&
      !this.#ending &&
      exchange.keepAliveRequested &&
      // A client still waiting for 100 Continue may or may not send its body: the framing is unknown.
      (exchange.bodyComplete || exchange.continued) &&
      !this.#options.draining();
    if (!keep && exchange === this.#current) this.#ending = true;
    return keep;
  }

  corkUntilNextTick(): void {
    this.socket.cork();
    if (this.#corks++ === 0) this.#options.guard.soon(this.#uncork);
  }

  sendContinue(exchange: Http1Exchange): void {
    if (exchange === this.#current && !this.socket.destroyed) this.socket.write(CONTINUE, 'latin1');
  }

  resumeBody(exchange: Http1Exchange): void {
    if (exchange !== this.#current || !this.#bodyPaused) return;
    this.#bodyPaused = false;
    if (this.#held === undefined) this.socket.resume();
  }

  responseDone(exchange: Http1Exchange): void {
    if (exchange !== this.#current) return;
    if (exchange.closesConnection || this.#ending) {
      this.#ending = true;
      this.#held = undefined;
      this.#setDeadline(NONE, 0);
      // Ends our side once the answer is flushed, then destroys (node:http's destroySoon).
      this.socket.destroySoon();
      return;
    }
    if (!exchange.bodyComplete) {
      // Its body is still coming: read and dropped (onRequestBody), then the next request.
      this.#resumeReading();
      return;
    }
    this.#current = undefined;
    this.#setDeadline(IDLE, Date.now() + this.#options.timeouts.keepAliveMs);
    this.#resumeReading();
  }

  #resumeReading(): void {
    if (this.#bodyPaused) {
      this.#bodyPaused = false;
      if (this.#held === undefined) this.socket.resume();
    }
    const held = this.#held;
    if (held === undefined || this.#parsing || this.#current !== undefined) return;
    this.#held = undefined;
    this.socket.resume();
    this.#parse(held);
  }

  // ---- refusals, timeouts, close ------------------------------------------------------------

  /**
   * A request that cannot be read (or not in time): its JSON answer when none started yet, then the
   * connection closes (RFC 9112 §11.2: once framing is in doubt, nothing after it can be trusted).
   */
  #refuse(error: { readonly code: string }): void {
    this.#ending = true;
    this.#held = undefined;
    this.#setDeadline(NONE, 0);
    this.#options.onRefused?.(error.code);
    const exchange = this.#current;
    if (exchange !== undefined && !exchange.finished) {
      const answer = clientErrorAnswer(error.code);
      if (exchange.headersSent || answer === undefined) {
        this.socket.destroy();
        return;
      }
      // Its handler already runs (the body was cut short): it gets our answer instead, and its body fails.
      exchange.sendError(answer, true);
      exchange.failBody();
      this.#setDeadline(IDLE, Date.now() + ANSWER_FLUSH_MS);
      return;
    }
    answerHttp1ClientError(error, this.socket, this.#options.guard);
  }

  #setDeadline(kind: number, at: number): void {
    this.#deadlineKind = kind;
    this.#deadline = at;
    if (at === 0 || (this.#timerAt !== 0 && this.#timerAt <= at)) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = this.#options.guard.after(Math.max(1, at - Date.now()), this.#onTimer);
  }

  #timerFired(): void {
    this.#timer = undefined;
    this.#timerAt = 0;
    const at = this.#deadline;
    if (at === 0 || this.socket.destroyed) return;
    if (Date.now() < at) {
      this.#setDeadline(this.#deadlineKind, at);
      return;
    }
    if (this.#deadlineKind === IDLE) this.socket.destroy();
    else this.#refuse(TIMEOUT);
  }

  #onClose(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#deadline = 0;
    this.#held = undefined;
    this.#current?.connectionClosed();
  }
}

/**
 * Why the gateway refuses a request before any handler sees it, or undefined. CONNECT asks for a tunnel
 * (RFC 9110 §9.3.6): a reverse proxy opens none, and relaying the request upstream only earned a 502; node:http
 * closed such connections unanswered. The Host rules are request-authority.ts's.
 */
function requestProblem(head: RequestHead): string | undefined {
  if (head.method === 'CONNECT') return 'CONNECT is not supported: the gateway opens no tunnels';
  return http1HostProblem(head.rawHeaders, head.http10 ? '1.0' : '1.1');
}
