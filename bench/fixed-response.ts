/** The small fixed answer of the upstream and of the bare Node server, and the probe's expectation. */

export const BODY = Buffer.from('{"ok":true,"from":"bench-upstream"}\n');

export const RESPONSE_HEADERS = {
  'content-type': 'application/json',
  'content-length': String(BODY.length),
} as const;
