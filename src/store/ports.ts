/**
 * Store ports: what the control plane needs from storage. One implementation over Kysely serves
 * SQLite (embedded default) and PostgreSQL; only the composition root picks one (docs/architecture.md, "Layers").
 *
 * Rules every adapter keeps:
 *  - `get*` returns undefined when absent; `list*` returns [] when nothing matches.
 *  - Uniqueness violations surface as `StoreConflictError` (never a driver error).
 *  - `transaction(fn)` runs fn atomically: all writes or none (no half-applied change).
 */
import type {
  AccountRecord,
  ApiDefinitionRecord,
  CaCompatibility,
  ApiTokenRecord,
  CertificateBinding,
  ClientCertificateRecord,
  ClientCertificateStatus,
  EdgeCertificateRecord,
  GatewayKeyRecord,
  GatewayPolicyRecord,
  HexId,
  HostnameAssociationRecord,
  ManagedCaRecord,
  MtlsCertificateRecord,
  RouteRecord,
  RulesetRecord,
  Uuid,
  ZoneRecord,
  ZoneSettingRecord,
} from '../model/records.ts';
import type { EstStore } from './est-ports.ts';
import type { AnalyticsRecord } from '../model/records.ts';
import type {
  CaCrlRecord,
  CaRevocationRecord,
  CaRevocationSettings,
  CertificateBlockRecord,
} from './ca-revocation-records.ts';
import type {
  AnalyticsFilter,
  AnalyticsInterval,
  AnalyticsPoint,
  KeysDayUsage,
  MtlsStatusCount,
  AnalyticsRange,
  AnalyticsRequestEntry,
  AnalyticsRequestFilter,
  AnalyticsSummary,
  CertificateExpiry,
  CertificateExpiryFilter,
  CertificateUsage,
  ZoneUsage,
  ClientCertificateFingerprint,
  RevokedSerialList,
  RevocationChange,
} from '../model/read-models.ts';
import type { PortalStore } from './portal/portal-ports.ts';

export class StoreConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreConflictError';
  }
}

export interface Page {
  /** Zero-based offset. */
  offset: number;
  limit: number;
}

export interface AccountStore {
  createAccount(record: AccountRecord): Promise<void>;
  /** Inside a transaction: holds the account's writers until it ends (quota and in-use checks). */
  lockAccount(id: HexId): Promise<void>;
  getAccount(id: HexId): Promise<AccountRecord | undefined>;
  listAccounts(ids?: readonly HexId[]): Promise<AccountRecord[]>;
}

export interface ZoneStore {
  /** Throws StoreConflictError when the name (or the id) is taken. */
  createZone(record: ZoneRecord): Promise<void>;
  getZone(id: HexId): Promise<ZoneRecord | undefined>;
  /** Zones, optionally of one account and/or with one exact name. Ordered by name. */
  listZones(filter: { accountIds?: readonly HexId[]; name?: string }): Promise<ZoneRecord[]>;
  /** Zones named `name`, a parent domain of it, or a domain under it, of any account. Ordered by name. */
  listOverlappingZones(name: string): Promise<ZoneRecord[]>;
  setZoneDelegated(id: HexId, delegated: boolean): Promise<void>;
  /** Inside a transaction: holds other zone-name writers until it ends (the overlap check). */
  lockZoneNames(): Promise<void>;
  /** Counts of what the zone holds (custom rules are counted from listRulesets). */
  zoneUsage(id: HexId): Promise<ZoneUsage>;
  /**
   * Deletes the zone with its associations, edge certificates, routes, APIs, rulesets and settings,
   * atomically. Its client certificates stay (revocation records outlive the zone).
   */
  deleteZone(id: HexId): Promise<void>;
}

export interface TokenStore {
  createToken(record: ApiTokenRecord): Promise<void>;
  getTokenBySecretHash(secretHash: string): Promise<ApiTokenRecord | undefined>;
  getToken(id: HexId): Promise<ApiTokenRecord | undefined>;
  listTokens(): Promise<ApiTokenRecord[]>;
  setTokenStatus(id: HexId, status: ApiTokenRecord['status']): Promise<void>;
}

export interface ManagedCaStore {
  getManagedCa(accountId: HexId): Promise<ManagedCaRecord | undefined>;
  getManagedCaById(id: Uuid): Promise<ManagedCaRecord | undefined>;
  /** Inserts; throws StoreConflictError if the account already has one (callers then re-read). */
  createManagedCa(record: ManagedCaRecord): Promise<void>;
  /** Returns the CRL number to use now and advances the stored counter, atomically. */
  takeCrlNumber(caId: Uuid): Promise<number>;
  listManagedCas(): Promise<ManagedCaRecord[]>;
}

