/**
 * What a failed store call means for its caller, decided in ONE place from what the drivers report:
 * PostgreSQL SQLSTATEs (Appendix A of the PostgreSQL manual), the errors our PostgreSQL driver
 * raises when a connection cannot be made or is lost (postgres/postgres-driver.ts), and
 * better-sqlite3's extended result codes (https://sqlite.org/rescode.html).
 *
 *   unavailable      the store could not be reached, or was too busy: nothing was written; retry later
 *   no_space         the store could not write for lack of disk space (or a failing disk): nothing was
 *                    written; retry once space is freed
 *   outcome_unknown  the connection was lost after a write had been sent: it may or may not have been
 *                    applied, so it must not be repeated blindly
 *
 * Anything else (a constraint violation, a bug) is not a store outage and is left to the caller.
 */

export type StoreFailureKind = 'unavailable' | 'no_space' | 'outcome_unknown';

/**
 * Nothing was written: the connection could not be made (`lost: false`), or was lost before the
 * statement was sent or inside a transaction that had not been committed (`lost: true`, which the
 * server rolls back). `lost` failures are worth one immediate retry on a new connection (a server
 * restart ends every session, the next connection usually works); `connect` failures were already
 * retried by the driver.
 */
export class StoreUnavailableError extends Error {
  readonly lost: boolean;

  constructor(message: string, options: { lost: boolean; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StoreUnavailableError';
    this.lost = options.lost;
  }
}

/** The connection was lost after a write was sent (or during COMMIT): it may have been applied. */
export class StoreOutcomeUnknownError extends Error {
  constructor(message: string, cause: unknown) {
    super(message, { cause });
    this.name = 'StoreOutcomeUnknownError';
  }
}

/**
 * PostgreSQL SQLSTATEs that mean "not now": class 08 (connection exception, except 08P01, a
 * protocol violation), 57P01–57P05 (the server is shutting down, restarting, starting up, or ended
 * the session), 53000/53200/53300 (out of memory or connection slots), 25006 (a read-only server: a
 * standby after a failover).
 */
const POSTGRES_UNAVAILABLE = new Set([
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  '08007',
  '57P01',
  '57P02',
  '57P03',
  '57P04',
  '57P05',
  '53000',
  '53200',
  '53300',
  '25006',
]);
/** 53100 disk_full. */
const POSTGRES_NO_SPACE = new Set(['53100']);
/** The socket could not be opened or broke (Node errno codes, from pg's connection). */
const SOCKET_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** How deep a chain of `cause`s is followed (a migration failure wraps the driver's error). */
const MAX_CAUSES = 4;

export function classifyStoreFailure(error: unknown): StoreFailureKind | undefined {
  let current = error;
  for (let depth = 0; depth <= MAX_CAUSES && current !== undefined; depth++) {
    const kind = classifyOne(current);
    if (kind !== undefined) return kind;
    current = current instanceof Error ? current.cause : undefined;
  }
  return undefined;
}

function classifyOne(error: unknown): StoreFailureKind | undefined {
  if (error instanceof StoreUnavailableError) return 'unavailable';
  if (error instanceof StoreOutcomeUnknownError) return 'outcome_unknown';
  const code = codeOf(error);
  if (code === undefined) return undefined;
  if (POSTGRES_UNAVAILABLE.has(code) || SOCKET_ERRORS.has(code)) return 'unavailable';
  if (POSTGRES_NO_SPACE.has(code)) return 'no_space';
  return classifySqlite(code);
}

/**
 * SQLITE_FULL, and SQLITE_IOERR with its extended codes but the read ones (on a full disk SQLite
 * reports either, depending on which file the refused write was for); SQLITE_BUSY and SQLITE_LOCKED
 * once busy_timeout has passed (another process holds the lock), SQLITE_CANTOPEN (the file cannot
 * be opened any more) and a failed read.
 */
function classifySqlite(code: string): StoreFailureKind | undefined {
  if (/^SQLITE_(BUSY|LOCKED|CANTOPEN)(_|$)/.test(code)) return 'unavailable';
  if (code === 'SQLITE_IOERR_READ' || code === 'SQLITE_IOERR_SHORT_READ') return 'unavailable';
  if (code === 'SQLITE_FULL' || code === 'SQLITE_IOERR' || code.startsWith('SQLITE_IOERR_')) return 'no_space';
  return undefined;
}

function codeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}

/** A driver error's message and code, for messages and logs (never a stack, never a URL). */
export function describeStoreFailure(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = codeOf(error);
  // Node's AggregateError of a refused connection to every address of a name has no message.
  if (message === '') return code ?? 'unknown error';
  return code === undefined || message.includes(code) ? message : `${message} (${code})`;
}
