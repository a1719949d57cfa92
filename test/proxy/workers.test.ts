/**
 * `portcullis proxy --workers 2` as a user runs it (a child process): two workers on one port, each
 * loading the same files; SIGHUP reloads both, a session resumes on either, a killed worker is
 * replaced, SIGTERM drains and exits 0. Which worker served a request is read from the upstream's
 * side (which process owns the connection it accepted), not from anything the proxy adds.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import tls, { type TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { spawnCli } from '../helpers/cli.ts';
import { createTestPki, serverCaPem, type TestPki } from '../helpers/proxy-fixture.ts';
import { requestOnSocket } from '../helpers/https-client.ts';
import { ownerOfLocalPort } from '../helpers/socket-owner.ts';
import { workerPidsOf } from '../helpers/serve-workers.ts';
import type { Issued } from '../helpers/pki.ts';

let pki: TestPki;
let client: Issued;
let serverCa: string;
let upstream: http.Server;
let proxy: ReturnType<typeof spawnCli>;
let port: number;
const logs: Record<string, unknown>[] = [];

const workerPids = (): number[] => workerPidsOf(proxy.pid ?? -1);

async function until(limitMs: number, probe: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await probe())) {
    if (Date.now() > deadline) assert.fail(`not within ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const connect = (session?: Buffer): Promise<TLSSocket> =>
  new Promise((resolve, reject) => {
    const socket = tls.connect({
      host: '127.0.0.1',
      port,
      servername: 'localhost',
      ca: serverCa,
      cert: client.certPem,
      key: client.keyPem,
      ALPNProtocols: ['http/1.1'],
      ...(session === undefined ? {} : { session }),
    });
    socket.once('secureConnect', () => resolve(socket));
    socket.once('error', reject);
  });

before(async () => {
  pki = await createTestPki();
  client = await pki.ca.issue({ subject: 'CN=workers-client' });
  serverCa = await serverCaPem(pki);
  upstream = http.createServer((req, res) => {
    const pid = ownerOfLocalPort(req.socket.remotePort ?? 0, req.socket.localPort ?? 0, workerPids());
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ pid: pid ?? null }));
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  proxy = spawnCli([
    'proxy',
    '--workers',
    '2',
    '--listen',
    '127.0.0.1:0',
    '--cert',
    pki.files.serverCert,
    '--key',
    pki.files.serverKey,
    '--client-ca',
    pki.files.caPem,
    '--upstream',
    `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`,
  ]);
  let partial = '';
  proxy.stdout?.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) if (line.startsWith('{')) logs.push(JSON.parse(line) as Record<string, unknown>);
  });
  await until(90_000, () => logs.some((line) => line.msg === 'listening' && line.workers === 2));
  const address = String(logs.find((line) => line.msg === 'listening' && line.workers === 2)?.address);
  port = Number(address.slice(address.lastIndexOf(':') + 1));
});

after(async () => {
  if (proxy.exitCode === null) proxy.kill('SIGKILL');
  await new Promise((resolve) => upstream.close(resolve));
  await pki.cleanup();
});

test('proxy --workers 2: both serve, a session resumes on the other, SIGHUP reloads both, a killed worker is replaced, SIGTERM exits 0', async () => {
  // A session from one worker, resumed by a connection the other worker serves.
  const first = await connect();
  const sessions: Buffer[] = [];
  first.on('session', (ticket: Buffer) => sessions.push(ticket));
  const issuer = (await requestOnSocket(first, 'localhost')).body.pid;
  const session = sessions.at(-1) ?? first.getSession();
  first.destroy();
  assert.ok(session !== undefined);
  const served = new Set<unknown>([issuer]);
  let resumedElsewhere = false;
  for (let i = 0; i < 20 && !resumedElsewhere; i++) {
    const socket = await connect(session);
    const reply = await requestOnSocket(socket, 'localhost');
    assert.equal(reply.status, 200);
    served.add(reply.body.pid);
    if (reply.body.pid !== issuer && socket.isSessionReused()) resumedElsewhere = true;
    socket.destroy();
  }
  assert.equal(served.size, 2, 'both workers served');
  assert.ok(resumedElsewhere, 'the other worker resumed the session');

  proxy.kill('SIGHUP');
  await until(10_000, () => {
    const reloaded = logs.filter((line) => line.msg === 'reloaded: certificate, key, client CAs and CRLs');
    return new Set(reloaded.map((line) => line.worker)).size === 2;
  });

  const [victim] = workerPids();
  assert.ok(victim !== undefined);
  process.kill(victim, 'SIGKILL');
  await until(30_000, () => logs.some((line) => line.msg === 'worker started'));
  assert.equal(logs.find((line) => line.msg === 'worker died: starting another')?.signal, 'SIGKILL');
  const socket = await connect();
  assert.equal((await requestOnSocket(socket, 'localhost')).status, 200);
  socket.destroy();

  const exited = new Promise<number | null>((resolve) => proxy.once('close', resolve));
  proxy.kill('SIGTERM');
  assert.equal(await exited, 0);
});
