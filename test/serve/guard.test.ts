/**
 * `portcullis serve`: an exception in one request ends that request, never the gateway (ADR 0011).
 * Faults are injected into the real gateway, in this process, by patching two prototypes for
 * chosen paths: the route lookup (it runs inside GatewayPipeline.serve, synchronously under the
 * listener's request handler) and the analytics record (it runs in the response's 'close'
 * listener, after the answer). Without the guard, each of them ends the process.
 *
 *   HTTP/1.1: the request gets 500 GW_ERR_INTERNAL, the keep-alive connection serves the next one
 *   HTTP/2:   that stream gets 500, the other streams of the session are served
 *   after the answer: the client had its answer, the connection goes on
 *   /metrics: portcullis_internal_errors_total counts each by stage
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import tls, { type TLSSocket } from 'node:tls';
import type { ClientHttp2Session } from 'node:http2';
import { createTenant, startAdminServer, type AdminServer } from '../helpers/admin-server.ts';
import { edgeCaPem } from '../helpers/gateway-pki.ts';
import { requestOnSocket } from '../helpers/https-client.ts';
import { connectH2, h2Request } from '../helpers/h2-client.ts';
import { startHttp1Echo, type RunningUpstream } from '../helpers/upstreams.ts';
import { createCa, type Issued } from '../helpers/pki.ts';
import { RouteTable } from '../../src/runtime-config/route-table.ts';
import { AnalyticsRecorder } from '../../src/control/telemetry/analytics-recorder.ts';

const HOST = 'guarded.example.test';
/** Paths whose route lookup throws (inside GatewayPipeline.serve). */
const FAULT_IN_SERVE = '/fault-in-serve';
/** Paths whose analytics record throws (in the response's close listener, after the answer). */
const FAULT_AFTER_ANSWER = '/fault-after-answer';
/** Without the guard a faulted request is never answered: fail instead of waiting forever. */
const BOUNDED = { timeout: 15_000 };

describe('serve: an exception in one request ends that request, never the gateway', () => {
  let server: AdminServer;
  let echo: RunningUpstream;
  let client: Issued;
  const restore: (() => void)[] = [];

  const mustSucceed = async (method: string, route: string, body?: unknown) => {
    const response = await server.call(method, route, body);
    assert.equal(response.status, 200, `${method} ${route}: ${JSON.stringify(response.body.errors)}`);
    return response.body.result;
  };

  const connectH1 = (): Promise<TLSSocket> =>
    new Promise((resolve, reject) => {
      const socket = tls.connect(
        {
          host: '127.0.0.1',
          port: server.gatewayPort,
          servername: HOST,
          ca: edgeCaPem(server),
          cert: client.certPem,
          key: client.keyPem,
          ALPNProtocols: ['http/1.1'],
        },
        () => resolve(socket),
      );
      socket.once('error', reject);
    });

  const h2 = (): Promise<ClientHttp2Session> =>
    connectH2(server.gatewayPort, edgeCaPem(server), client.certPem, client.keyPem, HOST);

  before(async () => {
    server = await startAdminServer();
    echo = await startHttp1Echo();
    const { accountId, zoneId } = await createTenant(server, 'example.test');
    const ca = await createCa('CN=Guard Test Root');
    const uploaded = (await mustSucceed('POST', `/accounts/${accountId}/mtls_certificates`, {
      certificates: ca.certPem,
      ca: true,
    })) as { id: string };
    await mustSucceed('PUT', `/zones/${zoneId}/certificate_authorities/hostname_associations`, {
      hostnames: [HOST],
      mtls_certificate_id: uploaded.id,
    });
    await mustSucceed('POST', `/zones/${zoneId}/gateway/routes`, { hostname: HOST, upstream: echo.url });
    client = await ca.issue({ subject: 'CN=guarded-device' });

    const match = Object.getOwnPropertyDescriptor(RouteTable.prototype, 'match')!;
    RouteTable.prototype.match = function (this: RouteTable, host: string, path: string) {
      if (path.startsWith(FAULT_IN_SERVE)) throw new TypeError('injected fault inside GatewayPipeline.serve');
      return (match.value as RouteTable['match']).call(this, host, path);
    };
    restore.push(() => Object.defineProperty(RouteTable.prototype, 'match', match));
    const record = Object.getOwnPropertyDescriptor(AnalyticsRecorder.prototype, 'record')!;
    AnalyticsRecorder.prototype.record = function (this: AnalyticsRecorder, entry) {
      if (entry.path.startsWith(FAULT_AFTER_ANSWER)) throw new TypeError('injected fault in the analytics record');
      (record.value as AnalyticsRecorder['record']).call(this, entry);
    };
    restore.push(() => Object.defineProperty(AnalyticsRecorder.prototype, 'record', record));
  });

  after(async () => {
    for (const undo of restore) undo();
    await server.stop();
    await echo.close();
  });

  test(
    'HTTP/1.1: the request gets 500 GW_ERR_INTERNAL; the keep-alive connection serves the next one',
    BOUNDED,
    async () => {
      const socket = await connectH1();
      try {
        const failed = await requestOnSocket(socket, HOST, `${FAULT_IN_SERVE}/h1`);
        assert.equal(failed.status, 500);
        assert.deepEqual(failed.body, { error: { code: 'GW_ERR_INTERNAL', message: 'Internal gateway error' } });
        const next = await requestOnSocket(socket, HOST, '/after-h1-fault');
        assert.equal(next.status, 200);
        assert.equal(next.body.url, '/after-h1-fault');
      } finally {
        socket.destroy();
      }
    },
  );

  test('HTTP/2: that stream gets 500; the other streams of the session are served', BOUNDED, async () => {
    const session = await h2();
    try {
      const [failed, concurrent] = await Promise.all([
        h2Request(session, { ':path': `${FAULT_IN_SERVE}/h2`, ':authority': HOST }),
        h2Request(session, { ':path': '/beside-h2-fault', ':authority': HOST }),
      ]);
      assert.equal(failed.status, 500);
      assert.equal(JSON.parse(failed.body).error.code, 'GW_ERR_INTERNAL');
      assert.equal(concurrent.status, 200);
      const next = await h2Request(session, { ':path': '/after-h2-fault', ':authority': HOST });
      assert.equal(next.status, 200);
    } finally {
      session.close();
    }
  });

  test(
    'a fault after the answer (the analytics record): the client had its answer, the connection goes on',
    BOUNDED,
    async () => {
      const socket = await connectH1();
      try {
        assert.equal((await requestOnSocket(socket, HOST, `${FAULT_AFTER_ANSWER}/h1`)).status, 200);
        assert.equal((await requestOnSocket(socket, HOST, '/after-late-h1-fault')).status, 200);
      } finally {
        socket.destroy();
      }
      const session = await h2();
      try {
        assert.equal(
          (await h2Request(session, { ':path': `${FAULT_AFTER_ANSWER}/h2`, ':authority': HOST })).status,
          200,
        );
        assert.equal((await h2Request(session, { ':path': '/after-late-h2-fault', ':authority': HOST })).status, 200);
      } finally {
        session.close();
      }
    },
  );

  test('/metrics counts each fault by stage', BOUNDED, async () => {
    const text = await (await fetch(server.baseUrl.replace('/client/v4', '/metrics'))).text();
    assert.match(text, /^portcullis_internal_errors_total\{stage="http1_request"\} 1$/m);
    assert.match(text, /^portcullis_internal_errors_total\{stage="http2_stream"\} 1$/m);
    assert.match(text, /^portcullis_internal_errors_total\{stage="response"\} 2$/m);
  });
});
