/**
 * The request log as CSV (RFC 4180: CRLF lines, fields quoted when they hold a comma, a quote or a
 * line break, quotes doubled). A field that a spreadsheet would run as a formula (starting with =,
 * +, -, @, tab or CR: paths and hostnames come from clients) is prefixed with a single quote.
 */
import type { AnalyticsRequestWire } from '../../../src/admin-api/wire-types.ts';

const HEADER = [
  'time',
  'method',
  'hostname',
  'path',
  'status',
  'mtls_status',
  'api',
  'api_id',
  'key_id',
  'fingerprint',
  'serial',
  'issuer',
  'latency_ms',
  'bytes_in',
  'bytes_out',
  'rule_hits',
];

export function csvField(value: string | number | null): string {
  let text = value === null ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function toCsv(entries: readonly AnalyticsRequestWire[], apiName: (id: string | null) => string): string {
  const lines = [HEADER.join(',')];
  for (const entry of entries) {
    lines.push(
      [
        entry.time,
        entry.method,
        entry.hostname,
        entry.path,
        entry.status,
        entry.mtls_status,
        entry.api_id === null ? '' : apiName(entry.api_id),
        entry.api_id,
        entry.key_id,
        entry.fingerprint,
        entry.serial,
        entry.issuer,
        entry.latency_ms,
        entry.bytes_in,
        entry.bytes_out,
        entry.rule_hits.join(' '),
      ]
        .map(csvField)
        .join(','),
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}
