/**
 * Renders docs/reference/errors.md from the registry, so the document cannot drift from the code:
 * `npm run gen:error-docs` writes it, and codes.test.ts fails when the committed file differs.
 */
import * as codes from './codes.ts';
import type { ErrorDefinition } from './define-error.ts';

export function allErrorDefinitions(): ErrorDefinition[] {
  return Object.values(codes);
}

const EXIT_MEANING: Record<number, string> = { 1: 'runtime failure', 2: 'usage error', 3: 'configuration refused' };

export function renderErrorDocs(): string {
  const rows = allErrorDefinitions().map(
    (error) =>
      `| <a id="${error.code.toLowerCase()}"></a>\`${error.code}\` | ${error.httpStatus} | ${error.v4Code} | ${error.exitCode === undefined ? '—' : `${error.exitCode} (${EXIT_MEANING[error.exitCode] ?? ''})`} | ${error.message.replace('%s', '…')} |`,
  );
  return [
    '# Error codes',
    '',
    '<!-- Generated from src/errors/codes.ts by `npm run gen:error-docs`. Do not edit by hand. -->',
    '',
    'Every error Portcullis emits comes from one registry. The string code is stable and never reused.',
    'Over HTTP, gateway errors are JSON: `{"error": {"code": "GW_ERR_…", "message": "…"}}` with the',
    'status below; gRPC callers get the matching `grpc-status` instead (401 → 16 UNAUTHENTICATED,',
    '403 → 7 PERMISSION_DENIED, 502 → 14 UNAVAILABLE, 504 → 4 DEADLINE_EXCEEDED). The management API',
    'puts the v4 number in `errors[].code` of its envelope. The command line prints',
    '`portcullis: <message> [<code>]` on stderr and exits with the exit code below.',
    '',
    'v4 number ranges: 11000–11099 client certificate and TLS, 11100–11199 upstream, 11200–11299',
    'request, 12000–12099 configuration and command line, 12100–12199 management API; where Cloudflare',
    'has a number for the same error (1000, 1489, 7000, 7003, 9106, 10000) the API uses it.',
    '',
    '| code | HTTP | v4 | exit | message |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}
