/**
 * `portcullis demo` (what `npm start` runs) as a newcomer uses it: start it, paste the two curl lines it
 * prints, and run them with the real curl binary: with the client certificate the demo upstream answers
 * 200 and shows the verified client identity; without it the mTLS rule answers 403 GW_ERR_RULE_BLOCKED.
 * The demo is the real `serve` gateway configured through its admin API, which the test then reads.
 * Ctrl-C (SIGTERM here) drains and exits 0; a second start reuses the files; a taken port exits 1.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { runCli, spawnCli, waitForLog } from '../helpers/cli.ts';

const CURL = '/usr/bin/curl';
const needsCurl = { skip: existsSync(CURL) ? false : `${CURL} not installed` };
const execFileAsync = promisify(execFile);

interface RunningDemo {
  child: ChildProcess;
  port: number;
  listening: Record<string, unknown>;
  /** Everything printed on stdout so far. */
  output(): string;
}

async function startDemo(dataDir: string): Promise<RunningDemo> {
  const child = spawnCli([
    'demo',
    '--data-dir',
    dataDir,
    '--listen',
    '127.0.0.1:0',
    '--admin-listen',
    '127.0.0.1:0',
    '--portal-listen',
    '127.0.0.1:0',
  ]);
  let stdout = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const listening = await waitForLog(child, 'listening');
  const port = Number(/^127\.0\.0\.1:(\d+)$/.exec(String(listening.address))?.[1]);
  assert.ok(port > 0, `a port in ${String(listening.address)}`);
  // The instructions follow the log line; wait until they are complete.
  while (!stdout.includes('Ctrl-C')) await new Promise((resolve) => setTimeout(resolve, 20));
  return { child, port, listening, output: () => stdout };
}

async function stopDemo(demo: RunningDemo): Promise<number | null> {
  const closed = once(demo.child, 'close') as Promise<[number | null, NodeJS.Signals | null]>;
  demo.child.kill('SIGTERM');
  const [code] = await closed;
  return code;
}

/** The printed `curl ...` lines, as argument lists (the demo's paths have no spaces here). */
function printedCurlLines(output: string): string[][] {
  return output
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith('curl '))
    .map((line) => line.split(/\s+/).slice(1));
}

/** Runs a printed curl line with the real curl; `--resolve` pins localhost to the IPv4 listener. */
async function curl(args: string[], port: number): Promise<{ status: number; body: string }> {
  const { stdout } = await execFileAsync(CURL, [
    '--silent',
    '--show-error',
    '--resolve',
    `localhost:${port}:127.0.0.1`,
    '--write-out',
    '\n%{http_code}',
    ...args,
  ]);
  const cut = stdout.lastIndexOf('\n');
  return { status: Number(stdout.slice(cut + 1)), body: stdout.slice(0, cut) };
}

