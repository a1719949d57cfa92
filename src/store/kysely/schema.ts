/**
 * The database as Kysely sees it: one interface per table, columns in snake_case exactly as the
 * migrations create them. Only portable types: text, integer (booleans as 0/1), JSON as text,
 * timestamps as ISO-8601 text, so SQLite and PostgreSQL hold the same values.
 */
import type { PortalTables } from '../portal/portal-schema.ts';
import type { Kysely, Generated } from 'kysely';
import type { EstTables } from './est-schema.ts';

export interface AccountsTable {
  id: string;
  name: string;
  created_at: string;
}

export interface ZonesTable {
  id: string;
  account_id: string;
  name: string;
  created_at: string;
  /** 0 or 1 (migration 0008). */
  delegated: number;
}

export interface ApiTokensTable {
  id: string;
  name: string;
  secret_hash: string;
  /** JSON of TokenScope. */
  scope: string;
  permission: string;
  status: string;
  created_at: string;
  not_before: string | null;
  expires_on: string | null;
}

export interface ManagedCasTable {
  id: string;
  account_id: string;
  name: string;
  certificate_pem: string;
  sealed_private_key: string;
  next_crl_number: number;
  created_at: string;
  /** Raised with every status change of one of its certificates (migration 0013). */
  revocation_version: Generated<number>;
}

export interface MtlsCertificatesTable {
  id: string;
  account_id: string;
  name: string | null;
  /** 0 or 1. */
  ca: number;
  certificates_pem: string;
  issuer: string;
  serial_number: string;
  signature: string;
  type: string;
  fingerprint_sha256: string;
  sealed_private_key: string | null;
  /** `strict` or `legacy` (migration 0006). */
  compatibility: string;
  expires_on: string;
  uploaded_on: string;
  updated_at: string;
}

export interface ClientCertificatesTable {
  id: string;
  zone_id: string;
  account_id: string;
  ca_id: string;
  certificate_pem: string;
  csr: string;
  common_name: string;
  country: string;
  state: string;
  location: string;
  organization: string;
  organizational_unit: string;
  serial_number: string;
  fingerprint_sha256: string;
  ski: string;
  signature: string;
  validity_days: number;
  issued_on: string;
  expires_on: string;
}

/** What revocation changes of a client certificate, one narrow row each (migration 0014). */
export interface ClientCertificateStatesTable {
  certificate_id: string;
  /** Copies of the certificate's immutable columns that readers of states filter on. */
  zone_id: string;
  ca_id: string;
  serial_number: string;
  issued_on: string;
  expires_on: string;
  status: string;
  revoked_at: string | null;
  /** The CA's revocation version its last status change raised (migration 0013). */
  status_version: Generated<number>;
}

export interface HostnameAssociationsTable {
  zone_id: string;
  hostname: string;
  /** The uploaded CA's id, or MANAGED_CA_KEY for the account's managed CA (no NULL in a primary key). */
  ca_key: string;
}

export interface EdgeCertificatesTable {
  id: string;
  zone_id: string;
  /** JSON array of hostnames. */
  hosts: string;
  certificate_pem: string;
  sealed_private_key: string;
  issuer: string;
  signature: string;
  expires_on: string;
  uploaded_on: string;
  modified_on: string;
}

export interface SettingsTable {
  key: string;
  value: string;
}

export interface RoutesTable {
  id: string;
  zone_id: string;
  hostname: string;
  path_prefix: string;
  upstream_url: string;
  /** 0 or 1. */
  strip_prefix: number;
  /** Milliseconds, or NULL for the gateway's default (migration 0006). */
  upstream_timeout_ms: number | null;
  description: string;
  created_on: string;
  modified_on: string;
}

export interface RulesetsTable {
  id: string;
  zone_id: string;
  phase: string;
  /** JSON of the whole RulesetRecord (rules are always read and replaced together). */
  document: string;
}

export interface RulesetVersionsTable {
  ruleset_id: string;
  version: number;
  document: string;
}

export interface ZoneSettingsTable {
  zone_id: string;
  name: string;
  /** JSON. */
  value: string;
}

export interface GatewayApisTable {
  id: string;
  zone_id: string;
  name: string;
  hostname: string;
  listen_path: string;
  upstream_url: string;
  /** 0 or 1. */
  strip_listen_path: number;
  /** Milliseconds, or NULL for the gateway's default (migration 0006). */
  upstream_timeout_ms: number | null;
  protocol: string;
  /** 0 or 1. */
  active: number;
  auth_mode: string;
  /** 0 or 1. */
  token_required: number;
  /** JSON array of AllowedCertificate. */
  allowed_certificates: string;
  /** JSON of RateLimit, or NULL. */
  rate_limit: string | null;
  created_on: string;
  modified_on: string;
}

