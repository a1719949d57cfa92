/**
 * IpcChangeChannel: the change hint (control/publish/config-change-feed.ts ChangeHint) between the
 * processes of one `serve --workers N` without Redis: a process that changed the configuration tells
 * the primary, which tells every other process (ipc-counter-host.ts relays), so their change feeds
 * check the store at once instead of at their next poll (docs/adr/0018-workers.md).
 *
 * Only a hint, as the Redis channel is (store/notify/redis-change-channel.ts): the store's generation
 * token decides, and the poll still catches a change whose hint was lost.
 */
import type { IpcPort } from './ipc-port.ts';

export const CHANGE_HINT = 'config-changed';

export class IpcChangeChannel {
  readonly #port: IpcPort;
  #onHint: () => void = () => undefined;
  readonly #unsubscribe: () => void;

  constructor(port: IpcPort) {
    this.#port = port;
    this.#unsubscribe = port.onMessage((message) => {
      if (message.portcullis === CHANGE_HINT) this.#onHint();
    });
  }

  /** `callback` is called for each change another process announced. */
  onHint(callback: () => void): void {
    this.#onHint = callback;
  }

  /** Tells the other processes (through the primary); never rejects: a lost hint is the poll's. */
  publish(): Promise<void> {
    this.#port.send({ portcullis: CHANGE_HINT });
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.#unsubscribe();
    return Promise.resolve();
  }
}
