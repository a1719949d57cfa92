/**
 * Gateways of a cluster starting at the same moment on one empty PostgreSQL store, as an
 * orchestrator starts them: five gateways (in this process, started with Promise.all, so their
 * start-up reads and writes interleave at every store round trip), three times over. Every start-up
 * write must hold under that: all five start, the store ends with one bootstrap token, one edge CA
 * (which every gateway serves), and a --config file applied once.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startGateway, type RunningGateway } from '../../src/app/serve.ts';
import { parseServeOptions } from '../../src/config/serve-options.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { postgresSkipReason, startPostgres, type TestPostgres } from '../helpers/postgres.ts';

const NODES = 5;
const ROUNDS = 3;

const CONFIG = `accounts:
  - name: together
    zones:
      - name: together.test
        routes:
          - hostname: api.together.test
            upstream: http://127.0.0.1:9
`;

interface Started {
  readonly dataDir: string;
  readonly running: RunningGateway;
}

describe('cluster start: five gateways at once on one PostgreSQL', { skip: postgresSkipReason() ?? false }, () => {
  let postgres: TestPostgres;
  let configDir: string;
  let round = 0;

  before(async () => {
    postgres = await startPostgres();
    await postgres.createDatabase('together');
    configDir = await mkdtemp(path.join(tmpdir(), 'portcullis-together-'));
    await writeFile(path.join(configDir, 'portcullis.yaml'), CONFIG);
  });

  after(async () => {
    await postgres.stop();
    await rm(configDir, { recursive: true, force: true });
  });

  /** Starts NODES gateways together on a fresh schema; every start must succeed. */
  async function startTogether(env: NodeJS.ProcessEnv, config: boolean) {
    const url = await postgres.createSchema('together', `round_${++round}`);
    const dataDirs = await Promise.all(
      Array.from({ length: NODES }, () => mkdtemp(path.join(tmpdir(), 'portcullis-together-node-'))),
    );
    const outcomes = await Promise.allSettled(
      dataDirs.map((dataDir) => {
        const options = parseServeOptions({
          dataDir,
          store: url,
          adminListen: '127.0.0.1:0',
          listen: '127.0.0.1:0',
          ...(config ? { config: path.join(configDir, 'portcullis.yaml') } : {}),
        });
        return startGateway(options, createLogger('silent'), env).then((running) => ({ dataDir, running }));
      }),
    );
    const started = outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
    const failures = outcomes.flatMap((outcome) =>
      outcome.status === 'rejected' ? [(outcome.reason as Error).message] : [],
    );
    return { url, dataDirs, started, failures };
  }

  async function stopAll(started: readonly Started[], dataDirs: readonly string[]): Promise<void> {
    await Promise.all(started.map(({ running }) => running.stop(1000)));
    await Promise.all(dataDirs.map((dir) => rm(dir, { recursive: true, force: true })));
  }

  async function query<T extends pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query<T>(text)).rows;
    } finally {
      await client.end();
    }
  }

  test('with PORTCULLIS_ADMIN_TOKEN and a --config file: all start, one token, one edge CA, the file applied once', async () => {
    for (let attempt = 0; attempt < ROUNDS; attempt++) {
      const adminToken = randomBytes(24).toString('base64url');
      const env = { PORTCULLIS_MASTER_KEY: randomBytes(32).toString('hex'), PORTCULLIS_ADMIN_TOKEN: adminToken };
      const { url, dataDirs, started, failures } = await startTogether(env, true);
      try {
        assert.deepEqual(failures, [], `round ${attempt + 1}`);
        assert.equal(started.length, NODES);
        const tokens = await query<{ name: string }>(url, 'select name from api_tokens');
        assert.deepEqual(
          tokens.map((token) => token.name),
          ['bootstrap'],
        );
        const accounts = await query<{ name: string }>(url, 'select name from accounts');
        assert.deepEqual(
          accounts.map((account) => account.name),
          ['together'],
        );
        const edgeCas = await query<{ value: string }>(
          url,
          "select value from settings where key = 'edge_ca.certificate'",
        );
        assert.equal(edgeCas.length, 1);
        for (const { dataDir, running } of started) {
          assert.equal(await readFile(path.join(dataDir, 'edge-ca.pem'), 'utf8'), edgeCas[0]?.value);
          const verify = await fetch(`http://127.0.0.1:${running.adminAddress.port}/client/v4/user/tokens/verify`, {
            headers: { authorization: `Bearer ${adminToken}` },
          });
          assert.equal(verify.status, 200);
        }
      } finally {
        await stopAll(started, dataDirs);
      }
    }
  });

  test('without PORTCULLIS_ADMIN_TOKEN: one gateway makes the bootstrap token and writes it, the others none', async () => {
    for (let attempt = 0; attempt < ROUNDS; attempt++) {
      const env = { PORTCULLIS_MASTER_KEY: randomBytes(32).toString('hex'), PORTCULLIS_ADMIN_TOKEN: undefined };
      const { url, dataDirs, started, failures } = await startTogether(env, false);
      try {
        assert.deepEqual(failures, [], `round ${attempt + 1}`);
        const tokens = await query<{ name: string }>(url, 'select name from api_tokens');
        assert.equal(tokens.length, 1, `round ${attempt + 1}: ${tokens.length} tokens`);
        const written = dataDirs.filter((dir) => existsSync(path.join(dir, 'admin-token')));
        assert.equal(written.length, 1, 'one admin-token file, by the gateway that made the token');
        const secret = (await readFile(path.join(written[0] ?? '', 'admin-token'), 'utf8')).trim();
        for (const { running } of started) {
          const verify = await fetch(`http://127.0.0.1:${running.adminAddress.port}/client/v4/user/tokens/verify`, {
            headers: { authorization: `Bearer ${secret}` },
          });
          assert.equal(verify.status, 200);
        }
      } finally {
        await stopAll(started, dataDirs);
      }
    }
  });
});
