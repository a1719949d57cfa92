/**
 * A gRPC echo service (test/fixtures/echo.proto) served over h2c by @grpc/grpc-js, for gRPC tests
 * through the proxy and the gateway. Unary echoes the message and the x-forwarded-client-cert it
 * received; Fail answers FAILED_PRECONDITION; Chat upper-cases each message of a bidi stream.
 */
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

export interface EchoReply {
  message: string;
  clientIdentity: string;
  index: number;
}
export type Callback = (error: grpc.ServiceError | null, reply?: EchoReply) => void;
export interface EchoClient extends grpc.Client {
  Unary(request: { message: string }, callback: Callback): void;
  Fail(request: { message: string }, callback: Callback): void;
  Chat(): grpc.ClientDuplexStream<{ message: string }, EchoReply>;
}

const definition = protoLoader.loadSync(path.join(import.meta.dirname, '../fixtures/echo.proto'), { keepCase: false });
const proto = grpc.loadPackageDefinition(definition) as unknown as {
  portcullis: { test: { Echo: grpc.ServiceClientConstructor } };
};
export const EchoService = proto.portcullis.test.Echo;

export async function startGrpcUpstream(): Promise<{ server: grpc.Server; port: number }> {
  const server = new grpc.Server();
  server.addService(EchoService.service, {
    Unary: (call: grpc.ServerUnaryCall<{ message: string }, EchoReply>, callback: grpc.sendUnaryData<EchoReply>) => {
      const identity = String(call.metadata.get('x-forwarded-client-cert')[0] ?? '');
      callback(null, { message: call.request.message, clientIdentity: identity, index: 0 });
    },
    Fail: (_call: unknown, callback: grpc.sendUnaryData<EchoReply>) => {
      callback({ code: grpc.status.FAILED_PRECONDITION, details: 'upstream says no' });
    },
    Chat: (call: grpc.ServerDuplexStream<{ message: string }, EchoReply>) => {
      let index = 0;
      call.on('data', (request: { message: string }) => {
        call.write({ message: request.message.toUpperCase(), clientIdentity: '', index: index++ });
      });
      call.on('end', () => call.end());
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return { server, port };
}
