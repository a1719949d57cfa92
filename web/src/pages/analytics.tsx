/**
 * The zone's request log with filters (API, key, fingerprint, status, time range: all applied by
 * the API), a chart of the range over time, and CSV export of what is shown. The log pages
 * backwards in time: the next page is the requests before the oldest one shown (the API answers
 * newest first with a limit).
 */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import type {
  AnalyticsRequestWire,
  AnalyticsTimeseriesWire,
  GatewayApiWire,
} from '../../../src/admin-api/wire-types.ts';
import { get, list } from '../api/client.ts';
import { fieldOfError } from '../api/field-errors.ts';
import { useLoad } from '../components/async.ts';
import { download } from '../components/download.ts';
import { Empty, ErrorBox, Field, Loading, PageHeader, StatusBadge, formatDate } from '../components/ui.tsx';
import { TimeChart } from '../charts/time-chart.tsx';
import { toCsv } from '../analytics/csv.ts';
import { zone } from '../session.ts';
import { NoZone } from './certificates.tsx';
import '../pages.css';

const PER_PAGE = 50;
const DAY_RANGE = { value: '24h', label: 'Last 24 hours', ms: 86_400_000, interval: 'hour' } as const;
const RANGES: readonly { value: string; label: string; ms: number; interval: 'minute' | 'hour' }[] = [
  { value: '1h', label: 'Last hour', ms: 3_600_000, interval: 'minute' },
  { value: '6h', label: 'Last 6 hours', ms: 6 * 3_600_000, interval: 'minute' },
  DAY_RANGE,
  { value: '7d', label: 'Last 7 days', ms: 7 * 86_400_000, interval: 'hour' },
];

interface Filters {
  range: string;
  apiId: string;
  keyId: string;
  fingerprint: string;
  status: string;
}

const NO_FILTERS: Filters = { range: '24h', apiId: '', keyId: '', fingerprint: '', status: '' };

