/** A loopback TCP server for tests that script the bytes an upstream sends; closing it cuts its open connections. */
import net from 'node:net';
import type { AddressInfo } from 'node:net';

export interface TcpServer {
  readonly port: number;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1 (a free port); `onConnection` gets each socket (its errors are ignored). */
export async function startTcpServer(onConnection: (socket: net.Socket) => void): Promise<TcpServer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
