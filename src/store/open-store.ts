/**
 * openStore: the one way to get a Store. Picks the Kysely dialect (an embedded SQLite file or a
 * PostgreSQL pool), brings the schema up to date, and hands back a KyselyStore. Called only by the
 * composition root (docs/architecture.md, "Layers").
 */
import { closeSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { Kysely, sql, type Dialect } from 'kysely';
import type { Store } from './ports.ts';
import type { Database as Schema } from './kysely/schema.ts';
import { KyselyStore } from './kysely-store.ts';
import { migrateToLatest } from './migrations/index.ts';
import { ResilientPostgresDialect } from './postgres/postgres-dialect.ts';
import { ImmediateSqliteDialect } from './sqlite-immediate-dialect.ts';

export type StoreOptions = { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string };

/** How long a SQLite writer waits for another process's lock before failing (SQLITE_BUSY). */
const SQLITE_BUSY_TIMEOUT_MS = 5000;
const POSTGRES_POOL_SIZE = 10;
/**
 * A connection attempt that gets no answer (a host that drops packets) fails after this, instead
 * of pg's default of waiting for the operating system's TCP timeout (minutes).
 */
const POSTGRES_CONNECT_TIMEOUT_MS = 5000;

export async function openStore(options: StoreOptions): Promise<Store> {
  const db = connectDatabase(options);
  try {
    await migrateDatabase(db, options);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return new KyselyStore(db);
}

/** Where the store is, for messages: `SQLite at <file>`, `PostgreSQL at <url without user or password>`. */
export function describeStoreLocation(options: StoreOptions): string {
  if (options.kind === 'sqlite') return `SQLite at ${options.file}`;
  try {
    const url = new URL(options.url);
    url.username = '';
    url.password = '';
    return `PostgreSQL at ${url.toString()}`;
  } catch {
    return 'PostgreSQL (unparseable URL)';
  }
}

/** A Kysely instance on the database, configured but not migrated (openStore migrates). */
export function connectDatabase(options: StoreOptions): Kysely<Schema> {
  const dialect = options.kind === 'sqlite' ? sqliteDialect(options.file) : postgresDialect(options.url);
  return new Kysely<Schema>({ dialect });
}

/** Brings the schema up to date; returns the migrations it ran. */
export async function migrateDatabase(db: Kysely<Schema>, options: StoreOptions): Promise<string[]> {
  if (options.kind === 'sqlite') return migrateToLatest(db);
  const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db);
  const schema = rows[0]?.schema ?? null;
  if (schema === null) throw new Error('The PostgreSQL search_path names no existing schema to create the tables in');
  return migrateToLatest(db, schema);
}

function sqliteDialect(file: string): Dialect {
  if (file !== ':memory:') createPrivateFile(file);
  const database = new Database(file);
  const mode = database.pragma('journal_mode = WAL', { simple: true });
  if (file !== ':memory:' && mode !== 'wal') {
    database.close();
    throw new Error(`SQLite store ${file}: cannot switch to WAL mode (got ${String(mode)})`);
  }
  database.pragma('foreign_keys = ON');
  database.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
  return new ImmediateSqliteDialect({ database });
}

/**
 * The database holds sealed keys and token hashes: create it readable by its owner only (SQLite
 * gives its -wal and -shm files the same permissions). An existing file is left as it is.
 */
function createPrivateFile(file: string): void {
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true, mode: 0o700 });
  closeSync(openSync(file, 'a', 0o600));
}

function postgresDialect(url: string): Dialect {
  const pool = new pg.Pool({
    connectionString: url,
    max: POSTGRES_POOL_SIZE,
    connectionTimeoutMillis: POSTGRES_CONNECT_TIMEOUT_MS,
    // TCP keepalive: a server that vanished without closing the connection is noticed.
    keepAlive: true,
  });
  return new ResilientPostgresDialect(pool);
}
