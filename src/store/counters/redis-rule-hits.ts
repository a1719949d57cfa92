/**
 * RedisRuleHits: the cluster RuleHitStore (runtime-config/rule-hits.ts) for `serve --redis`: every
 * gateway sharing the Redis adds its rule hits to the same totals (layout: rule-hits-flush-script.ts).
 *
 * `record` runs per request, so it never waits for Redis: it counts in process (no allocation after a
 * rule's first hit), and about once a second the hits not yet in Redis are written in one script call.
 * A write that fails (Redis down, a timeout) loses nothing: the same batch, under the same sequence
 * number, is sent again at the next flush, and counted as written only once Redis said so; Redis
 * skips a batch it had already applied, so a lost reply does not count it twice.
 *
 * Reading adds this process's hits not yet in Redis to Redis' totals. When Redis does not answer,
 * the read falls back to this process's own counts since start, and says so (`sharedUnavailable`).
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { RuleHitCount, RuleHitReport, RuleHitStore } from '../../runtime-config/rule-hits.ts';
import { FLUSH_SCRIPT, flushScriptArguments, ruleHitsKey, ruleHitsLastKey } from './rule-hits-flush-script.ts';

const FLUSH_INTERVAL_MS = 1_000;

/** One rule's hits in this process. Invariant: inFlight ≤ hits - written. */
interface Tally {
  readonly rulesetId: string;
  readonly ruleId: string;
  /** Since start: the fallback when Redis does not answer. */
  hits: number;
  lastHitMs: number;
  /** Of `hits`, how many Redis confirmed. */
  written: number;
  /** Of `hits`, how many the unconfirmed batch carries (0 when none does). */
  inFlight: number;
}

interface Batch {
  readonly seq: number;
  readonly tallies: readonly Tally[];
}

export interface RedisRuleHitsOptions {
  /** Told why a flush failed (its hits are kept for the next one); never given the URL's password. */
  readonly onFlushError: (message: string) => void;
  /** Between automatic flushes (default 1 s); tests that flush by hand set it long. */
  readonly flushIntervalMs?: number;
}

export class RedisRuleHits implements RuleHitStore {
  readonly #client: Redis;
  readonly #onFlushError: (message: string) => void;
  /** This process's name in Redis, for its flush marker: one per instance, so restarts start afresh. */
  readonly #instance = randomUUID();
  /** Ruleset id → rule id → tally: rule ids are chosen by users, so only the pair is unique. */
  readonly #byRuleset = new Map<string, Map<string, Tally>>();
  readonly #timer: NodeJS.Timeout;
  #seq = 0;
  /** The batch sent and not confirmed: sent again, unchanged, before any newer hits. */
  #unconfirmed: Batch | undefined;
  #flushing: Promise<void> | undefined;

