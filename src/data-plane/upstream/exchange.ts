/**
 * The seam between a downstream protocol (HTTP/1.1 or HTTP/2 from the client) and an upstream
 * forwarder (our HTTP/1.1 pool or node:http2), so any client protocol can reach any upstream one.
 */
import type { Readable } from 'node:stream';
import type { PublicError } from '../pipeline/gateway-response.ts';
import type { HeaderMap } from './hop-by-hop.ts';

export interface UpstreamRequest {
  readonly method: string;
  /** Origin-form path with query, upstream base path already applied. */
  readonly path: string;
  readonly authority: string;
  readonly headers: HeaderMap;
  /** Request body, or null when the request has none. Streamed, never buffered. */
  readonly body: Readable | null;
  /**
   * This request's upstream timeout (a route's or an API's own), in place of the forwarder's
   * `upstreamTimeoutMs`; absent: the forwarder's.
   */
  readonly timeoutMs?: number | undefined;
}

/**
 * What follows the status and headers that ResponseSink.start sends: one of the three constants below, named so
 * a call says which (and no object is made per response).
 */
export interface ResponseShape {
  /** Nothing follows: the headers end the response (an HTTP/2 HEADERS frame with END_STREAM). */
  readonly endStream: boolean;
  /** Trailers may follow the body (HTTP/2 clients: gRPC status). */
  readonly expectTrailers: boolean;
}

export const BODY_FOLLOWS: ResponseShape = Object.freeze({ endStream: false, expectTrailers: false });
export const BODY_THEN_TRAILERS: ResponseShape = Object.freeze({ endStream: false, expectTrailers: true });
export const HEADERS_ONLY: ResponseShape = Object.freeze({ endStream: true, expectTrailers: false });

export interface ResponseSink {
  /**
   * Starts the response to the client; returns where to write the body (a stream's write/end and
   * 'drain': an HTTP/2 stream, or the HTTP/1.1 exchange itself), or null if the client is gone.
   */
  start(status: number, headers: HeaderMap, shape: ResponseShape): NodeJS.WritableStream | null;
  /**
   * Optional (the lean HTTP/1.1 loop's exchange, and wrappers of it): starts the response from an upstream HTTP/1.1
   * head by relaying its validated field lines as bytes (relayed-field-lines.ts, ADR 0023), with `added` written
   * after them in place of any upstream line of the same name; a body follows. `fieldLines` are latin1-decoded (one
   * char per byte), `headers` the same lines parsed. Returns what start() returns, or undefined when this sink cannot relay
   * bytes: the caller then calls start() with the filtered header object.
   */
  startRelayed?(
    status: number,
    headers: Readonly<HeaderMap>,
    fieldLines: string,
    added?: Readonly<Record<string, string>>,
  ): NodeJS.WritableStream | null | undefined;
  /** Trailers to send after the body (HTTP/2 clients; dropped for HTTP/1.1). Called before the body ends. */
  trailers(trailers: HeaderMap): void;
  /** Before start: answer with this error. After start: abort the response. */
  fail(error: PublicError): void;
  /** Called once if the client goes away before the response is complete. */
  onAbort(callback: () => void): void;
  /**
   * Body bytes the forwarder wrote to the Writable from start(), as it writes them: an HTTP/2
   * stream counts nothing itself, and analytics report bytes out (the HTTP/1.1 exchange counts its own).
   */
  sentBody(bytes: number): void;
}

export interface Forwarder {
  forward(request: UpstreamRequest, sink: ResponseSink): void;
  close(): Promise<void>;
}
