import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_CONNECTION_LIMITS, parseConnectionLimits } from './connection-limits.ts';

test('absent flags take the defaults; given ones are parsed', () => {
  assert.deepEqual(parseConnectionLimits({}), DEFAULT_CONNECTION_LIMITS);
  assert.deepEqual(
    parseConnectionLimits({ maxConnections: '0', maxConnectionsPerClient: '64', firstRequestTimeout: '2s' }),
    { maxConnections: 0, maxConnectionsPerClient: 64, firstRequestTimeoutMs: 2_000 },
  );
});

test('nonsense is a usage error naming the flag', () => {
  for (const [input, flag] of [
    [{ maxConnections: '-1' }, '--max-connections'],
    [{ maxConnections: '10k' }, '--max-connections'],
    [{ maxConnectionsPerClient: '2000000' }, '--max-connections-per-client'],
    [{ firstRequestTimeout: '0s' }, '--first-request-timeout'],
    [{ firstRequestTimeout: 'soon' }, '--first-request-timeout'],
  ] as const) {
    assert.throws(
      () => parseConnectionLimits(input),
      (error: Error & { code?: string }) => error.code === 'GW_ERR_USAGE' && error.message.includes(flag),
      JSON.stringify(input),
    );
  }
});
