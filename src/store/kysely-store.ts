/**
 * KyselyStore: the Store port over Kysely, one implementation for SQLite and PostgreSQL. This file
 * only binds the port to a connection (or a transaction); the queries live in kysely/<area>.ts.
 *
 * Transactions: `transaction(work)` hands `work` a KyselyStore bound to the transaction; a
 * transaction inside a transaction joins the outer one. While work runs, use only the store it was
 * given: on SQLite the single connection is held by the transaction, so a call on the outer store
 * waits for it to finish (and would deadlock if awaited inside work).
 */
import type { Kysely } from 'kysely';
import type { ClientCertificateFilter, Page, Store } from './ports.ts';
import type {
  AccountRecord,
  ApiDefinitionRecord,
  ApiTokenRecord,
  CaCompatibility,
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
import type { Database, Db } from './kysely/schema.ts';
import { atomically } from './kysely/atomically.ts';
import * as tenancy from './kysely/tenancy.ts';
import * as zoneRemoval from './kysely/zone-removal.ts';
import * as tokens from './kysely/tokens.ts';
import * as managedCas from './kysely/managed-cas.ts';
import * as mtls from './kysely/mtls-certificates.ts';
import * as clientCerts from './kysely/client-certificates.ts';
import * as associations from './kysely/hostname-associations.ts';
import * as edge from './kysely/edge-certificates.ts';
import * as settings from './kysely/settings.ts';
import * as routes from './kysely/routes.ts';
import * as rulesets from './kysely/rulesets.ts';
import * as zoneSettings from './kysely/zone-settings.ts';
import * as analytics from './kysely/analytics.ts';
import * as certificateExpiries from './kysely/certificate-expiries.ts';
import type { AnalyticsRecord } from '../model/records.ts';
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
import * as gatewayApis from './kysely/gateway-apis.ts';
import * as gatewayKeys from './kysely/gateway-keys.ts';
import * as gatewayPolicies from './kysely/gateway-policies.ts';
import * as caRevocation from './kysely/ca-revocation.ts';
import * as est from './kysely/est.ts';
import type {
  BulkRevocationFilter,
  BulkRevokedCertificate,
  EstApprovalRecord,
  EstApprovalStatus,
  EstBootstrapSecretRecord,
  EstEnrollmentRecord,
  EstProfileRecord,
} from '../model/est-records.ts';
import * as portal from './kysely/portal.ts';
import type { PortalAccessRequestFilter } from './portal/portal-ports.ts';
import type {
  AccessRequestStatus,
  PortalAccessRequestRecord,
  PortalAppRecord,
  PortalDeveloperRecord,
  PortalLinkRecord,
  PortalProductRecord,
} from '../model/portal-records.ts';
import type {
  CaCrlRecord,
  CaRevocationRecord,
  CaRevocationSettings,
  CertificateBlockRecord,
} from './ca-revocation-records.ts';

export class KyselyStore implements Store {
  readonly #db: Db;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  transaction<T>(work: (store: Store) => Promise<T>): Promise<T> {
    if (this.#db.isTransaction) return work(this);
    return atomically(this.#db, (trx) => work(new KyselyStore(trx)));
  }

  /** Closes the connection (pool); refused on a transaction-bound store, which does not own it. */
  async close(): Promise<void> {
    if (this.#db.isTransaction) throw new Error('close() called on a transaction-bound store');
    await this.#db.destroy();
  }

  // Accounts and zones.
  createAccount(record: AccountRecord): Promise<void> {
    return tenancy.createAccount(this.#db, record);
  }
  lockAccount(id: HexId): Promise<void> {
    return tenancy.lockAccount(this.#db, id);
  }

  getAccount(id: HexId): Promise<AccountRecord | undefined> {
    return tenancy.getAccount(this.#db, id);
  }
  listAccounts(ids?: readonly HexId[]): Promise<AccountRecord[]> {
    return tenancy.listAccounts(this.#db, ids);
  }
  createZone(record: ZoneRecord): Promise<void> {
    return tenancy.createZone(this.#db, record);
  }
  getZone(id: HexId): Promise<ZoneRecord | undefined> {
    return tenancy.getZone(this.#db, id);
  }
  listZones(filter: { accountIds?: readonly HexId[]; name?: string }): Promise<ZoneRecord[]> {
    return tenancy.listZones(this.#db, filter);
  }
  listOverlappingZones(name: string): Promise<ZoneRecord[]> {
    return tenancy.listOverlappingZones(this.#db, name);
  }
  setZoneDelegated(id: HexId, delegated: boolean): Promise<void> {
    return tenancy.setZoneDelegated(this.#db, id, delegated);
  }
  lockZoneNames(): Promise<void> {
    return tenancy.lockZoneNames(this.#db);
  }
  zoneUsage(id: HexId): Promise<ZoneUsage> {
    return zoneRemoval.zoneUsage(this.#db, id);
  }
  deleteZone(id: HexId): Promise<void> {
    return zoneRemoval.deleteZone(this.#db, id);
  }

  // API tokens.
  createToken(record: ApiTokenRecord): Promise<void> {
    return tokens.createToken(this.#db, record);
  }
  getTokenBySecretHash(secretHash: string): Promise<ApiTokenRecord | undefined> {
    return tokens.getTokenBySecretHash(this.#db, secretHash);
  }
  getToken(id: HexId): Promise<ApiTokenRecord | undefined> {
    return tokens.getToken(this.#db, id);
  }
  listTokens(): Promise<ApiTokenRecord[]> {
    return tokens.listTokens(this.#db);
  }
  setTokenStatus(id: HexId, status: ApiTokenRecord['status']): Promise<void> {
    return tokens.setTokenStatus(this.#db, id, status);
  }

  // Managed CAs.
  getManagedCa(accountId: HexId): Promise<ManagedCaRecord | undefined> {
    return managedCas.getManagedCa(this.#db, accountId);
  }
  getManagedCaById(id: Uuid): Promise<ManagedCaRecord | undefined> {
    return managedCas.getManagedCaById(this.#db, id);
  }
  createManagedCa(record: ManagedCaRecord): Promise<void> {
    return managedCas.createManagedCa(this.#db, record);
  }
  takeCrlNumber(caId: Uuid): Promise<number> {
    return managedCas.takeCrlNumber(this.#db, caId);
  }
  listManagedCas(): Promise<ManagedCaRecord[]> {
    return managedCas.listManagedCas(this.#db);
  }

  // Uploaded mTLS certificates.
  createMtlsCertificate(record: MtlsCertificateRecord): Promise<void> {
    return mtls.createMtlsCertificate(this.#db, record);
  }
  getMtlsCertificate(accountId: HexId, id: Uuid): Promise<MtlsCertificateRecord | undefined> {
    return mtls.getMtlsCertificate(this.#db, accountId, id);
  }
  listMtlsCertificates(accountId: HexId, types?: readonly string[]): Promise<MtlsCertificateRecord[]> {
    return mtls.listMtlsCertificates(this.#db, accountId, types);
  }
  countCaCertificates(accountId: HexId): Promise<number> {
    return mtls.countCaCertificates(this.#db, accountId);
  }
  updateMtlsCertificateCompatibility(
    accountId: HexId,
    id: Uuid,
    compatibility: CaCompatibility,
    updatedAt: string,
  ): Promise<boolean> {
    return mtls.updateMtlsCertificateCompatibility(this.#db, accountId, id, compatibility, updatedAt);
  }
  deleteMtlsCertificate(accountId: HexId, id: Uuid): Promise<void> {
    return mtls.deleteMtlsCertificate(this.#db, accountId, id);
  }
  listAllMtlsCertificates(): Promise<MtlsCertificateRecord[]> {
    return mtls.listAllMtlsCertificates(this.#db);
  }

  // Client certificates.
  createClientCertificate(record: ClientCertificateRecord): Promise<void> {
    return clientCerts.createClientCertificate(this.#db, record);
  }
  getClientCertificate(zoneId: HexId, id: Uuid): Promise<ClientCertificateRecord | undefined> {
    return clientCerts.getClientCertificate(this.#db, zoneId, id);
  }
  listClientCertificates(
    zoneId: HexId,
    filter: ClientCertificateFilter,
    page: Page,
  ): Promise<{ items: ClientCertificateRecord[]; total: number }> {
    return clientCerts.listClientCertificates(this.#db, zoneId, filter, page);
  }
  countActiveClientCertificates(zoneId: HexId): Promise<number> {
    return clientCerts.countActiveClientCertificates(this.#db, zoneId);
  }
  updateClientCertificateStatus(
    zoneId: HexId,
    id: Uuid,
    status: ClientCertificateStatus,
    revokedAt: string | null,
  ): Promise<void> {
    return clientCerts.updateClientCertificateStatus(this.#db, zoneId, id, status, revokedAt);
  }
  listRevokedSerials(caId: Uuid): Promise<RevokedSerialList> {
    return clientCerts.listRevokedSerials(this.#db, caId);
  }
  getRevocationVersion(caId: Uuid): Promise<number> {
    return clientCerts.revocationVersion(this.#db, caId);
  }
  listRevocationChanges(caId: Uuid, sinceVersion: number): Promise<RevocationChange[]> {
    return clientCerts.listRevocationChanges(this.#db, caId, sinceVersion);
  }
  getClientCertificateBySerial(caId: Uuid, serialNumber: string): Promise<ClientCertificateRecord | undefined> {
    return clientCerts.getClientCertificateBySerial(this.#db, caId, serialNumber);
  }
  listAllClientCertificates(): Promise<ClientCertificateRecord[]> {
    return clientCerts.listAllClientCertificates(this.#db);
  }
  listClientCertificateFingerprints(ids: readonly Uuid[]): Promise<ClientCertificateFingerprint[]> {
    return clientCerts.listClientCertificateFingerprints(this.#db, ids);
  }

  // Hostname associations.
  listHostnames(zoneId: HexId, mtlsCertificateId: Uuid | null): Promise<string[]> {
    return associations.listHostnames(this.#db, zoneId, mtlsCertificateId);
  }
  replaceHostnames(zoneId: HexId, mtlsCertificateId: Uuid | null, hostnames: readonly string[]): Promise<void> {
    return associations.replaceHostnames(this.#db, zoneId, mtlsCertificateId, hostnames);
  }
  listAssociationsOfCertificate(mtlsCertificateId: Uuid): Promise<HostnameAssociationRecord[]> {
    return associations.listAssociationsOfCertificate(this.#db, mtlsCertificateId);
  }
  listAllAssociations(): Promise<HostnameAssociationRecord[]> {
    return associations.listAllAssociations(this.#db);
  }

  // Revocation of uploaded CAs.
  getCaRevocation(mtlsCertificateId: Uuid): Promise<CaRevocationRecord | undefined> {
    return caRevocation.getCaRevocation(this.#db, mtlsCertificateId);
  }
  listAllCaRevocations(): Promise<CaRevocationRecord[]> {
    return caRevocation.listAllCaRevocations(this.#db);
  }
  putCaRevocationSettings(
    record: { mtlsCertificateId: Uuid; accountId: HexId; settings: CaRevocationSettings; nextFetchAt: string | null },
    updatedAt: string,
  ): Promise<void> {
    return caRevocation.putCaRevocationSettings(this.#db, record, updatedAt);
  }
  setDiscoveredCrlUrls(mtlsCertificateId: Uuid, urls: string[], now: string): Promise<void> {
    return caRevocation.setDiscoveredCrlUrls(this.#db, mtlsCertificateId, urls, now);
  }
  takeCrlFetchLease(mtlsCertificateId: Uuid, holder: string, now: string, until: string): Promise<boolean> {
    return caRevocation.takeCrlFetchLease(this.#db, mtlsCertificateId, holder, now, until);
  }
  finishCrlFetch(
    mtlsCertificateId: Uuid,
    holder: string,
    outcome: { at: string; error: string | null; nextFetchAt: string | null; failures: number },
  ): Promise<void> {
    return caRevocation.finishCrlFetch(this.#db, mtlsCertificateId, holder, outcome);
  }
  putCaCrl(record: CaCrlRecord): Promise<void> {
    return caRevocation.putCaCrl(this.#db, record);
  }
  listCaCrls(mtlsCertificateId: Uuid): Promise<CaCrlRecord[]> {
    return caRevocation.listCaCrls(this.#db, mtlsCertificateId);
  }
  listAllCaCrls(): Promise<CaCrlRecord[]> {
    return caRevocation.listAllCaCrls(this.#db);
  }
  deleteCaCrls(mtlsCertificateId: Uuid): Promise<void> {
    return caRevocation.deleteCaCrls(this.#db, mtlsCertificateId);
  }
  deleteCaRevocation(accountId: HexId, mtlsCertificateId: Uuid): Promise<void> {
    return caRevocation.deleteCaRevocation(this.#db, accountId, mtlsCertificateId);
  }
  createCertificateBlock(record: CertificateBlockRecord): Promise<void> {
    return caRevocation.createCertificateBlock(this.#db, record);
  }
  listCertificateBlocks(accountId: HexId, scope: string): Promise<CertificateBlockRecord[]> {
    return caRevocation.listCertificateBlocks(this.#db, accountId, scope);
  }
  deleteCertificateBlock(accountId: HexId, scope: string, id: HexId): Promise<boolean> {
    return caRevocation.deleteCertificateBlock(this.#db, accountId, scope, id);
  }
  listAllCertificateBlocks(): Promise<CertificateBlockRecord[]> {
    return caRevocation.listAllCertificateBlocks(this.#db);
  }

  // Edge certificates.
  createEdgeCertificate(record: EdgeCertificateRecord): Promise<void> {
    return edge.createEdgeCertificate(this.#db, record);
  }
  getEdgeCertificate(zoneId: HexId, id: Uuid): Promise<EdgeCertificateRecord | undefined> {
    return edge.getEdgeCertificate(this.#db, zoneId, id);
  }
  listEdgeCertificates(zoneId: HexId): Promise<EdgeCertificateRecord[]> {
    return edge.listEdgeCertificates(this.#db, zoneId);
  }
  deleteEdgeCertificate(zoneId: HexId, id: Uuid): Promise<void> {
    return edge.deleteEdgeCertificate(this.#db, zoneId, id);
  }
  listAllEdgeCertificates(): Promise<EdgeCertificateRecord[]> {
    return edge.listAllEdgeCertificates(this.#db);
  }

  // Routes.
  createRoute(record: RouteRecord): Promise<void> {
    return routes.createRoute(this.#db, record);
  }
  updateRoute(record: RouteRecord): Promise<void> {
    return routes.updateRoute(this.#db, record);
  }
  getRoute(zoneId: HexId, id: HexId): Promise<RouteRecord | undefined> {
    return routes.getRoute(this.#db, zoneId, id);
  }
  listRoutes(zoneId: HexId): Promise<RouteRecord[]> {
    return routes.listRoutes(this.#db, zoneId);
  }
  deleteRoute(zoneId: HexId, id: HexId): Promise<void> {
    return routes.deleteRoute(this.#db, zoneId, id);
  }
  listAllRoutes(): Promise<RouteRecord[]> {
    return routes.listAllRoutes(this.#db);
  }

  // Rulesets.
  getRulesetByPhase(zoneId: HexId, phase: string): Promise<RulesetRecord | undefined> {
    return rulesets.getRulesetByPhase(this.#db, zoneId, phase);
  }
  getRuleset(zoneId: HexId, id: HexId): Promise<RulesetRecord | undefined> {
    return rulesets.getRuleset(this.#db, zoneId, id);
  }
  listRulesets(zoneId: HexId): Promise<RulesetRecord[]> {
    return rulesets.listRulesets(this.#db, zoneId);
  }
  saveRuleset(record: RulesetRecord, expectedVersion: number | null): Promise<void> {
    return rulesets.saveRuleset(this.#db, record, expectedVersion);
  }
  listRulesetVersions(rulesetId: HexId): Promise<RulesetRecord[]> {
    return rulesets.listRulesetVersions(this.#db, rulesetId);
  }
  getRulesetVersion(rulesetId: HexId, version: number): Promise<RulesetRecord | undefined> {
    return rulesets.getRulesetVersion(this.#db, rulesetId, version);
  }
  deleteRuleset(zoneId: HexId, id: HexId): Promise<void> {
    return rulesets.deleteRuleset(this.#db, zoneId, id);
  }
  listAllRulesets(): Promise<RulesetRecord[]> {
    return rulesets.listAllRulesets(this.#db);
  }

  // Zone settings.
  getZoneSetting(zoneId: HexId, name: string): Promise<unknown> {
    return zoneSettings.getZoneSetting(this.#db, zoneId, name);
  }
  putZoneSetting(zoneId: HexId, name: string, value: unknown): Promise<void> {
    return zoneSettings.putZoneSetting(this.#db, zoneId, name, value);
  }
  listAllZoneSettings(): Promise<ZoneSettingRecord[]> {
    return zoneSettings.listAllZoneSettings(this.#db);
  }

  // Gateway APIs.
  createApi(record: ApiDefinitionRecord): Promise<void> {
    return gatewayApis.createApi(this.#db, record);
  }
  updateApi(record: ApiDefinitionRecord): Promise<void> {
    return gatewayApis.updateApi(this.#db, record);
  }
  getApi(zoneId: HexId, id: HexId): Promise<ApiDefinitionRecord | undefined> {
    return gatewayApis.getApi(this.#db, zoneId, id);
  }
  listApis(zoneId: HexId): Promise<ApiDefinitionRecord[]> {
    return gatewayApis.listApis(this.#db, zoneId);
  }
  deleteApi(zoneId: HexId, id: HexId): Promise<void> {
    return gatewayApis.deleteApi(this.#db, zoneId, id);
  }
  listAllApis(): Promise<ApiDefinitionRecord[]> {
    return gatewayApis.listAllApis(this.#db);
  }

  // Gateway keys.
  createKey(record: GatewayKeyRecord): Promise<void> {
    return gatewayKeys.createKey(this.#db, record);
  }
  updateKey(record: GatewayKeyRecord): Promise<void> {
    return gatewayKeys.updateKey(this.#db, record);
  }
  getKey(accountId: HexId, id: HexId): Promise<GatewayKeyRecord | undefined> {
    return gatewayKeys.getKey(this.#db, accountId, id);
  }
  getKeyBySecretHash(secretHash: string): Promise<GatewayKeyRecord | undefined> {
    return gatewayKeys.getKeyBySecretHash(this.#db, secretHash);
  }
  getKeyByBinding(accountId: HexId, binding: CertificateBinding): Promise<GatewayKeyRecord | undefined> {
    return gatewayKeys.getKeyByBinding(this.#db, accountId, binding);
  }
  listKeys(accountId: HexId): Promise<GatewayKeyRecord[]> {
    return gatewayKeys.listKeys(this.#db, accountId);
  }
  deleteKey(accountId: HexId, id: HexId): Promise<void> {
    return gatewayKeys.deleteKey(this.#db, accountId, id);
  }
  listAllKeys(): Promise<GatewayKeyRecord[]> {
    return gatewayKeys.listAllKeys(this.#db);
  }

  // Gateway policies.
  createPolicy(record: GatewayPolicyRecord): Promise<void> {
    return gatewayPolicies.createPolicy(this.#db, record);
  }
  updatePolicy(record: GatewayPolicyRecord): Promise<void> {
    return gatewayPolicies.updatePolicy(this.#db, record);
  }
  getPolicy(accountId: HexId, id: HexId): Promise<GatewayPolicyRecord | undefined> {
    return gatewayPolicies.getPolicy(this.#db, accountId, id);
  }
  listPolicies(accountId: HexId): Promise<GatewayPolicyRecord[]> {
    return gatewayPolicies.listPolicies(this.#db, accountId);
  }
  deletePolicy(accountId: HexId, id: HexId): Promise<void> {
    return gatewayPolicies.deletePolicy(this.#db, accountId, id);
  }
  listAllPolicies(): Promise<GatewayPolicyRecord[]> {
    return gatewayPolicies.listAllPolicies(this.#db);
  }

  // Analytics records.
  appendAnalytics(records: readonly AnalyticsRecord[]): Promise<void> {
    return analytics.appendAnalytics(this.#db, records);
  }
  queryAnalytics(filter: AnalyticsFilter): Promise<AnalyticsSummary> {
    return analytics.queryAnalytics(this.#db, filter);
  }
  lastSeenByCertificate(zoneId: HexId, range: AnalyticsRange & { limit: number }): Promise<CertificateUsage[]> {
    return analytics.lastSeenByCertificate(this.#db, zoneId, range);
  }
  listAnalyticsRequests(filter: AnalyticsRequestFilter): Promise<AnalyticsRequestEntry[]> {
    return analytics.listAnalyticsRequests(this.#db, filter);
  }
  mtlsStatusByHostname(zoneId: HexId, range: AnalyticsRange & { limit: number }): Promise<MtlsStatusCount[]> {
    return analytics.mtlsStatusByHostname(this.#db, zoneId, range);
  }
  analyticsOverTime(zoneId: HexId, range: AnalyticsRange & { interval: AnalyticsInterval }): Promise<AnalyticsPoint[]> {
    return analytics.analyticsOverTime(this.#db, zoneId, range);
  }
  keysUsageByDay(zoneIds: readonly HexId[], keyIds: readonly HexId[], range: AnalyticsRange): Promise<KeysDayUsage[]> {
    return analytics.keysUsageByDay(this.#db, zoneIds, keyIds, range);
  }
  deleteAnalyticsBefore(time: string): Promise<number> {
    return analytics.deleteAnalyticsBefore(this.#db, time);
  }

  // Certificate expiries.
  listCertificateExpiries(filter: CertificateExpiryFilter): Promise<CertificateExpiry[]> {
    return certificateExpiries.listCertificateExpiries(this.#db, filter);
  }

  // Settings.
  getSetting(key: string): Promise<string | undefined> {
    return settings.getSetting(this.#db, key);
  }
  putSetting(key: string, value: string): Promise<void> {
    return settings.putSetting(this.#db, key, value);
  }
  putSettingIfAbsent(key: string, value: string): Promise<boolean> {
    return settings.putSettingIfAbsent(this.#db, key, value);
  }
  lockSetting(key: string): Promise<void> {
    return settings.lockSetting(this.#db, key);
  }

  // EST enrollment and client-certificate tags (migration 0011).
  createEstProfile(record: EstProfileRecord): Promise<void> {
    return est.createEstProfile(this.#db, record);
  }
  updateEstProfile(record: EstProfileRecord): Promise<void> {
    return est.updateEstProfile(this.#db, record);
  }
  getEstProfile(zoneId: HexId, id: Uuid): Promise<EstProfileRecord | undefined> {
    return est.getEstProfile(this.#db, zoneId, id);
  }
  listEstProfiles(zoneId: HexId): Promise<EstProfileRecord[]> {
    return est.listEstProfiles(this.#db, zoneId);
  }
  deleteEstProfile(zoneId: HexId, id: Uuid): Promise<void> {
    return est.deleteEstProfile(this.#db, zoneId, id);
  }
  createBootstrapSecret(record: EstBootstrapSecretRecord): Promise<void> {
    return est.createBootstrapSecret(this.#db, record);
  }
  getBootstrapSecret(id: HexId): Promise<EstBootstrapSecretRecord | undefined> {
    return est.getBootstrapSecret(this.#db, id);
  }
  listBootstrapSecrets(zoneId: HexId, profileId: Uuid): Promise<EstBootstrapSecretRecord[]> {
    return est.listBootstrapSecrets(this.#db, zoneId, profileId);
  }
  deleteBootstrapSecret(zoneId: HexId, id: HexId): Promise<void> {
    return est.deleteBootstrapSecret(this.#db, zoneId, id);
  }
  consumeBootstrapSecret(id: HexId, secretHash: string, nowIso: string): Promise<boolean> {
    return est.consumeBootstrapSecret(this.#db, id, secretHash, nowIso);
  }
  createEstEnrollment(record: EstEnrollmentRecord): Promise<void> {
    return est.createEstEnrollment(this.#db, record);
  }
  getEstEnrollment(clientCertificateId: Uuid): Promise<EstEnrollmentRecord | undefined> {
    return est.getEstEnrollment(this.#db, clientCertificateId);
  }
  replaceEstEnrollment(id: Uuid, replacedBy: Uuid, revokeAfter: string): Promise<boolean> {
    return est.replaceEstEnrollment(this.#db, id, replacedBy, revokeAfter);
  }
  listEstEnrollmentsDue(nowIso: string): Promise<EstEnrollmentRecord[]> {
    return est.listEstEnrollmentsDue(this.#db, nowIso);
  }
  clearEstRevokeAfter(id: Uuid): Promise<void> {
    return est.clearEstRevokeAfter(this.#db, id);
  }
  listEstEnrollments(zoneId: HexId): Promise<EstEnrollmentRecord[]> {
    return est.listEstEnrollments(this.#db, zoneId);
  }
  createEstApproval(record: EstApprovalRecord): Promise<void> {
    return est.createEstApproval(this.#db, record);
  }
  findEstApproval(profileId: Uuid, spkiSha256: string): Promise<EstApprovalRecord | undefined> {
    return est.findEstApproval(this.#db, profileId, spkiSha256);
  }
  getEstApproval(zoneId: HexId, id: Uuid): Promise<EstApprovalRecord | undefined> {
    return est.getEstApproval(this.#db, zoneId, id);
  }
  listEstApprovals(zoneId: HexId, status?: EstApprovalStatus): Promise<EstApprovalRecord[]> {
    return est.listEstApprovals(this.#db, zoneId, status);
  }
  updateEstApproval(record: EstApprovalRecord): Promise<void> {
    return est.updateEstApproval(this.#db, record);
  }
  setClientCertificateTags(clientCertificateId: Uuid, zoneId: HexId, tags: readonly string[]): Promise<void> {
    return est.setClientCertificateTags(this.#db, clientCertificateId, zoneId, tags);
  }
  listClientCertificateTags(clientCertificateIds: readonly Uuid[]): Promise<Map<Uuid, string[]>> {
    return est.listClientCertificateTags(this.#db, clientCertificateIds);
  }
  listClientCertificateIdsByTag(zoneId: HexId, tag: string): Promise<Uuid[]> {
    return est.listClientCertificateIdsByTag(this.#db, zoneId, tag);
  }
  bulkRevokeClientCertificates(
    zoneId: HexId,
    filter: BulkRevocationFilter,
    revokedAt: string,
  ): Promise<BulkRevokedCertificate[]> {
    return est.bulkRevokeClientCertificates(this.#db, zoneId, filter, revokedAt);
  }
  // The developer portal (migration 0012).
  putPortalProduct(record: PortalProductRecord): Promise<void> {
    return portal.putPortalProduct(this.#db, record);
  }
  getPortalProduct(id: HexId): Promise<PortalProductRecord | undefined> {
    return portal.getPortalProduct(this.#db, id);
  }
  listPortalProducts(): Promise<PortalProductRecord[]> {
    return portal.listPortalProducts(this.#db);
  }
  deletePortalProduct(id: HexId): Promise<void> {
    return portal.deletePortalProduct(this.#db, id);
  }
  createPortalDeveloper(record: PortalDeveloperRecord): Promise<void> {
    return portal.createPortalDeveloper(this.#db, record);
  }
  updatePortalDeveloper(record: PortalDeveloperRecord): Promise<void> {
    return portal.updatePortalDeveloper(this.#db, record);
  }
  getPortalDeveloper(id: HexId): Promise<PortalDeveloperRecord | undefined> {
    return portal.getPortalDeveloper(this.#db, id);
  }
  getPortalDeveloperByEmail(email: string): Promise<PortalDeveloperRecord | undefined> {
    return portal.getPortalDeveloperByEmail(this.#db, email);
  }
  listPortalDevelopers(): Promise<PortalDeveloperRecord[]> {
    return portal.listPortalDevelopers(this.#db);
  }
  createPortalLink(record: PortalLinkRecord): Promise<void> {
    return portal.createPortalLink(this.#db, record);
  }
  getPortalLinkBySecretHash(secretHash: string): Promise<PortalLinkRecord | undefined> {
    return portal.getPortalLinkBySecretHash(this.#db, secretHash);
  }
  usePortalLink(id: HexId, usedOn: string): Promise<boolean> {
    return portal.usePortalLink(this.#db, id, usedOn);
  }
  createPortalApp(record: PortalAppRecord): Promise<void> {
    return portal.createPortalApp(this.#db, record);
  }
  updatePortalApp(record: PortalAppRecord): Promise<void> {
    return portal.updatePortalApp(this.#db, record);
  }
  getPortalApp(developerId: HexId, id: HexId): Promise<PortalAppRecord | undefined> {
    return portal.getPortalApp(this.#db, developerId, id);
  }
  listPortalApps(developerId: HexId): Promise<PortalAppRecord[]> {
    return portal.listPortalApps(this.#db, developerId);
  }
  deletePortalApp(developerId: HexId, id: HexId): Promise<void> {
    return portal.deletePortalApp(this.#db, developerId, id);
  }
  putPortalAccessRequest(record: PortalAccessRequestRecord): Promise<void> {
    return portal.putPortalAccessRequest(this.#db, record);
  }
  getPortalAccessRequest(id: HexId): Promise<PortalAccessRequestRecord | undefined> {
    return portal.getPortalAccessRequest(this.#db, id);
  }
  claimPortalAccessRequest(
    id: HexId,
    from: AccessRequestStatus,
    claimedOn: string,
    staleBefore: string,
  ): Promise<boolean> {
    return portal.claimPortalAccessRequest(this.#db, id, from, claimedOn, staleBefore);
  }
  listPortalAccessRequests(filter: PortalAccessRequestFilter): Promise<PortalAccessRequestRecord[]> {
    return portal.listPortalAccessRequests(this.#db, filter);
  }
}
