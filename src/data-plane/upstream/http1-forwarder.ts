/**
 * Http1Forwarder: HTTP/1.1 to the upstream through Portcullis' own keep-alive pool (`h1/`): the
 * request head is written straight to a pooled socket, the response is parsed strictly and written
 * straight into the client's response, streaming both ways with backpressure, no full buffering
 * (docs/architecture.md, "Stack"). Why not undici any more: ADR 0006.
 */
import type { Forwarder, ResponseSink, UpstreamRequest } from './exchange.ts';
import { UpstreamPool, type UpstreamPoolOptions } from './h1/upstream-pool.ts';

export type Http1ForwarderOptions = UpstreamPoolOptions;

export class Http1Forwarder implements Forwarder {
  readonly #pool: UpstreamPool;

  constructor(options: Http1ForwarderOptions) {
    this.#pool = new UpstreamPool(options);
  }

  forward(request: UpstreamRequest, sink: ResponseSink): void {
    // The upstream sees the Host the client asked for (X-Forwarded-Host carries it too).
    request.headers.host = request.authority;
    this.#pool.dispatch(request, sink);
  }

  /** Closes the pool once its requests are done; destroys what is still running after `graceMs`. */
  close(graceMs = 1_000): Promise<void> {
    return this.#pool.close(graceMs);
  }
}
