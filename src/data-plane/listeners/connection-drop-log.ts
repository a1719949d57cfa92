/**
 * ConnectionDropLog: the listener's log of connections it closed on its own (a cap reached at
 * accept, or no request in time). A flood must not turn into a flood of log lines: a refusal at a
 * cap is logged at most once per interval and reason, with how many were refused since the last
 * line; a connection closed for never sending a request is routine (browsers open spare
 * connections) and only logged at debug level. Every drop is counted by `onDropped` (the metric).
 */
import type { Logger } from 'pino';
import type { ConnectionRefusal } from './connection-gate.ts';

export type ConnectionDropReason = ConnectionRefusal | 'first_request_timeout';

/** At most one warning per reason this often. */
const WARNING_INTERVAL_MS = 60_000;

const WARNINGS: Record<ConnectionRefusal, string> = {
  max_connections: 'connections refused: --max-connections reached',
  max_connections_per_client: 'connections refused: --max-connections-per-client reached for a client',
};

export class ConnectionDropLog {
  readonly #logger: Logger;
  readonly #onDropped: ((reason: ConnectionDropReason) => void) | undefined;
  readonly #lastWarning = new Map<ConnectionRefusal, number>();
  readonly #unreported = new Map<ConnectionRefusal, number>();

  constructor(logger: Logger, onDropped?: (reason: ConnectionDropReason) => void) {
    this.#logger = logger;
    this.#onDropped = onDropped;
  }

  dropped(reason: ConnectionDropReason, remoteAddress: string): void {
    this.#onDropped?.(reason);
    if (reason === 'first_request_timeout') {
      this.#logger.debug({ reason, remoteAddress }, 'connection closed: no request in time');
      return;
    }
    const refused = (this.#unreported.get(reason) ?? 0) + 1;
    const now = Date.now();
    if (now - (this.#lastWarning.get(reason) ?? Number.NEGATIVE_INFINITY) < WARNING_INTERVAL_MS) {
      this.#unreported.set(reason, refused);
      return;
    }
    this.#lastWarning.set(reason, now);
    this.#unreported.set(reason, 0);
    this.#logger.warn({ reason, refused, remoteAddress }, WARNINGS[reason]);
  }
}
