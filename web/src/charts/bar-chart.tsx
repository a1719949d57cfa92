/**
 * Horizontal bars of labelled counts, stacked when a row has several parts (e.g. mTLS statuses of a
 * hostname). Plain elements sized by CSS width: labels are text, never markup; each row is also
 * said in words for screen readers.
 */
import type { JSX } from 'preact';

export interface BarPart {
  readonly name: string;
  readonly value: number;
  readonly color: string;
}

export interface BarRow {
  readonly label: string;
  readonly parts: readonly BarPart[];
}

export function BarChart({ rows, legend }: { rows: readonly BarRow[]; legend?: readonly BarPart[] }): JSX.Element {
  const max = rows.reduce((most, row) => Math.max(most, total(row)), 0) || 1;
  return (
    <div>
      <ul class="bars" role="list">
        {rows.map((row) => (
          <li key={row.label} class="bar-row">
            <span class="bar-label" title={row.label}>
              {row.label}
            </span>
            <span
              class="bar-track"
              role="img"
              aria-label={`${row.label}: ${row.parts.map((part) => `${part.value} ${part.name}`).join(', ')}`}
            >
              {row.parts.map((part) =>
                part.value === 0 ? null : (
                  <span
                    key={part.name}
                    class="bar-fill"
                    style={{ width: `${(part.value / max) * 100}%`, background: part.color }}
                  />
                ),
              )}
            </span>
            <span class="bar-value">{total(row).toLocaleString('en')}</span>
          </li>
        ))}
      </ul>
      {legend === undefined ? null : (
        <p class="legend">
          {legend.map((part) => (
            <span key={part.name}>
              <span class="swatch" style={{ background: part.color }} aria-hidden="true" />
              {part.name}
            </span>
          ))}
        </p>
      )}
    </div>
  );
}

function total(row: BarRow): number {
  return row.parts.reduce((sum, part) => sum + part.value, 0);
}
