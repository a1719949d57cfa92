/**
 * Requests per day as SVG bars, errors (status 400 and above) and rate-limit hits (429) drawn over
 * them from the baseline: each is a part of the one before (src/control/portal/portal-usage.ts).
 * The bars stretch to the card's width (preserveAspectRatio="none" distorts rectangles, never text);
 * the day labels are HTML below them, so they keep their size, and a narrow card shows the day of
 * the month only, the months being in the caption (portal.css). The legend names only the series
 * that have something to show; with no request at all, a line of text replaces the chart.
 * Attributes and classes only, no inline style (the portal's CSP allows none).
 */
import type { JSX } from 'preact';
import type { DayUsageWire } from './portal-api.ts';

/** Viewbox units: a slot of SLOT per day, bars PLOT_HEIGHT tall at most. */
const SLOT = 10;
const BAR = 7;
const PLOT_HEIGHT = 100;
/** A day with any count gets at least this much bar, so one request next to thousands still shows. */
const MIN_BAR = 1.5;

type Series = 'requests' | 'errors' | 'rate_limited';

const SERIES: readonly { key: Series; label: string }[] = [
  { key: 'requests', label: 'Requests' },
  { key: 'errors', label: 'Errors (status 400 and above)' },
  { key: 'rate_limited', label: 'Rate-limited (429)' },
];

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "2026-12-07" → ["7", "Dec"]: a month name cannot be read the wrong way round, as 12-07 can. */
function dayParts(day: string): [string, string] {
  const [, month = '1', date = '1'] = day.split('-');
  return [String(Number(date)), MONTHS[Number(month) - 1] ?? ''];
}

function dayLabel(day: string): string {
  return dayParts(day).join(' ');
}

export function UsageChart({ usage }: { usage: readonly DayUsageWire[] }): JSX.Element {
  const max = Math.max(1, ...usage.map((day) => day.requests));
  const height = (value: number): number => (value === 0 ? 0 : Math.max(MIN_BAR, (PLOT_HEIGHT * value) / max));
  const total = (key: Series): number => usage.reduce((sum, day) => sum + day[key], 0);
  const shown = SERIES.filter((series) => total(series.key) > 0);
  const busiest = usage.reduce<DayUsageWire | undefined>(
    (best, day) => (best === undefined || day.requests > best.requests ? day : best),
    undefined,
  );
  const width = SLOT * Math.max(1, usage.length);
  const span = `${dayLabel(usage[0]?.day ?? '')} – ${dayLabel(usage.at(-1)?.day ?? '')}`;
  const summary =
    total('requests') === 0
      ? `No requests in the last ${usage.length} days (${span}).`
      : `Last ${usage.length} days (${span}): ${total('requests')} requests, ${total('errors')} errors, ` +
        `${total('rate_limited')} rate-limited. Busiest day: ${dayLabel(busiest?.day ?? '')}, ` +
        `${busiest?.requests ?? 0} requests.`;
  // Nothing to draw: a line says so rather than an empty frame the height of a chart.
  if (total('requests') === 0) return <p class="muted usage-none">{summary}</p>;
  return (
    <figure class="usage">
      <svg
        class="usage-bars"
        viewBox={`0 0 ${width} ${PLOT_HEIGHT}`}
        preserveAspectRatio="none"
        role="img"
        aria-label={summary}
      >
        {usage.map((day, index) => (
          <g key={day.day}>
            <title>{`${dayLabel(day.day)}: ${day.requests} requests, ${day.errors} errors, ${day.rate_limited} rate-limited`}</title>
            {SERIES.map((series) =>
              day[series.key] === 0 ? null : (
                <rect
                  key={series.key}
                  class={series.key}
                  x={index * SLOT + (SLOT - BAR) / 2}
                  y={PLOT_HEIGHT - height(day[series.key])}
                  width={BAR}
                  height={height(day[series.key])}
                />
              ),
            )}
          </g>
        ))}
      </svg>
      <ol class="usage-days" aria-hidden="true">
        {usage.map((day) => (
          <li key={day.day}>
            <span>
              {dayParts(day.day)[0]}
              <span class="month"> {dayParts(day.day)[1]}</span>
            </span>
          </li>
        ))}
      </ol>
      <figcaption class="stack">
        {shown.length === 0 ? null : (
          <ul class="legend usage-legend">
            {shown.map((series) => (
              <li key={series.key} data-series={series.key}>
                <span class={`swatch ${series.key}`} aria-hidden="true" />
                {series.label}
              </li>
            ))}
          </ul>
        )}
        <p class="muted">{summary}</p>
      </figcaption>
    </figure>
  );
}
