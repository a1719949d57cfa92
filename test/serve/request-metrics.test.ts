/**
 * `/metrics` scraped from a running `portcullis serve` (SQLite): the request metrics carry zone and
 * API names from the configuration in force; requests with Host headers and SNI names an attacker
 * makes up create no series (docs/reference/metrics.md); a deleted API's requests move to `other`;
 * and after a restart the expiry gauge shows every certificate in use, an active client certificate
 * a year from expiry included, but not a revoked one.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import https from 'node:https';
import { startGateway, type RunningGateway } from '../../src/app/serve.ts';
import { parseServeOptions } from '../../src/config/serve-options.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createTenant, startAdminServer, type AdminServer } from '../helpers/admin-server.ts';
import { edgeCaPem } from '../helpers/gateway-pki.ts';
import { mustSucceed } from '../helpers/uploaded-ca.ts';
import { OpensslWorkdir } from '../helpers/openssl.ts';
import { startHttp1Echo, type RunningUpstream } from '../helpers/upstreams.ts';

const ZONE = 'metrics.test';
const HOST = `api.${ZONE}`;

/** Every `portcullis_requests_total` sample as its label text → value. */
function requestSeries(text: string): Map<string, number> {
  const series = new Map<string, number>();
  for (const match of text.matchAll(/^portcullis_requests_total\{([^}]*)\} (\d+)$/gm)) {
    series.set(match[1] ?? '', Number(match[2]));
  }
  return series;
}

describe('serve: /metrics labels requests by zone and API name, bounded by configuration', () => {
  let server: AdminServer;
  let upstream: RunningUpstream;
  let openssl: OpensslWorkdir;
  let zoneId: string;
  let apiId: string;
  let restarted: RunningGateway | undefined;

  const scrape = async (port?: number): Promise<string> => {
    const url =
      port === undefined ? server.baseUrl.replace('/client/v4', '/metrics') : `http://127.0.0.1:${port}/metrics`;
    const response = await fetch(url);
    assert.equal(response.status, 200);
    return response.text();
  };

  /** One request; the server certificate is checked against the edge CA but not against the name (made-up names). */
  const call = (servername: string, host: string, path: string): Promise<{ status: number }> =>
    new Promise((resolve, reject) => {
      const req = https.request(
        {
          host: '127.0.0.1',
          port: server.gatewayPort,
          ca: edgeCaPem(server),
          servername,
          checkServerIdentity: () => undefined,
          path,
          headers: { host },
          agent: false,
        },
        (response) => {
          response.resume();
          response.on('end', () => resolve({ status: response.statusCode ?? 0 }));
        },
      );
      req.on('error', reject);
      req.end();
    });

  before(async () => {
    server = await startAdminServer();
    upstream = await startHttp1Echo();
    openssl = new OpensslWorkdir();
    ({ zoneId } = await createTenant(server, ZONE));
    const api = await mustSucceed<{ id: string }>(server, 'POST', `/zones/${zoneId}/gateway/apis`, {
      name: 'orders',
      hostname: HOST,
      listen_path: '/orders',
      upstream_url: upstream.url,
      auth: { mode: 'keyless' },
    });
    apiId = api.id;
  });

  after(async () => {
    openssl.remove();
    await restarted?.stop(1000);
    await upstream.close();
    await server.stop();
  });

  test('zone and API names label the requests; made-up Host headers and SNI names create no series', async () => {
    for (let i = 0; i < 2; i += 1) assert.equal((await call(HOST, HOST, '/orders/1')).status, 200);
    assert.equal((await call(HOST, HOST, '/nowhere')).status, 404);
    const invented = Array.from({ length: 25 }, () => `${randomBytes(6).toString('hex')}.attacker.example`);
    for (const name of invented) {
      await call(HOST, name, '/orders/1'); // a Host the connection's SNI does not cover
      await call(name, name, '/orders/1'); // an SNI and Host no zone holds
    }
    const text = await scrape();
    const series = requestSeries(text);
    const zone = `zone="${zoneId}",zone_name="${ZONE}"`;
    assert.equal(series.get(`${zone},api="${apiId}",api_name="orders",status="200"`), 2, text);
    assert.equal(series.get(`${zone},api="",api_name="",status="404"`), 1, text);
    assert.doesNotMatch(text, /attacker/);
    const unmatched = [...series.entries()].filter(([labels]) => labels.startsWith('zone="",'));
    assert.equal(
      unmatched.reduce((sum, [, count]) => sum + count, 0),
      invented.length * 2,
      'every invented name is counted under zone=""',
    );
    assert.ok(unmatched.length <= 3, `a few status series, not one per name: ${unmatched.map(([l]) => l).join(' ')}`);
    assert.match(text, new RegExp(`^portcullis_request_duration_seconds_count\\{${zone}\\} 3$`, 'm'));
  });

  test("a deleted API's requests are counted as other; its series is gone", async () => {
    await mustSucceed(server, 'DELETE', `/zones/${zoneId}/gateway/apis/${apiId}`);
    const text = await scrape();
    assert.doesNotMatch(text, new RegExp(`api="${apiId}"`));
    const series = requestSeries(text);
    assert.equal(series.get('zone="other",zone_name="other",api="other",api_name="other",status="200"'), 2, text);
    assert.equal(series.get(`zone="${zoneId}",zone_name="${ZONE}",api="",api_name="",status="404"`), 1);
  });

  test('after a restart the expiry gauge shows every active client certificate, not only those expiring soon', async () => {
    const issue = async (cn: string, days: number): Promise<string> => {
      const { csrPem } = openssl.csr('p256', `/CN=${cn}`);
      const issued = await mustSucceed<{ id: string }>(server, 'POST', `/zones/${zoneId}/client_certificates`, {
        csr: csrPem,
        validity_days: days,
      });
      return issued.id;
    };
    const yearAway = await issue('long-lived', 365);
    const revoked = await issue('revoked', 365);
    await mustSucceed(server, 'DELETE', `/zones/${zoneId}/client_certificates/${revoked}`); // pending_revocation

    // The monitor sets the gauge at start (then hourly): start a second gateway on the same data dir.
    await server.running.stop(1000);
    restarted = await startGateway(
      parseServeOptions({ dataDir: server.dataDir, adminListen: '127.0.0.1:0', listen: '127.0.0.1:0' }),
      createLogger('silent'),
      { PORTCULLIS_MASTER_KEY: undefined },
    );
    const port = restarted.adminAddress.port;
    let text = '';
    for (let tries = 0; tries < 100 && !text.includes('kind="client"'); tries += 1) {
      text = await scrape(port);
      if (!text.includes('kind="client"')) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const gauge = new RegExp(
      `^portcullis_certificate_expiry_timestamp_seconds\\{kind="client",id="${yearAway}"\\} (\\d+)$`,
      'm',
    );
    const notAfter = Number(gauge.exec(text)?.[1]);
    assert.ok(notAfter * 1000 > Date.now() + 300 * 86_400_000, `a year away: ${notAfter}`);
    assert.doesNotMatch(text, new RegExp(`id="${revoked}"`), 'a revoked certificate is not in use');
    assert.match(text, /^portcullis_certificate_expiry_timestamp_seconds\{kind="managed_ca",id="[^"]+"\} \d+$/m);
    assert.match(text, /^portcullis_certificate_expiry_truncated 0$/m);
  });
});
