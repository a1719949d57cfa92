/** Requests (and errors) per day as SVG bars: attributes only, no inline style (the CSP allows none). */
import type { JSX } from 'preact';
import type { DayUsageWire } from './portal-api.ts';

const WIDTH = 700;
const HEIGHT = 160;
const BOTTOM = 20;

export function UsageChart({ usage }: { usage: readonly DayUsageWire[] }): JSX.Element {
  const max = Math.max(1, ...usage.map((day) => day.requests));
  const slot = WIDTH / Math.max(1, usage.length);
  const scale = (value: number): number => ((HEIGHT - BOTTOM) * value) / max;
  const total = usage.reduce(
    (sum, day) => ({
      requests: sum.requests + day.requests,
      errors: sum.errors + day.errors,
      limited: sum.limited + day.rate_limited,
    }),
    { requests: 0, errors: 0, limited: 0 },
  );
  return (
    <figure class="stack">
      <svg
        class="usage-chart"
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        role="img"
        aria-label={`Requests per day over ${usage.length} days: ${total.requests} requests, ${total.errors} errors`}
      >
        <line class="baseline" x1={0} x2={WIDTH} y1={HEIGHT - BOTTOM} y2={HEIGHT - BOTTOM} />
        {usage.map((day, index) => {
          const x = index * slot + 4;
          const height = scale(day.requests);
          const errors = scale(day.errors);
          return (
            <g key={day.day}>
              <title>{`${day.day}: ${day.requests} requests, ${day.errors} errors, ${day.rate_limited} rate-limited`}</title>
              <rect class="requests" x={x} y={HEIGHT - BOTTOM - height} width={slot - 8} height={height} />
              <rect class="errors" x={x} y={HEIGHT - BOTTOM - errors} width={slot - 8} height={errors} />
              <text x={x} y={HEIGHT - 6}>
                {day.day.slice(5)}
              </text>
            </g>
          );
        })}
      </svg>
      <figcaption class="muted">
        Last {usage.length} days: {total.requests} requests, {total.errors} errors, {total.limited} rate-limited (blue:
        requests, orange: errors).
      </figcaption>
    </figure>
  );
}
