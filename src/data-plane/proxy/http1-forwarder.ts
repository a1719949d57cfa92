/**
 * Http1Forwarder: HTTP/1.1 to the upstream through an undici Pool (keep-alive, pipelined parser,
 * streaming both ways with backpressure). `pool.dispatch` with a relay handler writes the response
 * straight into the client's response: no intermediate Readable, no full buffering (DESIGN.md §1).
 */
import { Pool } from 'undici';
import { Http1ResponseRelay } from './http1-response-relay.ts';
import type { Forwarder, ResponseSink, UpstreamRequest } from './exchange.ts';

export interface Http1ForwarderOptions {
  readonly origin: string;
  readonly connectTimeoutMs: number;
  /** Time allowed for the upstream to send response headers, and between body chunks. */
  readonly upstreamTimeoutMs: number;
  /** CA PEM for an https upstream; undefined = system store. */
  readonly ca: string | undefined;
  readonly connections?: number;
}

export class Http1Forwarder implements Forwarder {
  readonly #pool: Pool;

  constructor(options: Http1ForwarderOptions) {
    this.#pool = new Pool(options.origin, {
      connections: options.connections ?? 128,
      pipelining: 1,
      keepAliveTimeout: 4_000,
      headersTimeout: options.upstreamTimeoutMs,
      bodyTimeout: options.upstreamTimeoutMs,
      connect: { timeout: options.connectTimeoutMs, ...(options.ca === undefined ? {} : { ca: options.ca }) },
    });
  }

  forward(request: UpstreamRequest, sink: ResponseSink): void {
    // The upstream sees the Host the client asked for (X-Forwarded-Host carries it too).
    request.headers.host = request.authority;
    this.#pool.dispatch(
      { method: request.method, path: request.path, headers: request.headers, body: request.body },
      new Http1ResponseRelay(sink),
    );
  }

  /** Closes the pool once its requests are done; destroys it if some are still running after `graceMs`. */
  async close(graceMs = 1_000): Promise<void> {
    const timer = setTimeout(() => void this.#pool.destroy().catch(() => undefined), graceMs);
    try {
      await this.#pool.close();
    } catch {
      // destroyed by the timer: requests still running were aborted
    } finally {
      clearTimeout(timer);
    }
  }
}