export interface GatewayPoliciesTable {
  id: string;
  account_id: string;
  name: string;
  /** JSON array of AccessRight. */
  access_rights: string;
  /** JSON of RateLimit, or NULL. */
  rate_limit: string | null;
  /** JSON of Quota, or NULL. */
  quota: string | null;
  /** 0 or 1. */
  active: number;
  created_on: string;
  modified_on: string;
}

export interface GatewayKeysTable {
  id: string;
  account_id: string;
  alias: string;
  /** Both NULL or both set (a CertificateBinding). */
  binding_kind: string | null;
  binding_value: string | null;
  secret_hash: string | null;
  /** JSON array of policy ids. */
  policy_ids: string;
  /** JSON array of AccessRight. */
  access_rights: string;
  /** JSON of RateLimit, or NULL. */
  rate_limit: string | null;
  /** JSON of Quota, or NULL. */
  quota: string | null;
  expires_on: string | null;
  /** JSON object of string values. */
  metadata: string;
  /** 0 or 1. */
  active: number;
  created_on: string;
  modified_on: string;
}

/**
 * Analytics: requests of one second with the same dimensions, with their sums and every
 * request's detail (src/store/analytics-rollups.ts, docs/adr/0004). No primary key: rows are only
 * appended, aggregated and aged out; one second and group may span several rows (one per batch).
 */
export interface AnalyticsRollupsTable {
  /** Start of the one-second bucket, ISO-8601 `…:ss.000Z`. */
  bucket: string;
  zone_id: string | null;
  api_id: string | null;
  key_id: string | null;
  hostname: string;
  method: string;
  status: number;
  /** Lowercase hex SHA-256 of the client leaf; "" without a certificate. */
  fingerprint: string;
  serial: string;
  issuer: string;
  /** Added by 0010-analytics-mtls-status: '' in rows written before. */
  mtls_status: string;
  /** bigint on PostgreSQL: read back as text there, hence the union. */
  requests: number | string;
  bytes_in: number | string;
  bytes_out: number | string;
  latency_sum_ms: number | string;
  latency_max_ms: number | string;
  /** ISO-8601 with milliseconds: the latest request. */
  last_time: string;
  /** JSON array of AnalyticsRequestDetail. */
  requests_detail: string;
}

/** Revocation for uploaded CAs (migration 0009, store/ca-revocation-records.ts). */
export interface CaRevocationTable {
  mtls_certificate_id: string;
  account_id: string;
  /** JSON of CaRevocationSettings. */
  settings: string;
  /** JSON array of URLs. */
  discovered_crl_urls: string;
  /** Fetch times are ISO-8601 with milliseconds (`toISOString()`): the lease compares them as text. */
  next_fetch_at: string | null;
  /** Which gateway fetches now, and until when (ISO): one at a time across a cluster. */
  fetch_lease_holder: string | null;
  fetch_lease_until: string | null;
  last_fetch_at: string | null;
  last_fetch_success_at: string | null;
  last_fetch_error: string | null;
  fetch_failures: number;
  updated_at: string;
}

export interface CaCrlsTable {
  mtls_certificate_id: string;
  issuer_fingerprint: string;
  account_id: string;
  issuer_subject: string;
  crl_number: string;
  this_update: string;
  next_update: string;
  /** Serials separated by `,`. */
  revoked_serials: string;
  source: string;
  source_url: string | null;
  updated_at: string;
}

export interface CertificateBlocksTable {
  id: string;
  account_id: string;
  scope: string;
  kind: string;
  value: string;
  description: string;
  created_on: string;
}

export interface Database extends EstTables, PortalTables {
  analytics_rollups: AnalyticsRollupsTable;
  accounts: AccountsTable;
  zones: ZonesTable;
  api_tokens: ApiTokensTable;
  managed_cas: ManagedCasTable;
  mtls_certificates: MtlsCertificatesTable;
  client_certificates: ClientCertificatesTable;
  client_certificate_states: ClientCertificateStatesTable;
  hostname_associations: HostnameAssociationsTable;
  edge_certificates: EdgeCertificatesTable;
  settings: SettingsTable;
  routes: RoutesTable;
  rulesets: RulesetsTable;
  ruleset_versions: RulesetVersionsTable;
  zone_settings: ZoneSettingsTable;
  gateway_apis: GatewayApisTable;
  gateway_policies: GatewayPoliciesTable;
  gateway_keys: GatewayKeysTable;
  ca_revocation: CaRevocationTable;
  ca_crls: CaCrlsTable;
  certificate_blocks: CertificateBlocksTable;
}

/** A connection or a transaction: every query function takes either. */
export type Db = Kysely<Database>;

/** `ca_key` of an association with the account's managed CA. */
export const MANAGED_CA_KEY = 'managed';
