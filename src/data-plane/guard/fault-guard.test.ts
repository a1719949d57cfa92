/**
 * FaultGuard on its own: a throwing listener, continuation or timer is caught, counted by stage,
 * logged at most once per stage per second (with the count left out, the error's kind, message and
 * place, never its stack), and its target contained; the emitter goes on delivering events.
 * What containment does to real responses and streams is tested over sockets
 * (test/serve/guard.test.ts).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { Socket } from 'node:net';
import { Writable } from 'node:stream';
import { setImmediate as tick } from 'node:timers/promises';
import { pino } from 'pino';
import { FaultGuard, type GuardStage } from './fault-guard.ts';
import type { ResponseSink } from '../upstream/exchange.ts';

function capturingGuard(now: () => number = Date.now) {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const counted: GuardStage[] = [];
  const guard = new FaultGuard({
    logger: pino({ level: 'info' }, destination),
    onInternalError: (stage) => counted.push(stage),
    now,
  });
  return { guard, lines, counted };
}

function boom(): never {
  throw new TypeError('Cannot read properties of undefined (reading ":status")');
}

describe('FaultGuard', () => {
  test('a throwing listener is caught, counted, logged without its stack; later events still arrive', () => {
    const { guard, lines, counted } = capturingGuard();
    const emitter = new EventEmitter();
    const seen: number[] = [];
    guard.listen(emitter, 'data', 'response', undefined, (value: number) => {
      if (value === 2) boom();
      seen.push(value);
    });
    for (const value of [1, 2, 3]) emitter.emit('data', value);
    assert.deepEqual(seen, [1, 3]);
    assert.deepEqual(counted, ['response']);
    assert.equal(lines.length, 1);
    const line = lines[0]!;
    assert.equal(line.stage, 'response');
    assert.equal(line.error, 'TypeError');
    assert.equal(line.err, 'Cannot read properties of undefined (reading ":status")');
    assert.match(String(line.at), /^boom \(fault-guard\.test\.ts:\d+:\d+\)$/, 'where it was thrown, no directory');
    assert.doesNotMatch(JSON.stringify(lines), /\n\s+at /, 'never a stack trace');
  });

  test('a flood of one failure: one line per stage per second, the next one says how many were left out', () => {
    let now = 0;
    const { guard, lines, counted } = capturingGuard(() => now);
    const failing = guard.wrap('http2_stream', undefined, boom);
    const other = guard.wrap('http1_request', undefined, boom);
    for (let i = 0; i < 1_000; i++) failing();
    other();
    now = 1_000;
    failing();
    assert.equal(counted.length, 1_002, 'every fault is counted');
    assert.deepEqual(
      lines.map((line) => [line.stage, line.suppressed]),
      [
        ['http2_stream', 0],
        ['http1_request', 0],
        ['http2_stream', 999],
      ],
    );
  });

  test('the target is contained: a socket is destroyed', () => {
    const { guard } = capturingGuard();
    const socket = new Socket();
    const emitter = new EventEmitter();
    guard.listenOnce(emitter, 'close', 'connection', socket, boom);
    emitter.emit('close');
    assert.equal(socket.destroyed, true);
  });

  test('a sink whose answer throws too is destroyed when it can be (an HTTP/1.1 exchange: its connection)', () => {
    const { guard } = capturingGuard();
    let destroyed = 0;
    const sink: ResponseSink & { destroy(): void } = {
      start: () => null,
      trailers: () => undefined,
      fail: boom,
      onAbort: () => undefined,
      sentBody: () => undefined,
      destroy: () => {
        destroyed++;
      },
    };
    assert.doesNotThrow(() => guard.caught('http1_request', new Error('in the handler'), sink));
    assert.equal(destroyed, 1);
  });

  test('listenEach contains what the event handed over, chosen from its arguments', () => {
    const { guard } = capturingGuard();
    const server = new EventEmitter();
    guard.listenEach(
      server,
      'connection',
      'client_hello',
      (socket: Socket) => socket,
      (socket: Socket) => {
        if (socket.remotePort === undefined) boom();
      },
    );
    const first = new Socket();
    const second = new Socket();
    server.emit('connection', first);
    server.emit('connection', second);
    assert.deepEqual([first.destroyed, second.destroyed], [true, true]);
  });

  test('a continuation that throws is contained, not an unhandled rejection', async () => {
    const { guard, counted } = capturingGuard();
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on('unhandledRejection', onUnhandled);
    try {
      guard.settle(Promise.resolve(1), 'usage_limits', undefined, boom, () => undefined);
      guard.settle(Promise.reject(new Error('redis down')), 'usage_limits', undefined, () => undefined, boom);
      await tick();
      await tick();
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    assert.deepEqual(unhandled, []);
    assert.deepEqual(counted, ['usage_limits', 'usage_limits']);
  });

  test('a failing metric or log does not keep the target from being contained', () => {
    const guard = new FaultGuard({
      logger: pino({ level: 'info' }, new Writable({ write: () => boom() })),
      onInternalError: boom,
    });
    const socket = new Socket();
    assert.doesNotThrow(() => guard.caught('connection', new Error('first'), socket));
    assert.equal(socket.destroyed, true);
  });
});
