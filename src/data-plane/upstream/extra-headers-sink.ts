/**
 * ExtraHeadersSink: a ResponseSink that adds gateway headers (rate limit, quota) to the upstream's
 * response, and to a refusal. Everything else passes through to the client's sink.
 */
import type { PublicError } from '../pipeline/gateway-response.ts';
import type { ResponseShape, ResponseSink } from './exchange.ts';
import type { HeaderMap } from './hop-by-hop.ts';

export class ExtraHeadersSink implements ResponseSink {
  readonly #inner: ResponseSink;
  readonly #extra: Readonly<Record<string, string>>;

  constructor(inner: ResponseSink, extra: Readonly<Record<string, string>>) {
    this.#inner = inner;
    this.#extra = extra;
  }

  start(status: number, headers: HeaderMap, shape: ResponseShape): NodeJS.WritableStream | null {
    // The forwarders hand each response a fresh header object (filterResponseHeaders): add in place.
    return this.#inner.start(status, Object.assign(headers, this.#extra), shape);
  }

  trailers(trailers: HeaderMap): void {
    this.#inner.trailers(trailers);
  }

  fail(error: PublicError): void {
    this.#inner.fail(error);
  }

  onAbort(callback: () => void): void {
    this.#inner.onAbort(callback);
  }

  sentBody(bytes: number): void {
    this.#inner.sentBody(bytes);
  }
}
