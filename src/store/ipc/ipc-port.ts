/**
 * IpcPort: a message channel between the primary of `serve --workers N` and one of its workers
 * (docs/adr/0018-workers.md). The adapters of this folder talk over it; app/ makes one from
 * node:cluster (a worker's `process.send`, or a primary's `Worker`), and unit tests link two in memory.
 *
 * Every message of ours is an object whose `portcullis` field names its kind, so that messages of
 * others on the same channel (prom-client's, node's own) are told apart and ignored. A message is
 * data from another process of the same gateway, but it is still read defensively: anything that
 * does not have the expected shape is dropped, never thrown on.
 */

export interface IpcMessage {
  readonly portcullis: string;
  readonly [field: string]: unknown;
}

export interface IpcPort {
  /** Sends, or drops silently when the other side is gone (its loss is handled by timeouts). */
  send(message: IpcMessage): void;
  /** Calls `listener` with every message of ours that comes; returns the function that stops it. */
  onMessage(listener: (message: IpcMessage) => void): () => void;
}

/** Whether `value` is one of our messages (of kind `kind`, when given). */
export function isIpcMessage(value: unknown, kind?: string): value is IpcMessage {
  if (typeof value !== 'object' || value === null) return false;
  const tag = (value as { portcullis?: unknown }).portcullis;
  return typeof tag === 'string' && (kind === undefined || tag === kind);
}
