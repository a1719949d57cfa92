/**
 * /metrics of `serve --workers N` (docs/adr/0018-workers.md): the primary asks every worker for its
 * registry (as prom-client JSON) and renders the primary's own with theirs through prom-client's
 * AggregatorRegistry.aggregate: counters summed (requests, handshake failures, drops), gauges as
 * prom-client aggregates them (open connections summed; the process_* and nodejs_* metrics by their
 * own aggregators). The primary's registry carries what only it measures (configuration, store,
 * certificate expiry, CRL fetches). A worker that does not answer within the timeout is left out of
 * that scrape rather than failing it.
 */
import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue, type Registry } from 'prom-client';
import type { IpcPort } from '../store/ipc/ipc-port.ts';
import type { MetricsSource } from '../admin-api/routes/metrics.ts';

export const METRICS_REQUEST = 'metrics-request';
export const METRICS_ANSWER = 'metrics-answer';
const WORKER_TIMEOUT_MS = 2_000;

type MetricsJson = MetricObjectWithValues<MetricValue<string>>[];

/** In a worker: answers the primary's requests with `registry`. */
export function answerMetricsRequests(port: IpcPort, registry: Registry): () => void {
  return port.onMessage((message) => {
    if (message.portcullis !== METRICS_REQUEST) return;
    registry.getMetricsAsJSON().then(
      (metrics) => port.send({ portcullis: METRICS_ANSWER, id: message.id, metrics }),
      () => port.send({ portcullis: METRICS_ANSWER, id: message.id, metrics: [] }),
    );
  });
}

/** In the primary: the metrics of the whole gateway. */
export class ClusterMetrics implements MetricsSource {
  readonly #own: Registry;
  readonly #ports = new Set<IpcPort>();
  #nextId = 1;

  constructor(own: Registry) {
    this.#own = own;
  }

  get contentType(): string {
    return this.#own.contentType;
  }

  /** Includes a worker in the scrapes; returns what removes it. */
  attach(port: IpcPort): () => void {
    this.#ports.add(port);
    return () => this.#ports.delete(port);
  }

  async render(): Promise<string> {
    const all = await Promise.all([this.#own.getMetricsAsJSON(), ...[...this.#ports].map((port) => this.#ask(port))]);
    return AggregatorRegistry.aggregate(all.filter((metrics) => metrics !== undefined)).metrics();
  }

  #ask(port: IpcPort): Promise<MetricsJson | undefined> {
    const id = this.#nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        stop();
        resolve(undefined);
      }, WORKER_TIMEOUT_MS);
      const stop = port.onMessage((message) => {
        if (message.portcullis !== METRICS_ANSWER || message.id !== id) return;
        clearTimeout(timer);
        stop();
        resolve(Array.isArray(message.metrics) ? (message.metrics as MetricsJson) : undefined);
      });
      port.send({ portcullis: METRICS_REQUEST, id });
    });
  }
}