export interface MtlsCertificateStore {
  createMtlsCertificate(record: MtlsCertificateRecord): Promise<void>;
  getMtlsCertificate(accountId: HexId, id: Uuid): Promise<MtlsCertificateRecord | undefined>;
  listMtlsCertificates(accountId: HexId, types?: readonly string[]): Promise<MtlsCertificateRecord[]>;
  countCaCertificates(accountId: HexId): Promise<number>;
  /** Sets an uploaded certificate's compatibility (and updatedAt); false when the account has none with that id. */
  updateMtlsCertificateCompatibility(
    accountId: HexId,
    id: Uuid,
    compatibility: CaCompatibility,
    updatedAt: string,
  ): Promise<boolean>;
  deleteMtlsCertificate(accountId: HexId, id: Uuid): Promise<void>;
  listAllMtlsCertificates(): Promise<MtlsCertificateRecord[]>;
}

/** What a list of a zone's client certificates may be narrowed to; absent members do not narrow. */
export interface ClientCertificateFilter {
  /** [] matches none. */
  statuses?: readonly ClientCertificateStatus[];
  /**
   * Part of the common name (any case), or hex digits (colons ignored) that the serial number
   * contains or the SHA-256 fingerprint starts with.
   */
  search?: string;
  /** Only certificates whose notAfter is before this ISO-8601 time. */
  expiresBefore?: string;
  /** Only certificates that carry this tag (docs/adr/0016). */
  tag?: string;
}

export interface ClientCertificateStore {
  createClientCertificate(record: ClientCertificateRecord): Promise<void>;
  getClientCertificate(zoneId: HexId, id: Uuid): Promise<ClientCertificateRecord | undefined>;
  /** Ordered by issuedOn then id (stable paging). `total` counts all matches. */
  listClientCertificates(
    zoneId: HexId,
    filter: ClientCertificateFilter,
    page: Page,
  ): Promise<{ items: ClientCertificateRecord[]; total: number }>;
  countActiveClientCertificates(zoneId: HexId): Promise<number>;
  updateClientCertificateStatus(
    zoneId: HexId,
    id: Uuid,
    status: ClientCertificateStatus,
    revokedAt: string | null,
  ): Promise<void>;
  /** The revoked and pending-revocation certificates issued by this CA (for the CRL, OCSP, the data plane). */
  listRevokedSerials(caId: Uuid): Promise<RevokedSerialList>;
  /**
   * Raised in the transaction of every status change of this CA's certificates (0 for an unknown CA): equal
   * versions mean equal `listRevokedSerials` answers.
   */
  getRevocationVersion(caId: Uuid): Promise<number>;
  /** This CA's certificates whose status changed after `sinceVersion` (a getRevocationVersion answer). */
  listRevocationChanges(caId: Uuid, sinceVersion: number): Promise<RevocationChange[]>;
  /** Lookup by issuing CA and serial (lowercase hex), for OCSP. */
  getClientCertificateBySerial(caId: Uuid, serialNumber: string): Promise<ClientCertificateRecord | undefined>;
  listAllClientCertificates(): Promise<ClientCertificateRecord[]>;
  /** The fingerprints of the certificates with these ids (unknown ids are left out). */
  listClientCertificateFingerprints(ids: readonly Uuid[]): Promise<ClientCertificateFingerprint[]>;
}

export interface HostnameAssociationStore {
  /** Hostnames associated with one CA (null = managed CA) in a zone, sorted. */
  listHostnames(zoneId: HexId, mtlsCertificateId: Uuid | null): Promise<string[]>;
  /** Replaces the whole hostname list of one (zone, CA) pair. */
  replaceHostnames(zoneId: HexId, mtlsCertificateId: Uuid | null, hostnames: readonly string[]): Promise<void>;
  /** Associations that use an uploaded CA (any zone), for the delete-in-use check and associations endpoint. */
  listAssociationsOfCertificate(mtlsCertificateId: Uuid): Promise<HostnameAssociationRecord[]>;
  listAllAssociations(): Promise<HostnameAssociationRecord[]>;
}

export interface EdgeCertificateStore {
  createEdgeCertificate(record: EdgeCertificateRecord): Promise<void>;
  getEdgeCertificate(zoneId: HexId, id: Uuid): Promise<EdgeCertificateRecord | undefined>;
  listEdgeCertificates(zoneId: HexId): Promise<EdgeCertificateRecord[]>;
  deleteEdgeCertificate(zoneId: HexId, id: Uuid): Promise<void>;
  listAllEdgeCertificates(): Promise<EdgeCertificateRecord[]>;
}

