/**
 * The management API's answers as they travel (JSON), typed once for the server's views and for
 * the clients written in TypeScript (the dashboard in web/ imports these types): a view that
 * drifts from what the dashboard reads fails the type check of both.
 * Types only: nothing here exists at run time.
 */

export interface V4Message {
  code: number;
  message: string;
}

export interface V4ResultInfo {
  page: number;
  per_page: number;
  count: number;
  total_count: number;
  total_pages: number;
}

export interface V4Envelope<T> {
  success: boolean;
  errors: V4Message[];
  messages: V4Message[];
  result: T;
  result_info?: V4ResultInfo;
}

export interface AccountWire {
  id: string;
  name: string;
  type: string;
  created_on: string;
  settings: Record<string, never>;
}

export interface ZoneWire {
  id: string;
  name: string;
  status: string;
  type: string;
  paused: boolean;
  account: { id: string; name: string };
  created_on: string;
  modified_on: string;
  /** Whether the operator delegated this zone under another account's zone (docs/adr/0007). */
  delegated: boolean;
}

export interface TokenScopeWire {
  kind: 'global' | 'account' | 'zone';
  account_id?: string;
  zone_id?: string;
}

export interface TokenWire {
  id: string;
  name: string;
  status: string;
  scope: TokenScopeWire;
  permission: 'read' | 'edit';
  issued_on: string;
  expires_on: string | null;
}

/** `/dashboard/api/session` (admin-api/dashboard/session-routes.ts). */
export interface DashboardSessionWire {
  csrf_token: string;
  expires_on: string;
  token: TokenWire;
}

export type ClientCertificateStatusWire = 'active' | 'pending_reactivation' | 'pending_revocation' | 'revoked';

export interface ClientCertificateWire {
  id: string;
  certificate: string;
  certificate_authority: { id: string; name: string };
  common_name: string;
  country: string;
  state: string;
  location: string;
  organization: string;
  organizational_unit: string;
  csr: string;
  expires_on: string;
  issued_on: string;
  fingerprint_sha256: string;
  serial_number: string;
  signature: string;
  ski: string;
  status: ClientCertificateStatusWire;
  validity_days: number;
}

export interface MtlsCertificateWire {
  id: string;
  name: string;
  ca: boolean;
  certificates: string;
  issuer: string;
  serial_number: string;
  signature: string;
  type: string;
  /** How strictly client chains to this CA are checked (docs/adr/0008): `strict` or `legacy`. */
  compatibility: string;
  uploaded_on: string;
  expires_on: string;
  updated_at?: string;
}

export interface MtlsAssociationWire {
  service: string;
  status: string;
  hostname: string;
  zone_id: string;
}

export interface HostnameAssociationsWire {
  hostnames: string[];
  mtls_certificate_id?: string;
}

export interface EdgeCertificateWire {
  id: string;
  zone_id: string;
  hosts: string[];
  issuer: string;
  signature: string;
  status: string;
  bundle_method: string;
  type: string;
  priority: number;
  expires_on: string;
  uploaded_on: string;
  modified_on: string;
}

export interface RuleWire {
  id: string;
  version: string;
  action: 'block' | 'log' | 'skip';
  action_parameters?: Record<string, unknown>;
  expression: string;
  description: string;
  last_updated: string;
  ref: string;
  enabled: boolean;
  logging?: { enabled: boolean };
}

export interface RulesetWire {
  id: string;
  name: string;
  description: string;
  kind: string;
  phase: string;
  version: string;
  last_updated: string;
  rules?: RuleWire[];
}

export interface RuleHitWire {
  ruleset_id: string;
  rule_id: string;
  ref: string;
  description: string;
  action: string;
  hits: number;
  last_hit_at: string | null;
}

export interface RouteWire {
  id: string;
  hostname: string;
  path_prefix: string;
  upstream: string;
  strip_prefix: boolean;
  description: string;
  created_on: string;
  modified_on: string;
}

export interface RateLimitWire {
  rate: number;
  per: number;
}

export interface QuotaWire {
  max: number;
  renewal_rate: number;
}

export interface AccessRightWire {
  api_id: string;
  methods: string[];
  paths: string[];
}

export type AllowedCertificateWire =
  { client_certificate_id: string } | { mtls_certificate_id: string } | { sha256: string };

export interface GatewayApiWire {
  id: string;
  name: string;
  hostname: string;
  listen_path: string;
  upstream_url: string;
  strip_listen_path: boolean;
  protocol: 'http' | 'grpc';
  active: boolean;
  auth: {
    mode: 'keyless' | 'mtls_static' | 'mtls_dynamic' | 'token';
    token_required: boolean;
    allowed_certificates: AllowedCertificateWire[];
  };
  rate_limit: RateLimitWire | null;
  created_on: string;
  modified_on: string;
}

export interface GatewayKeyWire {
  id: string;
  alias: string;
  certificate_binding: { kind: string; value: string } | null;
  has_secret: boolean;
  policy_ids: string[];
  access_rights: AccessRightWire[];
  rate_limit: RateLimitWire | null;
  quota: QuotaWire | null;
  quota_remaining: number | null;
  expires_on: string | null;
  metadata: Record<string, unknown>;
  active: boolean;
  created_on: string;
  modified_on: string;
}

export interface GatewayPolicyWire {
  id: string;
  name: string;
  access_rights: AccessRightWire[];
  rate_limit: RateLimitWire | null;
  quota: QuotaWire | null;
  active: boolean;
  created_on: string;
  modified_on: string;
}

export interface AnalyticsAggregateWire {
  requests: number;
  errors: number;
  bytes_in: number;
  bytes_out: number;
  latency_avg_ms: number;
  latency_max_ms: number;
}

export interface AnalyticsReportWire {
  since: string;
  until: string;
  group_by: string | null;
  totals: AnalyticsAggregateWire;
  groups: (AnalyticsAggregateWire & { key: string | number | null })[];
}

export interface CertificateUsageWire {
  fingerprint: string;
  serial: string;
  issuer: string;
  requests: number;
  last_seen: string;
}

export interface AnalyticsRequestWire {
  time: string;
  api_id: string | null;
  key_id: string | null;
  hostname: string;
  method: string;
  path: string;
  status: number;
  fingerprint: string | null;
  serial: string | null;
  issuer: string | null;
  latency_ms: number;
  bytes_in: number;
  bytes_out: number;
  rule_hits: string[];
  mtls_status: MtlsStatusWire | null;
}

/** Cloudflare's `mtls_auth.status` vocabulary (src/data-plane/pipeline/mtls-status.ts). */
export type MtlsStatusWire = 'ok' | 'absent' | 'untrusted' | 'notyetvalid' | 'expired' | 'revoked';

export interface MtlsStatusCountWire {
  hostname: string;
  /** null: records from before the status was recorded. */
  status: MtlsStatusWire | null;
  requests: number;
}

export interface AnalyticsPointWire {
  time: string;
  requests: number;
  errors: number;
}

export interface AnalyticsTimeseriesWire {
  since: string;
  until: string;
  interval: 'minute' | 'hour';
  points: AnalyticsPointWire[];
}

export interface ExpiringCertificateWire {
  kind: string;
  id: string;
  account_id: string;
  zone_id: string | null;
  name: string;
  issuer: string;
  serial_number: string;
  expires_on: string;
  days_remaining: number;
  expired: boolean;
}
