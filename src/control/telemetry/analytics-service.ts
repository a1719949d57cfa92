/**
 * AnalyticsService: what the analytics API may read. Every query is of one zone the principal may
 * read (TenancyService.getZone: unknown zone 404, another account's 403), over a time range that
 * defaults to the last 24 hours: `since` included, `until` excluded. Analytics are stored in
 * one-second buckets (docs/adr/0004), so a range is widened to whole seconds (`since` down, `until`
 * up) and the report states the range it counted.
 */
import { GW_ERR_API_VALIDATION } from '../../errors/index.ts';
import type { AnalyticsStore } from '../../store/ports.ts';
import type { HexId } from '../../model/records.ts';
import type {
  AnalyticsGrouping,
  AnalyticsRequestEntry,
  AnalyticsSummary,
  CertificateUsage,
  AnalyticsInterval,
  AnalyticsPoint,
  MtlsStatusCount,
} from '../../model/read-models.ts';
import type { Principal } from '../access-policy.ts';
import type { TenancyService } from '../tenancy/tenancy-service.ts';

export const DEFAULT_ANALYTICS_RANGE_MS = 86_400_000; // 24 hours
export const DEFAULT_GROUP_LIMIT = 100;
export const MAX_GROUP_LIMIT = 1000;
/** The certificates list looks at every retained record unless told otherwise. */
const BEGINNING = new Date(0);
/** The analytics bucket. */
const SECOND_MS = 1000;
/** Points of one time series: a day of minutes and a half, or two months of hours. */
const MAX_POINTS = 1500;

export interface AnalyticsRangeInput {
  /** ISO-8601 (any form Date.parse reads with a zone); absent: `until` − 24 h. */
  since?: string | undefined;
  /** Absent: now. */
  until?: string | undefined;
}

export interface AnalyticsQueryInput extends AnalyticsRangeInput {
  groupBy?: AnalyticsGrouping | undefined;
  limit?: number | undefined;
}

export interface AnalyticsRequestsInput extends AnalyticsRangeInput {
  apiId?: HexId | undefined;
  keyId?: HexId | undefined;
  /** SHA-256 of the client leaf, hex (any case, colons allowed). */
  fingerprint?: string | undefined;
  status?: number | undefined;
  limit?: number | undefined;
}

export interface AnalyticsRequestsReport {
  since: string;
  until: string;
  requests: AnalyticsRequestEntry[];
}

export interface AnalyticsReport extends AnalyticsSummary {
  since: string;
  until: string;
}

export interface CertificateUsageReport {
  since: string;
  until: string;
  certificates: CertificateUsage[];
}

function parseTime(text: string, name: string): Date {
  // A time without a zone would be read in the server's local time: refuse rather than guess.
  const millis = /(Z|[+-]\d\d:?\d\d)$/i.test(text.trim()) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(millis)) throw GW_ERR_API_VALIDATION.create(`${name} must be an ISO-8601 time with a zone`);
  return new Date(millis);
}

function wholeSecond(time: Date, round: (seconds: number) => number): Date {
  return new Date(round(time.getTime() / SECOND_MS) * SECOND_MS);
}

export class AnalyticsService {
  readonly #store: AnalyticsStore;
  readonly #tenancy: TenancyService;
  readonly #now: () => Date;

  constructor(store: AnalyticsStore, tenancy: TenancyService, now: () => Date = () => new Date()) {
    this.#store = store;
    this.#tenancy = tenancy;
    this.#now = now;
  }