export interface RouteStore {
  /** Throws StoreConflictError when the (hostname, path prefix) pair is taken. */
  createRoute(record: RouteRecord): Promise<void>;
  updateRoute(record: RouteRecord): Promise<void>;
  getRoute(zoneId: HexId, id: HexId): Promise<RouteRecord | undefined>;
  /** Ordered by hostname, then longest prefix first. */
  listRoutes(zoneId: HexId): Promise<RouteRecord[]>;
  deleteRoute(zoneId: HexId, id: HexId): Promise<void>;
  listAllRoutes(): Promise<RouteRecord[]>;
}

export interface RulesetStore {
  getRulesetByPhase(zoneId: HexId, phase: string): Promise<RulesetRecord | undefined>;
  getRuleset(zoneId: HexId, id: HexId): Promise<RulesetRecord | undefined>;
  listRulesets(zoneId: HexId): Promise<RulesetRecord[]>;
  /**
   * Stores `record` as the current version and appends it to the history. `expectedVersion` is
   * the version the caller read (null: creating); another version → StoreConflictError.
   */
  saveRuleset(record: RulesetRecord, expectedVersion: number | null): Promise<void>;
  /** Newest first. */
  listRulesetVersions(rulesetId: HexId): Promise<RulesetRecord[]>;
  getRulesetVersion(rulesetId: HexId, version: number): Promise<RulesetRecord | undefined>;
  deleteRuleset(zoneId: HexId, id: HexId): Promise<void>;
  listAllRulesets(): Promise<RulesetRecord[]>;
}

export interface ZoneSettingStore {
  /** The JSON value, or undefined when never set. */
  getZoneSetting(zoneId: HexId, name: string): Promise<unknown>;
  putZoneSetting(zoneId: HexId, name: string, value: unknown): Promise<void>;
  listAllZoneSettings(): Promise<ZoneSettingRecord[]>;
}

export interface ApiDefinitionStore {
  /** Throws StoreConflictError when the (hostname, listen path) pair is taken. */
  createApi(record: ApiDefinitionRecord): Promise<void>;
  updateApi(record: ApiDefinitionRecord): Promise<void>;
  getApi(zoneId: HexId, id: HexId): Promise<ApiDefinitionRecord | undefined>;
  /** Ordered by hostname, then longest listen path first. */
  listApis(zoneId: HexId): Promise<ApiDefinitionRecord[]>;
  deleteApi(zoneId: HexId, id: HexId): Promise<void>;
  listAllApis(): Promise<ApiDefinitionRecord[]>;
}

export interface GatewayKeyStore {
  /**
   * Throws StoreConflictError when a key of the same account holds the certificate binding, or any
   * key the secret hash.
   */
  createKey(record: GatewayKeyRecord): Promise<void>;
  updateKey(record: GatewayKeyRecord): Promise<void>;
  getKey(accountId: HexId, id: HexId): Promise<GatewayKeyRecord | undefined>;
  /** Any account: the hash is unique across the installation. */
  getKeyBySecretHash(secretHash: string): Promise<GatewayKeyRecord | undefined>;
  /** The key of this account bound to the certificate (a binding is unique per account). */
  getKeyByBinding(accountId: HexId, binding: CertificateBinding): Promise<GatewayKeyRecord | undefined>;
  /** Oldest first. */
  listKeys(accountId: HexId): Promise<GatewayKeyRecord[]>;
  deleteKey(accountId: HexId, id: HexId): Promise<void>;
  listAllKeys(): Promise<GatewayKeyRecord[]>;
}

export interface GatewayPolicyStore {
  createPolicy(record: GatewayPolicyRecord): Promise<void>;
  updatePolicy(record: GatewayPolicyRecord): Promise<void>;
  getPolicy(accountId: HexId, id: HexId): Promise<GatewayPolicyRecord | undefined>;
  /** Oldest first. */
  listPolicies(accountId: HexId): Promise<GatewayPolicyRecord[]>;
  deletePolicy(accountId: HexId, id: HexId): Promise<void>;
  listAllPolicies(): Promise<GatewayPolicyRecord[]>;
}

/**
 * Per-request analytics records: appended in batches off the hot path, stored as
 * one-second rollups that keep every request's detail (docs/adr/0004), aggregated in SQL.
 */
