/**
 * Http1ResponseRelay: an undici dispatch handler that writes the upstream's response straight into
 * the client's response. One object per request and nothing else: no promise, no AbortController, no
 * stream factory (those cost ~7% of keep-alive throughput in profiles; bench/RESULTS.md).
 * Backpressure: when the client's socket is full, the upstream read is paused until 'drain'.
 */
import type { Dispatcher } from 'undici';
import type { Writable } from 'node:stream';
import { GW_ERR_UPSTREAM_UNAVAILABLE } from '../../errors/index.ts';
import { filterResponseHeaders, type HeaderValue } from './hop-by-hop.ts';
import type { ResponseSink } from './exchange.ts';
import { mapUpstreamError } from './upstream-errors.ts';

const CLIENT_GONE = new Error('the client went away');

export class Http1ResponseRelay implements Dispatcher.DispatchHandler {
  readonly #sink: ResponseSink;
  #controller: Dispatcher.DispatchController | undefined;
  #writable: Writable | null = null;
  #started = false;
  #clientGone = false;

  constructor(sink: ResponseSink) {
    this.#sink = sink;
    sink.onAbort(() => {
      this.#clientGone = true;
      this.#controller?.abort(CLIENT_GONE);
    });
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#clientGone) controller.abort(CLIENT_GONE);
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, HeaderValue | undefined>,
  ): void {
    if (statusCode < 200) return; // 1xx interim answers are not relayed
    this.#started = true;
    this.#writable = this.#sink.start(statusCode, filterResponseHeaders(headers), false, false);
    if (this.#writable === null) controller.abort(CLIENT_GONE);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    const writable = this.#writable;
    if (writable === null) return;
    this.#sink.sentBody(chunk.length);
    if (writable.write(chunk)) return;
    controller.pause();
    writable.once('drain', () => {
      controller.resume();
    });
  }

  onResponseEnd(): void {
    this.#writable?.end();
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    if (this.#clientGone) return;
    this.#sink.fail(this.#started ? GW_ERR_UPSTREAM_UNAVAILABLE : mapUpstreamError(error));
  }
}
