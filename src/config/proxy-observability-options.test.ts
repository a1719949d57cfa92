import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseProxyObservability } from './proxy-observability-options.ts';

test('both are off unless asked for', () => {
  assert.deepEqual(parseProxyObservability({}), { metricsListen: undefined, accessLog: undefined });
});

test('a loopback metrics address is accepted as it is; any other needs --metrics-allow-remote', () => {
  for (const address of ['127.0.0.1:9100', '[::1]:9100', 'localhost:9100', '127.0.0.2:0']) {
    assert.ok(parseProxyObservability({ metricsListen: address }).metricsListen, address);
  }
  for (const address of ['0.0.0.0:9100', '192.0.2.10:9100', '[::]:9100', 'metrics.example:9100']) {
    assert.throws(
      () => parseProxyObservability({ metricsListen: address }),
      (error: Error & { code?: string }) =>
        error.code === 'GW_ERR_USAGE' && /not a loopback address.*--metrics-allow-remote/.test(error.message),
      address,
    );
    assert.deepEqual(
      parseProxyObservability({ metricsListen: address, metricsAllowRemote: true }).metricsListen?.port,
      9100,
    );
  }
});

test('usage errors: a malformed address, --metrics-allow-remote alone, an empty --access-log', () => {
  assert.throws(() => parseProxyObservability({ metricsListen: '9100' }), /--metrics-listen must be HOST:PORT/);
  assert.throws(() => parseProxyObservability({ metricsAllowRemote: true }), /needs --metrics-listen/);
  assert.throws(() => parseProxyObservability({ accessLog: ' ' }), /--access-log needs/);
  assert.equal(parseProxyObservability({ accessLog: '-' }).accessLog, '-');
});
