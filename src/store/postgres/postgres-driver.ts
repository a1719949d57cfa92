/**
 * The Kysely driver of the PostgreSQL store: Kysely's own PostgresDriver redone for a server that
 * restarts, fails over or ends sessions (pg_terminate_backend) while the gateway runs.
 *
 *  - Every pool client has an 'error' listener for its whole life, idle or checked out. pg emits
 *    'error' on a checked-out client whose connection ends (a 57P01 "terminating connection due to
 *    administrator command" between two statements, or the socket closing after a statement failed);
 *    pg-pool listens only while a client is idle, and an 'error' event nobody listens to ends the
 *    process. The listener marks the client broken; it is destroyed when released, never reused.
 *  - Getting a connection is retried with backoff for about two seconds (refused, the server
 *    starting up or shutting down): nothing has been sent yet, so any statement may wait for it.
 *    After that the caller gets StoreUnavailableError (the admin API answers 503).
 *  - A statement whose connection is lost:
 *      · the first statement on a connection (a standalone statement, or BEGIN) when the connection
 *        was already known broken: sent on a new connection instead — it never left;
 *      · a read (SELECT) as the first statement, outside a transaction: sent again on a new
 *        connection (up to three times: a restart ends the pool's idle sessions too);
 *      · inside a transaction, before COMMIT: StoreUnavailableError `lost` — the server rolls back
 *        the transaction of a session that ends, so running it again is safe (kysely/atomically.ts
 *        does, once);
 *      · COMMIT, or a write outside a transaction that was sent: StoreOutcomeUnknownError — it may
 *        have been applied, and is never repeated blindly.
 *    A client is only ever swapped before or at the first statement of a connection, so session
 *    state (the migrator's advisory lock, an open transaction) is never silently lost.
 */
import pg from 'pg';
import {
  CompiledQuery,
  SelectQueryNode,
  type DatabaseConnection,
  type Driver,
  type QueryResult,
  type TransactionSettings,
} from 'kysely';
import { StoreOutcomeUnknownError, StoreUnavailableError, describeStoreFailure } from '../store-failure.ts';

/** Pauses between attempts to connect: ~2 s in all, the length of a typical `pg_ctl restart`. */
const CONNECT_RETRY_DELAYS_MS = [100, 250, 500, 1000];
/** Times a read whose connection was lost is sent again, each time on another connection. */
const LOST_READ_RETRIES = 3;
/** pg-pool's error when no client of a full pool became free within connectionTimeoutMillis. */
const POOL_WAIT_TIMEOUT = 'timeout exceeded when trying to connect';