  /** Totals of the zone over the range and, with `groupBy`, the busiest groups (by requests). */
  async summary(principal: Principal, zoneId: HexId, input: AnalyticsQueryInput): Promise<AnalyticsReport> {
    await this.#tenancy.getZone(principal, zoneId, 'read');
    const { since, until } = this.#range(input, (end) => new Date(end.getTime() - DEFAULT_ANALYTICS_RANGE_MS));
    const summary = await this.#store.queryAnalytics({
      zoneId,
      since,
      until,
      ...(input.groupBy === undefined ? {} : { groupBy: input.groupBy }),
      groupLimit: this.#limit(input.limit),
    });
    return { since, until, ...summary };
  }

  /** Client certificates seen in the zone (default: every retained record), most recent first. */
  async certificates(
    principal: Principal,
    zoneId: HexId,
    input: AnalyticsRangeInput & { limit?: number | undefined },
  ): Promise<CertificateUsageReport> {
    await this.#tenancy.getZone(principal, zoneId, 'read');
    const { since, until } = this.#range(input, () => BEGINNING);
    const certificates = await this.#store.lastSeenByCertificate(zoneId, {
      since,
      until,
      limit: this.#limit(input.limit),
    });
    return { since, until, certificates };
  }

  /** The zone's requests over the range (default: the last 24 hours), newest first, as recorded. */
  async requests(principal: Principal, zoneId: HexId, input: AnalyticsRequestsInput): Promise<AnalyticsRequestsReport> {
    await this.#tenancy.getZone(principal, zoneId, 'read');
    const { since, until } = this.#range(input, (end) => new Date(end.getTime() - DEFAULT_ANALYTICS_RANGE_MS));
    const fingerprint = input.fingerprint?.replaceAll(':', '').toLowerCase();
    if (fingerprint !== undefined && !/^[0-9a-f]{64}$/.test(fingerprint)) {
      throw GW_ERR_API_VALIDATION.create('fingerprint must be a SHA-256 fingerprint (64 hex digits)');
    }
    const requests = await this.#store.listAnalyticsRequests({
      zoneId,
      since,
      until,
      ...(input.apiId === undefined ? {} : { apiId: input.apiId }),
      ...(input.keyId === undefined ? {} : { keyId: input.keyId }),
      ...(fingerprint === undefined ? {} : { fingerprint }),
      ...(input.status === undefined ? {} : { status: input.status }),
      limit: this.#limit(input.limit),
    });
    return { since, until, requests };
  }

  /** Requests per hostname and mTLS status over the range (default: the last 24 hours). */
  async mtlsStatus(
    principal: Principal,
    zoneId: HexId,
    input: AnalyticsRangeInput & { limit?: number | undefined },
  ): Promise<{ since: string; until: string; counts: MtlsStatusCount[] }> {
    await this.#tenancy.getZone(principal, zoneId, 'read');
    const { since, until } = this.#range(input, (end) => new Date(end.getTime() - DEFAULT_ANALYTICS_RANGE_MS));
    const counts = await this.#store.mtlsStatusByHostname(zoneId, { since, until, limit: this.#limit(input.limit) });
    return { since, until, counts };
  }

  /**
   * Requests and errors per minute or hour over the range (default: the last 24 hours), every
   * interval present (0 when quiet), so that a chart needs no gap logic. At most MAX_POINTS.
   */
  async overTime(
    principal: Principal,
    zoneId: HexId,
    input: AnalyticsRangeInput & { interval: AnalyticsInterval },
  ): Promise<{ since: string; until: string; interval: AnalyticsInterval; points: AnalyticsPoint[] }> {
    await this.#tenancy.getZone(principal, zoneId, 'read');
    const { since, until } = this.#range(input, (end) => new Date(end.getTime() - DEFAULT_ANALYTICS_RANGE_MS));
    const step = input.interval === 'minute' ? 60_000 : 3_600_000;
    const first = Math.floor(Date.parse(since) / step) * step;
    const count = Math.ceil((Date.parse(until) - first) / step);
    if (count > MAX_POINTS) {
      throw GW_ERR_API_VALIDATION.create(
        `the range holds ${count} ${input.interval}s; at most ${MAX_POINTS} (use a shorter range or interval=hour)`,
      );
    }
    const found = await this.#store.analyticsOverTime(zoneId, { since, until, interval: input.interval });
    const byTime = new Map(found.map((point) => [Date.parse(point.time), point]));
    const points = Array.from({ length: count }, (_, index) => {
      const time = first + index * step;
      const point = byTime.get(time);
      return { time: new Date(time).toISOString(), requests: point?.requests ?? 0, errors: point?.errors ?? 0 };
    });
    return { since, until, interval: input.interval, points };
  }

  #range(input: AnalyticsRangeInput, defaultSince: (until: Date) => Date): { since: string; until: string } {
    const until = input.until === undefined ? wholeSecond(this.#now(), Math.ceil) : parseTime(input.until, 'until');
    const since = input.since === undefined ? defaultSince(until) : parseTime(input.since, 'since');
    if (since.getTime() >= until.getTime()) throw GW_ERR_API_VALIDATION.create('since must be before until');
    return {
      since: wholeSecond(since, Math.floor).toISOString(),
      until: wholeSecond(until, Math.ceil).toISOString(),
    };
  }

  #limit(limit: number | undefined): number {
    if (limit === undefined) return DEFAULT_GROUP_LIMIT;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_GROUP_LIMIT)
      throw GW_ERR_API_VALIDATION.create(`limit must be an integer from 1 to ${MAX_GROUP_LIMIT}`);
    return limit;
  }
}
