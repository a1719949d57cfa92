/**
 * AnalyticsSink: where the data plane hands one record per request. Implementations must return at
 * once and never throw (they buffer and write in batches off the hot path, dropping and counting
 * when the buffer is full rather than slowing requests down).
 */
import type { AnalyticsRecord } from '../model/records.ts';

export interface AnalyticsSink {
  record(entry: AnalyticsRecord): void;
}

/** For composition roots without analytics (e.g. `portcullis proxy`) and for tests. */
export const DISCARD_ANALYTICS: AnalyticsSink = Object.freeze({ record: () => undefined });
