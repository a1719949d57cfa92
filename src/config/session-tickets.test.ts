import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSessionTickets } from './session-tickets.ts';

test('--session-tickets: on (also when absent) or off; anything else is a usage error', () => {
  assert.equal(parseSessionTickets(undefined), true);
  assert.equal(parseSessionTickets('on'), true);
  assert.equal(parseSessionTickets('off'), false);
  for (const text of ['', 'ON', 'true', 'no', ' off']) {
    assert.throws(
      () => parseSessionTickets(text),
      (error: Error & { code?: string }) =>
        error.code === 'GW_ERR_USAGE' && error.message.includes(`--session-tickets takes on or off, got "${text}"`),
    );
  }
});
