/**
 * OCSP checking for an uploaded CA in `portcullis serve` (RFC 6960), against a real responder
 * (`openssl ocsp`, signing with a responder certificate the CA delegated to) named in the client
 * certificates' AIA: good, revoked and unknown answers, with a nonce; answers cached (the responder
 * is asked once per certificate, also by concurrent requests) and a revocation reaching an open
 * connection once the cached answer expires; a responder that never answers: the request that waits
 * for it is bounded by the CA's timeout and refused (fail closed) or let through (fail open), while
 * other requests are not held up.
 */
import 'reflect-metadata';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as x509 from '@peculiar/x509';
import { createTenant, startAdminServer, type AdminServer } from '../helpers/admin-server.ts';
import { needsOpenssl, OpensslWorkdir } from '../helpers/openssl.ts';
import { createCa, type CaHandle, type Issued } from '../helpers/pki.ts';
import { startHttp1Echo, type RunningUpstream } from '../helpers/upstreams.ts';
import {
  reservePort,
  startOpensslOcsp,
  startSilentResponder,
  type RunningResponder,
} from '../helpers/ocsp-responder.ts';
import { callAs, keptAlive, mustSucceed, protectHosts, uploadCa } from '../helpers/uploaded-ca.ts';

const OCSP_SIGNING = '1.3.6.1.5.5.7.3.9';
const ANSWERED = 'answered.ocsp.test';
const SILENT = 'silent.ocsp.test';

