/**
 * The seam between a downstream protocol (HTTP/1.1 or HTTP/2 from the client) and an upstream
 * forwarder (our HTTP/1.1 pool or node:http2), so any client protocol can reach any upstream one.
 */
import type { Readable, Writable } from 'node:stream';
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

export interface ResponseSink {
  /** Starts the response to the client; returns where to write the body, or null if the client is gone. */
  start(status: number, headers: HeaderMap, endStream: boolean, expectTrailers: boolean): Writable | null;
  /** Trailers to send after the body (HTTP/2 clients; dropped for HTTP/1.1). Called before the body ends. */
  trailers(trailers: HeaderMap): void;
  /** Before start: answer with this error. After start: abort the response. */
  fail(error: PublicError): void;
  /** Called once if the client goes away before the response is complete. */
  onAbort(callback: () => void): void;
  /**
   * Body bytes the forwarder wrote to the Writable from start(), as it writes them: an HTTP/2
   * stream counts nothing itself, and analytics report bytes out (HTTP/1.1 reads its socket instead).
   */
  sentBody(bytes: number): void;
}

export interface Forwarder {
  forward(request: UpstreamRequest, sink: ResponseSink): void;
  close(): Promise<void>;
}
