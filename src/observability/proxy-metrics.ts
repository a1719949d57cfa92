/**
 * The Prometheus metrics of `portcullis proxy` (served on --metrics-listen): the same names as
 * `serve`'s where they mean the same thing, without zone or API labels (the proxy has one upstream).
 * Every label is a fixed set: an HTTP status, a Node/OpenSSL error code (else `other`), a guard stage,
 * a drop reason. Its own registry, never prom-client's global one.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { REQUEST_DURATION_BUCKETS } from './metrics.ts';

const TLS_REASON = /^[A-Z0-9_]{1,80}$/;
const GUARD_STAGE = /^[a-z0-9_]{1,40}$/;

export interface ProxyMetricsOptions {
  /** Node's process and runtime metrics (`process_*`, `nodejs_*`); default on. */
  processMetrics?: boolean;
}

export class ProxyMetrics {
  readonly registry = new Registry();
  /** status → requests not yet handed to the counter (counted in a Map on the hot path). */
  readonly #pending = new Map<number, number>();
  readonly #duration: Histogram;
  readonly #bytes: Counter<'direction'>;
  readonly #handshakeFailures: Counter<'reason'>;
  readonly #connectionsDropped: Counter<'reason'>;
  readonly #internalErrors: Counter<'stage'>;
  readonly #accessLogDropped: Counter;

  constructor(options: ProxyMetricsOptions = {}) {
    const registers = [this.registry];
    const pending = this.#pending;
    new Counter({
      name: 'portcullis_requests_total',
      help: 'Requests answered by the proxy, by status (499: the client went away first)',
      labelNames: ['status'],
      registers,
      collect() {
        for (const [status, count] of pending) {
          if (count > 0) this.inc({ status }, count);
          pending.set(status, 0);
        }
      },
    });
    this.#duration = new Histogram({
      name: 'portcullis_request_duration_seconds',
      help: 'Time from request start to the end of the answer',
      buckets: REQUEST_DURATION_BUCKETS,
      registers,
    });
    this.#bytes = new Counter({
      name: 'portcullis_request_bytes_total',
      help: 'Bytes of requests (in: request bodies) and answers (out), as in the access log',
      labelNames: ['direction'],
      registers,
    });
    this.#handshakeFailures = new Counter({
      name: 'portcullis_tls_handshake_failures_total',
      help: 'TLS handshakes that failed, by Node/OpenSSL error code',
      labelNames: ['reason'],
      registers,
    });
    this.#connectionsDropped = new Counter({
      name: 'portcullis_connections_dropped_total',
      help: 'Connections closed by the listener itself: max_connections, max_connections_per_client, first_request_timeout',
      labelNames: ['reason'],
      registers,
    });
    this.#internalErrors = new Counter({
      name: 'portcullis_internal_errors_total',
      help: 'Exceptions caught in the data plane, by stage: each ended one request, stream or connection, never the process',
      labelNames: ['stage'],
      registers,
    });
    this.#accessLogDropped = new Counter({
      name: 'portcullis_access_log_dropped_total',
      help: 'Access log lines lost because the log file could not keep up (or could not be written)',
      registers,
    });
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /** One answered request. */
  observeRequest(status: number, durationSeconds: number, bytesIn: number, bytesOut: number): void {
    this.#pending.set(status, (this.#pending.get(status) ?? 0) + 1);
    if (Number.isFinite(durationSeconds)) this.#duration.observe(durationSeconds);
    if (bytesIn > 0) this.#bytes.inc({ direction: 'in' }, bytesIn);
    if (bytesOut > 0) this.#bytes.inc({ direction: 'out' }, bytesOut);
  }

  handshakeFailed(reason: string): void {
    this.#handshakeFailures.inc({ reason: TLS_REASON.test(reason) ? reason : 'other' });
  }

  connectionDropped(reason: 'max_connections' | 'max_connections_per_client' | 'first_request_timeout'): void {
    this.#connectionsDropped.inc({ reason });
  }

  internalError(stage: string): void {
    this.#internalErrors.inc({ stage: GUARD_STAGE.test(stage) ? stage : 'other' });
  }

  accessLogDropped(lines: number): void {
    this.#accessLogDropped.inc(lines);
  }

  /** `portcullis_open_connections`, read at each scrape. */
  watchOpenConnections(open: () => number): void {
    new Gauge({
      name: 'portcullis_open_connections',
      help: 'Connections open on the proxy listener, TLS handshakes in progress included',
      registers: [this.registry],
      collect() {
        this.set(open());
      },
    });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}