export interface AnalyticsStore {
  /** Stores every record (rolled up, multi-row INSERTs); nothing when the list is empty. */
  appendAnalytics(records: readonly AnalyticsRecord[]): Promise<void>;
  /** Totals of one zone over the one-second buckets in [since, until) and, when grouped, the busiest groups. */
  queryAnalytics(filter: AnalyticsFilter): Promise<AnalyticsSummary>;
  /** Client certificates seen in one zone over [since, until), most recently seen first. */
  lastSeenByCertificate(zoneId: HexId, range: AnalyticsRange & { limit: number }): Promise<CertificateUsage[]>;
  /** The requests of one zone matching the filter, newest first (at most `limit`). */
  listAnalyticsRequests(filter: AnalyticsRequestFilter): Promise<AnalyticsRequestEntry[]>;
  /** Requests per hostname and mTLS status in the range, the busiest first. */
  mtlsStatusByHostname(zoneId: HexId, range: AnalyticsRange & { limit: number }): Promise<MtlsStatusCount[]>;
  /** Requests and errors per minute or hour of the range, oldest first; empty intervals left out. */
  analyticsOverTime(zoneId: HexId, range: AnalyticsRange & { interval: AnalyticsInterval }): Promise<AnalyticsPoint[]>;
  /** Requests of these keys in these zones per UTC day of the range, oldest first; empty days left out. One query. */
  keysUsageByDay(zoneIds: readonly HexId[], keyIds: readonly HexId[], range: AnalyticsRange): Promise<KeysDayUsage[]>;
  /** Deletes the records older than `time` (ISO; whole one-second buckets); returns how many rows (rollups). */
  deleteAnalyticsBefore(time: string): Promise<number>;
}

/** Where certificate validity ends, across client, uploaded and edge certificates (expiry reports). */
export interface CertificateExpiryStore {
  /** Soonest first. Reads no PEM. */
  listCertificateExpiries(filter: CertificateExpiryFilter): Promise<CertificateExpiry[]>;
}

/** Revocation of uploaded CAs (docs/adr/0014): settings, fetch state, CRLs in force, block lists. */
export interface CaRevocationStore {
  getCaRevocation(mtlsCertificateId: Uuid): Promise<CaRevocationRecord | undefined>;
  listAllCaRevocations(): Promise<CaRevocationRecord[]>;
  /** Creates or replaces the settings; keeps the fetch history. */
  putCaRevocationSettings(
    record: { mtlsCertificateId: Uuid; accountId: HexId; settings: CaRevocationSettings; nextFetchAt: string | null },
    updatedAt: string,
  ): Promise<void>;
  setDiscoveredCrlUrls(mtlsCertificateId: Uuid, urls: string[], now: string): Promise<void>;
  /** True when this holder may fetch now (a fetch is due and no other holder's lease is running). */
  takeCrlFetchLease(mtlsCertificateId: Uuid, holder: string, now: string, until: string): Promise<boolean>;
  finishCrlFetch(
    mtlsCertificateId: Uuid,
    holder: string,
    outcome: { at: string; error: string | null; nextFetchAt: string | null; failures: number },
  ): Promise<void>;
  putCaCrl(record: CaCrlRecord): Promise<void>;
  listCaCrls(mtlsCertificateId: Uuid): Promise<CaCrlRecord[]>;
  listAllCaCrls(): Promise<CaCrlRecord[]>;
  deleteCaCrls(mtlsCertificateId: Uuid): Promise<void>;
  /** Settings, state, CRLs and the CA's own block list. */
  deleteCaRevocation(accountId: HexId, mtlsCertificateId: Uuid): Promise<void>;
  /** Throws StoreConflictError when the same value is already blocked in that scope. */
  createCertificateBlock(record: CertificateBlockRecord): Promise<void>;
  listCertificateBlocks(accountId: HexId, scope: string): Promise<CertificateBlockRecord[]>;
  deleteCertificateBlock(accountId: HexId, scope: string, id: HexId): Promise<boolean>;
  listAllCertificateBlocks(): Promise<CertificateBlockRecord[]>;
}

/** Key/value settings of the installation (e.g. the edge CA), small values only. */
export interface SettingsStore {
  getSetting(key: string): Promise<string | undefined>;
  putSetting(key: string, value: string): Promise<void>;
  /**
   * Writes the setting unless it exists; whether it did. Gateways starting together each try, one
   * wins (on PostgreSQL the others wait for the winner's transaction, then see its row).
   */
  putSettingIfAbsent(key: string, value: string): Promise<boolean>;
  /**
   * Inside a transaction: holds every other gateway's lockSetting(key) until it ends, so that a
   * read-check-write sequence (applying the --config file) runs on one gateway at a time and sees
   * what the previous one wrote. SQLite: nothing to do (one process, one writer at a time).
   */
  lockSetting(key: string): Promise<void>;
}

export interface Store
  extends
    AccountStore,
    ZoneStore,
    TokenStore,
    ManagedCaStore,
    MtlsCertificateStore,
    ClientCertificateStore,
    HostnameAssociationStore,
    EdgeCertificateStore,
    RouteStore,
    RulesetStore,
    ZoneSettingStore,
    ApiDefinitionStore,
    GatewayKeyStore,
    GatewayPolicyStore,
    AnalyticsStore,
    CertificateExpiryStore,
    CaRevocationStore,
    EstStore,
    PortalStore,
    SettingsStore {
  /** Runs `work` in one transaction, with a Store bound to it. */
  transaction<T>(work: (store: Store) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
