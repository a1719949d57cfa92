/**
 * A device's bootstrap certificate (its IDevID) checked by OCSP at enrollment (RFC 6960), against a real
 * responder (`openssl ocsp`, signing with a responder certificate the manufacturer CA delegated to) named in
 * the IDevIDs' authorityInfoAccess: "good" enrolls; "revoked", "unknown" (the responder does not know the
 * serial), a responder that never answers and an IDevID that names no responder are all refused with 403
 * and a stable code, and nothing is issued. The enrollment fails closed whatever the CA's fail mode: that
 * mode lets requests through during an outage, while a certificate issued then would outlive it
 * (docs/adr/0016, src/control/est/est-enrollment-service.ts).
 */
import 'reflect-metadata';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as x509 from '@peculiar/x509';
import { createTenant, startAdminServer, type AdminServer } from '../helpers/admin-server.ts';
import { deviceCsrBase64, simpleEnroll, type EnrollReply } from '../helpers/est-enroll.ts';
import { needsOpenssl, OpensslWorkdir } from '../helpers/openssl.ts';
import { createCa, type CaHandle, type Issued } from '../helpers/pki.ts';
import {
  reservePort,
  startOpensslOcsp,
  startSilentResponder,
  type RunningResponder,
} from '../helpers/ocsp-responder.ts';
import { mustSucceed, uploadCa } from '../helpers/uploaded-ca.ts';

const HOST = 'devices.ocsp-est.test';
const OCSP_SIGNING = '1.3.6.1.5.5.7.3.9';
/** The manufacturer CA's OCSP timeout: bounds how long an enrollment waits for a silent responder. */
const TIMEOUT_MS = 800;

