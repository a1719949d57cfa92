/**
 * `serve --workers 2 --config portcullis.yaml` as an operator runs it (a child process, SQLite): SIGHUP to the
 * primary re-applies the file and every worker serves the new configuration, on connections already open too; a
 * file refused on SIGHUP keeps what is in force, says why in the log, and no worker dies. `/readyz` on the admin
 * listener counts the workers: `ok` while all listen, `degraded` (still 200) while one is replaced, `down` (503)
 * while none does (docs/adr/0018-workers.md).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnServe, untilListening } from '../helpers/serve-node.ts';
import { requestOnSocket } from '../helpers/https-client.ts';
import { startPidUpstream, within, WorkersGateway, type PidUpstream } from '../helpers/serve-workers.ts';

const FIRST_HOST = 'a.reload.test';
const NEW_HOST = 'b.reload.test';

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function configText(routes: { hostname: string; upstream: string }[]): string {
  return `accounts:
  - name: reload
    zones:
      - name: reload.test
        routes:
${routes.map((route) => `          - hostname: ${route.hostname}\n            upstream: ${route.upstream}\n`).join('')}`;
}

describe('serve --workers 2 --config: SIGHUP and health', () => {
  let work: string;
  let configFile: string;
  let gateway: WorkersGateway;
  let first: PidUpstream;
  let second: PidUpstream;

  /** Writes the file, sends SIGHUP to the primary, and waits for the log line `answer` that follows it. */
  async function hangup(text: string, answer: string): Promise<Record<string, unknown>> {
    await writeFile(configFile, text);
    const seen = gateway.node.logs().length;
    gateway.node.child.kill('SIGHUP');
    let line: Record<string, unknown> | undefined;
    await within(60_000, () => {
      line = gateway.node
        .logs()
        .slice(seen)
        .find((entry) => entry.msg === answer);
      return line !== undefined;
    });
    return line!;
  }

  before(async () => {
    [first, second] = await Promise.all([startPidUpstream('first'), startPidUpstream('second')]);
    work = await mkdtemp(path.join(tmpdir(), 'portcullis-workers-reload-'));
    configFile = path.join(work, 'portcullis.yaml');
    await writeFile(configFile, configText([{ hostname: FIRST_HOST, upstream: first.url }]));
    const dataDir = path.join(work, 'data');
    // A fixed port, not 0: when every worker is gone, node:cluster closes the shared port, and the replacements
    // would listen on a new port 0 (docs/adr/0018-workers.md).
    const port = await freePort();
    const node = await untilListening(
      spawnServe(dataDir, [
        '--workers',
        '2',
        '--config',
        configFile,
        '--listen',
        `127.0.0.1:${port}`,
        '--shutdown-timeout',
        '2s',
      ]),
      90_000,
    );
    gateway = await WorkersGateway.open(node, dataDir);
    for (const upstream of [first, second]) upstream.watch(() => gateway.workerPids());
  });

  after(async () => {
    await gateway.node.stop(15_000);
    await Promise.all([first.close(), second.close()]);
    await rm(work, { recursive: true, force: true });
  });

  test('/readyz counts the workers: ok once both listen', async () => {
    const { status, body } = await gateway.root('/readyz');
    assert.equal(status, 200);
    assert.deepEqual(body, { status: 'ready', checks: { config: 'ok', store: 'ok', workers: 'ok' } });
    assert.equal(await gateway.metric('portcullis_workers_listening'), 2);
    assert.equal(await gateway.metric('portcullis_workers_wanted'), 2);
  });

  test('SIGHUP: a route’s new upstream and a new hostname are served by every worker, open connections too', async () => {
    const sockets = await gateway.connectionPerWorker(FIRST_HOST, 2);
    try {
      const applied = await hangup(
        configText([
          { hostname: FIRST_HOST, upstream: second.url },
          { hostname: NEW_HOST, upstream: first.url },
        ]),
        'config applied',
      );
      assert.equal(applied.routes, 2);
      await within(1_000, async () => {
        const replies = await Promise.all(sockets.map((socket) => requestOnSocket(socket, FIRST_HOST, '/')));
        return replies.every((reply) => reply.status === 200 && reply.body.upstream === 'second');
      });
      const served = new Set<number>();
      await within(5_000, async () => {
        const socket = await gateway.connect(NEW_HOST);
        try {
          const reply = await requestOnSocket(socket, NEW_HOST, '/');
          assert.equal(reply.status, 200);
          assert.equal(reply.body.upstream, 'first');
          served.add(reply.body.pid as number);
        } finally {
          socket.destroy();
        }
        return served.size === 2;
      });
    } finally {
      for (const socket of sockets) socket.destroy();
    }
  });

  test('SIGHUP with a refused file: logged, the configuration in force stays, no worker dies', async () => {
    const workersBefore = gateway.workerPids().sort();
    assert.equal(workersBefore.length, 2);
    // A SIGHUP that reaches a worker too (`kill -HUP` of the process group) is the primary's to act on.
    for (const pid of workersBefore) process.kill(pid, 'SIGHUP');
    const refused = await hangup(
      'accounts:\n  - name: [not, a, name]\n',
      'config not applied: the running configuration is kept',
    );
    assert.equal(typeof refused.code, 'string');
    assert.match(String(refused.code), /^GW_ERR_/);
    for (const host of [FIRST_HOST, NEW_HOST]) {
      for (let i = 0; i < 4; i++) {
        const socket = await gateway.connect(host);
        try {
          const reply = await requestOnSocket(socket, host, '/');
          assert.equal(reply.status, 200, host);
          assert.equal(reply.body.upstream, host === FIRST_HOST ? 'second' : 'first');
        } finally {
          socket.destroy();
        }
      }
    }
    assert.deepEqual(gateway.workerPids().sort(), workersBefore);
    assert.ok(!gateway.node.logs().some((line) => line.msg === 'worker died: starting another'));
  });

  test('/readyz while workers are replaced: degraded (200) with one down, down (503) with none', async () => {
    /** Polls /readyz until its workers check says `outcome`; that answer. */
    const untilWorkers = async (outcome: string): Promise<{ status: number; body: any }> => {
      let answer: { status: number; body: any } | undefined;
      await within(10_000, async () => {
        const reply = await gateway.root('/readyz');
        if (reply.body.checks.workers === outcome) answer = reply;
        return answer !== undefined;
      });
      return answer!;
    };
    const started = (): number => gateway.node.logs().filter((line) => line.msg === 'worker started').length;
    const startedBefore = started();
    const [one] = gateway.workerPids();
    assert.ok(one !== undefined);
    // A replacement takes seconds to start (its code is loaded and its first snapshot compiled): the window in
    // which one worker of two listens is wide.
    process.kill(one, 'SIGKILL');
    const degraded = await untilWorkers('degraded');
    assert.equal(degraded.status, 200);
    assert.deepEqual(degraded.body, { status: 'ready', checks: { config: 'ok', store: 'ok', workers: 'degraded' } });
    assert.equal((await gateway.getOnce(FIRST_HOST)).status, 200, 'the other worker serves meanwhile');
    await within(60_000, () => started() === startedBefore + 1);
    assert.equal((await untilWorkers('ok')).status, 200);
    for (const pid of gateway.workerPids()) process.kill(pid, 'SIGKILL');
    const down = await untilWorkers('down');
    assert.equal(down.status, 503);
    assert.deepEqual(down.body, { status: 'not_ready', checks: { config: 'ok', store: 'ok', workers: 'down' } });
    await within(60_000, () => started() === startedBefore + 3);
    assert.equal((await untilWorkers('ok')).status, 200);
    assert.equal((await gateway.getOnce(FIRST_HOST)).status, 200, 'the same port is served again');
  });
});
