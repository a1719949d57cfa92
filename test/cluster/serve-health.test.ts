/**
 * `GET /healthz` and `GET /readyz` on the admin listener of `portcullis serve`, as a load balancer
 * calls them (no token), and the `portcullis_store_up` / `portcullis_config_*` gauges: all well on
 * SQLite; then a PostgreSQL that freezes (every server process SIGSTOPped: connections stay open,
 * nothing answers), which /readyz reports within its time limit — the store at once, the
 * configuration once its check has hung past the bound — while /healthz keeps answering, and which
 * heals when PostgreSQL resumes.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { startAdminServer, type AdminServer } from '../helpers/admin-server.ts';
import { postgresSkipReason, startPostgres, type TestPostgres } from '../helpers/postgres.ts';

interface Answer {
  status: number;
  body: { status: string; checks?: Record<string, string> };
  cacheControl: string | null;
}

async function get(server: AdminServer, path: string, method = 'GET'): Promise<Answer> {
  const response = await fetch(new URL(path, server.baseUrl), { method, signal: AbortSignal.timeout(5000) });
  const text = await response.text();
  return {
    status: response.status,
    body: text === '' ? { status: '' } : (JSON.parse(text) as Answer['body']),
    cacheControl: response.headers.get('cache-control'),
  };
}

async function gauge(server: AdminServer, name: string): Promise<number | undefined> {
  const text = await (await fetch(new URL('/metrics', server.baseUrl), { signal: AbortSignal.timeout(5000) })).text();
  const value = new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1];
  return value === undefined ? undefined : Number(value);
}

async function within<T>(limitMs: number, what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() - started > limitMs) assert.fail(`${what}: not within ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('health endpoints: SQLite', () => {
  let server: AdminServer;
  before(async () => {
    server = await startAdminServer();
  });
  after(() => server.stop());

  test('healthz and readyz answer without a token; readyz names its checks and nothing else', async () => {
    const live = await get(server, '/healthz');
    assert.equal(live.status, 200);
    assert.deepEqual(live.body, { status: 'ok' });
    assert.equal(live.cacheControl, 'no-store');
    const ready = await get(server, '/readyz');
    assert.equal(ready.status, 200);
    assert.deepEqual(ready.body, { status: 'ready', checks: { config: 'ok', store: 'ok' } });
    assert.equal(ready.cacheControl, 'no-store');
    assert.equal((await get(server, '/readyz', 'HEAD')).status, 200, 'HEAD as some load balancers send');
    // Under /client/v4 the token is still required.
    assert.equal((await server.call('GET', '/accounts', undefined, null)).status, 401);
  });

  test('the store and configuration gauges', async () => {
    assert.equal(await gauge(server, 'portcullis_store_up'), 1);
    assert.equal(await gauge(server, 'portcullis_config_stale_seconds'), 0);
    const applied = await gauge(server, 'portcullis_config_applied_timestamp_seconds');
    assert.ok(applied !== undefined && Math.abs(applied - Date.now() / 1000) < 600, String(applied));
    assert.equal(await gauge(server, 'portcullis_redis_up'), undefined, 'no Redis, no Redis gauge');
  });
});

/** Every process of the PostgreSQL server behind `url`: its postmaster and the postmaster's children. */
async function serverProcesses(url: string): Promise<number[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const { rows } = await client.query<{ data_directory: string }>('show data_directory');
  await client.end();
  // postmaster.pid: the postmaster's pid on its first line.
  const postmaster = Number(readFileSync(`${rows[0]?.data_directory ?? ''}/postmaster.pid`, 'utf8').split('\n')[0]);
  const parentOf = (pid: number): number | undefined => {
    try {
      // /proc/<pid>/stat: "pid (comm) state ppid …"; comm may hold spaces, so split after the last ')'.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    } catch {
      return undefined; // exited meanwhile
    }
  };
  const children = readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => parentOf(pid) === postmaster);
  return [postmaster, ...children];
}

describe('health endpoints: a PostgreSQL that stops answering', { skip: postgresSkipReason() ?? false }, () => {
  let postgres: TestPostgres;
  let server: AdminServer;
  let url: string;
  before(async () => {
    postgres = await startPostgres();
    await postgres.createDatabase('health');
    url = await postgres.createSchema('health', 'gw');
    const env = {
      PORTCULLIS_MASTER_KEY: randomBytes(32).toString('hex'),
      PORTCULLIS_ADMIN_TOKEN: randomBytes(24).toString('base64url'),
    };
    server = await startAdminServer({ kind: 'postgres', url }, env, { options: { configStaleAfterMs: 1500 } });
  });
  after(async () => {
    await server.stop();
    await postgres.stop();
  });

  test('frozen: readyz 503 (store timeout, then the configuration stale), healthz 200; resumed: ready again', async () => {
    assert.equal((await get(server, '/readyz')).status, 200);
    const processes = await serverProcesses(url);
    const signal = (name: NodeJS.Signals) => {
      for (const pid of processes) {
        try {
          process.kill(pid, name);
        } catch {
          // Exited meanwhile (the backend of the connection that found the postmaster).
        }
      }
    };
    signal('SIGSTOP');
    try {
      const notReady = await get(server, '/readyz');
      assert.equal(notReady.status, 503);
      assert.equal(notReady.body.status, 'not_ready');
      assert.equal(notReady.body.checks?.store, 'timeout');
      assert.equal(await gauge(server, 'portcullis_store_up'), 0);
      assert.deepEqual((await get(server, '/healthz')).body, { status: 'ok' }, 'the process itself is fine');
      // The change feed's check hangs too: past the bound (1.5 s here) the configuration is stale.
      const stale = await within(5000, 'configuration reported stale', async () => {
        const answer = await get(server, '/readyz');
        return answer.body.checks?.config === 'stale' ? answer : undefined;
      });
      assert.deepEqual(stale.body, { status: 'not_ready', checks: { config: 'stale', store: 'timeout' } });
      assert.ok(((await gauge(server, 'portcullis_config_stale_seconds')) ?? 0) > 1.5);
    } finally {
      signal('SIGCONT');
    }
    const ready = await within(10_000, 'ready again', async () => {
      const answer = await get(server, '/readyz');
      return answer.status === 200 ? answer : undefined;
    });
    assert.deepEqual(ready.body, { status: 'ready', checks: { config: 'ok', store: 'ok' } });
    assert.equal(await gauge(server, 'portcullis_store_up'), 1);
    assert.equal(await gauge(server, 'portcullis_config_stale_seconds'), 0);
  });
});
