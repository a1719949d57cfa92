/**
 * A throwaway PostgreSQL for tests, from Debian's binaries (/usr/lib/postgresql/<version>/bin):
 * initdb into a temp dir, start on 127.0.0.1 at a free port with its socket in that dir, fsync off,
 * trust auth; stop and delete everything after. PostgreSQL refuses to run as root, so as root the
 * dir is given to the `postgres` user and the binaries run through `runuser -u postgres --`.
 * The database collation is ICU en-US (PostgreSQL >= 15), like a typical production cluster and
 * unlike SQLite's byte order, so tests catch code that relies on ORDER BY of text.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);
const POSTGRES_ROOT = '/usr/lib/postgresql';

export interface PostgresBinaries {
  binDir: string;
  major: number;
}

/** The newest installed PostgreSQL with initdb and pg_ctl, or undefined. */
export function findPostgresBinaries(root = POSTGRES_ROOT): PostgresBinaries | undefined {
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .map((name) => ({ name, major: Number.parseInt(name, 10) }))
    .filter(({ name, major }) => Number.isInteger(major) && existsSync(path.join(root, name, 'bin', 'initdb')))
    .filter(({ name }) => existsSync(path.join(root, name, 'bin', 'pg_ctl')))
    .sort((a, b) => b.major - a.major);
  const newest = versions[0];
  return newest && { binDir: path.join(root, newest.name, 'bin'), major: newest.major };
}

/** Why the PostgreSQL half of a suite cannot run here, or undefined when it can. */
export function postgresSkipReason(): string | undefined {
  if (findPostgresBinaries() === undefined) {
    return `no PostgreSQL binaries under ${POSTGRES_ROOT}/*/bin (apt-get install postgresql; .ci/run does)`;
  }
  if (isRoot() && spawnSync('id', ['-u', 'postgres']).status !== 0) {
    return 'running as root and there is no postgres user to run PostgreSQL as';
  }
  return undefined;
}

export interface TestPostgres {
  readonly port: number;
  /** Connection URL of a database on this server. */
  url(database: string): string;
  /** Creates a database (optionally a copy of `template`) and returns its URL. */
  createDatabase(name: string, template?: string): Promise<string>;
  /**
   * Creates a schema in a database and returns a URL whose connections use it (search_path): a
   * fresh, empty namespace in a few milliseconds, where a new database takes hundreds.
   */
  createSchema(database: string, name: string): Promise<string>;
  /**
   * `pg_ctl restart -m fast`, as an operator restarts it: every session is ended (57P01), the
   * server is down for a moment and comes back on the same port with the same data.
   */
  restart(): Promise<void>;
  /** Stops the server (`-m fast`), keeping its data, until `resume`: a PostgreSQL that is down. */
  pause(): Promise<void>;
  /** Starts it again after `pause`, on the same port. */
  resume(): Promise<void>;
  /** Ends every other session on the server (`pg_terminate_backend`); returns how many. */
  terminateSessions(): Promise<number>;
  /** Stops the server and deletes its files. */
  stop(): Promise<void>;
}

