/**
 * RedisHealth: whether the Redis of `serve --redis` answers, known without asking it on every
 * request. A connection can look fine while nothing answers (a frozen or partitioned server keeps
 * the TCP connection open): then every command waits for the command timeout (1 s) before failing.
 * So a command that gets no answer — a timeout, a closed connection — marks Redis down, and while it
 * is down commands are refused at once (CountersUnavailableError: the data plane answers 503 without
 * waiting). A PING every second, one at a time, is the heartbeat while Redis is up (an outage shows
 * even without traffic) and the probe while it is down (the first answer marks it up again).
 *
 * A reply error (Redis answered, e.g. a script error) is not an outage and passes through as it is.
 * The owner is told of each change of state once (`down`, `up`), never of each refused command.
 */
import { ReplyError, type Redis } from 'ioredis';
import { CountersUnavailableError } from '../../policy/usage-counters.ts';

const PROBE_INTERVAL_MS = 1_000;

export interface RedisHealthEvents {
  /** Redis stopped answering, for `reason` (never carries the URL's password: ioredis' own messages). */
  down(reason: string): void;
  /** Redis answers again, after `downMs`. */
  up(downMs: number): void;
}

export class RedisHealth {
  readonly #client: Redis;
  readonly #events: RedisHealthEvents;
  readonly #timer: NodeJS.Timeout;
  #up = true;
  #downSince = 0;
  #probing: Promise<void> | undefined;
  #stopped = false;

  /** Watches `client` (a connection from connectRedis, ready) until stop(). */
  constructor(client: Redis, events: RedisHealthEvents, probeIntervalMs = PROBE_INTERVAL_MS) {
    this.#client = client;
    this.#events = events;
    this.#timer = setInterval(() => this.#probe(), probeIntervalMs);
    this.#timer.unref();
    client.on('close', () => this.#markDown('the connection closed'));
    // Reconnected: ask at once rather than at the next tick.
    client.on('ready', () => this.#probe());
  }

  /** Whether Redis answered its last question (the `portcullis_redis_up` gauge, `/readyz`). */
  get up(): boolean {
    return this.#up;
  }

  /** A connection error reported by ioredis (while it reconnects). */
  connectionError(message: string): void {
    this.#markDown(message);
  }

  /**
   * Runs a command: at once refused while Redis is known down; otherwise sent, and if it gets no
   * answer Redis is marked down and the command rejects with CountersUnavailableError. Anything
   * else it rejects with (a reply error, a value the caller treats as an answer) passes through.
   */
  async run<T>(command: () => Promise<T>): Promise<T> {
    if (!this.#up) throw new CountersUnavailableError('Redis is not answering');
    try {
      return await command();
    } catch (error) {
      if (!(error instanceof Error) || error instanceof ReplyError) throw error;
      this.#markDown(error.message);
      throw new CountersUnavailableError(`Redis did not answer: ${error.message}`, { cause: error });
    }
  }

  /** Stops probing and reporting: the owner is closing the connection. */
  stop(): void {
    this.#stopped = true;
    clearInterval(this.#timer);
  }

  #probe(): void {
    // One PING at a time: a frozen server must not collect one more pending PING per second.
    if (this.#stopped || this.#probing !== undefined) return;
    this.#probing = this.#client
      .ping()
      .then(
        () => this.#markUp(),
        (error: unknown) => this.#markDown(error instanceof Error ? error.message : String(error)),
      )
      .finally(() => {
        this.#probing = undefined;
      });
  }

  #markDown(reason: string): void {
    if (!this.#up || this.#stopped) return;
    this.#up = false;
    this.#downSince = Date.now();
    this.#events.down(reason);
  }

  #markUp(): void {
    if (this.#up || this.#stopped || this.#client.status !== 'ready') return;
    this.#up = true;
    this.#events.up(Date.now() - this.#downSince);
  }
}