describe('portcullis demo', () => {
  let dataDir: string;
  let demoDir: string;

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'portcullis-demo-'));
    demoDir = path.join(dataDir, 'demo');
  });

  after(() => rm(dataDir, { recursive: true, force: true }));

  test('the printed curl lines work: 200 with the client certificate, 403 without', needsCurl, async () => {
    const demo = await startDemo(dataDir);
    try {
      assert.equal(demo.listening.reused, false);
      assert.match(demo.output(), /Issued a new client certificate in /);
      assert.match(demo.output(), /Press Ctrl-C to stop\./);
      assert.match(demo.output(), /The developer portal: https:\/\/127\.0\.0\.1:\d+\//);
      assert.match(
        demo.output(),
        /A developer invitation, valid one day and once: https:\/\/127\.0\.0\.1:\d+\/#\/invitation\/[\w-]{43}\n/,
      );
      const lines = printedCurlLines(demo.output());
      assert.equal(lines.length, 2, demo.output());
      const [withCert = [], withoutCert = []] = lines;
      const url = `https://localhost:${demo.port}/hello`;
      assert.deepEqual(withCert, [
        '--cacert',
        path.join(demoDir, 'edge-ca.pem'),
        '--cert',
        path.join(demoDir, 'client.pem'),
        '--key',
        path.join(demoDir, 'client.key'),
        url,
      ]);
      assert.deepEqual(withoutCert, ['--cacert', path.join(demoDir, 'edge-ca.pem'), url]);

      const ok = await curl(withCert, demo.port);
      assert.equal(ok.status, 200, ok.body);
      const greeting = JSON.parse(ok.body) as Record<string, unknown>;
      const client = new X509Certificate(await readFile(path.join(demoDir, 'client.pem')));
      const hash = client.fingerprint256.replaceAll(':', '').toLowerCase();
      assert.equal(greeting.message, 'Hello from the demo upstream');
      assert.match(String(greeting.client), new RegExp(`^Hash=${hash};Subject="CN=demo-client`));
      assert.equal(greeting.path, '/hello');

      const denied = await curl(withoutCert, demo.port);
      assert.equal(denied.status, 403, denied.body);
      assert.equal((JSON.parse(denied.body) as { error: { code: string } }).error.code, 'GW_ERR_RULE_BLOCKED');
    } finally {
      assert.equal(await stopDemo(demo), 0, 'SIGTERM drains and exits 0');
    }
  });

  // On the files the first test's run wrote.
  test('secrets are private (0600) and the client certificate is what the demo promises', needsCurl, async () => {
    for (const secret of ['client.key', 'master.key', 'admin-token']) {
      assert.equal((await stat(path.join(demoDir, secret))).mode & 0o777, 0o600, secret);
    }
    const edgeCa = new X509Certificate(await readFile(path.join(demoDir, 'edge-ca.pem')));
    const client = new X509Certificate(await readFile(path.join(demoDir, 'client.pem')));
    assert.ok(edgeCa.ca && !client.ca);
    assert.match(client.subject, /CN=demo-client/);
    assert.notEqual(client.issuer, edgeCa.subject, 'issued by the managed CA, not the edge CA');
  });

  test('a second start reuses the configuration and the client certificate', needsCurl, async () => {
    const before = await readFile(path.join(demoDir, 'client.pem'), 'utf8');
    const demo = await startDemo(dataDir);
    try {
      assert.equal(demo.listening.reused, true);
      assert.match(demo.output(), /Reusing the client certificate in /);
      assert.equal(await readFile(path.join(demoDir, 'client.pem'), 'utf8'), before, 'client.pem unchanged');
      const [withCert = []] = printedCurlLines(demo.output());
      assert.equal((await curl(withCert, demo.port)).status, 200);
      // Through the admin API the demo printed: one zone, one route, one mTLS rule (nothing duplicated).
      const admin = String(demo.listening.admin);
      const token = (await readFile(path.join(demoDir, 'admin-token'), 'utf8')).trim();
      const get = async (route: string) =>
        (
          (await (await fetch(admin + route, { headers: { authorization: `Bearer ${token}` } })).json()) as {
            result: { id: string }[] & { rules?: unknown[] };
          }
        ).result;
      const zones = await get('/zones?name=localhost');
      assert.equal(zones.length, 1);
      const zoneId = zones[0]?.id ?? '';
      assert.equal((await get(`/zones/${zoneId}/gateway/routes`)).length, 1);
      const entrypoint = (await get(
        `/zones/${zoneId}/rulesets/phases/http_request_firewall_custom/entrypoint`,
      )) as unknown as { rules: unknown[] };
      assert.equal(entrypoint.rules.length, 1);
    } finally {
      assert.equal(await stopDemo(demo), 0);
    }
  });

  test('a lost client key makes a new client certificate', needsCurl, async () => {
    const oldClient = await readFile(path.join(demoDir, 'client.pem'), 'utf8');
    await rm(path.join(demoDir, 'client.key'));
    const demo = await startDemo(dataDir);
    try {
      assert.equal(demo.listening.reused, false);
      assert.notEqual(await readFile(path.join(demoDir, 'client.pem'), 'utf8'), oldClient);
      const [withCert = []] = printedCurlLines(demo.output());
      assert.equal((await curl(withCert, demo.port)).status, 200);
    } finally {
      assert.equal(await stopDemo(demo), 0);
    }
  });

  test('a port in use is a clear message and exit 1', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as net.AddressInfo;
    try {
      const result = await runCli([
        'demo',
        '--data-dir',
        dataDir,
        '--listen',
        `127.0.0.1:${port}`,
        '--admin-listen',
        '127.0.0.1:0',
        '--portal-listen',
        '127.0.0.1:0',
      ]);
      assert.equal(result.code, 1, result.stderr);
      assert.match(
        result.stderr,
        new RegExp(`Cannot listen on 127\\.0\\.0\\.1:${port}: the port is already in use.*GW_ERR_LISTEN_FAILED`),
      );
      assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  test('a bad --listen is a usage error (exit 2) and writes nothing', async () => {
    const empty = await mkdtemp(path.join(tmpdir(), 'portcullis-demo-usage-'));
    try {
      const result = await runCli(['demo', '--data-dir', empty, '--listen', 'nonsense']);
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, /--listen must be HOST:PORT/);
      assert.equal(existsSync(path.join(empty, 'demo')), false);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});
