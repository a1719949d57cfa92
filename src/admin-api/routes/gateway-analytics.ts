/**
 * Gateway analytics of a zone (our own resource, in the v4 envelope):
 *   GET /zones/:zone_id/gateway/analytics?since=ISO&until=ISO&group_by=api|key|certificate|status&limit=N
 *     → { since, until, group_by, totals: {…}, groups: [{ key, …same fields }] }
 *   GET /zones/:zone_id/gateway/analytics/certificates?since=ISO&until=ISO&limit=N
 *     → [{ fingerprint, serial, issuer, requests, last_seen }]
 *   GET /zones/:zone_id/gateway/analytics/requests?since&until&api_id&key_id&fingerprint&status&limit
 *     → [{ time, api_id, key_id, hostname, method, path, status, fingerprint, serial, issuer,
 *          latency_ms, bytes_in, bytes_out, rule_hits, mtls_status }], newest first (the request log)
 *   GET /zones/:zone_id/gateway/analytics/mtls_status?since&until&limit
 *     → [{ hostname, status: ok|absent|untrusted|notyetvalid|expired|revoked|null, requests }]
 *   GET /zones/:zone_id/gateway/analytics/timeseries?since&until&interval=minute|hour
 *     → { since, until, interval, points: [{ time, requests, errors }] } (every interval, 0 when quiet)
 * Zone read access; ranges and limits: control/telemetry/analytics-service.ts.
 */
import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { HEX_ID_PATTERN } from '../../control/ids.ts';
import { MAX_GROUP_LIMIT, type AnalyticsService } from '../../control/telemetry/analytics-service.ts';
import type { AnalyticsAggregate, AnalyticsRequestEntry, CertificateUsage } from '../../model/read-models.ts';
import { principalOf } from '../authentication.ts';
import { success } from '../envelope.ts';
import { singlePageInfo } from '../pagination.ts';

const PATH = '/zones/:zone_id/gateway/analytics';
const Params = Type.Object({ zone_id: Type.String({ pattern: HEX_ID_PATTERN }) });
const Since = Type.String({ maxLength: 64, description: 'ISO-8601 with a zone, included (default: until − 24 h)' });
const Until = Type.String({ maxLength: 64, description: 'ISO-8601 with a zone, excluded (default: now)' });
const Limit = Type.Integer({ minimum: 1, maximum: MAX_GROUP_LIMIT, description: 'Most groups returned (100)' });
const GroupBy = Type.Union(
  [
    Type.Literal('api'),
    Type.Literal('key'),
    Type.Literal('certificate'),
    Type.Literal('status'),
    Type.Literal('hostname'),
    Type.Literal('mtls_status'),
  ],
  {
    description: 'Absent: totals only',
  },
);

function aggregateView(aggregate: AnalyticsAggregate): object {
  return {
    requests: aggregate.requests,
    errors: aggregate.errors,
    bytes_in: aggregate.bytesIn,
    bytes_out: aggregate.bytesOut,
    latency_avg_ms: aggregate.latencyAvgMs,
    latency_max_ms: aggregate.latencyMaxMs,
  };
}

function certificateUsageView(usage: CertificateUsage): object {
  return {
    fingerprint: usage.fingerprint,
    serial: usage.serial,
    issuer: usage.issuer,
    requests: usage.requests,
    last_seen: usage.lastSeen,
  };
}

function requestEntryView(entry: AnalyticsRequestEntry): object {
  return {
    time: entry.time,
    api_id: entry.apiId,
    key_id: entry.keyId,
    hostname: entry.hostname,
    method: entry.method,
    path: entry.path,
    status: entry.status,
    fingerprint: entry.fingerprint === '' ? null : entry.fingerprint,
    serial: entry.serial === '' ? null : entry.serial,
    issuer: entry.issuer === '' ? null : entry.issuer,
    latency_ms: entry.latencyMs,
    bytes_in: entry.bytesIn,
    bytes_out: entry.bytesOut,
    rule_hits: entry.ruleHits,
    // Cloudflare's mtls_auth.status vocabulary; null in records from before it was recorded.
    mtls_status: entry.mtlsStatus ?? null,
  };
}

