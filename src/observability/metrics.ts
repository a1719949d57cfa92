/**
 * GatewayMetrics: the Prometheus metrics of `portcullis serve`, in a registry of their own (never
 * prom-client's global one, so two gateways in one process, as in the tests, do not collide),
 * served as text at `GET /metrics` on the admin listener.
 *
 * Label cardinality is bounded by configuration, never by traffic:
 *  - `zone`/`zone_name` and `api`/`api_name` are ids and names of zones and APIs in the
 *    configuration in force ("" for a request that matched none), looked up at scrape time;
 *    deleted ones and those past a cap are counted as `other` (request-labels.ts).
 *  - `status` is an HTTP status (100–599); `reason` a TLS error code of Node/OpenSSL (a fixed set;
 *    anything else is counted as "other"); `stage` one of the data plane's guard stages
 *    (data-plane/guard/fault-guard.ts: a fixed set).
 *  - `kind`/`id` of the expiry gauge name certificates the monitor reports (see
 *    control/telemetry/certificate-expiry-monitor.ts for which).
 *  - `mtls_certificate_id` of the revocation counters is an uploaded CA (at most a few per account);
 *    `reason`, `outcome` and `result` are fixed sets.
 *  Paths, hostnames, fingerprints and key ids are never labels: they belong in analytics records.
 *
 * Hot path: `observeRequest` counts in nested maps (tens of nanoseconds; prom-client's own
 * `inc(labels)` hashes the labels on every call, ~0.7 µs), rendered when Prometheus scrapes
 * (request-counter.ts); the duration histogram counts in arrays the same way (zone-duration-histogram.ts).
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { ZoneDurationHistogram } from './zone-duration-histogram.ts';
import { RequestCounter } from './request-counter.ts';
import { NO_REQUEST_NAMES, zoneNameOf, type RequestNames } from './request-labels.ts';

/** Seconds: 1 ms … 60 s, dense where an API gateway's answers fall. */
export const REQUEST_DURATION_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];

const TLS_REASON = /^[A-Z0-9_]{1,80}$/;
const GUARD_STAGE = /^[a-z0-9_]{1,40}$/;

export interface CertificateExpiryEntry {
  kind: string;
  id: string;
  expiresAt: Date;
}

export interface GatewayMetricsOptions {
  /** Node's process and runtime metrics (`process_*`, `nodejs_*`); default on. */
  processMetrics?: boolean;
  /** Zones (histogram) and zone/API pairs (counter) with series of their own; default MAX_LABELLED_SERIES. */
  maxLabelledSeries?: number;
}

export class GatewayMetrics {
  readonly registry = new Registry();
  readonly #duration: ZoneDurationHistogram;
  readonly #handshakeFailures: Counter<'reason'>;
  readonly #certificateExpiry: Gauge<'kind' | 'id'>;
  readonly #certificateExpiryTruncated: Gauge;
  readonly #analyticsDropped: Counter<'reason'>;
  readonly #connectionsDropped: Counter<'reason'>;
  readonly #internalErrors: Counter<'stage'>;
  readonly #revocationUnknown: Counter<'mtls_certificate_id' | 'reason' | 'outcome'>;
  readonly #crlFetches: Counter<'result'>;
  readonly #ocspChecks: Counter<'result'>;
  readonly #requests: RequestCounter;
  #names: () => RequestNames = () => NO_REQUEST_NAMES;

