/**
 * Usage of an app's keys per day (UTC) over the last days: requests, errors (status ≥ 400) and
 * rate-limit hits (429), from the analytics rollups of the zones of the products' APIs, in one
 * query whatever the number of keys and days. Read when the developer opens the app page, never on
 * the data plane.
 */
import type { Store } from '../../store/ports.ts';
import type { HexId } from '../../model/records.ts';

export interface DayUsage {
  day: string;
  requests: number;
  errors: number;
  rate_limited: number;
}

const DAY_MS = 86_400_000;

export async function appUsage(
  store: Store,
  keys: readonly { keyId: HexId; zoneIds: readonly HexId[] }[],
  days: number,
  now: Date,
): Promise<DayUsage[]> {
  const today = Math.floor(now.getTime() / DAY_MS) * DAY_MS;
  const first = today - (days - 1) * DAY_MS;
  const zoneIds = [...new Set(keys.flatMap((key) => key.zoneIds))];
  const keyIds = [...new Set(keys.map((key) => key.keyId))];
  const counted = await store.keysUsageByDay(zoneIds, keyIds, {
    since: new Date(first).toISOString(),
    until: new Date(today + DAY_MS).toISOString(),
  });
  const byDay = new Map(counted.map((entry) => [entry.day, entry]));
  const result: DayUsage[] = [];
  for (let time = first; time <= today; time += DAY_MS) {
    const day = new Date(time).toISOString().slice(0, 10);
    const entry = byDay.get(day);
    result.push({
      day,
      requests: entry?.requests ?? 0,
      errors: entry?.errors ?? 0,
      rate_limited: entry?.rateLimited ?? 0,
    });
  }
  return result;
}
