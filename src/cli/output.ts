/**
 * What admin commands print: aligned tables, "Label: value" blocks and one-line summaries for a
 * person, or the API result as JSON with `--json`. Everything goes to stdout; failures go to stderr
 * elsewhere.
 */

export interface Column<T> {
  header: string;
  value(row: T): string;
}

/** Columns separated by two spaces, padded to the widest cell; the last column is not padded. */
export function formatTable<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const cells = [columns.map((column) => column.header), ...rows.map((row) => columns.map((c) => c.value(row)))];
  const widths = columns.map((_, index) => Math.max(...cells.map((line) => (line[index] ?? '').length)));
  return cells
    .map((line) =>
      line
        .map((cell, index) => (index === line.length - 1 ? cell : cell.padEnd(widths[index] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** A table followed by a one-line summary; only the summary when there are no rows. */
export function formatListing<T>(rows: readonly T[], columns: readonly Column<T>[], summary: string): string {
  return rows.length === 0 ? summary : `${formatTable(rows, columns)}\n${summary}`;
}

/** "Label:  value" lines with the values aligned. */
export function formatDetails(pairs: readonly (readonly [string, string])[]): string {
  const width = Math.max(...pairs.map(([label]) => label.length)) + 1;
  return pairs.map(([label, value]) => `${`${label}:`.padEnd(width)}  ${value}`).join('\n');
}

/** "1 zone", "3 zones". */
export function count(n: number, singular: string, plural = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : plural}`;
}

/** "2 active, 1 revoked" from the values of one field. */
export function tally(values: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return [...counts].map(([value, n]) => `${n} ${value}`).join(', ');
}

/** A timestamp as the API gives it, or a dash when there is none. */
export function when(iso: string | null | undefined): string {
  return iso === null || iso === undefined || iso === '' ? '-' : iso;
}

export function printLine(text = ''): void {
  process.stdout.write(`${text}\n`);
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Prints `json` with --json, else the human text. */
export function printResult(options: { json?: boolean }, json: unknown, human: () => string): void {
  if (options.json === true) printJson(json);
  else printLine(human());
}
