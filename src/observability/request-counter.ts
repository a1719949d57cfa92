/**
 * `portcullis_requests_total{zone,zone_name,api,api_name,status}`, counted in nested maps on the hot
 * path (a few Map lookups; prom-client's `inc(labels)` hashes the labels on every call, ~0.7 µs) and
 * handed to prom-client's Registry as a metric object (the shape its `get()` returns) when scraped.
 *
 * Names are looked up at scrape time (request-labels.ts), so the hot path never touches them. A pair
 * whose zone or API the configuration no longer holds, or past the cap, is folded into the `other`
 * series for good (its counts move there; the series it had disappears), so every series only grows.
 */
import type { Registry } from 'prom-client';
import { apiNameOf, MAX_LABELLED_SERIES, OTHER_LABEL, zoneNameOf, type RequestNames } from './request-labels.ts';

interface MetricValue {
  value: number;
  labels: Record<string, string | number>;
}

export interface RequestCounterOptions {
  name: string;
  help: string;
  registers: readonly Registry[];
  names: () => RequestNames;
  /** Zone/API pairs with series of their own; default MAX_LABELLED_SERIES. */
  maxSeries?: number;
}

export class RequestCounter {
  readonly name: string;
  readonly help: string;
  readonly type = 'counter';
  readonly aggregator = 'sum';
  readonly #names: () => RequestNames;
  readonly #maxSeries: number;
  /** zone id → API id → status → requests so far. */
  readonly #series = new Map<string, Map<string, Map<number, number>>>();
  /** status → requests of folded pairs. */
  readonly #other = new Map<number, number>();

  constructor(options: RequestCounterOptions) {
    this.name = options.name;
    this.help = options.help;
    this.#names = options.names;
    this.#maxSeries = options.maxSeries ?? MAX_LABELLED_SERIES;
    for (const registry of options.registers) registry.registerMetric(this as never);
  }

  /** Hot path: no allocation once a zone/API/status has been seen. */
  observe(zoneId: string, apiId: string, status: number): void {
    let apis = this.#series.get(zoneId);
    if (apis === undefined) {
      apis = new Map();
      this.#series.set(zoneId, apis);
    }
    let statuses = apis.get(apiId);
    if (statuses === undefined) {
      statuses = new Map();
      apis.set(apiId, statuses);
    }
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
  }

  /** What prom-client's Registry reads when it renders the metrics. */
  get(): Promise<{ name: string; help: string; type: string; values: MetricValue[]; aggregator: string }> {
    const names = this.#names();
    const values: MetricValue[] = [];
    let labelled = 0;
    for (const [zoneId, apis] of this.#series) {
      const zoneName = zoneNameOf(names, zoneId);
      for (const [apiId, statuses] of apis) {
        const apiName = apiNameOf(names, apiId);
        if (zoneName === undefined || apiName === undefined || labelled >= this.#maxSeries) {
          for (const [status, count] of statuses) this.#other.set(status, (this.#other.get(status) ?? 0) + count);
          apis.delete(apiId);
          continue;
        }
        labelled += 1;
        for (const [status, count] of statuses) {
          values.push({
            value: count,
            labels: { zone: zoneId, zone_name: zoneName, api: apiId, api_name: apiName, status },
          });
        }
      }
      if (apis.size === 0) this.#series.delete(zoneId);
    }
    for (const [status, count] of this.#other) {
      values.push({
        value: count,
        labels: { zone: OTHER_LABEL, zone_name: OTHER_LABEL, api: OTHER_LABEL, api_name: OTHER_LABEL, status },
      });
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator });
  }

  reset(): void {
    this.#series.clear();
    this.#other.clear();
  }
}
