/**
 * Http1Exchange: one HTTP/1.1 request on the lean client loop (client-connection.ts, ADR 0022) and
 * its response, in one object: what node:http splits into IncomingMessage and ServerResponse.
 *
 *   request   method, target, version, headers (merged as node:http merges them), rawHeaders; the
 *             body, when there is one, as a Readable with backpressure to the TLS socket
 *   response  writeHead builds the head as one latin1 string (framing: the Content-Length given,
 *             else chunked for HTTP/1.1, else close-delimited; `Connection: close` when the
 *             connection ends after it); an upstream HTTP/1.1 head is relayed as its validated
 *             bytes instead (startRelayed, ADR 0023) with the same framing and Connection;
 *             write/end put the body straight on the TLS socket
 *   sink      it is also the ResponseSink the forwarders answer through (one object per request)
 *
 * The head is written corked and the socket uncorked on the next tick (as node:http does), so a
 * head and a body written in the same tick leave in one TLS record.
 */
import { EventEmitter } from 'node:events';
import { STATUS_CODES, type IncomingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { errorBody, type PublicError } from '../../pipeline/gateway-response.ts';
import type { ResponseShape, ResponseSink } from '../../upstream/exchange.ts';
import { connectionListedNames, type HeaderMap } from '../../upstream/hop-by-hop.ts';
import { relayedFieldLines } from '../../upstream/relayed-field-lines.ts';
import { isFieldValue, isToken } from '../../upstream/h1/field-syntax.ts';
import type { RequestHead } from './request-parser.ts';
import { httpDate } from './http-date.ts';
import type { FaultGuard } from '../../guard/fault-guard.ts';

/** What an exchange needs of its connection. */
export interface ExchangeConnection {
  readonly socket: TLSSocket;
  /** Where a fault of a close or abort callback is counted and contained (stage `response`, ADR 0011). */
  readonly guard: FaultGuard;
  /** Whether the connection may carry another request after this exchange's response (keep-alive). */
  keepAliveAfter(exchange: Http1Exchange, closeRequested: boolean): boolean;
  /** Corks the socket for a response head; it is uncorked on the next tick. */
  corkUntilNextTick(): void;
  /** The 100 Continue interim answer (RFC 9110 §15.2.1), once, when the body is first read. */
  sendContinue(exchange: Http1Exchange): void;
  /** The body wants more: read the socket again. */
  resumeBody(exchange: Http1Exchange): void;
  /** The response is complete. */
  responseDone(exchange: Http1Exchange): void;
}

/** How the response body is framed on the wire (RFC 9112 §6). */
const NO_BODY = 0;
const LENGTH = 1;
const CHUNKED = 2;
const UNTIL_CLOSE = 3;

/** Fields we write ourselves from the framing and keep-alive decisions, never copied from the map. */
const OWN_FIELDS = new Set(['connection', 'transfer-encoding', 'keep-alive']);

/** The request body: a Readable fed by the connection, which reads the socket again when it asks. */
class RequestBody extends Readable {
  readonly #exchange: Http1Exchange;

  constructor(exchange: Http1Exchange) {
    super();
    this.#exchange = exchange;
  }

  override _read(): void {
    this.#exchange.wantsBody();
  }
}

type Callbacks = (() => void) | (() => void)[] | undefined;

export class Http1Exchange extends EventEmitter implements ResponseSink {
  readonly method: string;
  readonly target: string;
  readonly http10: boolean;
  readonly headers: IncomingHttpHeaders;
  readonly rawHeaders: readonly string[];
  /** Whether the request has a body (a Content-Length over 0, or chunked). */
  readonly hasBody: boolean;
  /** The body is chunked: its size is counted as it comes (bodyBytesIn). */
  readonly chunked: boolean;
  readonly #head: RequestHead;
  readonly #connection: ExchangeConnection;
  readonly #body: RequestBody | undefined;
  #bodyComplete: boolean;
  #continueSent = false;
  /** Body bytes received so far. */
  bodyBytesIn = 0;
  /** Bytes of the response written to the socket (head and framed body). */
  bytesOut = 0;

  statusCode = 0;
  headersSent = false;
  /** end() was called: no more body. */
  finished = false;
  /** Over: finished and handed back to the connection, or its connection closed first. */
  closed = false;
  /** The connection closes after this response. */
  closesConnection = false;
  /** Sink mode: close the connection after the answer (a refusal of the host decision, draining). */
  #closeAfter = false;
  #sinkFailed = false;
  #framing = NO_BODY;
  #bodyLeft = 0;
  #onClose: Callbacks;
  #onAbort: Callbacks;

  constructor(connection: ExchangeConnection, head: RequestHead) {
    super();
    this.#connection = connection;
    this.#head = head;
    this.method = head.method;
    this.target = head.target;
    this.http10 = head.http10;
    this.headers = head.headers;
    this.rawHeaders = head.rawHeaders;
    this.hasBody = head.body !== 'none';
    this.chunked = head.body === 'chunked';
    this.#bodyComplete = !this.hasBody;
    this.#body = this.hasBody ? new RequestBody(this) : undefined;
  }

  get socket(): TLSSocket {
    return this.#connection.socket;
  }

  get expectContinue(): boolean {
    return this.#head.expectContinue;
  }

  /** The client asked to keep the connection (before our own reasons to close it). */
  get keepAliveRequested(): boolean {
    return this.#head.keepAlive;
  }

  get bodyComplete(): boolean {
    return this.#bodyComplete;
  }

  /** The request body, or null when it has none. Reading it sends 100 Continue when the client asked. */
  body(): Readable | null {
    return this.#body ?? null;
  }

  // ---- fed by the connection ----------------------------------------------------------------

  /** Returns false when the reader is full: the connection stops reading the socket. */
  pushBody(chunk: Buffer): boolean {
    this.bodyBytesIn += chunk.length;
    const body = this.#body;
    if (body === undefined || body.destroyed) return true;
    return body.push(chunk);
  }

  endBody(): void {
    this.#bodyComplete = true;
    this.#body?.push(null);
  }

  /** The request could not be read to its end (a framing error, the client left): the body fails. */
  failBody(): void {
    const body = this.#body;
    if (body !== undefined && !this.#bodyComplete && !body.destroyed) body.destroy(new Error('request body aborted'));
  }

  wantsBody(): void {
    if (this.#head.expectContinue && !this.#continueSent && !this.headersSent) {
      this.#continueSent = true;
      this.#connection.sendContinue(this);
    }
    this.#connection.resumeBody(this);
  }

  /** The client was told to go on (or never asked to wait). */
  get continued(): boolean {
    return !this.#head.expectContinue || this.#continueSent;
  }

  /** Its connection closed: over, whether or not the response was complete. */
  connectionClosed(): void {
    if (this.closed) return;
    this.closed = true;
    this.failBody();
    const onAbort = this.finished ? undefined : this.#onAbort;
    const onClose = this.#onClose;
    this.#onAbort = undefined;
    this.#onClose = undefined;
    this.#run(onAbort);
    this.#run(onClose);
  }

  // ---- what handlers call ---------------------------------------------------------------------

  /** `callback` once, when the exchange is over (its response complete or its connection gone). */
  onClose(callback: () => void): void {
    this.#onClose = add(this.#onClose, callback);
  }

  /** ResponseSink.onAbort: `callback` once, if the connection closes before the response is complete. */
  onAbort(callback: () => void): void {
    if (this.closed) {
      if (!this.finished) callback();
      return;
    }
    this.#onAbort = add(this.#onAbort, callback);
  }

  /** Writes the head. `close`: the connection ends after this response whatever the client asked. */
  writeHead(
    status: number,
    headers: Readonly<Record<string, string | number | readonly string[]>>,
    close = false,
  ): void {
    if (this.headersSent) throw new Error('response head already written');
    let fields = '';
    let hasDate = false;
    for (const name in headers) {
      const value = headers[name];
      if (value === undefined) continue;
      const lower = name.toLowerCase();
      if (OWN_FIELDS.has(lower)) continue;
      if (lower === 'date') hasDate = true;
      if (!isToken(name)) throw new Error('invalid response header name');
      if (typeof value === 'object') {
        for (const item of value) fields += fieldLine(name, item);
      } else {
        fields += fieldLine(name, typeof value === 'number' ? String(value) : value);
      }
    }
    const ending = this.#endHead(status, headers['content-length'], hasDate, close);
    this.#sendHead(`${statusLine(status)}${fields}${ending}`);
  }

  /**
   * Writes the head of a relayed upstream HTTP/1.1 response (ResponseSink.startRelayed, ADR 0023): our status line,
   * the upstream's validated field lines as bytes less the hop-by-hop ones and those `added` replaces, then `added`,
   * Date if the upstream sent none, and our own framing and Connection, exactly as writeHead would.
   */
  #writeRelayedHead(
    status: number,
    headers: Readonly<HeaderMap>,
    fieldLines: string,
    added: Readonly<Record<string, string>> | undefined,
    close: boolean,
  ): void {
    const listed = connectionListedNames(headers.connection);
    const lines = relayedFieldLines(fieldLines, headers, listed, added);
    // A field Connection names is not relayed: it neither frames the body nor dates the answer (as with the object
    // path, where filterResponseHeaders drops it before writeHead sees it).
    const declared = listed?.has('content-length') === true ? undefined : headers['content-length'];
    let addedLines = '';
    let hasDate = headers.date !== undefined && listed?.has('date') !== true;
    if (added !== undefined) {
      for (const name in added) {
        if (!isToken(name)) throw new Error('invalid response header name');
        if (name === 'date') hasDate = true;
        addedLines += fieldLine(name, added[name] ?? '');
      }
    }
    const ending = this.#endHead(status, declared, hasDate, close);
    this.#sendHead(`${statusLine(status)}${lines}${addedLines}${ending}`);
  }

  /**
   * Decides the framing and whether the connection stays open, records them, and returns the end of the head: Date
   * when `hasDate` is false, our Transfer-Encoding and Connection, and the empty line.
   */
  #endHead(
    status: number,
    declared: string | number | readonly string[] | undefined,
    hasDate: boolean,
    close: boolean,
  ): string {
    const hasBody = this.method !== 'HEAD' && status !== 204 && status !== 304 && status >= 200;
    let framing: number;
    if (!hasBody) framing = NO_BODY;
    else if (declared !== undefined) framing = LENGTH;
    else if (!this.http10) framing = CHUNKED;
    else framing = UNTIL_CLOSE;
    const keepAlive = this.#connection.keepAliveAfter(this, close || framing === UNTIL_CLOSE);
    // RFC 9110 §6.6.1: an origin server with a clock sends Date; relayed answers keep the upstream's.
    let ending = hasDate ? '' : `date: ${httpDate()}\r\n`;
    if (framing === CHUNKED) ending += 'transfer-encoding: chunked\r\n';
    if (!keepAlive) ending += 'connection: close\r\n';
    else if (this.http10) ending += 'connection: keep-alive\r\n';
    ending += '\r\n';
    if (framing === LENGTH) {
      const length = Number(declared);
      if (!Number.isSafeInteger(length) || length < 0) throw new Error('invalid response content-length');
      this.#bodyLeft = length;
    }
    this.#framing = framing;
    this.statusCode = status;
    this.headersSent = true;
    this.closesConnection = !keepAlive;
    return ending;
  }

  #sendHead(head: string): void {
    const socket = this.#connection.socket;
    if (socket.destroyed) return;
    this.#connection.corkUntilNextTick();
    this.bytesOut += head.length;
    socket.write(head, 'latin1');
  }

  /** Writes body bytes (dropped for a bodiless answer); false when the socket is full ('drain' follows). */
  write(chunk: Uint8Array | string, encoding?: BufferEncoding | ((error?: Error | null) => void)): boolean {
    if (!this.headersSent) throw new Error('write before writeHead');
    if (this.finished) return false;
    const socket = this.#connection.socket;
    if (socket.destroyed) return false;
    const textEncoding = typeof encoding === 'string' ? encoding : 'utf8';
    const size = typeof chunk === 'string' ? Buffer.byteLength(chunk, textEncoding) : chunk.length;
    switch (this.#framing) {
      case NO_BODY:
        return true;
      case LENGTH:
        this.#bodyLeft -= size;
        // More than declared would be read as the next response: end the connection instead.
        if (this.#bodyLeft < 0) {
          socket.destroy();
          return false;
        }
        break;
      case CHUNKED: {
        if (size === 0) return true; // a zero-size chunk would end the body (RFC 9112 §7.1)
        const line = `${size.toString(16)}\r\n`;
        socket.cork();
        socket.write(line, 'latin1');
        socket.write(chunk, textEncoding);
        const flowing = socket.write('\r\n', 'latin1');
        socket.uncork();
        this.bytesOut += line.length + size + 2;
        return flowing;
      }
      default:
        break;
    }
    this.bytesOut += size;
    return socket.write(chunk, textEncoding);
  }

  /** Ends the response (with a last piece of body); the connection then reads the next request or closes. */
  end(chunk?: Uint8Array | string | (() => void)): this {
    if (this.finished) return this;
    if (!this.headersSent) throw new Error('end before writeHead');
    if (chunk !== undefined && typeof chunk !== 'function') this.write(chunk);
    this.finished = true;
    const socket = this.#connection.socket;
    if (this.#framing === CHUNKED && !socket.destroyed) {
      socket.write('0\r\n\r\n', 'latin1');
      this.bytesOut += 5;
    } else if (this.#framing === LENGTH && this.#bodyLeft !== 0) {
      // Fewer bytes than declared: the client would wait for them, or read the next answer as this body.
      socket.destroy();
    }
    this.emit('finish');
    if (this.closed) return this;
    this.closed = true;
    this.#onAbort = undefined;
    const onClose = this.#onClose;
    this.#onClose = undefined;
    this.#run(onClose);
    this.#connection.responseDone(this);
    return this;
  }

  get writable(): boolean {
    return !this.finished && !this.#connection.socket.destroyed;
  }

  /** The gateway's own JSON answer (gateway-response.ts errorBody); a started response is cut instead. */
  sendError(error: PublicError, close = false): void {
    if (this.headersSent) {
      if (!this.finished) this.#connection.socket.destroy();
      return;
    }
    const body = errorBody(error);
    this.writeHead(
      error.httpStatus,
      {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        'cache-control': 'no-store',
      },
      close,
    );
    this.end(body);
  }

  // ---- ResponseSink -------------------------------------------------------------------------

  /** As a sink: close the connection after the answer (host refusals, draining). Returns this. */
  asSink(closeAfter: boolean): this {
    this.#closeAfter = closeAfter;
    return this;
  }

  start(status: number, headers: HeaderMap, shape: ResponseShape): NodeJS.WritableStream | null {
    if (this.#sinkFailed || this.closed || this.headersSent) return null;
    this.writeHead(status, headers, this.#closeAfter);
    // A bodiless answer (an HTTP/2 upstream's HEADERS with END_STREAM): nobody writes or ends the body.
    if (shape.endStream) this.end();
    return this;
  }

  startRelayed(
    status: number,
    headers: Readonly<HeaderMap>,
    fieldLines: string,
    added?: Readonly<Record<string, string>>,
  ): NodeJS.WritableStream | null {
    if (this.#sinkFailed || this.closed || this.headersSent) return null;
    this.#writeRelayedHead(status, headers, fieldLines, added, this.#closeAfter);
    return this;
  }

  trailers(): void {
    // HTTP/1.1 clients get no trailers (as with node:http before): gRPC, which needs them, runs over HTTP/2.
  }

  fail(error: PublicError): void {
    if (this.#sinkFailed || this.finished || this.closed) return;
    this.#sinkFailed = true;
    this.sendError(error, this.#closeAfter);
  }

  sentBody(): void {
    // Bytes out are counted as they are written (bytesOut).
  }

  #run(callbacks: Callbacks): void {
    if (callbacks !== undefined) runEach(callbacks, this.#connection.guard, this);
  }

  /** The connection under this exchange, destroyed (a cut response, never a wrong one). */
  destroy(): void {
    this.#connection.socket.destroy();
  }
}

function statusLine(status: number): string {
  return `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}\r\n`;
}

function fieldLine(name: string, value: string): string {
  // A CR or LF here would let a value write a second header or response (response splitting).
  if (!isFieldValue(value)) throw new Error(`invalid value for response header ${name}`);
  return `${name}: ${value}\r\n`;
}

/** Runs each callback under the guard, as node:http's 'close' listeners ran (stage `response`). */
function runEach(callbacks: Callbacks, guard: FaultGuard, exchange: Http1Exchange): void {
  if (typeof callbacks === 'function') runOne(callbacks, guard, exchange);
  else if (callbacks !== undefined) for (const callback of callbacks) runOne(callback, guard, exchange);
}

function runOne(callback: () => void, guard: FaultGuard, exchange: Http1Exchange): void {
  try {
    callback();
  } catch (error) {
    guard.caught('response', error, exchange);
  }
}

function add(callbacks: Callbacks, callback: () => void): Callbacks {
  return callbacks === undefined
    ? callback
    : Array.isArray(callbacks)
      ? [...callbacks, callback]
      : [callbacks, callback];
}
