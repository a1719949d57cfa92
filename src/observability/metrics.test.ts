/**
 * GatewayMetrics: what the text exposition says after each kind of observation — requests counted
 * on the fast path and handed over at scrape time (never twice), the duration histogram, handshake
 * reasons kept to codes, internal errors by guard stage, the expiry gauge replaced as a whole, drops
 * by reason, and registries that do not share state.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayMetrics } from './metrics.ts';

const ZONE = '0123456789abcdef0123456789abcdef';
const API = 'fedcba9876543210fedcba9876543210';
const NAMES = {
  zoneName: (id: string) => (id === ZONE ? 'example.com' : undefined),
  apiName: (id: string) => (id === API ? 'Orders "v2"' : undefined),
};

describe('GatewayMetrics', () => {
  test('requests by zone, API (ids and names) and status; each request counted once across scrapes', async () => {
    const metrics = new GatewayMetrics({ processMetrics: false });
    metrics.nameRequestsFrom(() => NAMES);
    metrics.observeRequest(ZONE, API, 200, 0.004);
    metrics.observeRequest(ZONE, API, 200, 0.02);
    metrics.observeRequest(ZONE, '', 404, 0.0005);
    metrics.observeRequest('', '', 421, 0.0005);
    let text = await metrics.render();
    const zone = `zone="${ZONE}",zone_name="example.com"`;
    const api = `api="${API}",api_name="Orders \\\\"v2\\\\""`;
    assert.match(text, new RegExp(`^portcullis_requests_total\\{${zone},${api},status="200"\\} 2$`, 'm'));
    assert.match(text, new RegExp(`^portcullis_requests_total\\{${zone},api="",api_name="",status="404"\\} 1$`, 'm'));
    assert.match(text, /^portcullis_requests_total\{zone="",zone_name="",api="",api_name="",status="421"\} 1$/m);
    assert.match(text, new RegExp(`^portcullis_request_duration_seconds_count\\{${zone}\\} 3$`, 'm'));
    assert.match(text, new RegExp(`^portcullis_request_duration_seconds_bucket\\{le="0.005",${zone}\\} 2$`, 'm'));

    text = await metrics.render();
    assert.match(text, new RegExp(`status="200"\\} 2$`, 'm'), 'a second scrape adds nothing');
    metrics.observeRequest(ZONE, API, 200, 0.001);
    text = await metrics.render();
    assert.match(text, new RegExp(`${api},status="200"\\} 3$`, 'm'));
  });

  test('ids the configuration lacks are counted as other, never as series of their own', async () => {
    const metrics = new GatewayMetrics({ processMetrics: false });
    metrics.nameRequestsFrom(() => NAMES);
    metrics.observeRequest(ZONE, 'deadbeefdeadbeefdeadbeefdeadbeef', 200, 0.01);
    metrics.observeRequest('0000000000000000000000000000dead', '', 200, 0.01);
    const text = await metrics.render();
    assert.match(
      text,
      /^portcullis_requests_total\{zone="other",zone_name="other",api="other",api_name="other",status="200"\} 2$/m,
    );
    assert.doesNotMatch(text, /deadbeef|dead"/);
    assert.match(text, /^portcullis_request_duration_seconds_count\{zone="other",zone_name="other"\} 1$/m);
  });

  test('zone/API pairs past the cap are counted as other; series only grow', async () => {
    const zones = Array.from({ length: 5 }, (_, i) => `${i}`.padStart(32, '0'));
    const metrics = new GatewayMetrics({ processMetrics: false, maxLabelledSeries: 3 });
    metrics.nameRequestsFrom(() => ({ zoneName: (id) => `z${Number(id)}.example`, apiName: () => undefined }));
    for (const zone of zones) metrics.observeRequest(zone, '', 200, 0.01);
    let text = await metrics.render();
    assert.equal(text.match(/^portcullis_requests_total\{/gm)?.length, 4, 'three pairs and other');
    assert.match(text, /^portcullis_requests_total\{zone="other",[^}]*status="200"\} 2$/m);
    for (const zone of zones) metrics.observeRequest(zone, '', 200, 0.01);
    text = await metrics.render();
    assert.match(text, /^portcullis_requests_total\{zone="other",[^}]*status="200"\} 4$/m);
    assert.match(
      text,
      new RegExp(`^portcullis_requests_total\\{zone="${zones[0]}",zone_name="z0.example",[^}]*\\} 2$`, 'm'),
    );
    assert.equal(text.match(/^portcullis_request_duration_seconds_count\{/gm)?.length, 4);
  });

  test('handshake failures by code; anything that is not a code is "other"', async () => {
    const metrics = new GatewayMetrics({ processMetrics: false });
    metrics.handshakeFailed('ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN');
    metrics.handshakeFailed('ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN');
    metrics.handshakeFailed('something "odd"\n');
    const text = await metrics.render();
    assert.match(
      text,
      /^portcullis_tls_handshake_failures_total\{reason="ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN"\} 2$/m,
    );
    assert.match(text, /^portcullis_tls_handshake_failures_total\{reason="other"\} 1$/m);
  });

  test('the expiry gauge is replaced as a whole; drops are counted by reason', async () => {
    const metrics = new GatewayMetrics({ processMetrics: false });
    const expiresAt = new Date('2030-01-02T03:04:05Z');
    metrics.setCertificateExpiries([
      { kind: 'edge', id: 'e1', expiresAt },
      { kind: 'ca', id: 'c1', expiresAt },
    ]);
    metrics.setCertificateExpiries([{ kind: 'client', id: 'k1', expiresAt }]);
    metrics.analyticsDropped('buffer_full', 3);
    metrics.analyticsDropped('write_failed', 500);
    const text = await metrics.render();
    assert.match(text, /^portcullis_certificate_expiry_timestamp_seconds\{kind="client",id="k1"\} 1893553445$/m);
    assert.doesNotMatch(text, /kind="edge"/);
    assert.match(text, /^portcullis_analytics_dropped_total\{reason="buffer_full"\} 3$/m);
    assert.match(text, /^portcullis_analytics_dropped_total\{reason="write_failed"\} 500$/m);
  });

  test('internal errors by guard stage; anything that is not a stage name is "other"', async () => {
    const metrics = new GatewayMetrics({ processMetrics: false });
    metrics.internalError('http1_request');
    metrics.internalError('http1_request');
    metrics.internalError('http2_stream');
    metrics.internalError('Not A Stage\n');
    const text = await metrics.render();
    assert.match(text, /^portcullis_internal_errors_total\{stage="http1_request"\} 2$/m);
    assert.match(text, /^portcullis_internal_errors_total\{stage="http2_stream"\} 1$/m);
    assert.match(text, /^portcullis_internal_errors_total\{stage="other"\} 1$/m);
  });

  test('each instance has its own registry; process metrics on by default', async () => {
    const a = new GatewayMetrics();
    const b = new GatewayMetrics({ processMetrics: false });
    a.observeRequest(ZONE, '', 200, 0.01);
    b.observeRequest(ZONE, '', 200, 0.01);
    assert.match(
      await b.render(),
      /^portcullis_requests_total\{zone="other",/m,
      'before names are given, ids are other',
    );
    assert.match(await a.render(), /^process_cpu_user_seconds_total /m);
    const text = await b.render();
    assert.doesNotMatch(text, /^process_cpu_user_seconds_total /m);
    assert.doesNotMatch(await a.render(), /^portcullis_requests_total\{[^}]*\} 2$/m, 'a counts only its own');
    assert.equal(b.contentType, 'text/plain; version=0.0.4; charset=utf-8');
  });

  test('portcullis_redis_up follows the connection at each scrape, and is absent without Redis', async () => {
    const metrics = new GatewayMetrics({ processMetrics: false });
    assert.doesNotMatch(await metrics.render(), /portcullis_redis_up/);
    let ready = true;
    metrics.watchRedis(() => ready);
    assert.match(await metrics.render(), /^portcullis_redis_up 1$/m);
    ready = false;
    assert.match(await metrics.render(), /^portcullis_redis_up 0$/m);
  });
});