export class ResilientPostgresDriver implements Driver {
  readonly #pool: pg.Pool;
  /** Clients whose connection failed, with the failure: destroyed when released. */
  readonly #broken = new WeakMap<pg.PoolClient, Error>();
  #destroyed = false;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
    // For the client's whole life, idle or checked out (see above).
    this.#pool.on('connect', (client) => {
      client.on('error', (error: Error) => {
        this.#broken.set(client, error);
      });
    });
    // pg-pool re-emits an idle client's error on the pool, which throws without a listener; the
    // client is already out of the pool and the next statement gets a new one.
    this.#pool.on('error', () => undefined);
  }

  init(): Promise<void> {
    return Promise.resolve();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    return new PostgresConnection(this, await this.connect());
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const postgres = asPostgres(connection);
    let statement = 'start transaction';
    if (settings.isolationLevel !== undefined) statement += ` isolation level ${settings.isolationLevel}`;
    if (settings.accessMode !== undefined) statement += ` ${settings.accessMode}`;
    await postgres.execute(CompiledQuery.raw(statement), 'safe');
    postgres.inTransaction = true;
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    const postgres = asPostgres(connection);
    try {
      await postgres.execute(CompiledQuery.raw('commit'), 'commit');
    } finally {
      postgres.inTransaction = false;
    }
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    const postgres = asPostgres(connection);
    postgres.inTransaction = false;
    // A lost session's transaction was rolled back by the server: nothing to send, and the
    // failure that led here is the one the caller must see.
    const client = postgres.client;
    if (client === undefined || this.isBroken(client)) return;
    try {
      await client.query('rollback');
    } catch (error) {
      if (!this.isLost(client, error)) throw error;
    }
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    const postgres = asPostgres(connection);
    // With an error, the pool destroys the client instead of handing it out again. None to release
    // when a replacement could not be had (the broken one was already handed back).
    if (postgres.client !== undefined) postgres.client.release(this.#broken.get(postgres.client));
    return Promise.resolve();
  }

  async destroy(): Promise<void> {
    if (this.#destroyed) return;
    this.#destroyed = true;
    await this.#pool.end();
  }

  /**
   * A checked-out client, retrying a failed connection attempt CONNECT_RETRY_DELAYS_MS times. Not
   * a wait for a free client of a full pool (pg-pool's "timeout exceeded"): the server answers,
   * it is busy, and waiting again would only make the caller wait longer.
   */
  async connect(): Promise<pg.PoolClient> {
    for (let attempt = 0; ; attempt++) {
      if (this.#destroyed) throw new StoreUnavailableError('The store is closed', { lost: false });
      try {
        return await this.#pool.connect();
      } catch (error) {
        const delay = CONNECT_RETRY_DELAYS_MS[attempt];
        if (delay === undefined || (error as Error).message === POOL_WAIT_TIMEOUT) {
          throw new StoreUnavailableError(`Cannot connect to PostgreSQL: ${describeStoreFailure(error)}`, {
            lost: false,
            cause: error,
          });
        }
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  /** Hands a broken client back to the pool, which destroys it. */
  discard(client: pg.PoolClient): void {
    client.release(this.#broken.get(client) ?? new Error('connection lost'));
  }

  isBroken(client: pg.PoolClient): boolean {
    return this.#broken.has(client);
  }

  failureOf(client: pg.PoolClient): Error | undefined {
    return this.#broken.get(client);
  }

  /**
   * Whether a statement failed because its connection is gone rather than because of the SQL: the
   * client emitted 'error' (socket closed or reset: pg emits it before the statement's rejection is
   * seen), or the server's answer was FATAL (it ends the session: 57P01 and the like).
   */
  isLost(client: pg.PoolClient, error: unknown): boolean {
    if (this.#broken.has(client)) return true;
    const severity = (error as { severity?: unknown } | null)?.severity;
    if (severity === 'FATAL' || severity === 'PANIC') {
      this.#broken.set(client, error as Error);
      return true;
    }
    return false;
  }
}

/**
 * How a statement may be handled when its connection is lost: `read` and `safe` (BEGIN) changed
 * nothing, `write` may have been applied once sent, `commit` may have committed.
 */
type StatementKind = 'read' | 'write' | 'safe' | 'commit';

class PostgresConnection implements DatabaseConnection {
  readonly #driver: ResilientPostgresDriver;
  /** The checked-out client; undefined once a broken one was handed back and no other could be had. */
  client: pg.PoolClient | undefined;
  inTransaction = false;
  /** Whether a statement has been sent on this connection (after that, its client is never swapped). */
  #used = false;

  constructor(driver: ResilientPostgresDriver, client: pg.PoolClient) {
    this.#driver = driver;
    this.client = client;
  }

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    return this.execute<R>(query, SelectQueryNode.is(query.query) ? 'read' : 'write');
  }

  /** The store never streams; the interface requires the method. */
  streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('The PostgreSQL store does not stream query results');
  }

  async execute<R>(query: CompiledQuery, kind: StatementKind): Promise<QueryResult<R>> {
    const first = !this.#used;
    this.#used = true;
    let client = this.client;
    if (client === undefined) throw new StoreUnavailableError('The connection to PostgreSQL was lost', { lost: true });
    if (this.#driver.isBroken(client)) {
      if (!first) throw unavailable(this.#driver.failureOf(client), true);
      client = await this.#replace(client);
    }
    try {
      return await send<R>(client, query);
    } catch (error) {
      if (!this.#driver.isLost(client, error)) throw error;
      if (this.inTransaction && kind !== 'commit') throw unavailable(error, true);
      if (kind === 'commit' || kind === 'write') {
        throw new StoreOutcomeUnknownError(
          `The connection to PostgreSQL was lost after a change was sent, which may have been applied: ${describeStoreFailure(error)}`,
          error,
        );
      }
      if (!first) throw unavailable(error, true);
      return this.#retry<R>(client, query, error);
    }
  }

  /**
   * A read, or BEGIN, as the connection's first statement lost its connection: nothing changed, so
   * it is sent again on a new one. More than once: when a restart ends every session at once, the
   * pool may hand out an idle client whose end it has not read yet.
   */
  async #retry<R>(broken: pg.PoolClient, query: CompiledQuery, failure: unknown): Promise<QueryResult<R>> {
    let client = broken;
    let lastFailure = failure;
    for (let attempt = 0; attempt < LOST_READ_RETRIES; attempt++) {
      client = await this.#replace(client);
      try {
        return await send<R>(client, query);
      } catch (error) {
        if (!this.#driver.isLost(client, error)) throw error;
        lastFailure = error;
      }
    }
    throw unavailable(lastFailure, true);
  }

  /** Hands the broken client back and checks out another (rejects when none can be had). */
  async #replace(broken: pg.PoolClient): Promise<pg.PoolClient> {
    this.client = undefined;
    this.#driver.discard(broken);
    this.client = await this.#driver.connect();
    return this.client;
  }
}

async function send<R>(client: pg.PoolClient, query: CompiledQuery): Promise<QueryResult<R>> {
  const { command, rowCount, rows } = await client.query<R & pg.QueryResultRow>(query.sql, [...query.parameters]);
  const counted = command === 'INSERT' || command === 'UPDATE' || command === 'DELETE' || command === 'MERGE';
  return { rows, ...(counted ? { numAffectedRows: BigInt(rowCount ?? 0) } : {}) };
}

function asPostgres(connection: DatabaseConnection): PostgresConnection {
  if (!(connection instanceof PostgresConnection)) throw new Error('not a connection of this driver');
  return connection;
}

function unavailable(cause: unknown, lost: boolean): StoreUnavailableError {
  return new StoreUnavailableError(`The connection to PostgreSQL was lost: ${describeStoreFailure(cause)}`, {
    lost,
    cause,
  });
}
