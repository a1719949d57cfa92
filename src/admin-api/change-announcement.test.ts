import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { installChangeAnnouncement } from './change-announcement.ts';
import { REVOCATIONS_ONLY, type ChangeKind } from './change-kind.ts';

/** An app whose routes log what happens, in order, beside each announcement. */
async function appLogging(withFeed = true) {
  const events: string[] = [];
  const app = Fastify();
  installChangeAnnouncement(
    app,
    withFeed
      ? async (kind: ChangeKind) => {
          events.push(`announced ${kind}`);
          await Promise.resolve();
        }
      : undefined,
  );
  app.post('/change', () => {
    events.push('changed');
    return Promise.resolve({ ok: true });
  });
  app.post('/early', { config: REVOCATIONS_ONLY }, async (request) => {
    events.push('committed');
    await request.announceChange();
    await request.announceChange(); // twice: still one announcement
    events.push('slow work after the commit');
    return { ok: true };
  });
  app.post('/refused', (_request, reply) => reply.code(400).send({ ok: false }));
  app.get('/read', () => Promise.resolve({ ok: true }));
  await app.ready();
  return { app, events };
}

describe('change announcement', () => {
  test('a successful change is announced once, before the answer is sent, as a configuration change by default', async () => {
    const { app, events } = await appLogging();
    const response = await app.inject({ method: 'POST', url: '/change' });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(events, ['changed', 'announced configuration']);
  });

  test("a handler that announces at its commit is announced then, once, of its route's kind, and not again with the answer", async () => {
    const { app, events } = await appLogging();
    const response = await app.inject({ method: 'POST', url: '/early' });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(events, ['committed', 'announced revocations', 'slow work after the commit']);
  });

  test('reads and refused changes announce nothing; without a change feed nothing is announced', async () => {
    const { app, events } = await appLogging();
    assert.equal((await app.inject({ method: 'GET', url: '/read' })).statusCode, 200);
    assert.equal((await app.inject({ method: 'POST', url: '/refused' })).statusCode, 400);
    assert.deepEqual(events, []);
    const bare = await appLogging(false);
    assert.equal((await bare.app.inject({ method: 'POST', url: '/early' })).statusCode, 200);
    assert.deepEqual(bare.events, ['committed', 'slow work after the commit']);
  });
});
