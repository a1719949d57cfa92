/**
 * The typed model of the `serve --config` file (docs/reference/config-file.md), as
 * gateway-config-schema.ts reads it: every declared thing keeps `where` it was written (file, key
 * path, line) for the messages of later checks.
 */
import type { CaCompatibility } from '../model/records.ts';
import type { AllowedCertificateInput, DeclaredApiFields } from '../model/shapes/gateway-api-shape.ts';
import type { DeclaredPolicyFields, QuotaInput, RateLimitInput } from '../model/shapes/gateway-policy-shape.ts';
import type { RouteInput } from '../model/shapes/gateway-route-shape.ts';
import type { DeclaredRuleFields } from '../model/shapes/ruleset-shape.ts';
import type { IdentityFormat } from './identity-formats.ts';
import type { DeclaredPortalProduct } from './gateway-config-portal.ts';
import type { DeclaredEst } from './gateway-config-est.ts';
import type { DeclaredSanPolicy } from './gateway-config-san-policy.ts';

/** `ca:` value that names the account's managed CA instead of an uploaded one. */
export const MANAGED_CA = 'managed';
/** Actions of the API Shield mTLS rule. */
export const MTLS_RULE_ACTIONS = ['block', 'log'] as const;

/** A value with the place it was written, for messages of later checks. */
export interface Located<T> {
  readonly value: T;
  readonly where: string;
}

/** A file named in the configuration, as written (relative to the configuration file's directory). */
export type FileReference = Located<string>;

export interface DeclaredConfig {
  /** The configuration file, as messages name it. */
  readonly file: string;
  readonly accounts: readonly DeclaredAccount[];
}

export interface DeclaredAccount {
  readonly where: string;
  readonly name: string;
  readonly cas: readonly DeclaredCa[];
  readonly zones: readonly DeclaredZone[];
  /** Undefined when the key is left out: the account's policies are then not the file's business. */
  readonly policies: Located<readonly DeclaredPolicy[]> | undefined;
  /** The account's block list (every CA); undefined when left out: not the file's business. */
  readonly blockedCertificates?: Located<readonly DeclaredBlock[]> | undefined;
  /** Products of the developer portal, created or updated by name; undefined: not the file's business. */
  readonly portalProducts?: readonly DeclaredPortalProduct[] | undefined;
}

export interface DeclaredCa {
  readonly where: string;
  readonly name: string;
  readonly file: FileReference;
  /** How client chains ending at the CA are judged (docs/adr/0008); default `strict`. */
  readonly compatibility: Located<CaCompatibility>;
  /** Undefined when left out: the CA's revocation is then not the file's business. */
  readonly revocation?: DeclaredCaRevocation | undefined;
}

/** `cas[].revocation` (docs/adr/0014): settings in the admin API's wire form, a CRL file, a block list. */
export interface DeclaredCaRevocation {
  readonly where: string;
  /** The admin API's `PATCH …/revocation` body, over the defaults (a key left out: its default). */
  readonly settings: {
    on_unavailable?: string;
    crl_fetch?: { enabled: true; urls?: string[]; refresh_interval_seconds?: number; timeout_ms?: number };
    ocsp?: { enabled: true; timeout_ms?: number; nonce?: boolean; max_cache_seconds?: number };
    allow_private_addresses?: boolean;
  };
  /** A CRL file (PEM or DER) to put in force when it is newer than the one in force. */
  readonly crl: FileReference | undefined;
  /** The CA's whole block list. */
  readonly blocked: readonly DeclaredBlock[];
}

/** A block-list entry: exactly one of SHA-256, serial, or a certificate file (its SHA-256). */
export type DeclaredBlock =
  | { readonly where: string; readonly sha256: string; readonly description?: string | undefined }
  | { readonly where: string; readonly serial: string; readonly description?: string | undefined }
  | { readonly where: string; readonly file: FileReference; readonly description?: string | undefined };

export interface DeclaredEdgeCertificate {
  readonly where: string;
  readonly cert: FileReference;
  readonly key: FileReference;
}

export interface DeclaredAssociation {
  readonly where: string;
  /** `managed`, or the name of a CA of the account. */
  readonly ca: string;
  readonly hostnames: readonly Located<string>[];
}

