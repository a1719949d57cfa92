/**
 * IpcUsageCounters: the UsageCounters (policy/usage-counters.ts) of a worker of `serve --workers N`
 * without Redis: every consume is a request to the primary, which counts in its one
 * MemoryUsageCounters (ipc-counter-host.ts), so a limit holds for the whole gateway, exactly, as in
 * one process (docs/adr/0018-workers.md).
 *
 * Request/response with ids and a timeout. When the primary does not answer within the timeout (it
 * is gone, or stuck) the promise rejects with CountersUnavailableError, as the Redis adapter does
 * when Redis does not answer: the data plane refuses the request (fail closed, 503). One warning is
 * logged per outage, not per request.
 */
import {
  CountersUnavailableError,
  type QuotaDecision,
  type RateDecision,
  type UsageCounters,
} from '../../policy/usage-counters.ts';
import type { Quota, RateLimit } from '../../model/records.ts';
import { isIpcMessage, type IpcPort } from './ipc-port.ts';

export const USAGE_REQUEST = 'usage-request';
export const USAGE_ANSWER = 'usage-answer';
/** Long enough for a busy primary, short enough that a request does not hang on a dead one. */
export const DEFAULT_USAGE_TIMEOUT_MS = 2_000;

export type UsageOperation = 'rate' | 'quota' | 'remaining';

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

export interface IpcUsageCountersOptions {
  readonly timeoutMs?: number;
  /** Told once when the primary stops answering, and once when it answers again. */
  readonly onOutage?: (down: boolean) => void;
}

export class IpcUsageCounters implements UsageCounters {
  readonly #port: IpcPort;
  readonly #timeoutMs: number;
  readonly #onOutage: (down: boolean) => void;
  readonly #pending = new Map<number, Pending>();
  readonly #unsubscribe: () => void;
  #nextId = 1;
  #down = false;

  constructor(port: IpcPort, options: IpcUsageCountersOptions = {}) {
    this.#port = port;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_USAGE_TIMEOUT_MS;
    this.#onOutage = options.onOutage ?? (() => undefined);
    this.#unsubscribe = port.onMessage((message) => {
      if (message.portcullis !== USAGE_ANSWER || typeof message.id !== 'number') return;
      const pending = this.#pending.get(message.id);
      if (pending === undefined) return; // answered after its timeout: already refused
      this.#pending.delete(message.id);
      clearTimeout(pending.timer);
      this.#answered();
      if (typeof message.error === 'string') pending.reject(new Error(message.error));
      else pending.resolve(message.result);
    });
  }

  consumeRate(bucket: string, limit: RateLimit): Promise<RateDecision> {
    return this.#ask('rate', bucket, limit.rate, limit.per) as Promise<RateDecision>;
  }

  consumeQuota(keyId: string, quota: Quota): Promise<QuotaDecision> {
    return this.#ask('quota', keyId, quota.max, quota.renewalRate) as Promise<QuotaDecision>;
  }

  quotaRemaining(keyId: string, quota: Quota): Promise<number> {
    return this.#ask('remaining', keyId, quota.max, quota.renewalRate) as Promise<number>;
  }

  /** Refuses what is still waiting and stops listening (the worker is stopping). */
  close(): void {
    this.#unsubscribe();
    for (const [id, pending] of this.#pending) {
      clearTimeout(pending.timer);
      this.#pending.delete(id);
      pending.reject(new CountersUnavailableError('the worker is stopping'));
    }
  }

  #ask(op: UsageOperation, key: string, count: number, seconds: number): Promise<unknown> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        if (!this.#down) {
          this.#down = true;
          this.#onOutage(true);
        }
        reject(new CountersUnavailableError(`the primary process did not answer within ${this.#timeoutMs} ms`));
      }, this.#timeoutMs);
      this.#pending.set(id, { resolve, reject, timer });
      this.#port.send({ portcullis: USAGE_REQUEST, id, op, key, count, seconds });
    });
  }

  #answered(): void {
    if (!this.#down) return;
    this.#down = false;
    this.#onOutage(false);
  }
}

/** A usage request as the host reads it, or undefined when the message is not one. */
export function readUsageRequest(
  message: unknown,
): { id: number; op: UsageOperation; key: string; count: number; seconds: number } | undefined {
  if (!isIpcMessage(message, USAGE_REQUEST)) return undefined;
  const { id, op, key, count, seconds } = message;
  if (typeof id !== 'number' || typeof key !== 'string' || typeof count !== 'number' || typeof seconds !== 'number') {
    return undefined;
  }
  if (op !== 'rate' && op !== 'quota' && op !== 'remaining') return undefined;
  return { id, op, key, count, seconds };
}
