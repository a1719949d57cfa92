/**
 * The labels of the request metrics (`portcullis_requests_total`, `portcullis_request_duration_seconds`):
 * zone and API ids with their names, looked up at scrape time in the configuration in force, never
 * taken from a request. Cardinality is bounded by configuration and by a cap, never by traffic
 * (docs/reference/metrics.md):
 *  - `""` is a request that matched no zone (or no API): one series, whatever Host or SNI it sent;
 *  - an id the configuration no longer holds (a deleted zone or API) is counted as `other`;
 *  - past MAX_LABELLED_SERIES zones (histogram) or zone/API pairs (counter), further ones are counted
 *    as `other` too, so a very large configuration cannot flood Prometheus.
 */

/** The label value that absorbs deleted zones and APIs and those past the cap. */
export const OTHER_LABEL = 'other';

/** Zones (duration histogram) and zone/API pairs (request counter) that get series of their own. */
export const MAX_LABELLED_SERIES = 1000;

/** Names from the configuration in force (the published snapshot); undefined for an id it does not hold. */
export interface RequestNames {
  zoneName(zoneId: string): string | undefined;
  apiName(apiId: string): string | undefined;
}

/** Until the composition root says where names come from, every id is unknown (`other`). */
export const NO_REQUEST_NAMES: RequestNames = {
  zoneName: () => undefined,
  apiName: () => undefined,
};

/** A zone id's name; `""` (no zone matched) stays `""`; undefined when the configuration lacks it. */
export function zoneNameOf(names: RequestNames, zoneId: string): string | undefined {
  return zoneId === '' ? '' : names.zoneName(zoneId);
}

/** An API id's name; `""` (no API matched) stays `""`; undefined when the configuration lacks it. */
export function apiNameOf(names: RequestNames, apiId: string): string | undefined {
  return apiId === '' ? '' : names.apiName(apiId);
}