describe('serve: OCSP for an uploaded CA', needsOpenssl, () => {
  let server: AdminServer;
  let upstream: RunningUpstream;
  let work: OpensslWorkdir;
  let responder: RunningResponder;
  let silent: Awaited<ReturnType<typeof startSilentResponder>>;
  let accountId: string;
  let ca: CaHandle;
  let caId: string;
  let silentCa: CaHandle;
  let silentCaId: string;
  const leaves: Record<'good' | 'revoked' | 'unknown' | 'later', Issued> = {} as never;
  let waiting: Issued;

  const withAia = (issuer: CaHandle, subject: string, url: string) =>
    issuer.issue({ subject, extraExtensions: [new x509.AuthorityInfoAccessExtension({ ocsp: [url] })] });
  const settings = (id: string) => `/accounts/${accountId}/mtls_certificates/${id}/revocation`;

  before(async () => {
    work = new OpensslWorkdir();
    server = await startAdminServer();
    upstream = await startHttp1Echo();
    const tenant = await createTenant(server, 'ocsp.test');
    accountId = tenant.accountId;
    ca = await createCa('CN=OCSP Fleet CA,O=Tests');
    silentCa = await createCa('CN=Silent CA,O=Tests');
    caId = await uploadCa(server, accountId, ca, 'answered');
    silentCaId = await uploadCa(server, accountId, silentCa, 'silent');
    await protectHosts(
      server,
      tenant.zoneId,
      [
        { hostname: ANSWERED, caId },
        { hostname: SILENT, caId: silentCaId },
      ],
      upstream.url,
    );
    const forwarder = await reservePort();
    const url = `http://127.0.0.1:${forwarder.port}/`;
    for (const name of ['good', 'revoked', 'unknown', 'later'] as const)
      leaves[name] = await withAia(ca, `CN=${name}`, url);
    const delegate = await ca.issue({ subject: 'CN=OCSP responder', eku: [OCSP_SIGNING] });
    responder = await startOpensslOcsp(
      work,
      ca,
      delegate,
      [
        { certificate: leaves.good, status: 'V' },
        { certificate: leaves.revoked, status: 'R' },
        { certificate: leaves.later, status: 'V' },
      ],
      forwarder,
    );
    silent = await startSilentResponder();
    waiting = await withAia(silentCa, 'CN=waiting', silent.url);
    await mustSucceed(server, 'PATCH', settings(caId), {
      ocsp: { enabled: true, nonce: true, timeout_ms: 5000, max_cache_seconds: 1 },
      allow_private_addresses: true,
    });
    await mustSucceed(server, 'PATCH', settings(silentCaId), {
      ocsp: { enabled: true, timeout_ms: 600 },
      allow_private_addresses: true,
    });
  });

  after(async () => {
    await server.stop();
    await upstream.close();
    await responder.stop();
    await silent.stop();
    work.remove();
  });

  test('good goes through; revoked and unknown are refused (the CA fails closed)', async () => {
    assert.equal((await callAs(server, ANSWERED, leaves.good)).status, 200);
    assert.equal((await callAs(server, ANSWERED, leaves.revoked)).status, 403);
    assert.equal((await callAs(server, ANSWERED, leaves.unknown)).status, 403);
    const metrics = await (await fetch(`http://127.0.0.1:${server.running.adminAddress.port}/metrics`)).text();
    for (const result of ['good', 'revoked', 'unknown']) {
      assert.match(metrics, new RegExp(`portcullis_ocsp_checks_total\\{result="${result}"\\} [1-9]`));
    }
  });

  test('answers are cached, and concurrent requests of one certificate share one question', async () => {
    await mustSucceed(server, 'PATCH', settings(caId), { ocsp: { max_cache_seconds: 3600 } });
    const fresh = await withAia(ca, 'CN=fresh', responder.url);
    await responder.setStatus(fresh, 'V');
    const before = responder.questions;
    const statuses = await Promise.all(Array.from({ length: 6 }, () => callAs(server, ANSWERED, fresh)));
    assert.deepEqual(
      statuses.map((response) => response.status),
      [200, 200, 200, 200, 200, 200],
    );
    assert.equal((await callAs(server, ANSWERED, fresh)).status, 200);
    assert.equal(responder.questions - before, 1, 'one question for seven requests');
    await mustSucceed(server, 'PATCH', settings(caId), { ocsp: { max_cache_seconds: 1 } });
  });

  test('a revocation reaches an open connection once its cached answer expires', async () => {
    const open = keptAlive(server, ANSWERED, leaves.later);
    try {
      const first = await open.get();
      assert.equal(first.status, 200);
      await responder.setStatus(leaves.later, 'R');
      await new Promise((resolve) => setTimeout(resolve, 1200)); // max_cache_seconds: 1
      const second = await open.get();
      assert.equal(second.status, 403);
      assert.equal(second.socket, first.socket, 'the same TLS connection');
    } finally {
      open.close();
    }
  });

  test('a responder that never answers: the waiting request is bounded and refused; others are not held up', async () => {
    const startedAt = Date.now();
    const slow = callAs(server, SILENT, waiting).then((response) => ({ response, at: Date.now() }));
    const quick = await callAs(server, ANSWERED, leaves.good);
    const quickAt = Date.now();
    const { response, at } = await slow;
    assert.equal(quick.status, 200);
    assert.ok(quickAt < at, 'a request of another certificate was answered while the slow one waited');
    assert.equal(response.status, 403);
    assert.ok(at - startedAt >= 500, `waited for the responder (${at - startedAt} ms)`);
    assert.ok(at - startedAt < 5000, `bounded by the CA's timeout (${at - startedAt} ms)`);
    // The failure is remembered for a while: the next request does not wait again.
    const again = Date.now();
    assert.equal((await callAs(server, SILENT, waiting)).status, 403);
    assert.ok(Date.now() - again < 500, 'no second wait');
    assert.equal(silent.connections(), 1);
  });

  test('fail open: the same unreachable responder lets the certificate through', async () => {
    await mustSucceed(server, 'PATCH', settings(silentCaId), { on_unavailable: 'fail_open' });
    assert.equal((await callAs(server, SILENT, waiting)).status, 200);
    const metrics = await (await fetch(`http://127.0.0.1:${server.running.adminAddress.port}/metrics`)).text();
    assert.match(
      metrics,
      new RegExp(
        `portcullis_revocation_unknown_total\\{mtls_certificate_id="${silentCaId}",reason="ocsp_failed",outcome="allowed"\\} [1-9]`,
      ),
    );
  });
});
