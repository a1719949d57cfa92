/**
 * Requests (and errors) over time as a uPlot line chart. The canvas is drawn from numbers only (no
 * user text reaches it as markup); the same numbers are offered to assistive technology as a
 * summary, since a canvas says nothing by itself.
 */
import type { JSX } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { AnalyticsPointWire } from '../../../src/admin-api/wire-types.ts';

export function TimeChart({ points, label }: { points: readonly AnalyticsPointWire[]; label: string }): JSX.Element {
  const holder = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = holder.current;
    if (element === null) return undefined;
    const data: uPlot.AlignedData = [
      points.map((point) => Date.parse(point.time) / 1000),
      points.map((point) => point.requests),
      points.map((point) => point.errors),
    ];
    const width = (): number => Math.max(240, element.clientWidth);
    const chart = new uPlot(
      {
        width: width(),
        height: 200,
        series: [
          {},
          { label: 'Requests', stroke: '#1f5fbf', fill: 'rgba(31,95,191,0.12)', width: 2 },
          { label: 'Errors (4xx/5xx)', stroke: '#b3261e', width: 2 },
        ],
        axes: [{ stroke: '#4f5b6b' }, { stroke: '#4f5b6b' }],
        scales: { x: { time: true } },
        // Series names only: the figure caption gives the numbers, and live values read "--" until hovered.
        legend: { show: true, live: false },
      },
      data,
      element,
    );
    const resize = new ResizeObserver(() => chart.setSize({ width: width(), height: 200 }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      chart.destroy();
    };
  }, [points]);
  const total = points.reduce((sum, point) => sum + point.requests, 0);
  const errors = points.reduce((sum, point) => sum + point.errors, 0);
  const peak = points.reduce((max, point) => Math.max(max, point.requests), 0);
  return (
    <figure class="chart-wrap">
      <div ref={holder} class="chart" aria-hidden="true" />
      <figcaption class="small muted">
        {label}: {total.toLocaleString('en')} requests, {errors.toLocaleString('en')} errors, at most{' '}
        {peak.toLocaleString('en')} in one interval.
      </figcaption>
    </figure>
  );
}
