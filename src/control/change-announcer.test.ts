/**
 * ChangeAnnouncer: an announcement the store refuses never fails the caller (the change it
 * announces is already saved); it is tried again until the store takes it, with one warning for
 * the outage and one line when it is through; stop() ends the retries.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { StoreUnavailableError } from '../store/store-failure.ts';
import { ChangeAnnouncer } from './change-announcer.ts';

function capturingLogger() {
  const lines: { msg: string; level: number }[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as { msg: string; level: number });
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  assert.ok(condition(), 'condition not met in time');
}

test('a refused announcement resolves, is retried until the store takes it, and is logged once each way', async () => {
  const { logger, lines } = capturingLogger();
  let calls = 0;
  const announcer = new ChangeAnnouncer(
    () => {
      calls += 1;
      if (calls <= 3) return Promise.reject(new StoreUnavailableError('Cannot connect to PostgreSQL', { lost: false }));
      return Promise.resolve();
    },
    logger,
    5,
  );
  await announcer.announce();
  assert.equal(calls, 1);
  assert.equal(announcer.pending, true);
  await waitFor(() => calls === 4 && !announcer.pending);
  assert.deepEqual(
    lines.map((line) => [line.level, line.msg.split(' (')[0]]),
    [
      [40, 'could not tell the other gateways about a change'],
      [30, 'change announced to the other gateways, now that the store takes it'],
    ],
  );
});

test('stop() ends the retries', async () => {
  let calls = 0;
  const announcer = new ChangeAnnouncer(
    () => {
      calls += 1;
      return Promise.reject(new Error('down'));
    },
    pino({ level: 'silent' }),
    5,
  );
  await announcer.announce();
  announcer.stop();
  assert.equal(announcer.pending, false);
  await new Promise((resolve) => setTimeout(resolve, 30));
  assert.equal(calls, 1);
  await announcer.announce();
  assert.equal(calls, 1, 'nothing announced after stop');
});
