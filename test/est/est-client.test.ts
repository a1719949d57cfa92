/**
 * EST through `portcullis serve` with a small client written from RFC 7030 (not from the server's
 * code): TLS first, then the HTTP request on that connection, answers read as certs-only CMS by
 * @peculiar/x509. Covers what curl cannot show: the challengePassword channel binding (RFC 7030 §3.5,
 * tls-exporter of RFC 9266 over TLS 1.3), a device's bootstrap certificate from a manufacturer CA
 * the operator uploaded, and manual approval (202 + Retry-After until the operator decides, §4.2.3).
 */
import 'reflect-metadata';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import tls from 'node:tls';
import * as x509 from '@peculiar/x509';
import { createTenant, startAdminServer, type AdminServer } from '../helpers/admin-server.ts';
import { edgeCaPem } from '../helpers/gateway-pki.ts';
import { needsOpenssl, OpensslWorkdir } from '../helpers/openssl.ts';
import { createCa, type CaHandle, type Issued } from '../helpers/pki.ts';
import { uploadCa } from '../helpers/uploaded-ca.ts';

const HOST = 'fleet.example.test';

interface EstReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** RFC 7030 §3.3: a TLS connection to the EST server, optionally with the device's certificate. */
function connect(port: number, ca: string, client?: { certPem: string; keyPem: string }): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host: '127.0.0.1',
      port,
      servername: HOST,
      ca,
      ALPNProtocols: ['http/1.1'],
      ...(client === undefined ? {} : { cert: client.certPem, key: client.keyPem }),
    });
    socket.once('secureConnect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** One EST operation on an open connection (§3.2.2); `csrDer` is sent base64, application/pkcs10 (§4.2.1). */
function estCall(socket: tls.TLSSocket, operation: string, csrDer?: Buffer, auth?: string): Promise<EstReply> {
  return new Promise((resolve, reject) => {
    const body = csrDer === undefined ? undefined : csrDer.toString('base64');
    const req = https.request(
      {
        createConnection: () => socket,
        method: body === undefined ? 'GET' : 'POST',
        path: `/.well-known/est/factory/${operation}`,
        headers: {
          host: HOST,
          ...(body === undefined ? {} : { 'content-type': 'application/pkcs10' }),
          ...(auth === undefined ? {} : { authorization: `Basic ${Buffer.from(auth).toString('base64')}` }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** §4.1.3 / §4.2.3: a base64 certs-only CMS SignedData; its certificates. */
function certificatesOf(reply: EstReply): x509.X509Certificate[] {
  assert.match(String(reply.headers['content-type']), /^application\/pkcs7-mime/);
  return [...new x509.X509Certificates(Buffer.from(reply.body.toString('latin1'), 'base64'))];
}

describe('serve: EST with a client written from RFC 7030', needsOpenssl, () => {
  let server: AdminServer;
  let openssl: OpensslWorkdir;
  let zoneId: string;
  let manufacturer: CaHandle;
  let profileId: string;
  let edgeCa: string;
  let accountId: string;
  let manufacturerId: string;

  const ok = async <T = Record<string, unknown>>(method: string, route: string, body?: unknown): Promise<T> => {
    const response = await server.call<T>(method, route, body);
    assert.equal(response.status, 200, `${method} ${route}: ${JSON.stringify(response.body.errors)}`);
    return response.body.result;
  };

  /** A DER CSR from openssl; `challengePassword` as an attribute when given (openssl takes it from a config file). */
  const csr = (cn: string, challengePassword?: string): { der: Buffer; keyPem: string } => {
    const name = `csr-${cn}-${Math.random().toString(16).slice(2)}`;
    const config = openssl.write(
      `${name}.cnf`,
      [
        '[req]',
        'distinguished_name = dn',
        'prompt = no',
        ...(challengePassword === undefined ? [] : ['attributes = attrs']),
        '[dn]',
        `CN = ${cn}`,
        '[attrs]',
        `challengePassword = ${challengePassword ?? ''}`,
        '',
      ].join('\n'),
    );
    openssl.run([
      'req',
      '-new',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-config',
      config,
      '-outform',
      'DER',
      '-out',
      `${name}.der`,
    ]);
    return { der: openssl.readBytes(`${name}.der`), keyPem: openssl.read(`${name}.key`) };
  };

  const count = async (): Promise<number> =>
    (await ok<unknown[]>('GET', `/zones/${zoneId}/client_certificates?per_page=1000`)).length;

  before(async () => {
    server = await startAdminServer();
    openssl = new OpensslWorkdir();
    edgeCa = edgeCaPem(server);
    const tenant = await createTenant(server, 'example.test');
    zoneId = tenant.zoneId;
    manufacturer = await createCa('CN=Acme Manufacturing IDevID CA,O=Acme');
    accountId = tenant.accountId;
    manufacturerId = await uploadCa(server, tenant.accountId, manufacturer, 'idevid');
    await ok('PUT', `/zones/${zoneId}/certificate_authorities/hostname_associations`, { hostnames: [HOST] });
    const profile = await ok<{ id: string }>('POST', `/zones/${zoneId}/est/profiles`, {
      label: 'factory',
      hostnames: [HOST],
      bootstrap_ca_ids: [manufacturerId],
      manual_approval: true,
    });
    profileId = profile.id;
  });

  after(async () => {
    openssl.remove();
    await server.stop();
  });

  test('cacerts over a connection of its own', async () => {
    const socket = await connect(server.gatewayPort, edgeCa);
    const reply = await estCall(socket, 'cacerts');
    socket.destroy();
    assert.equal(reply.status, 200);
    assert.match(certificatesOf(reply)[0]?.subject ?? '', /Portcullis Managed CA/);
    assert.equal(reply.headers['content-transfer-encoding'], undefined, 'RFC 8951: never sent');
  });

  test('a bootstrap certificate enrolls after the operator approves; a rejected or foreign device gets nothing', async () => {
    const idevid: Issued = await manufacturer.issue({ subject: 'CN=sensor-1,O=Acme', eku: [] });
    const device = csr('sensor-1');
    const before = await count();
    const ask = async (): Promise<EstReply> => {
      const socket = await connect(server.gatewayPort, edgeCa, idevid);
      const reply = await estCall(socket, 'simpleenroll', device.der);
      socket.destroy();
      return reply;
    };
    const first = await ask();
    assert.equal(first.status, 202, first.body.toString());
    assert.match(String(first.headers['retry-after']), /^\d+$/);
    assert.equal((await ask()).status, 202, 'still waiting');
    assert.equal(await count(), before, 'nothing issued before approval');
    const pending = await ok<{ id: string; status: string; profile_id: string }[]>(
      'GET',
      `/zones/${zoneId}/est/approvals?status=pending`,
    );
    assert.equal(pending.length, 1);
    assert.equal(pending[0]?.profile_id, profileId);
    await ok('POST', `/zones/${zoneId}/est/approvals/${pending[0].id}/approve`);
    const issued = await ask();
    assert.equal(issued.status, 200, issued.body.toString());
    const [certificate] = certificatesOf(issued);
    assert.match(certificate?.subject ?? '', /CN=sensor-1/);
    const again = await ask();
    assert.equal(again.status, 200, 'a retry after issuance gets the same certificate');
    assert.equal(certificatesOf(again)[0]?.serialNumber, certificate?.serialNumber);
    assert.equal(await count(), before + 1, 'issued once');

    // A device whose certificate is not from the manufacturer CA is refused, with nothing recorded.
    const other = await createCa('CN=Someone Else');
    const foreign = await other.issue({ subject: 'CN=sensor-2' });
    const socket = await connect(server.gatewayPort, edgeCa, foreign);
    const refused = await estCall(socket, 'simpleenroll', csr('sensor-2').der);
    socket.destroy();
    assert.equal(refused.status, 401);
    assert.match(String(refused.headers['www-authenticate']), /^Basic/);

    // A rejected request stays rejected.
    const rejectedDevice = await manufacturer.issue({ subject: 'CN=sensor-3', eku: [] });
    const key = csr('sensor-3');
    const ask3 = async (): Promise<EstReply> => {
      const connection = await connect(server.gatewayPort, edgeCa, rejectedDevice);
      const reply = await estCall(connection, 'simpleenroll', key.der);
      connection.destroy();
      return reply;
    };
    assert.equal((await ask3()).status, 202);
    const waiting = await ok<{ id: string }[]>('GET', `/zones/${zoneId}/est/approvals?status=pending`);
    await ok('POST', `/zones/${zoneId}/est/approvals/${waiting[0]?.id}/reject`);
    const rejected = await ask3();
    assert.equal(rejected.status, 403);
    assert.equal(JSON.parse(rejected.body.toString()).error.code, 'GW_ERR_EST_REJECTED');
    assert.equal(await count(), before + 1);
  });

  test("a revoked bootstrap certificate (the manufacturer CA's block list or CRL) is refused and nothing is issued", async () => {
    const caRoute = `/accounts/${accountId}/mtls_certificates/${manufacturerId}`;
    const enroll = async (idevid: Issued, cn: string): Promise<EstReply> => {
      const socket = await connect(server.gatewayPort, edgeCa, idevid);
      const reply = await estCall(socket, 'simpleenroll', csr(cn).der);
      socket.destroy();
      return reply;
    };
    const codeOf = (reply: EstReply): string =>
      (JSON.parse(reply.body.toString()) as { error: { code: string } }).error.code;
    const before = await count();
    const approvalsBefore = (await ok<unknown[]>('GET', `/zones/${zoneId}/est/approvals`)).length;

    const blocked = await manufacturer.issue({ subject: 'CN=sensor-blocked', eku: [] });
    await ok('POST', `${caRoute}/blocked_certificates`, { sha256: blocked.sha256, description: 'stolen' });
    const byBlock = await enroll(blocked, 'sensor-blocked');
    assert.equal(byBlock.status, 403, byBlock.body.toString());
    assert.equal(codeOf(byBlock), 'GW_ERR_EST_BOOTSTRAP_REVOKED');

    const listed = await manufacturer.issue({ subject: 'CN=sensor-listed', eku: [] });
    const good = await manufacturer.issue({ subject: 'CN=sensor-good', eku: [] });
    await ok('PUT', `${caRoute}/crl`, { crl: await manufacturer.crl([listed.serialHex]) });
    const byCrl = await enroll(listed, 'sensor-listed');
    assert.equal(byCrl.status, 403, byCrl.body.toString());
    assert.equal(codeOf(byCrl), 'GW_ERR_EST_BOOTSTRAP_REVOKED');
    assert.match(byCrl.body.toString(), /CRL/);
    assert.equal((await enroll(good, 'sensor-good')).status, 202, 'a certificate the CRL does not list goes on');

    assert.equal(await count(), before, 'nothing issued');
    const approvals = await ok<{ requester: string }[]>('GET', `/zones/${zoneId}/est/approvals`);
    assert.equal(approvals.length, approvalsBefore + 1, 'only the good device waits for approval');
    await ok('DELETE', `${caRoute}/crl`);
  });

  test('the challengePassword channel binding: tls-exporter of this connection is accepted, of another refused', async () => {
    // The profile now takes bootstrap secrets and issues without approval.
    const direct = await ok<{ id: string }>('PUT', `/zones/${zoneId}/est/profiles/${profileId}`, {
      hostnames: [HOST],
      bootstrap_secrets: true,
      manual_approval: false,
    });
    const secret = await ok<{ id: string; secret: string }>(
      'POST',
      `/zones/${zoneId}/est/profiles/${direct.id}/bootstrap_secrets`,
      { max_uses: 5 },
    );
    const auth = `${secret.id}:${secret.secret}`;
    const socket = await connect(server.gatewayPort, edgeCa);
    const binding = socket.exportKeyingMaterial(32, 'EXPORTER-Channel-Binding', Buffer.alloc(0)).toString('base64');
    const bound = await estCall(socket, 'simpleenroll', csr('bound-1', binding).der, auth);
    socket.destroy();
    assert.equal(bound.status, 200, bound.body.toString());

    const elsewhere = await connect(server.gatewayPort, edgeCa);
    const stolen = elsewhere.exportKeyingMaterial(32, 'EXPORTER-Channel-Binding', Buffer.alloc(0)).toString('base64');
    elsewhere.destroy();
    const before = await count();
    const replay = await connect(server.gatewayPort, edgeCa);
    const refused = await estCall(replay, 'simpleenroll', csr('bound-2', stolen).der, auth);
    replay.destroy();
    assert.equal(refused.status, 400);
    assert.equal(JSON.parse(refused.body.toString()).error.code, 'GW_ERR_EST_CHANNEL_BINDING');
    assert.equal(await count(), before, 'nothing issued');
  });
});