export function AnalyticsPage(): JSX.Element {
  const current = zone.value;
  const [draft, setDraft] = useState<Filters>(NO_FILTERS);
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  /** `until` of each page shown so far: [now] on the first. */
  const [pages, setPages] = useState<string[]>([new Date().toISOString()]);
  const range = RANGES.find((item) => item.value === filters.range) ?? DAY_RANGE;
  const until = pages.at(-1) ?? new Date().toISOString();
  const since = new Date(Date.parse(pages[0] ?? until) - range.ms).toISOString();
  const query = {
    since,
    api_id: filters.apiId,
    key_id: filters.keyId,
    fingerprint: filters.fingerprint,
    status: filters.status,
  };
  const [apis] = useLoad(
    () =>
      current === undefined
        ? Promise.resolve(undefined)
        : list<GatewayApiWire>(`/zones/${current.id}/gateway/apis`).then((page) => page.items),
    [current?.id],
  );
  const [loaded] = useLoad(async () => {
    if (current === undefined) return undefined;
    const [log, series] = await Promise.all([
      list<AnalyticsRequestWire>(`/zones/${current.id}/gateway/analytics/requests`, {
        ...query,
        until,
        limit: PER_PAGE,
      }),
      get<AnalyticsTimeseriesWire>(`/zones/${current.id}/gateway/analytics/timeseries`, {
        since,
        until: pages[0],
        interval: range.interval,
      }),
    ]);
    return { log: log.items, series };
  }, [current?.id, filters, until]);
  if (current === undefined) return <NoZone />;
  const data = loaded.value;
  const problem = loaded.state === 'failed' ? fieldOfError(loaded.error.errors[0]?.message ?? '') : undefined;
  const at = (name: string): string | undefined => (problem?.field === name ? problem.message : undefined);
  const apiName = (id: string | null): string =>
    id === null ? '—' : (apis.value?.find((api) => api.id === id)?.name ?? id.slice(0, 8));
  const oldest = data?.log.at(-1)?.time;
  return (
    <section>
      <PageHeader title="Analytics">
        <button
          type="button"
          disabled={data === undefined || data.log.length === 0}
          onClick={() => {
            if (data !== undefined) download(`requests-${current.name}.csv`, toCsv(data.log, apiName), 'text/csv');
          }}
        >
          Export CSV
        </button>
      </PageHeader>
      <form
        class="filters"
        role="search"
        aria-label="Filter requests"
        onSubmit={(event) => {
          event.preventDefault();
          setFilters({ ...draft, fingerprint: draft.fingerprint.trim(), status: draft.status.trim() });
          setPages([new Date().toISOString()]);
        }}
      >
        <Field label="Time range">
          {(id) => (
            <select
              id={id}
              value={draft.range}
              onChange={(event) => setDraft({ ...draft, range: event.currentTarget.value })}
            >
              {RANGES.map((item) => (
                <option key={item.value} value={item.value}>
                  {item.label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="API" error={at('api_id')}>
          {(id, describedBy) => (
            <select
              id={id}
              aria-describedby={describedBy}
              value={draft.apiId}
              onChange={(event) => setDraft({ ...draft, apiId: event.currentTarget.value })}
            >
              <option value="">Any</option>
              {(apis.value ?? []).map((api) => (
                <option key={api.id} value={api.id}>
                  {api.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Key id" error={at('key_id')}>
          {(id, describedBy) => (
            <input
              id={id}
              aria-describedby={describedBy}
              value={draft.keyId}
              onInput={(event) => setDraft({ ...draft, keyId: event.currentTarget.value })}
            />
          )}
        </Field>
        <Field label="Fingerprint (SHA-256)" error={at('fingerprint')}>
          {(id, describedBy) => (
            <input
              id={id}
              aria-describedby={describedBy}
              value={draft.fingerprint}
              onInput={(event) => setDraft({ ...draft, fingerprint: event.currentTarget.value })}
            />
          )}
        </Field>
        <Field label="Status" error={at('status')}>
          {(id, describedBy) => (
            <input
              id={id}
              inputMode="numeric"
              aria-describedby={describedBy}
              value={draft.status}
              onInput={(event) => setDraft({ ...draft, status: event.currentTarget.value })}
            />
          )}
        </Field>
        <button type="submit">Apply</button>
      </form>
      {loaded.state === 'failed' && problem?.field === '' ? <ErrorBox error={loaded.error} /> : null}
      {data === undefined ? (
        loaded.state === 'loading' ? (
          <Loading what="requests" />
        ) : null
      ) : (
        <>
          <div class="card chart-card">
            <h2>Requests over time</h2>
            <TimeChart points={data.series.points} label={range.label} />
          </div>
          {data.log.length === 0 ? (
            <Empty>No request matches in this range.</Empty>
          ) : (
            <div class="table-wrap" tabIndex={0} role="region" aria-label="Request log">
              <table aria-busy={loaded.state === 'loading'}>
                <caption>Requests, newest first{pages.length > 1 ? ` (page ${pages.length})` : ''}</caption>
                <thead>
                  <tr>
                    <th scope="col">Time</th>
                    <th scope="col">Request</th>
                    <th scope="col">Status</th>
                    <th scope="col">mTLS</th>
                    <th scope="col">API</th>
                    <th scope="col">Certificate</th>
                    <th scope="col" class="num">
                      ms
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {data.log.map((entry, index) => (
                    <tr key={`${entry.time}-${index}`}>
                      <td class="small">{formatDate(entry.time)}</td>
                      <td>
                        <code class="truncate" title={`${entry.method} ${entry.hostname}${entry.path}`}>
                          {entry.method} {entry.hostname}
                          {entry.path}
                        </code>
                      </td>
                      <td>{entry.status}</td>
                      <td>
                        {entry.mtls_status === null ? (
                          <span class="muted">—</span>
                        ) : (
                          <StatusBadge status={entry.mtls_status} />
                        )}
                      </td>
                      <td>{apiName(entry.api_id)}</td>
                      <td>
                        {entry.fingerprint === null ? (
                          <span class="muted">none</span>
                        ) : (
                          <code class="small" title={entry.fingerprint}>
                            {entry.fingerprint.slice(0, 12)}…
                          </code>
                        )}
                      </td>
                      <td class="num">{entry.latency_ms}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <nav class="pager" aria-label="Pages">
            <button type="button" disabled={pages.length <= 1} onClick={() => setPages(pages.slice(0, -1))}>
              Newer
            </button>
            <span>{data.log.length} requests shown</span>
            <button
              type="button"
              disabled={oldest === undefined || data.log.length < PER_PAGE}
              onClick={() => {
                // Whole seconds (the API counts in one-second buckets): the next page starts at the
                // oldest shown request's second; requests of that second beyond the limit are skipped.
                if (oldest !== undefined)
                  setPages([...pages, new Date(Math.floor(Date.parse(oldest) / 1000) * 1000).toISOString()]);
              }}
            >
              Older
            </button>
          </nav>
        </>
      )}
    </section>
  );
}
