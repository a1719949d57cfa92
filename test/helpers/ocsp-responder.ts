/**
 * A real OCSP responder for tests: `openssl ocsp -index index.txt -port 0` signing with a responder
 * certificate the CA delegated to (RFC 6960 §4.2.2.2), the index written from certificates made at
 * test time. openssl 3.0 reads its index once, so a status change starts a new responder with the
 * new index. openssl can only listen on every interface, so the tests reach it through a loopback
 * forwarder (a stable URL across restarts) that also counts the questions asked. And a "responder"
 * that accepts connections and never answers, for timeouts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net, { type AddressInfo } from 'node:net';
import type { OpensslWorkdir } from './openssl.ts';
import type { CaHandle, Issued } from './pki.ts';

export type IndexStatus = 'V' | 'R';

export interface RunningResponder {
  /** The responder's URL on loopback (what certificates name in their AIA). */
  readonly url: string;
  /** Connections made to the responder so far (one per OCSP question: no keep-alive). */
  readonly questions: number;
  /** Resolves once a responder that knows the new status answers. */
  setStatus(certificate: Issued, status: IndexStatus): Promise<void>;
  stop(): Promise<void>;
}

/** A loopback port reserved by listening on it; the caller closes it when the real server is ready. */
export async function reservePort(): Promise<{ port: number; server: net.Server }> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, server };
}

export async function startOpensslOcsp(
  work: OpensslWorkdir,
  ca: CaHandle,
  responder: Issued,
  entries: readonly { certificate: Issued; status: IndexStatus }[],
  forwarder: { port: number; server: net.Server },
): Promise<RunningResponder> {
  const statuses = new Map(entries.map((entry) => [entry.certificate, entry.status]));
  const writeIndex = (): void => {
    const lines = [...statuses].map(([certificate, status]) => {
      const expiry = opensslTime(certificate.cert.notAfter);
      const revoked = status === 'R' ? opensslTime(new Date(Date.now() - 60_000)) : '';
      return `${status}\t${expiry}\t${revoked}\t${certificate.serialHex.padStart(2, '0')}\tunknown\t/CN=test`;
    });
    work.write('index.txt', lines.join('\n') + '\n');
    work.write('index.txt.attr', 'unique_subject = no\n');
  };
  work.write('ocsp-ca.pem', ca.certPem);
  work.write('responder.pem', responder.certPem);
  work.write('responder.key', responder.keyPem);
  writeIndex();
  let running = await spawnResponder(work);
  let questions = 0;
  const sockets = new Set<net.Socket>();
  forwarder.server.on('connection', (client) => {
    questions += 1;
    const upstream = net.connect(running.port, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => socket.destroy());
      socket.on('close', () => sockets.delete(socket));
    }
    client.pipe(upstream).pipe(client);
  });
  return {
    url: `http://127.0.0.1:${forwarder.port}/`,
    get questions() {
      return questions;
    },
    async setStatus(certificate, status) {
      statuses.set(certificate, status);
      writeIndex();
      const previous = running;
      running = await spawnResponder(work);
      previous.child.kill();
    },
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => forwarder.server.close(resolve));
      running.child.kill();
    },
  };
}

async function spawnResponder(work: OpensslWorkdir): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(
    'openssl',
    [
      'ocsp',
      '-index',
      'index.txt',
      '-port',
      '0',
      '-rsigner',
      'responder.pem',
      '-rkey',
      'responder.key',
      '-CA',
      'ocsp-ca.pem',
      '-nmin',
      '5',
      '-ignore_err',
    ],
    { cwd: work.dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`openssl ocsp did not start: ${output}`)), 10_000);
    const read = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /ACCEPT .*:(\d+)/.exec(output);
      if (match !== null) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.once('exit', () => reject(new Error(`openssl ocsp exited: ${output}`)));
  });
  return { child, port };
}

/** A TCP server on loopback that accepts connections and never answers; counts them. */
export async function startSilentResponder(): Promise<{ url: string; connections(): number; stop(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const server = net.createServer((socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    connections: () => connections,
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** openssl's index time: YYMMDDHHMMSSZ. */
function opensslTime(date: Date): string {
  const iso = date.toISOString();
  return `${iso.slice(2, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
}