  constructor(options: GatewayMetricsOptions = {}) {
    const registers = [this.registry];
    const maxSeries = options.maxLabelledSeries;
    this.#requests = new RequestCounter({
      name: 'portcullis_requests_total',
      help: 'Requests answered by the gateway, by zone, API ("" when none matched, other when deleted or past the cap) and status',
      registers,
      names: () => this.#names(),
      ...(maxSeries === undefined ? {} : { maxSeries }),
    });
    this.#duration = new ZoneDurationHistogram({
      name: 'portcullis_request_duration_seconds',
      help: 'Time from request start to the end of the answer, by zone',
      buckets: REQUEST_DURATION_BUCKETS,
      registers,
      zoneName: (zoneId) => zoneNameOf(this.#names(), zoneId),
      ...(maxSeries === undefined ? {} : { maxSeries }),
    });
    this.#handshakeFailures = new Counter({
      name: 'portcullis_tls_handshake_failures_total',
      help: 'TLS handshakes (or ClientHellos) that failed, by Node/OpenSSL error code',
      labelNames: ['reason'],
      registers,
    });
    this.#certificateExpiry = new Gauge({
      name: 'portcullis_certificate_expiry_timestamp_seconds',
      help: 'notAfter of a certificate in use as a Unix time, by kind (client, ca, leaf, edge, managed_ca) and id',
      labelNames: ['kind', 'id'],
      registers,
    });
    this.#certificateExpiryTruncated = new Gauge({
      name: 'portcullis_certificate_expiry_truncated',
      help: 'Whether active client certificates past the expiry gauge cap (the soonest to expire are kept) were left out: 1 or 0',
      registers,
    });
    this.#analyticsDropped = new Counter({
      name: 'portcullis_analytics_dropped_total',
      help: 'Analytics records lost: buffer_full (the recorder was behind), store_unavailable (the buffer filled while the store was down) or write_failed (the store refused a batch)',
      labelNames: ['reason'],
      registers,
    });
    this.#connectionsDropped = new Counter({
      name: 'portcullis_connections_dropped_total',
      help: 'Gateway connections closed by the listener itself: max_connections and max_connections_per_client (refused at accept, before the TLS handshake), first_request_timeout (no request in time)',
      labelNames: ['reason'],
      registers,
    });
    this.#internalErrors = new Counter({
      name: 'portcullis_internal_errors_total',
      help: 'Exceptions caught in the data plane, by stage: each ended one request, stream or connection (500 or reset), never the process',
      labelNames: ['stage'],
      registers,
    });
    this.#revocationUnknown = new Counter({
      name: 'portcullis_revocation_unknown_total',
      help: 'Requests whose client certificate (of an uploaded CA) had no known revocation status, by CA, reason (crl_missing, crl_stale, ocsp_unknown, ocsp_failed) and outcome (refused: the CA fails closed; allowed: it fails open)',
      labelNames: ['mtls_certificate_id', 'reason', 'outcome'],
      registers,
    });
    this.#crlFetches = new Counter({
      name: 'portcullis_crl_fetches_total',
      help: 'CRL downloads of uploaded CAs by this gateway: updated (a newer CRL is in force), unchanged, failed',
      labelNames: ['result'],
      registers,
    });
    this.#ocspChecks = new Counter({
      name: 'portcullis_ocsp_checks_total',
      help: 'OCSP questions asked by this gateway: good, revoked, unknown (the responder said so), failed (no usable answer)',
      labelNames: ['result'],
      registers,
    });
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /** One answered request (hot path: no allocation once a zone/API/status has been seen). */
  observeRequest(zoneId: string, apiId: string, status: number, durationSeconds: number): void {
    this.#requests.observe(zoneId, apiId, status);
    this.#duration.observe(zoneId, durationSeconds);
  }

  /**
   * Where the request metrics' zone and API names come from: the configuration in force (the
   * current snapshot), asked for at each scrape, never per request.
   */
  nameRequestsFrom(names: () => RequestNames): void {
    this.#names = names;
  }

  /** A failed handshake, by its error code (never anything read from the failed socket). */
  handshakeFailed(reason: string): void {
    this.#handshakeFailures.inc({ reason: TLS_REASON.test(reason) ? reason : 'other' });
  }

  /** Replaces every expiry series with these certificates (set by the expiry monitor each run). */
  setCertificateExpiries(entries: readonly CertificateExpiryEntry[], truncated = false): void {
    this.#certificateExpiryTruncated.set(truncated ? 1 : 0);
    this.#certificateExpiry.reset();
    for (const entry of entries) {
      this.#certificateExpiry.set({ kind: entry.kind, id: entry.id }, Math.floor(entry.expiresAt.getTime() / 1000));
    }
  }

  analyticsDropped(reason: 'buffer_full' | 'store_unavailable' | 'write_failed', count: number): void {
    this.#analyticsDropped.inc({ reason }, count);
  }

  connectionDropped(reason: 'max_connections' | 'max_connections_per_client' | 'first_request_timeout'): void {
    this.#connectionsDropped.inc({ reason });
  }

  /** A request whose certificate's revocation status could not be established (not every request: only those). */
  revocationUnknown(mtlsCertificateId: string, reason: string, allowed: boolean): void {
    this.#revocationUnknown.inc({
      mtls_certificate_id: mtlsCertificateId,
      reason,
      outcome: allowed ? 'allowed' : 'refused',
    });
  }

  crlFetched(result: 'updated' | 'unchanged' | 'failed'): void {
    this.#crlFetches.inc({ result });
  }

  ocspChecked(result: 'good' | 'revoked' | 'unknown' | 'failed'): void {
    this.#ocspChecks.inc({ result });
  }

  /** `portcullis_open_connections`, read at each scrape: what --max-connections is compared with. */
  watchOpenConnections(open: () => number): void {
    new Gauge({
      name: 'portcullis_open_connections',
      help: 'Connections open on the gateway listener, TLS handshakes in progress included',
      registers: [this.registry],
      collect() {
        this.set(open());
      },
    });
  }

  /** A fault the data plane's guard caught and contained (FaultGuard's onInternalError). */
  internalError(stage: string): void {
    this.#internalErrors.inc({ stage: GUARD_STAGE.test(stage) ? stage : 'other' });
  }

  /**
   * With `--redis`: `portcullis_redis_up`, 1 while the connection is ready, read at each scrape.
   * While it is 0, requests under a limit are refused (503) and rule hits wait: the thing to alert
   * on. Absent without Redis (nothing to watch).
   */
  watchRedis(ready: () => boolean): void {
    new Gauge({
      name: 'portcullis_redis_up',
      help: 'Whether the Redis of the shared counters (--redis) is connected and ready: 1 or 0',
      registers: [this.registry],
      collect() {
        this.set(ready() ? 1 : 0);
      },
    });
  }

  /**
   * `portcullis_store_up`: 1 when the store answered a trivial read at this scrape (within the
   * probe's time limit), else 0. While it is 0 the data plane serves the last snapshot it loaded.
   */
  watchStore(up: () => Promise<boolean>): void {
    new Gauge({
      name: 'portcullis_store_up',
      help: 'Whether the store (SQLite or PostgreSQL) answered a trivial read at this scrape: 1 or 0',
      registers: [this.registry],
      async collect() {
        this.set((await up()) ? 1 : 0);
      },
    });
  }

  /** `serve --workers N` (docs/adr/0018-workers.md): how many workers listen now, of how many. */
  watchWorkers(source: { listening(): number; readonly wanted: number }): void {
    new Gauge({
      name: 'portcullis_workers_listening',
      help: 'Worker processes serving the gateway port now (fewer than portcullis_workers_wanted while one is replaced)',
      registers: [this.registry],
      collect() {
        this.set(source.listening());
      },
    });
    new Gauge({
      name: 'portcullis_workers_wanted',
      help: 'Worker processes the gateway runs (--workers)',
      registers: [this.registry],
      collect() {
        this.set(source.wanted);
      },
    });
  }

  /**
   * How current the configuration in force is (control/publish/config-freshness.ts):
   * `portcullis_config_stale_seconds`, 0 while the snapshot is known to match the store, else how
   * long it has not been (alert well before changes made elsewhere matter, e.g. above 30);
   * `portcullis_config_applied_timestamp_seconds`, when the snapshot in force was built.
   */
  watchConfig(source: { staleSeconds(): number; appliedAt(): number | undefined }): void {
    new Gauge({
      name: 'portcullis_config_stale_seconds',
      help: 'Seconds the configuration in force has not been known to match the store (0: current)',
      registers: [this.registry],
      collect() {
        this.set(source.staleSeconds());
      },
    });
    new Gauge({
      name: 'portcullis_config_applied_timestamp_seconds',
      help: 'When the configuration snapshot in force was built, as a Unix time',
      registers: [this.registry],
      collect() {
        const appliedAt = source.appliedAt();
        if (appliedAt !== undefined) this.set(appliedAt / 1000);
      },
    });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The Prometheus text exposition format. */
  render(): Promise<string> {
    return this.registry.metrics();
  }
}