export async function startPostgres(binaries = findPostgresBinaries()): Promise<TestPostgres> {
  if (binaries === undefined) throw new Error('PostgreSQL binaries not found');
  const asPostgres = isRoot();
  const dir = mkdtempSync(path.join(asPostgres ? '/tmp' : tmpdir(), 'portcullis-pg-'));
  const dataDir = path.join(dir, 'data');
  const logFile = path.join(dir, 'postgres.log');
  if (asPostgres) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  chmodSync(dir, 0o700);
  const command = (tool: string, args: string[]): [string, string[]] =>
    asPostgres
      ? ['runuser', ['-u', 'postgres', '--', path.join(binaries.binDir, tool), ...args]]
      : [path.join(binaries.binDir, tool), args];
  const pgCtl = (args: string[]) => run(...command('pg_ctl', ['-D', dataDir, ...args]));

  const stopNow = (): void => {
    spawnSync(...command('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-s', 'stop']));
    rmSync(dir, { recursive: true, force: true });
  };
  // A crashed or interrupted test run must not leave a postmaster behind.
  process.once('exit', stopNow);

  try {
    const locale =
      binaries.major >= 15 ? ['--locale=C', '--locale-provider=icu', '--icu-locale=en-US'] : ['--locale=C'];
    await run(...command('initdb', ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '-N', '-E', 'UTF8', ...locale]));
    const port = await startOnFreePort(pgCtl, dir, logFile);
    // pg_ctl restart and start reuse the options the server was started with (postmaster.opts).
    const startAgain = (): Promise<unknown> =>
      pgCtl(['-l', logFile, '-w', '-t', '30', '-s', '-o', serverSettings(port, dir).join(' '), 'start']);
    const url = (database: string): string => `postgres://postgres@127.0.0.1:${port}/${database}`;
    const execute = async (database: string, statement: string): Promise<void> => {
      const client = new pg.Client({ connectionString: url(database) });
      await client.connect();
      try {
        await client.query(statement);
      } finally {
        await client.end();
      }
    };
    return {
      port,
      url,
      async createDatabase(name: string, template?: string): Promise<string> {
        const from = template === undefined ? '' : ` TEMPLATE ${identifier(template)}`;
        await execute('postgres', `CREATE DATABASE ${identifier(name)}${from}`);
        return url(name);
      },
      async createSchema(database: string, name: string): Promise<string> {
        await execute(database, `CREATE SCHEMA ${identifier(name)}`);
        return `${url(database)}?options=${encodeURIComponent(`-c search_path=${name}`)}`;
      },
      async restart(): Promise<void> {
        await pgCtl(['-l', logFile, '-m', 'fast', '-w', '-t', '30', '-s', 'restart']);
      },
      async pause(): Promise<void> {
        await pgCtl(['-m', 'fast', '-w', '-t', '30', '-s', 'stop']);
      },
      async resume(): Promise<void> {
        await startAgain();
      },
      async terminateSessions(): Promise<number> {
        const client = new pg.Client({ connectionString: url('postgres') });
        await client.connect();
        try {
          const { rows } = await client.query<{ ended: boolean }>(
            'select pg_terminate_backend(pid) as ended from pg_stat_activity ' +
              "where pid <> pg_backend_pid() and backend_type = 'client backend'",
          );
          return rows.filter((row) => row.ended).length;
        } finally {
          await client.end();
        }
      },
      async stop(): Promise<void> {
        process.removeListener('exit', stopNow);
        await pgCtl(['-m', 'immediate', '-s', 'stop']).catch(() => undefined);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    process.removeListener('exit', stopNow);
    stopNow();
    throw error;
  }
}

/** Picks a free port and starts; retries with another port if one was taken in between. */
async function startOnFreePort(
  pgCtl: (args: string[]) => Promise<unknown>,
  socketDir: string,
  logFile: string,
): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      await pgCtl(['-l', logFile, '-w', '-t', '30', '-s', '-o', serverSettings(port, socketDir).join(' '), 'start']);
      return port;
    } catch (error) {
      if (attempt >= 3) {
        const log = existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-2000) : '(no log)';
        throw new Error(`PostgreSQL did not start: ${String(error)}\n${log}`, { cause: error });
      }
    }
  }
}

function serverSettings(port: number, socketDir: string): string[] {
  return [
    `-c listen_addresses=127.0.0.1`,
    `-c port=${port}`,
    `-c unix_socket_directories=${socketDir}`,
    '-c fsync=off',
    '-c synchronous_commit=off',
    '-c full_page_writes=off',
  ];
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port'));
      });
    });
  });
}

function identifier(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`unsafe database name ${name}`);
  return `"${name}"`;
}

function isRoot(): boolean {
  return process.getuid?.() === 0;
}
