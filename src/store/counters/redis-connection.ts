/**
 * The one Redis connection a `serve --redis` process opens, shared by its usage counters
 * (redis-usage-counters.ts) and its rule hit counts (redis-rule-hits.ts).
 *
 * Failures reject, fast: no offline queue (a command while disconnected fails at once), one attempt
 * per command, a command timeout; each user decides what a failure means for it. ioredis keeps
 * reconnecting in the background.
 */
import { Redis } from 'ioredis';

/** A command waits at most this long for Redis (a request under a limit waits that long at worst). */
const COMMAND_TIMEOUT_MS = 1_000;
const CONNECT_TIMEOUT_MS = 5_000;
/** Reconnect backoff: 200 ms more per attempt, at most 2 s between attempts. */
const RECONNECT_STEP_MS = 200;
const RECONNECT_MAX_MS = 2_000;

export interface RedisConnectOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://…` (TLS). */
  readonly url: string;
  /** Told of connection errors (ioredis emits them while it reconnects); never given the URL's password. */
  readonly onError: (message: string) => void;
}

/** Redis did not answer at start (or refused what the gateway needs of it). */
export class RedisUnavailableError extends Error {
  /** The server's URL without user or password, for the operator. */
  readonly server: string;
  readonly reason: string;

  constructor(url: string, reason: string, cause: unknown) {
    super(`Redis at ${redactRedisUrl(url)}: ${reason}`, { cause });
    this.name = 'RedisUnavailableError';
    this.server = redisUrlWithoutCredentials(url);
    this.reason = reason;
  }
}

/** Connects and checks the server answers (PING); rejects with the reason when it does not. */
export async function connectRedis(options: RedisConnectOptions): Promise<Redis> {
  const client = new Redis(options.url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: COMMAND_TIMEOUT_MS,
    connectTimeout: CONNECT_TIMEOUT_MS,
    retryStrategy: (attempt: number) => Math.min(attempt * RECONNECT_STEP_MS, RECONNECT_MAX_MS),
  });
  let lastError: string | undefined;
  client.on('error', (error: Error) => {
    lastError = error.message;
    options.onError(error.message);
  });
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    client.disconnect();
    // ioredis' own rejection says little ("Connection is closed."): the socket's error says why.
    const reason = lastError ?? (error as Error).message;
    throw new RedisUnavailableError(options.url, reason, error);
  }
  return client;
}

/** Closes the connection politely (QUIT), or at once when Redis does not answer. */
export async function closeRedis(client: Redis): Promise<void> {
  await client.quit().catch(() => client.disconnect());
}

/** The URL with its password replaced, for messages and logs. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}

/** The URL with neither user nor password (`redis://host:port/db`), for start-up errors. */
export function redisUrlWithoutCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}
