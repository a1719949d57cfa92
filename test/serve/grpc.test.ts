/**
 * gRPC through `portcullis serve` with @grpc/grpc-js on both sides: a route to an h2c gRPC
 * upstream, the mTLS rule on the hostname. A verified client gets its unary call and a bidi stream
 * answered, with its identity forwarded; a client without a certificate gets PERMISSION_DENIED from
 * the rule (gRPC status 7), never an HTTP error page.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { createTenant, startAdminServer, type AdminServer } from '../helpers/admin-server.ts';
import { edgeCaPem } from '../helpers/gateway-pki.ts';
import { OpensslWorkdir } from '../helpers/openssl.ts';
import { EchoService, startGrpcUpstream, type EchoClient, type EchoReply } from '../helpers/grpc-echo.ts';

const HOST = 'grpc.example.test';

describe('gRPC through serve', () => {
  let server: AdminServer;
  let upstream: { server: grpc.Server; port: number };
  let openssl: OpensslWorkdir;
  let device: { certPem: string; keyPem: string };
  const clients: grpc.Client[] = [];

  const connect = (withCertificate: boolean): EchoClient => {
    const ca = Buffer.from(edgeCaPem(server));
    const credentials = withCertificate
      ? grpc.credentials.createSsl(ca, Buffer.from(device.keyPem), Buffer.from(device.certPem))
      : grpc.credentials.createSsl(ca);
    const client = new EchoService(`127.0.0.1:${server.gatewayPort}`, credentials, {
      'grpc.ssl_target_name_override': HOST,
      'grpc.default_authority': HOST,
    }) as unknown as EchoClient;
    clients.push(client);
    return client;
  };

  const unary = (client: EchoClient, message: string) =>
    new Promise<EchoReply>((resolve, reject) =>
      client.Unary({ message }, (error, reply) => (error ? reject(error) : resolve(reply as EchoReply))),
    );

  before(async () => {
    server = await startAdminServer();
    upstream = await startGrpcUpstream();
    openssl = new OpensslWorkdir();
    const { zoneId } = await createTenant(server, 'example.test');
    const { csrPem, keyPem } = openssl.csr('p256', '/CN=grpc-device');
    const issued = await server.call<{ certificate: string }>('POST', `/zones/${zoneId}/client_certificates`, {
      csr: csrPem,
      validity_days: 7,
    });
    device = { certPem: issued.body.result.certificate, keyPem };
    for (const [route, body] of [
      ['certificate_authorities/hostname_associations', { hostnames: [HOST] }],
      ['gateway/routes', { hostname: HOST, upstream: `h2c://127.0.0.1:${upstream.port}` }],
      ['gateway/mtls_rule', { hostnames: [HOST] }],
    ] as const) {
      const response = await server.call(
        route.startsWith('certificate') ? 'PUT' : 'POST',
        `/zones/${zoneId}/${route}`,
        body,
      );
      assert.equal(response.status, 200, JSON.stringify(response.body.errors));
    }
  });

  after(async () => {
    for (const client of clients) client.close();
    openssl.remove();
    upstream.server.forceShutdown();
    await server.stop();
  });

  test('a verified client: unary with its identity forwarded, and a bidirectional stream', async () => {
    const client = connect(true);
    const reply = await unary(client, 'hello');
    assert.equal(reply.message, 'hello');
    assert.match(reply.clientIdentity, /^Hash=[0-9a-f]{64};Subject="CN=grpc-device"/);

    const chat = client.Chat();
    const received: string[] = [];
    chat.on('data', (message: EchoReply) => received.push(message.message));
    const ended = new Promise<void>((resolve, reject) => {
      chat.on('end', resolve);
      chat.on('error', reject);
    });
    for (const word of ['one', 'two', 'three']) chat.write({ message: word });
    chat.end();
    await ended;
    assert.deepEqual(received, ['ONE', 'TWO', 'THREE']);
  });

  test('no client certificate: the mTLS rule answers PERMISSION_DENIED as a gRPC status', async () => {
    const error = await unary(connect(false), 'hello').then(
      () => assert.fail('the call should be refused'),
      (refused: unknown) => refused as grpc.ServiceError,
    );
    assert.equal(error.code, grpc.status.PERMISSION_DENIED);
    assert.match(error.details, /GW_ERR_RULE_BLOCKED/);
  });
});
