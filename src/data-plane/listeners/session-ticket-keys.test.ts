import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { deriveTicketKeys, TICKET_SECRET_BYTES } from './session-ticket-keys.ts';

test('ticket keys: the same for the same secret and context, different for another context or secret', () => {
  const secret = randomBytes(TICKET_SECRET_BYTES);
  const a = deriveTicketKeys(secret, 'a.example/trust-1');
  assert.equal(a.length, 48);
  assert.deepEqual(deriveTicketKeys(Buffer.from(secret), 'a.example/trust-1'), a);
  assert.notDeepEqual(deriveTicketKeys(secret, 'b.example/trust-1'), a);
  assert.notDeepEqual(deriveTicketKeys(secret, 'a.example/trust-2'), a);
  assert.notDeepEqual(deriveTicketKeys(randomBytes(TICKET_SECRET_BYTES), 'a.example/trust-1'), a);
});
