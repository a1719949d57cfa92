/** Assertions on Cloudflare v4 envelopes answered by the admin API (test/helpers/admin-server.ts). */
import assert from 'node:assert/strict';
import type { V4Response } from './admin-server.ts';

/** Asserts a 200 success envelope and returns its result. */
export function ok<T>(response: V4Response<T>): T {
  assert.equal(response.status, 200, JSON.stringify(response.body));
  assert.equal(response.body.success, true);
  assert.deepEqual(response.body.errors, []);
  return response.body.result;
}

/** Asserts a failure envelope with this status and first v4 code; returns its message. */
export function fails(response: V4Response<unknown>, status: number, code: number): string {
  assert.equal(response.status, status, JSON.stringify(response.body));
  assert.equal(response.body.success, false);
  assert.equal(response.body.result, null);
  assert.equal(response.body.errors[0]?.code, code, JSON.stringify(response.body.errors));
  return response.body.errors[0].message;
}
