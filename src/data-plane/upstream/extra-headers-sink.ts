/**
 * ExtraHeadersSink: a ResponseSink that adds gateway headers (rate limit, quota) to the upstream's
 * response, and to a refusal. Everything else passes through to the client's sink.
 */
import type { PublicError } from '../pipeline/gateway-response.ts';
import type { ResponseShape, ResponseSink } from './exchange.ts';
import { isHopByHop, type HeaderMap } from './hop-by-hop.ts';

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

  startRelayed(
    status: number,
    headers: Readonly<HeaderMap>,
    fieldLines: string,
    added?: Readonly<Record<string, string>>,
  ): NodeJS.WritableStream | null | undefined {
    const inner = this.#inner;
    if (inner.startRelayed === undefined || !isPlainAddition(this.#extra)) return undefined;
    // As in start(): the inner sink's additions are applied last, so they win over an outer one's.
    return inner.startRelayed(
      status,
      headers,
      fieldLines,
      added === undefined ? this.#extra : { ...added, ...this.#extra },
    );
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

/**
 * Headers a relay may add after the upstream's lines (replacing those of the same name): lowercase names that are
 * neither hop-by-hop nor framing. Anything else (never the rate-limit and quota headers) takes the header-object path.
 */
function isPlainAddition(extra: Readonly<Record<string, string>>): boolean {
  for (const name in extra) {
    if (isHopByHop(name) || name === 'content-length' || name !== name.toLowerCase()) return false;
  }
  return true;
}
