/**
 * The Redis layout of the cluster's rule hit counts, and the one script that adds a gateway's batch
 * of hits to it (redis-rule-hits.ts):
 *
 * - `portcullis:rule-hits:<rulesetId>`: hash, rule id → hits (HINCRBY: the gateways' counts add up);
 * - `portcullis:rule-hits-last:<rulesetId>`: hash, rule id → last hit (epoch ms), the latest any
 *   gateway saw: a gateway whose batch lands late must not move it back, hence a max, not a set;
 * - `portcullis:rule-hits-flushed:<instance>`: the sequence number of the last batch this process
 *   wrote, for a day after its last write.
 *
 * One script, not a MULTI of HINCRBYs: a batch whose reply was lost (a command timeout, a connection
 * dropped after Redis ran it) is sent again, and the marker makes that second run a no-op instead of
 * counting the batch twice. Scripts run atomically, so a batch is written whole or not at all.
 */

/** How long a process's marker outlives its last batch: far longer than any batch is retried. */
export const FLUSH_MARKER_TTL_SECONDS = 86_400;

export const ruleHitsKey = (rulesetId: string): string => `portcullis:rule-hits:${rulesetId}`;
export const ruleHitsLastKey = (rulesetId: string): string => `portcullis:rule-hits-last:${rulesetId}`;
export const flushMarkerKey = (instance: string): string => `portcullis:rule-hits-flushed:${instance}`;

/**
 * KEYS: the marker, then per ruleset its hits hash and its last-hit hash. ARGV: the batch's sequence
 * number, the marker's TTL, then per ruleset its number of rules n and n × (rule id, hits, last hit).
 * Returns 1 when written, 0 when this batch had been written already.
 */
export const FLUSH_SCRIPT = `
local seq = tonumber(ARGV[1])
if tonumber(redis.call('GET', KEYS[1]) or '0') >= seq then return 0 end
local a = 3
for k = 2, #KEYS, 2 do
  local n = tonumber(ARGV[a])
  a = a + 1
  for _ = 1, n do
    local rule, hits, last = ARGV[a], ARGV[a + 1], ARGV[a + 2]
    a = a + 3
    redis.call('HINCRBY', KEYS[k], rule, hits)
    if tonumber(redis.call('HGET', KEYS[k + 1], rule) or '0') < tonumber(last) then
      redis.call('HSET', KEYS[k + 1], rule, last)
    end
  end
end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return 1
`;

export interface BatchedHit {
  readonly rulesetId: string;
  readonly ruleId: string;
  readonly hits: number;
  readonly lastHitMs: number;
}

/** The script's keys and arguments for a batch (hits of one ruleset need not be adjacent). */
export function flushScriptArguments(
  instance: string,
  seq: number,
  batch: readonly BatchedHit[],
): { keys: string[]; args: string[] } {
  const byRuleset = new Map<string, BatchedHit[]>();
  for (const hit of batch) {
    const hits = byRuleset.get(hit.rulesetId);
    if (hits === undefined) byRuleset.set(hit.rulesetId, [hit]);
    else hits.push(hit);
  }
  const keys = [flushMarkerKey(instance)];
  const args = [String(seq), String(FLUSH_MARKER_TTL_SECONDS)];
  for (const [rulesetId, hits] of byRuleset) {
    keys.push(ruleHitsKey(rulesetId), ruleHitsLastKey(rulesetId));
    args.push(String(hits.length));
    for (const hit of hits) args.push(hit.ruleId, String(hit.hits), String(Math.trunc(hit.lastHitMs)));
  }
  return { keys, args };
}