export interface DeclaredRoute {
  readonly where: string;
  /** The admin API's body (`/zones/{zone_id}/gateway/routes`): the file writes a route with the same keys. */
  readonly input: RouteInput;
  /** Where each key of `input` was written. */
  readonly whereOf: Readonly<Record<string, string>>;
}

export interface DeclaredRule {
  readonly where: string;
  /**
   * The Rulesets API's rule without `id` and `logging` (model/shapes/ruleset-shape.ts); `ref` names the
   * rule across versions (default: derived from action, expression and parameters). The parameters
   * are passed on as written, for ruleset-input.ts to check with the pointer of each refused value.
   */
  readonly rule: Omit<DeclaredRuleFields, 'action_parameters'> & { action_parameters?: unknown };
  /** Where each key of `rule` was written. */
  readonly whereOf: Readonly<Record<string, string>>;
}

export interface DeclaredMtlsRule {
  readonly where: string;
  readonly hostnames: readonly Located<string>[];
  /** Default block. */
  readonly action?: (typeof MTLS_RULE_ACTIONS)[number] | undefined;
  /** Also refuse revoked certificates; default true. */
  readonly checkRevoked?: boolean | undefined;
}

/** Keys of an `allowed_certificates` entry: the API's wire form, or a certificate file. */
export const ALLOWED_CERTIFICATE_KEYS = ['mtls_certificate_id', 'client_certificate_id', 'sha256', 'file'] as const;

/** An allowlist entry in the API's wire form (exactly one key). */
export type AllowedCertificateFields = AllowedCertificateInput;

/** An allowlist entry as written; `where` is the line of its one key. The loader reads `file`. */
export type DeclaredAllowedCertificate =
  | { readonly where: string; readonly input: AllowedCertificateFields }
  | { readonly where: string; readonly file: FileReference };

export type RateLimitFields = RateLimitInput;
export type QuotaFields = QuotaInput;

export interface DeclaredApi {
  readonly where: string;
  /** The admin API's wire format (`/zones/{zone_id}/gateway/apis`), the allowlist apart (DeclaredApiFieldsSchema). */
  readonly input: DeclaredApiFields;
  /** `auth.allowed_certificates`, in file order. */
  readonly allowedCertificates: readonly DeclaredAllowedCertificate[];
  /** Where each key was written: `name`, `auth.mode`, `auth.allowed_certificates[0]`, `rate_limit.per`… */
  readonly whereOf: Readonly<Record<string, string>>;
}

export interface DeclaredAccessRight {
  readonly where: string;
  /** Exactly one of `api` (an API of the file, by name) and `apiId` (any API of the account). */
  readonly api: Located<string> | undefined;
  readonly apiId: Located<string> | undefined;
  readonly methods?: string[];
  readonly paths?: string[];
  /** Where each key was written. */
  readonly whereOf: Readonly<Record<string, string>>;
}

export interface DeclaredPolicy {
  readonly where: string;
  /** The admin API's wire format (`/accounts/{account_id}/gateway/policies`), access rights apart. */
  readonly input: DeclaredPolicyFields;
  readonly accessRights: readonly DeclaredAccessRight[];
  /** Where each key was written: `name`, `quota.max`, `access_rights[0].methods`… */
  readonly whereOf: Readonly<Record<string, string>>;
}

export interface DeclaredZone {
  readonly where: string;
  readonly name: string;
  /**
   * The operator lets the zone overlap zones of other accounts (docs/adr/0007-zone-ownership.md).
   * Undefined when left out: a new zone is then not delegated and a stored one keeps its setting.
   */
  readonly delegated: Located<boolean> | undefined;
  readonly edgeCertificates: readonly DeclaredEdgeCertificate[];
  readonly mtls: readonly DeclaredAssociation[];
  /** Undefined when the key is left out (the gateway's default applies). */
  readonly identityHeaders: Located<readonly IdentityFormat[]> | undefined;
  readonly routes: readonly DeclaredRoute[];
  readonly mtlsRule: DeclaredMtlsRule | undefined;
  readonly rules: readonly DeclaredRule[];
  readonly apis: readonly DeclaredApi[];
  /** Undefined when left out: the zone's EST profiles are then not the file's business. */
  readonly est: DeclaredEst | undefined;
  /** Undefined when left out: the zone's SAN policy is then not the file's business (the API's stays). */
  readonly sanPolicy: DeclaredSanPolicy | undefined;
}
