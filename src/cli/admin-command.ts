/**
 * What every admin command of the CLI shares: the connection options, reading input files, and how
 * a failure is reported (one line on stderr and an exit code, never a stack).
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { GW_ERR_USAGE } from '../errors/index.ts';
import { AdminClientError, DEFAULT_API_URL, type AdminConnectionOptions } from '../admin-client/admin-client.ts';
import { EXIT_OK, EXIT_RUNTIME } from './exit-codes.ts';

/** The options every admin command takes (see withAdminCommandOptions). */
export interface AdminCommandOptions extends AdminConnectionOptions {
  json?: boolean;
}

/** A failure an admin command reports as one line on stderr (no stack), with its exit code. */
export class AdminCommandError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number = EXIT_RUNTIME) {
    super(message);
    this.name = 'AdminCommandError';
    this.exitCode = exitCode;
  }
}

/** Reads an input file named on the command line; a missing file is a usage error (exit 2). */
export async function readInputFile(file: string, option: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw GW_ERR_USAGE.create(`${option}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

/** Adds the connection options every admin command takes. */
export function withAdminCommandOptions(command: Command): Command {
  return command
    .option('--api <url>', `admin API base URL (env PORTCULLIS_API; default ${DEFAULT_API_URL})`)
    .option('--token <token>', 'API token (env PORTCULLIS_TOKEN; default: the admin-token file in --data-dir)')
    .option('--data-dir <dir>', 'data directory of portcullis serve, for its admin-token file', './data')
    .option('--json', 'print the API result as JSON (for scripts)');
}

/**
 * Runs an admin command: its AdminCommandErrors and the client's AdminClientErrors become `portcullis: <message>` on stderr and their exit
 * code; anything else (usage errors, unexpected failures) goes on to the CLI's reportFailure.
 */
export async function runAdminCommand(work: () => Promise<void>): Promise<number> {
  try {
    await work();
    return EXIT_OK;
  } catch (error) {
    if (error instanceof AdminClientError) {
      process.stderr.write(`portcullis: ${error.message}\n`);
      return EXIT_RUNTIME;
    }
    if (!(error instanceof AdminCommandError)) throw error;
    process.stderr.write(`portcullis: ${error.message}\n`);
    return error.exitCode;
  }
}