export const gatewayAnalyticsRoutes: FastifyPluginAsyncTypebox<{ analytics: AnalyticsService }> = (
  app,
  { analytics },
) => {
  const tags = ['gateway_analytics'];

  app.get(
    PATH,
    {
      schema: {
        tags,
        params: Params,
        querystring: Type.Object({
          since: Type.Optional(Since),
          until: Type.Optional(Until),
          group_by: Type.Optional(GroupBy),
          limit: Type.Optional(Limit),
        }),
      },
    },
    async (request) => {
      const { since, until, group_by, limit } = request.query;
      const report = await analytics.summary(principalOf(request), request.params.zone_id, {
        since,
        until,
        groupBy: group_by,
        limit,
      });
      return success({
        since: report.since,
        until: report.until,
        group_by: group_by ?? null,
        totals: aggregateView(report.totals),
        groups: report.groups.map((group) => ({ key: group.key, ...aggregateView(group) })),
      });
    },
  );

  app.get(
    `${PATH}/certificates`,
    {
      schema: {
        tags,
        params: Params,
        querystring: Type.Object({
          since: Type.Optional(Type.String({ maxLength: 64, description: 'Default: every retained record' })),
          until: Type.Optional(Until),
          limit: Type.Optional(Limit),
        }),
      },
    },
    async (request) => {
      const { since, until, limit } = request.query;
      const report = await analytics.certificates(principalOf(request), request.params.zone_id, {
        since,
        until,
        limit,
      });
      return success(report.certificates.map(certificateUsageView), singlePageInfo(report.certificates.length));
    },
  );

  app.get(
    `${PATH}/requests`,
    {
      schema: {
        tags,
        params: Params,
        querystring: Type.Object({
          since: Type.Optional(Since),
          until: Type.Optional(Until),
          api_id: Type.Optional(Type.String({ pattern: HEX_ID_PATTERN })),
          key_id: Type.Optional(Type.String({ pattern: HEX_ID_PATTERN })),
          fingerprint: Type.Optional(Type.String({ maxLength: 128, description: 'SHA-256 of the client leaf' })),
          status: Type.Optional(Type.Integer({ minimum: 100, maximum: 599 })),
          limit: Type.Optional(
            Type.Integer({ minimum: 1, maximum: MAX_GROUP_LIMIT, description: 'Most requests returned (100)' }),
          ),
        }),
      },
    },
    async (request) => {
      const { since, until, api_id, key_id, fingerprint, status, limit } = request.query;
      const report = await analytics.requests(principalOf(request), request.params.zone_id, {
        since,
        until,
        apiId: api_id,
        keyId: key_id,
        fingerprint,
        status,
        limit,
      });
      return success(report.requests.map(requestEntryView), singlePageInfo(report.requests.length));
    },
  );
  app.get(
    `${PATH}/mtls_status`,
    {
      schema: {
        tags,
        params: Params,
        querystring: Type.Object({
          since: Type.Optional(Since),
          until: Type.Optional(Until),
          limit: Type.Optional(Limit),
        }),
      },
    },
    async (request) => {
      const { since, until, limit } = request.query;
      const report = await analytics.mtlsStatus(principalOf(request), request.params.zone_id, { since, until, limit });
      const counts = report.counts.map((count) => ({
        hostname: count.hostname,
        status: count.status === '' ? null : count.status,
        requests: count.requests,
      }));
      return success(counts, singlePageInfo(counts.length));
    },
  );

  app.get(
    `${PATH}/timeseries`,
    {
      schema: {
        tags,
        params: Params,
        querystring: Type.Object({
          since: Type.Optional(Since),
          until: Type.Optional(Until),
          interval: Type.Optional(
            Type.Union([Type.Literal('minute'), Type.Literal('hour')], { description: 'Default minute' }),
          ),
        }),
      },
    },
    async (request) => {
      const { since, until, interval } = request.query;
      return success(
        await analytics.overTime(principalOf(request), request.params.zone_id, {
          since,
          until,
          interval: interval ?? 'minute',
        }),
      );
    },
  );
  return Promise.resolve();
};
