/**
 * CRL fetching in a cluster: two gateways over one PostgreSQL store, one CA fetching every second
 * from a counting CRL server. The fetch lease lets one gateway fetch each time (the server sees one
 * download per interval, not one per gateway), and both enforce the CRL it got, including a newer
 * one that revokes a certificate in use on a kept-alive connection to the other gateway.
 */
import 'reflect-metadata';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTenant, type AdminServer } from '../helpers/admin-server.ts';
import { startGatewayPair, type GatewayPair } from '../helpers/cluster.ts';
import { postgresSkipReason } from '../helpers/postgres.ts';
import { createCa, type CaHandle, type Issued } from '../helpers/pki.ts';
import { startHttp1Echo, type RunningUpstream } from '../helpers/upstreams.ts';
import { callAs, eventually, keptAlive, mustSucceed, protectHosts, uploadCa } from '../helpers/uploaded-ca.ts';

const HOST = 'fleet.cluster-crl.test';

describe('cluster: CRL fetching shared by two gateways', { skip: postgresSkipReason() ?? false }, () => {
  let pair: GatewayPair;
  let first: AdminServer;
  let second: AdminServer;
  let upstream: RunningUpstream;
  let crlServer: http.Server;
  let crlPem: string;
  let downloads = 0;
  let ca: CaHandle;
  let device: Issued;
  let other: Issued;

  before(async () => {
    pair = await startGatewayPair('crlcluster');
    ({ first, second } = pair);
    upstream = await startHttp1Echo();
    ca = await createCa('CN=Cluster Fleet CA');
    device = await ca.issue({ subject: 'CN=device' });
    other = await ca.issue({ subject: 'CN=other' });
    crlPem = await ca.crl([device.serialHex]);
    crlServer = http.createServer((_req, res) => {
      downloads += 1;
      res.end(crlPem);
    });
    await new Promise<void>((resolve) => crlServer.listen(0, '127.0.0.1', resolve));
  });

  after(async () => {
    await Promise.all([pair.stop(), upstream.close()]);
    crlServer.closeAllConnections();
    await new Promise((resolve) => crlServer.close(resolve));
  });

  test('one download per interval for the cluster; both gateways enforce what it brought', async () => {
    const { accountId, zoneId } = await createTenant(first, 'cluster-crl.test');
    const caId = await uploadCa(first, accountId, ca, 'fleet');
    await protectHosts(first, zoneId, [{ hostname: HOST, caId }], upstream.url);
    const port = (crlServer.address() as AddressInfo).port;
    const startedAt = Date.now();
    await mustSucceed(first, 'PATCH', `/accounts/${accountId}/mtls_certificates/${caId}/revocation`, {
      crl_fetch: { enabled: true, urls: [`http://127.0.0.1:${port}/fleet.crl`], refresh_interval_seconds: 1 },
      allow_private_addresses: true,
    });
    // Until its CRL is in, the CA fails closed (everyone refused); then only the revoked one is. The
    // second gateway hears of the PATCH a moment later and accepts both until then, so "enforced"
    // means both answers at once, not the unrevoked one alone.
    for (const gateway of [first, second]) {
      await eventually('the CRL is enforced', async () => {
        const [kept, revoked] = [await callAs(gateway, HOST, other), await callAs(gateway, HOST, device)];
        return kept.status === 200 && revoked.status === 403;
      });
    }

    const open = keptAlive(second, HOST, other);
    try {
      assert.equal((await open.get()).status, 200);
      crlPem = await ca.crl([device.serialHex, other.serialHex]);
      await eventually('the newer CRL reaches the open connection', async () => (await open.get()).status === 403);
    } finally {
      open.close();
    }
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const seconds = (Date.now() - startedAt) / 1000;
    // Each gateway alone would download about once a second; both together, about twice.
    assert.ok(downloads <= Math.ceil(seconds) + 2, `${downloads} downloads in ${seconds.toFixed(1)} s`);
    assert.ok(downloads >= 2, `${downloads} downloads`);
  });
});
