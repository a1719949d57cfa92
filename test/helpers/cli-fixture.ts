/**
 * The CLI tests' fixture: a gateway (SQLite, in-process), one tenant in it, a scratch folder, and the real CLI run
 * against that gateway's admin API with its token; plus the checks every CLI test makes of a command that must
 * succeed.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTenant, startAdminServer, type AdminServer } from './admin-server.ts';
import { runCli, type CliResult } from './cli.ts';

export interface CliFixture {
  readonly server: AdminServer;
  /** A scratch folder, removed by `stop`. */
  readonly dir: string;
  readonly accountId: string;
  readonly zoneId: string;
  /** Runs the CLI against the gateway (`--api`, `--token`: the admin token unless `token`). */
  cli(args: string[], token?: string): Promise<CliResult>;
  stop(): Promise<void>;
}

/** `name` names the scratch folder (`portcullis-cli-<name>-…`); the tenant's zone is `zoneName`. */
export async function startCliFixture(name: string, zoneName: string): Promise<CliFixture> {
  const server = await startAdminServer();
  const dir = await mkdtemp(path.join(tmpdir(), `portcullis-cli-${name}-`));
  const { accountId, zoneId } = await createTenant(server, zoneName);
  return {
    server,
    dir,
    accountId,
    zoneId,
    cli: (args, token = server.adminToken) => runCli([...args, '--api', server.baseUrl, '--token', token]),
    async stop() {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Asserts exit 0 and, unless `stderr: 'allowed'`, nothing on stderr (a warning there would be a defect); the result.
 */
export function succeeded(result: CliResult, options: { stderr?: 'empty' | 'allowed' } = {}): CliResult {
  assert.equal(result.code, 0, `exit ${String(result.code)}: ${result.stderr}`);
  if (options.stderr !== 'allowed') assert.equal(result.stderr, '');
  return result;
}

/** `succeeded`, then stdout parsed as JSON. */
export function succeededJson<T = any>(result: CliResult, options: { stderr?: 'empty' | 'allowed' } = {}): T {
  return JSON.parse(succeeded(result, options).stdout) as T;
}
