/**
 * UpstreamForwarders: one keep-alive HTTP/1.1 pool and/or one HTTP/2 client per upstream origin,
 * shared by every route that points there and kept across snapshot swaps (a recompile must not drop
 * warm upstream connections). Created on the first request to an origin — no store read, just a
 * pool object.
 *
 *   http://   HTTP/1.1 pool; gRPC refused (needs HTTP/2)
 *   https://  HTTP/1.1 pool for plain requests, HTTP/2 (ALPN) for gRPC
 *   h2c://    HTTP/2 prior knowledge for everything
 */
import { GW_ERR_UPSTREAM_PROTOCOL } from '../../errors/index.ts';
import type { UpstreamTarget } from '../../config/upstream-target.ts';
import { DEFAULT_UPSTREAM_TIMEOUT_MS } from '../../config/serve-options.ts';
import type { Forwarder } from './exchange.ts';
import { Http1Forwarder } from './http1-forwarder.ts';
import { Http2Forwarder } from './http2-forwarder.ts';
import type { PublicError } from '../pipeline/gateway-response.ts';
import type { FaultGuard } from '../guard/fault-guard.ts';

export interface UpstreamTimeouts {
  readonly connectTimeoutMs: number;
  /** For requests without a timeout of their own (a route's or API's `upstream_timeout_ms`). */
  readonly upstreamTimeoutMs: number;
}

export const DEFAULT_UPSTREAM_TIMEOUTS: UpstreamTimeouts = Object.freeze({
  connectTimeoutMs: 5_000,
  upstreamTimeoutMs: DEFAULT_UPSTREAM_TIMEOUT_MS,
});

export const GRPC_NEEDS_HTTP2: PublicError = GW_ERR_UPSTREAM_PROTOCOL.create(
  'gRPC needs an HTTP/2 upstream (h2c:// or https://)',
);

export class UpstreamForwarders {
  readonly #timeouts: UpstreamTimeouts;
  readonly #guard: FaultGuard;
  readonly #http1 = new Map<string, Forwarder>();
  readonly #http2 = new Map<string, Forwarder>();

  /** `guard`: the data plane's, for the forwarders' listeners and timers. */
  constructor(guard: FaultGuard, timeouts: UpstreamTimeouts = DEFAULT_UPSTREAM_TIMEOUTS) {
    this.#guard = guard;
    this.#timeouts = timeouts;
  }

  /** The forwarder for this request, or undefined when the upstream cannot carry it (gRPC to http://). */
  forwarderFor(upstream: UpstreamTarget, grpc: boolean): Forwarder | undefined {
    if (upstream.protocol === 'h2c' || (grpc && upstream.protocol === 'https')) return this.#http2Of(upstream);
    if (grpc) return undefined;
    let forwarder = this.#http1.get(upstream.origin);
    if (forwarder === undefined) {
      forwarder = new Http1Forwarder({ origin: upstream.origin, ca: undefined, guard: this.#guard, ...this.#timeouts });
      this.#http1.set(upstream.origin, forwarder);
    }
    return forwarder;
  }

  #http2Of(upstream: UpstreamTarget): Forwarder {
    // Key by protocol too: h2c://host:80 and https://host:443 are different transports.
    const key = `${upstream.protocol}|${upstream.origin}`;
    let forwarder = this.#http2.get(key);
    if (forwarder === undefined) {
      forwarder = new Http2Forwarder({ origin: upstream.origin, ca: undefined, guard: this.#guard, ...this.#timeouts });
      this.#http2.set(key, forwarder);
    }
    return forwarder;
  }

  async close(): Promise<void> {
    const all = [...this.#http1.values(), ...this.#http2.values()];
    this.#http1.clear();
    this.#http2.clear();
    await Promise.all(all.map((forwarder) => forwarder.close()));
  }
}
