/**
 * Read models: what the store's aggregate and report queries return. Unlike records.ts,
 * nothing here is stored as such; these are computed by SQL that runs unchanged on SQLite and
 * PostgreSQL. Times are ISO-8601 UTC text, compared as text (every writer uses one fixed format).
 */
import type { AnalyticsRecord, ClientCertificateStatus, HexId, Uuid } from './records.ts';

export const ANALYTICS_GROUPINGS = ['api', 'key', 'certificate', 'status', 'hostname', 'mtls_status'] as const;
export type AnalyticsGrouping = (typeof ANALYTICS_GROUPINGS)[number];

/** A time range over the records' `time`: `since` included, `until` excluded (ISO, milliseconds). */
export interface AnalyticsRange {
  since: string;
  until: string;
}

export interface AnalyticsFilter extends AnalyticsRange {
  zoneId: HexId;
  /** Absent: totals only. */
  groupBy?: AnalyticsGrouping;
  /** Most groups returned, the busiest first. */
  groupLimit: number;
}

export interface AnalyticsAggregate {
  requests: number;
  /** Answers with a status of 400 or more: the gateway's own refusals (401, 403, 429…) included. */
  errors: number;
  bytesIn: number;
  bytesOut: number;
  latencyAvgMs: number;
  latencyMaxMs: number;
}

export interface AnalyticsGroup extends AnalyticsAggregate {
  /**
   * The API id, key id, leaf fingerprint (string) or status (number); null for the records without
   * one (no API matched, no key, no client certificate).
   */
  key: string | number | null;
}

export interface AnalyticsSummary {
  totals: AnalyticsAggregate;
  groups: AnalyticsGroup[];
}

/** Which requests to list: those of one zone in [since, until) matching every filter given. */
export interface AnalyticsRequestFilter extends AnalyticsRange {
  zoneId: HexId;
  apiId?: HexId;
  keyId?: HexId;
  /** Lowercase hex SHA-256 of the client leaf. */
  fingerprint?: string;
  status?: number;
  /** Most requests returned, the newest first. */
  limit: number;
}

/** One request as recorded (its rollup's dimensions and its own detail), its time as ISO-8601 with ms. */
export type AnalyticsRequestEntry = Omit<AnalyticsRecord, 'timeMs' | 'zoneId'> & { time: string };

/** One client certificate seen in a zone's records. */
export interface CertificateUsage {
  fingerprint: string;
  serial: string;
  issuer: string;
  requests: number;
  lastSeen: string;
}

/**
 * What a certificate is, for expiry reports: `client` (issued by a managed CA), `ca` and `leaf`
 * (uploaded mTLS certificates), `edge` (server certificates), `managed_ca` (an account's managed
 * CA; read from its PEM by the control plane, never listed by the store).
 */
export const CERTIFICATE_KINDS = ['client', 'ca', 'leaf', 'edge', 'managed_ca'] as const;
export type CertificateKind = (typeof CERTIFICATE_KINDS)[number];

export interface CertificateExpiry {
  kind: CertificateKind;
  id: string;
  accountId: HexId;
  /** Zone-level certificates (client, edge); null for account-level ones. */
  zoneId: HexId | null;
  /** Common name (client), name given at upload (ca, leaf), hostnames (edge); may be "". */
  name: string;
  /** Issuer DN where the store keeps one ("" otherwise). */
  issuer: string;
  serialNumber: string;
  /** ISO-8601 UTC, whole seconds (the certificate's notAfter). */
  expiresOn: string;
}

export interface CertificateExpiryFilter {
  /** Only certificates whose notAfter is before this (ISO, excluded). */
  before: string;
  /** And at or after this (ISO); absent: no lower bound. */
  after?: string;
  accountId?: HexId;
  /** Absent: every stored kind. Client certificates are listed only while active (revoked ones no longer matter). */
  kinds?: readonly CertificateKind[];
  /** At most this many, soonest expiry first (the expiry gauge's bound on a fleet's client certificates). */
  limit?: number;
}

/** What a zone holds that a deletion would remove or strand (DELETE /zones/{id} refuses while any). */
export interface ZoneUsage {
  readonly routes: number;
  readonly apis: number;
  /** (hostname, CA) rows. */
  readonly hostnameAssociations: number;
  readonly edgeCertificates: number;
  /** Client certificates still active (or pending reactivation): they would outlive the zone unrevocable. */
  readonly liveClientCertificates: number;
}

/** Requests of one hostname with one mTLS status (status "" for records from before it was recorded). */
export interface MtlsStatusCount {
  hostname: string;
  status: string;
  requests: number;
}

/** Requests in one interval of a time series: `time` is the interval's start (ISO). */
export interface AnalyticsPoint {
  time: string;
  requests: number;
  errors: number;
}

/** Requests of some keys on one UTC day (`day` = YYYY-MM-DD): errors are status ≥ 400, rate-limited 429. */
export interface KeysDayUsage {
  day: string;
  requests: number;
  errors: number;
  rateLimited: number;
}

/** The width of a time series' intervals. */
export type AnalyticsInterval = 'minute' | 'hour';

/**
 * A managed CA's certificates that no longer authenticate: what its CRL, its OCSP answers and the data plane's
 * revocation index need, and nothing else (never the PEM). `pending_revocation` already counts as revoked:
 * revocation takes effect at once (docs/architecture.md). Index-aligned arrays, no object per certificate: a fleet
 * CA may have 100,000 of them, listed before the gateway listens (bench/revocation-scale.ts).
 */
export interface RevokedSerialList {
  /** Lowercase hex, as the store keeps it; unique (a serial is unique per CA). */
  readonly serials: readonly string[];
  /** When each was revoked (its issue time when the store has none), ms since the epoch. */
  readonly revokedAtMs: readonly number[];
}

/** A certificate whose status changed after a revocation version (see RevokedSerialList), whatever it is now. */
export interface RevocationChange {
  readonly id: Uuid;
  readonly serialNumber: string;
  readonly status: ClientCertificateStatus;
  readonly revokedAt: string | null;
  readonly issuedOn: string;
}

/** What an API's allowlist needs of a client certificate it names. */
export interface ClientCertificateFingerprint {
  readonly id: Uuid;
  readonly zoneId: HexId;
  readonly fingerprintSha256: string;
}
