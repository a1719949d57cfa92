/**
 * Usage of an app's keys per day (UTC) over the last days: requests, errors (status ≥ 400) and
 * rate-limit hits (429), from the analytics rollups of the zones of the products' APIs. Read when
 * the developer opens the app page, never on the data plane.
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
const MAX_COUNTED_429 = 10_000;

export async function appUsage(
  store: Store,
  keys: readonly { keyId: HexId; zoneIds: readonly HexId[] }[],
  days: number,
  now: Date,
): Promise<DayUsage[]> {
  const today = Math.floor(now.getTime() / DAY_MS) * DAY_MS;
  const zoneIds = [...new Set(keys.flatMap((key) => key.zoneIds))];
  const keyIds = new Set(keys.map((key) => key.keyId));
  const result: DayUsage[] = [];
  for (let index = days - 1; index >= 0; index -= 1) {
    const since = new Date(today - index * DAY_MS).toISOString();
    const until = new Date(today - index * DAY_MS + DAY_MS).toISOString();
    const usage: DayUsage = { day: since.slice(0, 10), requests: 0, errors: 0, rate_limited: 0 };
    for (const zoneId of keyIds.size === 0 ? [] : zoneIds) {
      const summary = await store.queryAnalytics({ zoneId, since, until, groupBy: 'key', groupLimit: 10_000 });
      for (const group of summary.groups) {
        if (typeof group.key !== 'string' || !keyIds.has(group.key)) continue;
        usage.requests += group.requests;
        usage.errors += group.errors;
      }
      for (const keyId of keyIds) {
        const limited = await store.listAnalyticsRequests({
          zoneId,
          since,
          until,
          keyId,
          status: 429,
          limit: MAX_COUNTED_429,
        });
        usage.rate_limited += limited.length;
      }
    }
    result.push(usage);
  }
  return result;
}
