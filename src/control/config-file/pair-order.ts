/**
 * orderByPairs: puts a zone's route and API writes in an order the store accepts. A (hostname,
 * path) pair belongs to one route or one API at a time (a unique constraint, and each service
 * refuses the other's pairs), so a write that takes a pair must come after the write that frees
 * it: a route the file turns into an API, an API moved to the path another API leaves.
 *
 *   deletes             first: they only free pairs
 *   routes, APIs        then, again and again, the first in file order whose pairs are all free
 *
 * Writes that wait on each other (two APIs swapping their paths) have no such order: the file is
 * refused before anything is written, rather than stopped part way by the store.
 */
import { configInvalid } from '../../config/yaml-cursor.ts';
import type { PlannedWrite } from './plan-parts.ts';

export interface PairWrite {
  readonly write: PlannedWrite;
  /** What holds the pairs: `routes` (all the zone's routes, written at once) or one API. */
  readonly holder: string;
  /** How a message names the holder: `the routes`, `API "orders"`. */
  readonly label: string;
  /** Where the file declares it, for a refusal. */
  readonly where: string;
  /** The pairs the holder has once the write is made (none for a delete). */
  readonly takes: readonly string[];
}

/** `hostname\0path`: the unique key of a route or an API (a NUL is in neither part). */
export function pairKey(hostname: string, path: string): string {
  return `${hostname}\0${path}`;
}

/** `api.example.com/v1`, for messages. */
export function showPair(pair: string): string {
  return pair.replace('\0', '');
}

/**
 * The writes in an order where each one's pairs are free when it runs. `held`: who holds each pair
 * before the apply (`routes`, or an API's id).
 */
export function orderByPairs(held: ReadonlyMap<string, string>, writes: readonly PairWrite[]): PlannedWrite[] {
  const holders = new Map(held);
  const pending = [...writes];
  const ordered: PlannedWrite[] = [];
  const free = (write: PairWrite): boolean =>
    write.takes.every((pair) => [undefined, write.holder].includes(holders.get(pair)));
  while (pending.length > 0) {
    const index = pending.findIndex(free);
    const [next] = index === -1 ? [] : pending.splice(index, 1);
    if (next === undefined) throw deadlock(pending, holders);
    for (const [pair, holder] of holders) if (holder === next.holder) holders.delete(pair);
    for (const pair of next.takes) holders.set(pair, next.holder);
    ordered.push(next.write);
  }
  return ordered;
}

function deadlock(pending: readonly PairWrite[], holders: ReadonlyMap<string, string>): Error {
  const [first] = pending;
  const pair = first?.takes.find((candidate) => ![undefined, first.holder].includes(holders.get(candidate)));
  const blocker = pending.find((write) => write.holder === holders.get(pair ?? ''));
  if (first === undefined || pair === undefined || blocker === undefined) {
    return new Error('config plan: writes wait on a pair nothing frees');
  }
  return configInvalid(
    first.where,
    `${showPair(pair)} is ${blocker.label}'s until it moves, and it waits for a path of its own: the file cannot be applied in one step (move one of them to an unused path first, apply, then finish the change)`,
  );
}
