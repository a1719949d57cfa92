/**
 * RedisChangeChannel: the hint that tells the other gateways of a cluster (`serve --redis`) that the
 * configuration changed, so they check the store at once instead of at their next poll
 * (control/publish/config-change-feed.ts; ADR 0003). Redis pub/sub on one channel, a message per change.
 *
 * Only a hint, by design: pub/sub delivers at most once and not to a subscriber that is
 * reconnecting, so the store's generation token stays what decides, and the poll catches anything a
 * lost message did not; a reconnect counts as a hint, since hints sent meanwhile were lost. Each process tags its messages with a random id and ignores its own. Several
 * clusters sharing one Redis only cost each other a needless check.
 *
 * A subscribed connection can do nothing else, so this opens a second connection (a duplicate of the
 * process's command connection, same URL and options); ioredis subscribes again after a reconnect.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { closeRedis } from '../counters/redis-connection.ts';

export const CONFIG_CHANGED_CHANNEL = 'portcullis:config-changed';

/** Structurally a control/publish/config-change-feed.ts ChangeHint (the store does not import control). */
/** Runs a command on the command connection (e.g. RedisHealth.run: refused at once while Redis is down). */
export type CommandGuard = (command: () => Promise<unknown>) => Promise<unknown>;

export class RedisChangeChannel {
  readonly #publisher: Redis;
  readonly #subscriber: Redis;
  readonly #guard: CommandGuard;
  readonly #senderId = randomBytes(12).toString('hex');
  /** Set by onHint; hints before it are dropped (the first poll covers them). */
  #onHint: () => void = () => undefined;

  private constructor(publisher: Redis, subscriber: Redis, guard: CommandGuard) {
    this.#publisher = publisher;
    this.#subscriber = subscriber;
    this.#guard = guard;
  }

  /**
   * Subscribes on a duplicate of `client` (which stays its owner's to close); publishes through
   * `guard`. Rejects when the subscription cannot be made.
   */
  static async open(client: Redis, guard: CommandGuard = (command) => command()): Promise<RedisChangeChannel> {
    const subscriber = client.duplicate();
    // Errors while reconnecting are the command connection's to report (the same server).
    subscriber.on('error', () => undefined);
    const channel = new RedisChangeChannel(client, subscriber, guard);
    subscriber.on('message', (name: string, sender: string) => {
      if (name === CONFIG_CHANGED_CHANNEL && sender !== channel.#senderId) channel.#onHint();
    });
    // Hints published while this connection was down are lost: after each reconnect (ioredis has
    // subscribed again by then), check as if one had come.
    let connectedBefore = false;
    subscriber.on('ready', () => {
      if (connectedBefore) channel.#onHint();
      connectedBefore = true;
    });
    try {
      if (subscriber.status === 'wait') await subscriber.connect();
      await subscriber.subscribe(CONFIG_CHANGED_CHANNEL);
    } catch (error) {
      subscriber.disconnect();
      throw error;
    }
    return channel;
  }

  /** `callback` is called for each change another process publishes. */
  onHint(callback: () => void): void {
    this.#onHint = callback;
  }

  /** Tells the other processes; rejects when Redis does not answer (the caller logs, the poll covers). */
  async publish(): Promise<void> {
    await this.#guard(() => this.#publisher.publish(CONFIG_CHANGED_CHANNEL, this.#senderId));
  }

  /** Closes the subscription's connection (not the command connection it was opened from). */
  async close(): Promise<void> {
    await closeRedis(this.#subscriber);
  }
}
