/**
 * The zone at a glance: requests per minute over the last hour (and per hour over the day), the
 * mTLS status of traffic per hostname in Cloudflare's vocabulary, the busiest client certificates,
 * certificates expiring within 30 days, and TLS handshake failures by reason (this node's /metrics).
 */
import type { JSX } from 'preact';
import type {
  AnalyticsTimeseriesWire,
  CertificateUsageWire,
  ExpiringCertificateWire,
  MtlsStatusCountWire,
} from '../../../src/admin-api/wire-types.ts';
import { get, list, metricsText } from '../api/client.ts';
import { useLoad } from '../components/async.ts';
import { Empty, ErrorBox, Loading, Mono, PageHeader, formatDate } from '../components/ui.tsx';
import { BarChart, type BarRow } from '../charts/bar-chart.tsx';
import { MTLS_STATUS_COLORS, MTLS_STATUS_ORDER } from '../charts/mtls-colors.ts';
import { TimeChart } from '../charts/time-chart.tsx';
import { link } from '../router.ts';
import { zone } from '../session.ts';
import { NoZone } from './certificates.tsx';
import '../pages.css';

const HANDSHAKE_FAILURES = /^portcullis_tls_handshake_failures_total\{reason="([^"]*)"\} (\d+(?:\.\d+)?)$/gm;

/** The handshake failure counters of a Prometheus text exposition, by reason. */
export function handshakeFailures(text: string): { reason: string; count: number }[] {
  return [...text.matchAll(HANDSHAKE_FAILURES)]
    .map((match) => ({ reason: match[1] ?? '', count: Number(match[2]) }))
    .filter((item) => item.count > 0)
    .sort((a, b) => b.count - a.count);
}

function statusRows(counts: readonly MtlsStatusCountWire[]): BarRow[] {
  const byHost = new Map<string, Map<string, number>>();
  for (const count of counts) {
    const statuses = byHost.get(count.hostname) ?? new Map<string, number>();
    const status = count.status ?? 'unrecorded';
    statuses.set(status, (statuses.get(status) ?? 0) + count.requests);
    byHost.set(count.hostname, statuses);
  }
  return [...byHost.entries()].map(([hostname, statuses]) => ({
    label: hostname || '(no hostname)',
    parts: MTLS_STATUS_ORDER.map((status) => ({
      name: status,
      value: statuses.get(status) ?? 0,
      color: MTLS_STATUS_COLORS[status],
    })),
  }));
}

async function loadOverview(zoneId: string, accountId: string) {
  const now = Date.now();
  const [hour, day, statuses, certificates, expiring, metrics] = await Promise.all([
    get<AnalyticsTimeseriesWire>(`/zones/${zoneId}/gateway/analytics/timeseries`, {
      since: new Date(now - 3_600_000).toISOString(),
      interval: 'minute',
    }),
    get<AnalyticsTimeseriesWire>(`/zones/${zoneId}/gateway/analytics/timeseries`, { interval: 'hour' }),
    list<MtlsStatusCountWire>(`/zones/${zoneId}/gateway/analytics/mtls_status`),
    list<CertificateUsageWire>(`/zones/${zoneId}/gateway/analytics/certificates`, {
      since: new Date(now - 86_400_000).toISOString(),
      limit: 1000,
    }),
    list<ExpiringCertificateWire>(`/accounts/${accountId}/gateway/expiring_certificates`, { within_days: 30 }),
    metricsText().catch(() => ''),
  ]);
  return {
    hour: hour.points,
    day: day.points,
    statuses: statusRows(statuses.items),
    top: [...certificates.items].sort((a, b) => b.requests - a.requests).slice(0, 8),
    expiring: expiring.items,
    failures: handshakeFailures(metrics),
  };
}

export function Overview(): JSX.Element {
  const current = zone.value;
  const [loaded] = useLoad(
    () => (current === undefined ? Promise.resolve(undefined) : loadOverview(current.id, current.account.id)),
    [current?.id],
  );
  if (current === undefined) return <NoZone />;
  const data = loaded.value;
  return (
    <section>
      <PageHeader title="Overview" />
      {loaded.state === 'failed' ? <ErrorBox error={loaded.error} /> : null}
      {data === undefined ? (
        loaded.state === 'loading' ? (
          <Loading what={`the overview of ${current.name}`} />
        ) : null
      ) : (
        <div class="grid">
          <div class="card chart-card">
            <h2>Requests per minute, last hour</h2>
            <TimeChart points={data.hour} label="Last hour, per minute" />
          </div>
          <div class="card chart-card">
            <h2>Requests per hour, last day</h2>
            <TimeChart points={data.day} label="Last 24 hours, per hour" />
          </div>
          <div class="card">
            <h2>mTLS status of traffic, last day</h2>
            {data.statuses.length === 0 ? (
              <Empty>No request in the last day.</Empty>
            ) : (
              <BarChart
                rows={data.statuses}
                legend={MTLS_STATUS_ORDER.map((status) => ({
                  name: status,
                  value: 0,
                  color: MTLS_STATUS_COLORS[status],
                }))}
              />
            )}
          </div>
          <div class="card">
            <h2>Top client certificates, last day</h2>
            {data.top.length === 0 ? (
              <Empty>No client certificate seen in the last day.</Empty>
            ) : (
              <BarChart
                rows={data.top.map((certificate) => ({
                  label: certificate.serial,
                  parts: [{ name: 'requests', value: certificate.requests, color: '#1f5fbf' }],
                }))}
              />
            )}
          </div>
          <div class="card">
            <h2>Expiring within 30 days</h2>
            {data.expiring.length === 0 ? (
              <Empty>Nothing expires within 30 days.</Empty>
            ) : (
              <BarChart
                rows={data.expiring.slice(0, 10).map((item) => ({
                  label: `${item.name || item.serial_number} (${item.kind.replaceAll('_', ' ')})`,
                  parts: [
                    {
                      name: item.expired ? 'days since expiry' : 'days left',
                      value: Math.max(Math.abs(item.days_remaining), 0.5),
                      color: item.expired || item.days_remaining <= 7 ? '#b3261e' : '#7a4d00',
                    },
                  ],
                }))}
              />
            )}
            {data.expiring.length === 0 ? null : (
              <p class="small muted">
                Soonest: {formatDate(data.expiring[0]?.expires_on)}.{' '}
                <a href={link('certificates')}>Client certificates</a>
              </p>
            )}
          </div>
          <div class="card">
            <h2>TLS handshake failures by reason</h2>
            <p class="small muted">This gateway node, since it started.</p>
            {data.failures.length === 0 ? (
              <Empty>No failed handshake.</Empty>
            ) : (
              <BarChart
                rows={data.failures.map((failure) => ({
                  label: failure.reason,
                  parts: [{ name: 'failures', value: failure.count, color: '#b3261e' }],
                }))}
              />
            )}
          </div>
          {data.top.length === 0 ? null : (
            <div class="card">
              <h2>Busiest certificates in detail</h2>
              <div class="table-wrap" tabIndex={0} role="region" aria-label="Busiest certificates">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">SHA-256</th>
                      <th scope="col" class="num">
                        Requests
                      </th>
                      <th scope="col">Last seen</th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.top.map((certificate) => (
                      <tr key={certificate.fingerprint}>
                        <td>
                          <Mono value={`${certificate.fingerprint.slice(0, 16)}…`} />
                        </td>
                        <td class="num">{certificate.requests.toLocaleString('en')}</td>
                        <td>{formatDate(certificate.last_seen)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </div>
          )}
        </div>
      )}
    </section>
  );
}