  /** On a connection from connectRedis, which its owner closes after `close` (not this class). */
  constructor(client: Redis, options: RedisRuleHitsOptions) {
    this.#client = client;
    this.#onFlushError = options.onFlushError;
    this.#timer = setInterval(() => {
      // A flush still waiting for Redis is not stacked upon: the next tick comes soon enough.
      if (this.#flushing === undefined) this.flush().catch((error: unknown) => this.#onFlushError(messageOf(error)));
    }, options.flushIntervalMs ?? FLUSH_INTERVAL_MS);
    this.#timer.unref(); // counting must not keep a stopping process alive
  }

  record(rulesetId: string, ruleId: string, nowMs: number = Date.now()): void {
    const tally = this.#byRuleset.get(rulesetId)?.get(ruleId) ?? this.#add(rulesetId, ruleId);
    tally.hits += 1;
    tally.lastHitMs = nowMs;
  }

  async forRuleset(rulesetId: string): Promise<RuleHitReport> {
    let shared: { hits: Record<string, string>; last: Record<string, string> };
    try {
      shared = await this.#read(rulesetId);
    } catch (error) {
      return { counts: this.#ownCounts(rulesetId), sharedUnavailable: (error as Error).message };
    }
    // Read after the reply: a batch confirmed meanwhile is in Redis' totals and no longer unwritten here.
    const local = this.#byRuleset.get(rulesetId);
    const counts: RuleHitCount[] = [];
    for (const ruleId of new Set([...Object.keys(shared.hits), ...(local?.keys() ?? [])])) {
      const tally = local?.get(ruleId);
      const hits = toInteger(shared.hits[ruleId]) + (tally === undefined ? 0 : tally.hits - tally.written);
      if (hits <= 0) continue;
      const lastHitMs = Math.max(toInteger(shared.last[ruleId]), tally?.lastHitMs ?? 0);
      counts.push({ rulesetId, ruleId, hits, lastHitAt: new Date(lastHitMs).toISOString() });
    }
    return { counts, sharedUnavailable: undefined };
  }

  /**
   * Writes the hits not yet in Redis: first the unconfirmed batch, if any, as it was, then the rest.
   * Rejects when Redis did not confirm; the hits stay for the next flush. Flushes never overlap.
   */
  flush(): Promise<void> {
    const run = (this.#flushing ?? Promise.resolve()).then(
      () => this.#flushNow(),
      () => this.#flushNow(),
    );
    this.#flushing = run;
    const settled = (): void => {
      if (this.#flushing === run) this.#flushing = undefined;
    };
    void run.then(settled, settled);
    return run;
  }

  /**
   * Stops the timer and writes what is left (before the connection closes). Rejects, saying how many
   * hits are lost, when Redis did not take them: there is no next flush.
   */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    try {
      await this.flush();
    } catch (error) {
      throw new Error(`${this.#unwritten()} rule hits not written: ${messageOf(error)}`, { cause: error });
    }
  }

  async #flushNow(): Promise<void> {
    if (this.#unconfirmed !== undefined) await this.#write(this.#unconfirmed);
    const batch = this.#nextBatch();
    if (batch !== undefined) await this.#write(batch);
  }

  async #write(batch: Batch): Promise<void> {
    this.#unconfirmed = batch;
    const hits = batch.tallies.map((tally) => ({
      rulesetId: tally.rulesetId,
      ruleId: tally.ruleId,
      hits: tally.inFlight,
      lastHitMs: tally.lastHitMs,
    }));
    const { keys, args } = flushScriptArguments(this.#instance, batch.seq, hits);
    await this.#client.eval(FLUSH_SCRIPT, keys.length, ...keys, ...args);
    for (const tally of batch.tallies) {
      tally.written += tally.inFlight;
      tally.inFlight = 0;
    }
    this.#unconfirmed = undefined;
  }

  #nextBatch(): Batch | undefined {
    const tallies: Tally[] = [];
    for (const rules of this.#byRuleset.values()) {
      for (const tally of rules.values()) {
        const unwritten = tally.hits - tally.written;
        if (unwritten === 0) continue;
        tally.inFlight = unwritten;
        tallies.push(tally);
      }
    }
    if (tallies.length === 0) return undefined;
    this.#seq += 1;
    return { seq: this.#seq, tallies };
  }

  /** Both hashes in one MULTI, so a flush landing between them cannot split a read. */
  async #read(rulesetId: string): Promise<{ hits: Record<string, string>; last: Record<string, string> }> {
    const replies = await this.#client
      .multi()
      .hgetall(ruleHitsKey(rulesetId))
      .hgetall(ruleHitsLastKey(rulesetId))
      .exec();
    if (replies === null) throw new Error('the read transaction was aborted');
    const [hits, last] = replies.map(([error, value]) => {
      if (error !== null) throw error;
      return value as Record<string, string>;
    });
    return { hits: hits ?? {}, last: last ?? {} };
  }

  /** This process's counts since start: the fallback while Redis does not answer. */
  #ownCounts(rulesetId: string): RuleHitCount[] {
    const counts: RuleHitCount[] = [];
    for (const tally of this.#byRuleset.get(rulesetId)?.values() ?? []) {
      counts.push({
        rulesetId,
        ruleId: tally.ruleId,
        hits: tally.hits,
        lastHitAt: new Date(tally.lastHitMs).toISOString(),
      });
    }
    return counts;
  }

  #add(rulesetId: string, ruleId: string): Tally {
    let rules = this.#byRuleset.get(rulesetId);
    if (rules === undefined) {
      rules = new Map();
      this.#byRuleset.set(rulesetId, rules);
    }
    const tally: Tally = { rulesetId, ruleId, hits: 0, lastHitMs: 0, written: 0, inFlight: 0 };
    rules.set(ruleId, tally);
    return tally;
  }

  #unwritten(): number {
    let total = 0;
    for (const rules of this.#byRuleset.values())
      for (const tally of rules.values()) total += tally.hits - tally.written;
    return total;
  }
}

/** A Redis hash value as a count; absent or malformed (not written by us) counts as 0. */
function toInteger(value: string | undefined): number {
  const parsed = value === undefined ? 0 : Number.parseInt(value, 10);
  return Number.isSafeInteger(parsed) ? parsed : 0;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