describe('serve: EST enrollment with an IDevID checked by OCSP', needsOpenssl, () => {
  let server: AdminServer;
  let work: OpensslWorkdir;
  let responder: RunningResponder;
  let silent: Awaited<ReturnType<typeof startSilentResponder>>;
  let manufacturer: CaHandle;
  let zoneId: string;
  let csrBase64: string;
  const idevids: Record<'good' | 'revoked' | 'unknown' | 'unreachable' | 'unnamed', Issued> = {} as never;

  const ok = async <T = Record<string, unknown>>(method: string, route: string, body?: unknown): Promise<T> => {
    const response = await server.call<T>(method, route, body);
    assert.equal(response.status, 200, `${method} ${route}: ${JSON.stringify(response.body.errors)}`);
    return response.body.result;
  };

  const issued = async (): Promise<number> =>
    (await ok<unknown[]>('GET', `/zones/${zoneId}/client_certificates?per_page=1000`)).length;

  /** simpleenroll (RFC 7030 §4.2.1) with `idevid` as the TLS client certificate, no other credential. */
  const enroll = (idevid: Issued): Promise<EnrollReply> =>
    simpleEnroll({ gateway: server, host: HOST, csrBase64, clientCertificate: idevid });

  before(async () => {
    work = new OpensslWorkdir();
    server = await startAdminServer();
    const tenant = await createTenant(server, 'ocsp-est.test');
    zoneId = tenant.zoneId;
    manufacturer = await createCa('CN=Acme IDevID CA,O=Acme');
    const manufacturerId = await uploadCa(server, tenant.accountId, manufacturer, 'idevid');

    const forwarder = await reservePort();
    silent = await startSilentResponder();
    const device = (subject: string, ocspUrl?: string) =>
      manufacturer.issue({
        subject,
        eku: [],
        extraExtensions: ocspUrl === undefined ? [] : [new x509.AuthorityInfoAccessExtension({ ocsp: [ocspUrl] })],
      });
    const answered = `http://127.0.0.1:${forwarder.port}/`;
    idevids.good = await device('CN=sensor-good,O=Acme', answered);
    idevids.revoked = await device('CN=sensor-revoked,O=Acme', answered);
    idevids.unknown = await device('CN=sensor-unknown,O=Acme', answered);
    idevids.unreachable = await device('CN=sensor-unreachable,O=Acme', silent.url);
    idevids.unnamed = await device('CN=sensor-unnamed,O=Acme');
    const delegate = await manufacturer.issue({ subject: 'CN=Acme OCSP responder', eku: [OCSP_SIGNING] });
    // sensor-unknown is not in the responder's index: it answers "unknown" (RFC 6960 §2.2).
    responder = await startOpensslOcsp(
      work,
      manufacturer,
      delegate,
      [
        { certificate: idevids.good, status: 'V' },
        { certificate: idevids.revoked, status: 'R' },
      ],
      forwarder,
    );
    // Fail open for requests, to show that enrollment fails closed all the same.
    await mustSucceed(server, 'PATCH', `/accounts/${tenant.accountId}/mtls_certificates/${manufacturerId}/revocation`, {
      ocsp: { enabled: true, nonce: true, timeout_ms: TIMEOUT_MS },
      on_unavailable: 'fail_open',
      allow_private_addresses: true,
    });
    await ok('PUT', `/zones/${zoneId}/certificate_authorities/hostname_associations`, { hostnames: [HOST] });
    await ok('POST', `/zones/${zoneId}/est/profiles`, {
      hostnames: [HOST],
      bootstrap_ca_ids: [manufacturerId],
      manual_approval: false,
    });
    csrBase64 = deviceCsrBase64(work);
  });

  after(async () => {
    await server.stop();
    await responder.stop();
    await silent.stop();
    work.remove();
  });

  test('"revoked" is refused with GW_ERR_EST_BOOTSTRAP_REVOKED and nothing is issued', async () => {
    const before = await issued();
    const questions = responder.questions;
    const reply = await enroll(idevids.revoked);
    assert.equal(reply.status, 403, reply.message);
    assert.equal(reply.code, 'GW_ERR_EST_BOOTSTRAP_REVOKED');
    assert.match(reply.message, /OCSP/);
    assert.ok(responder.questions > questions, 'the responder was asked');
    assert.equal(await issued(), before, 'nothing issued');
  });

  test('"unknown" is refused (fail closed) with GW_ERR_EST_BOOTSTRAP_REVOCATION_UNKNOWN and nothing is issued', async () => {
    const before = await issued();
    const reply = await enroll(idevids.unknown);
    assert.equal(reply.status, 403, reply.message);
    assert.equal(reply.code, 'GW_ERR_EST_BOOTSTRAP_REVOCATION_UNKNOWN');
    assert.match(reply.message, /ocsp_unknown/);
    assert.equal(await issued(), before, 'nothing issued');
  });

  test('a responder that never answers: refused within the CA timeout, nothing issued', async () => {
    const before = await issued();
    const started = Date.now();
    const reply = await enroll(idevids.unreachable);
    assert.equal(reply.status, 403, reply.message);
    assert.equal(reply.code, 'GW_ERR_EST_BOOTSTRAP_REVOCATION_UNKNOWN');
    assert.match(reply.message, /ocsp_failed/);
    assert.ok(silent.connections() > 0, 'the silent responder was asked');
    // Bounded by the CA's OCSP timeout (plus the request's own work), not left hanging.
    assert.ok(Date.now() - started < TIMEOUT_MS + 10_000);
    assert.equal(await issued(), before, 'nothing issued');
  });

  test('an IDevID that names no responder: refused, nothing issued', async () => {
    const before = await issued();
    const reply = await enroll(idevids.unnamed);
    assert.equal(reply.status, 403, reply.message);
    assert.equal(reply.code, 'GW_ERR_EST_BOOTSTRAP_REVOCATION_UNKNOWN');
    assert.equal(await issued(), before, 'nothing issued');
  });

  test('"good" enrolls: one certificate issued', async () => {
    const before = await issued();
    const reply = await enroll(idevids.good);
    assert.equal(reply.status, 200, reply.message);
    assert.equal(await issued(), before + 1);
  });
});
