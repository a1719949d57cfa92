/**
 * `serve --workers 2` whose workers cannot start: the primary has checked everything it can without the gateway
 * port, but only the workers listen on it. When it is taken by another program, every worker's listen fails; the
 * start fails as one process's would (the worker's message on stderr, its exit code), and no process is left
 * behind. A worker whose command has ended must end too: its IPC channel to the primary would keep it running.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnServe } from '../helpers/serve-node.ts';
import { exitWithin, processesMentioning, within } from '../helpers/serve-workers.ts';
import { EXIT_RUNTIME } from '../../src/cli/exit-codes.ts';

describe('serve --workers 2 whose gateway port is taken', () => {
  let dataDir: string;
  let squatter: net.Server;
  let port: number;

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'portcullis-workers-port-taken-'));
    squatter = net.createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    port = (squatter.address() as net.AddressInfo).port;
  });

  after(async () => {
    await new Promise((resolve) => squatter.close(resolve));
    await rm(dataDir, { recursive: true, force: true });
  });

  test('the start fails with the listen error and exit 1, and every process is gone', async () => {
    const node = spawnServe(dataDir, ['--workers', '2', '--listen', `127.0.0.1:${port}`]);
    try {
      const code = await exitWithin(node, 60_000);
      assert.equal(code, EXIT_RUNTIME, node.stderr());
      assert.match(node.stderr(), /GW_ERR_LISTEN_FAILED/);
      assert.ok(!node.logs().some((line) => line.msg === 'listening'));
      await within(5_000, () => processesMentioning(dataDir).length === 0);
    } finally {
      await node.stop(1_000);
      for (const pid of processesMentioning(dataDir)) process.kill(pid, 'SIGKILL');
    }
  });
});
