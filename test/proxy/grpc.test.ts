/**
 * gRPC through `portcullis proxy` with @grpc/grpc-js on both sides: the client presents a client
 * certificate over TLS, the upstream is an h2c gRPC server. Unary, bidirectional streaming, an error
 * status from the upstream (trailers-only), and gateway refusals as gRPC statuses.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { EchoService, startGrpcUpstream, type EchoClient, type EchoReply } from '../helpers/grpc-echo.ts';
import { createTestPki, serverCaPem, startTestProxy, type TestPki } from '../helpers/proxy-fixture.ts';
import type { Issued } from '../helpers/pki.ts';

describe('gRPC through the proxy', () => {
  let pki: TestPki;
  let upstream: { server: grpc.Server; port: number };
  let proxy: Awaited<ReturnType<typeof startTestProxy>>;
  let client: Issued;
  let caPem: string;
  const clients: grpc.Client[] = [];

  const connect = (credentials: grpc.ChannelCredentials): EchoClient => {
    const created = new EchoService(`127.0.0.1:${proxy.port}`, credentials) as unknown as EchoClient;
    clients.push(created);
    return created;
  };
  const mtls = (): grpc.ChannelCredentials =>
    grpc.credentials.createSsl(Buffer.from(caPem), Buffer.from(client.keyPem), Buffer.from(client.certPem));

  before(async () => {
    pki = await createTestPki();
    caPem = await serverCaPem(pki);
    client = await pki.ca.issue({ subject: 'CN=grpc-client', uris: ['spiffe://example.test/grpc-client'] });
    upstream = await startGrpcUpstream();
    proxy = await startTestProxy(pki, `h2c://127.0.0.1:${upstream.port}`);
  });

  after(async () => {
    for (const c of clients) c.close();
    await proxy.stop();
    upstream.server.forceShutdown();
    await pki.cleanup();
  });

  test('a unary call reaches the upstream with the verified identity', async () => {
    const echo = connect(mtls());
    const reply = await new Promise<EchoReply>((resolve, reject) =>
      echo.Unary({ message: 'hello' }, (error, value) => (error ? reject(error) : resolve(value!))),
    );
    assert.equal(reply.message, 'hello');
    assert.match(
      reply.clientIdentity,
      new RegExp(`^Hash=${client.sha256};Subject="CN=grpc-client";URI=spiffe://example.test/grpc-client$`),
    );
  });

  test('a bidirectional stream relays messages both ways while open', async () => {
    const echo = connect(mtls());
    const call = echo.Chat();
    const replies: EchoReply[] = [];
    // Send one message, wait for its reply before sending the next: proves true streaming.
    for (const word of ['alpha', 'beta', 'gamma']) {
      const reply = new Promise<EchoReply>((resolve) => call.once('data', resolve));
      call.write({ message: word });
      replies.push(await reply);
    }
    const ended = new Promise<void>((resolve) => call.on('end', resolve));
    const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
    call.end();
    await ended;
    assert.deepEqual(
      replies.map((r) => [r.message, r.index]),
      [
        ['ALPHA', 0],
        ['BETA', 1],
        ['GAMMA', 2],
      ],
    );
    assert.equal((await status).code, grpc.status.OK);
  });

  test('an upstream error status and message come through unchanged', async () => {
    const echo = connect(mtls());
    const error = await new Promise<grpc.ServiceError>((resolve) => echo.Fail({ message: 'x' }, (e) => resolve(e!)));
    assert.equal(error.code, grpc.status.FAILED_PRECONDITION);
    assert.equal(error.details, 'upstream says no');
  });

  test('a call without a client certificate gets UNAUTHENTICATED from the gateway', async () => {
    const echo = connect(grpc.credentials.createSsl(Buffer.from(caPem)));
    const error = await new Promise<grpc.ServiceError>((resolve) => echo.Unary({ message: 'x' }, (e) => resolve(e!)));
    assert.equal(error.code, grpc.status.UNAUTHENTICATED);
    assert.match(error.details, /GW_ERR_CERT_MISSING/);
  });
});
