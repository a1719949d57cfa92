/**
 * `portcullis serve --workers N` as a user runs it (a child process), for the tests of test/serve/workers*.test.ts:
 * the gateway's admin API with its bootstrap token, connections to the gateway port with a device certificate,
 * /metrics sums, the worker processes, and an upstream that answers with the pid of the worker that connected to it
 * (the owner of the connection's local port, read from /proc): the product has no debug header that says which
 * worker served a request.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { readFileSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import tls, { type TLSSocket } from 'node:tls';
import { requestOnSocket, type SocketReply } from './https-client.ts';
import type { OpensslWorkdir } from './openssl.ts';
import type { ListeningNode, ServeNode } from './serve-node.ts';
import { childrenOf, ownerOfLocalPort } from './socket-owner.ts';

/** Polls `probe` every 25 ms until it holds; the elapsed milliseconds, or fails after `limitMs`. */
export async function within(limitMs: number, probe: () => boolean | Promise<boolean>): Promise<number> {
  const started = Date.now();
  while (!(await probe())) {
    if (Date.now() - started > limitMs) assert.fail(`not within ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return Date.now() - started;
}

/** The node's exit code, or `still running after …` when it has not exited within `limitMs`. */
export async function exitWithin(node: ServeNode, limitMs: number): Promise<number | null | string> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`still running after ${limitMs} ms`), limitMs);
  });
  try {
    return await Promise.race([node.exited, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The children of `pid` that run the command (src/main.ts through tsx, or a built main.js), not tsx's esbuild service. */
export function workerPidsOf(pid: number): number[] {
  return childrenOf(pid).filter((child) => {
    try {
      return /main\.[jt]s(\0|$)/.test(readFileSync(`/proc/${child}/cmdline`, 'utf8'));
    } catch {
      return false;
    }
  });
}

/** Every process whose command line mentions `marker` (a test's unique data dir): what is left of a gateway. */
export function processesMentioning(marker: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(marker)) found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

export interface PidUpstream {
  readonly name: string;
  readonly server: http.Server;
  readonly url: string;
  /** Sets whose processes the upstream looks among (the gateway's workers, once it runs). */
  watch(pids: () => number[]): void;
  close(): Promise<void>;
}

/**
 * An upstream that answers `{ pid, url, upstream }` (`upstream`: the `name` given here, so a test tells two upstreams
 * apart), `pid` being the worker that made the connection; `/slow?ms=N` answers after N ms.
 */
export async function startPidUpstream(name = 'upstream'): Promise<PidUpstream> {
  let candidates: () => number[] = () => [];
  const server = http.createServer((req, res) => {
    const pid = ownerOfLocalPort(req.socket.remotePort ?? 0, req.socket.localPort ?? 0, candidates());
    const answer = (): void => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ pid: pid ?? null, url: req.url, upstream: name }));
    };
    const slow = /^\/slow\?ms=(\d+)/.exec(req.url ?? '');
    if (slow) setTimeout(answer, Number(slow[1]));
    else answer();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    name,
    server,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    watch: (pids) => (candidates = pids),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface Device {
  readonly cert: string;
  readonly key: string;
  readonly id: string;
}

/** A running `serve --workers N` and what a test needs to drive it. */
export class WorkersGateway {
  readonly node: ListeningNode;
  readonly token: string;
  readonly edgeCa: string;
  /** Set by `configureMtlsHost`. */
  device: Device | undefined;
  #markers = 0;

  private constructor(node: ListeningNode, token: string, edgeCa: string) {
    this.node = node;
    this.token = token;
    this.edgeCa = edgeCa;
  }

  /** Reads the bootstrap token and the edge CA from `dataDir` of the running `node`. */
  static async open(node: ListeningNode, dataDir: string): Promise<WorkersGateway> {
    const token = (await readFile(path.join(dataDir, 'admin-token'), 'utf8')).trim();
    const edgeCa = await readFile(path.join(dataDir, 'edge-ca.pem'), 'utf8');
    return new WorkersGateway(node, token, edgeCa);
  }

  workerPids(): number[] {
    return workerPidsOf(this.node.child.pid ?? -1);
  }

  /** Calls the admin API and asserts a 200; the result. */
  async api(method: string, route: string, body?: unknown): Promise<any> {
    const response = await fetch(this.node.adminUrl + route, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json = (await response.json()) as { success: boolean; result: unknown; errors: unknown };
    assert.equal(response.status, 200, `${method} ${route}: ${JSON.stringify(json.errors)}`);
    return json.result;
  }

  /** GET on the admin listener's root (`/readyz`, `/healthz`): the status and the JSON body. */
  async root(route: string): Promise<{ status: number; body: any }> {
    const response = await fetch(new URL(route, this.node.adminUrl));
    return { status: response.status, body: await response.json() };
  }

  /** The sum of a metric's samples at /metrics. */
  async metric(name: string): Promise<number> {
    const text = await (await fetch(new URL('/metrics', this.node.adminUrl))).text();
    let sum = 0;
    for (const line of text.split('\n'))
      if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) sum += Number(line.split(' ').pop());
    return sum;
  }

  /**
   * Through the API: an account, a zone, a client certificate from its managed CA, trusted on `host`, a route to
   * `upstreamUrl` and the mTLS rule. The zone's id; the certificate is `device`.
   */
  async configureMtlsHost(
    openssl: OpensslWorkdir,
    setup: { account: string; zone: string; host: string; upstreamUrl: string },
  ): Promise<string> {
    const account = await this.api('POST', '/accounts', { name: setup.account });
    const zoneId = (await this.api('POST', '/zones', { name: setup.zone, account: { id: account.id } })).id as string;
    const { csrPem, keyPem } = openssl.csr('p256', `/CN=${setup.account}-device`);
    const issued = await this.api('POST', `/zones/${zoneId}/client_certificates`, { csr: csrPem, validity_days: 7 });
    this.device = { cert: issued.certificate, key: keyPem, id: issued.id };
    await this.api('PUT', `/zones/${zoneId}/certificate_authorities/hostname_associations`, {
      hostnames: [setup.host],
    });
    await this.api('POST', `/zones/${zoneId}/gateway/routes`, { hostname: setup.host, upstream: setup.upstreamUrl });
    await this.api('POST', `/zones/${zoneId}/gateway/mtls_rule`, { hostnames: [setup.host] });
    return zoneId;
  }

  /** A fresh TLS connection to the gateway for `servername`, with the device's certificate if there is one. */
  connect(servername: string, options: { session?: Buffer } = {}): Promise<TLSSocket> {
    const { device } = this;
    return new Promise((resolve, reject) => {
      const socket = tls.connect({
        host: '127.0.0.1',
        port: this.node.gatewayPort,
        servername,
        ca: this.edgeCa,
        ...(device === undefined ? {} : { cert: device.cert, key: device.key }),
        ...(options.session === undefined ? {} : { session: options.session }),
        ALPNProtocols: ['http/1.1'],
      });
      socket.once('secureConnect', () => resolve(socket));
      socket.once('error', reject);
    });
  }

  /** One request on a fresh connection, closed after. */
  async getOnce(host: string, requestPath = '/'): Promise<SocketReply> {
    const socket = await this.connect(host);
    try {
      return await requestOnSocket(socket, host, requestPath);
    } finally {
      socket.destroy();
    }
  }

  /** Fresh connections until every worker (`count`) has answered 200 for `host` within `limitMs`. */
  async untilEveryWorkerServes(host: string, count: number, limitMs = 5_000): Promise<void> {
    const seen = new Set<number>();
    const answers = new Map<string, number>(); // what came back instead, for the failure message
    try {
      await within(limitMs, async () => {
        const reply = await this.getOnce(host).catch((error: unknown) =>
          error instanceof Error ? error : new Error(String(error)),
        );
        if (!(reply instanceof Error) && reply.status === 200 && typeof reply.body.pid === 'number')
          seen.add(reply.body.pid);
        const answer =
          reply instanceof Error ? reply.message : `${reply.status} pid ${JSON.stringify(reply.body.pid ?? null)}`;
        answers.set(answer, (answers.get(answer) ?? 0) + 1);
        return seen.size === count;
      });
    } catch (error) {
      const summary = [...answers].map(([answer, times]) => `${times} × ${answer}`).join(', ');
      assert.fail(`${(error as Error).message}: ${seen.size} of ${count} workers answered 200; answers: ${summary}`);
    }
  }

  /**
   * Waits until every worker (`count`) has the APIs made so far on `host`, without sending them a request: an API
   * made after them (unlimited, to `marker.url`, whose replies say `marker.name`) answers on each worker; until
   * it does, the host's route answers instead. A worker's configuration only moves forward, so it then has them.
   */
  async untilEveryWorkerHasApis(
    zoneId: string,
    host: string,
    count: number,
    marker: { readonly url: string; readonly name: string },
  ): Promise<void> {
    const name = `marker-${++this.#markers}`;
    await this.api('POST', `/zones/${zoneId}/gateway/apis`, {
      name,
      hostname: host,
      listen_path: `/${name}`,
      upstream_url: marker.url,
      auth: { mode: 'keyless' },
    });
    const pids = new Set<number>();
    await within(5_000, async () => {
      const reply = await this.getOnce(host, `/${name}/x`);
      if (reply.body.upstream === marker.name) pids.add(reply.body.pid as number);
      return pids.size === count;
    });
  }

  /** One kept-alive connection per worker (`count`), each having served a request for `host`. */
  async connectionPerWorker(host: string, count: number): Promise<TLSSocket[]> {
    const sockets: TLSSocket[] = [];
    const owners = new Set<number>();
    for (let i = 0; i < 20 * count && owners.size < count; i++) {
      const socket = await this.connect(host);
      const pid = (await requestOnSocket(socket, host, '/')).body.pid as number;
      if (owners.has(pid)) socket.destroy();
      else {
        owners.add(pid);
        sockets.push(socket);
      }
    }
    assert.equal(sockets.length, count, 'a kept-alive connection on every worker');
    return sockets;
  }
}
