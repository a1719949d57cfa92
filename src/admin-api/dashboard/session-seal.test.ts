import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { SessionSealer, deriveSessionKey } from './session-seal.ts';

const TOKEN_ID = 'a'.repeat(32);

test('a sealed session opens with the same key until it expires', () => {
  let now = 10_000;
  const key = deriveSessionKey(randomBytes(32));
  const sealer = new SessionSealer(key, 60_000, () => now);
  const { sealed, session } = sealer.create(TOKEN_ID);
  assert.ok(!sealed.includes(TOKEN_ID), 'the cookie does not show what it holds');
  assert.deepEqual(new SessionSealer(key, 60_000, () => now).open(sealed), session, 'another node opens it');
  now += 60_000;
  assert.equal(sealer.open(sealed), undefined, 'expired');
});

test('a session sealed under another master key, altered or oversized does not open', () => {
  const sealer = new SessionSealer(deriveSessionKey(randomBytes(32)), 60_000);
  const other = new SessionSealer(deriveSessionKey(randomBytes(32)), 60_000);
  const { sealed } = sealer.create(TOKEN_ID);
  assert.equal(other.open(sealed), undefined);
  const flipped = `${sealed.slice(0, -2)}${sealed.at(-2) === 'A' ? 'B' : 'A'}${sealed.slice(-1)}`;
  assert.equal(sealer.open(flipped), undefined);
  assert.equal(sealer.open('v1:' + 'A'.repeat(5000)), undefined);
  assert.equal(sealer.open('not sealed'), undefined);
  assert.equal(sealer.open(undefined), undefined);
});

test('the session key differs from the master key', () => {
  const master = randomBytes(32);
  assert.notDeepEqual(deriveSessionKey(master), master);
  assert.deepEqual(deriveSessionKey(master), deriveSessionKey(Buffer.from(master)), 'deterministic');
});
