/**
 * The shape of the `serve --config` file (docs/reference/config-file.md), read from YAML text into a
 * typed model. Pure: no file is opened here (load-gateway-config.ts reads the certificate files it
 * names), and nothing that needs the store is decided here (the control plane's config plan checks
 * hostnames against zones, routes and rules). What is refused here, with file, key path and line:
 *
 * - YAML that does not parse (duplicate keys, bad indentation, several documents);
 * - a key this format does not have, at any level (a typo must never be silently ignored);
 * - a value of the wrong type (`strip_prefix: "no"`, `hostnames: api.example.com` instead of a list);
 * - names used twice: accounts, zones (across the file), CAs of an account, a CA in two `mtls` entries
 *   of one zone, APIs of a zone, policies of an account; a CA named `managed` (that word means the
 *   account's managed CA);
 * - an `mtls` entry whose `ca` is neither `managed` nor a CA of the same account;
 * - an access right whose `api` names no API of the account's zones in the file, or APIs of two of
 *   them (`api_id` is for APIs the file does not declare).
 *
 * APIs and policies keep the admin API's wire format (snake_case); their values are checked by the
 * control plane's validators (api-definition-input.ts, gateway-policy-input.ts), with `whereOf`
 * telling the plan on which line each key was written.
 */
import { LineCounter, parseDocument } from 'yaml';
import { RULE_ACTIONS, type RuleAction } from '../store/records.ts';
import { IDENTITY_FORMATS, type IdentityFormat } from './identity-formats.ts';
import { configInvalid, excerpt, YamlCursor } from './yaml-cursor.ts';

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
}

export interface DeclaredCa {
  readonly where: string;
  readonly name: string;
  readonly file: FileReference;
}

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
  readonly input: {
    hostname: string;
    path_prefix?: string;
    upstream: string;
    strip_prefix?: boolean;
    description?: string;
  };
  /** Where each key of `input` was written. */
  readonly whereOf: Readonly<Record<string, string>>;
}

export interface DeclaredRule {
  readonly where: string;
  readonly rule: {
    /** Names the rule across versions; default: derived from action, expression and parameters. */
    ref?: string;
    expression: string;
    action: RuleAction;
    description?: string;
    enabled?: boolean;
    action_parameters?: unknown;
  };
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
export interface AllowedCertificateFields {
  mtls_certificate_id?: string;
  client_certificate_id?: string;
  sha256?: string;
}

/** An allowlist entry as written; `where` is the line of its one key. The loader reads `file`. */
export type DeclaredAllowedCertificate =
  | { readonly where: string; readonly input: AllowedCertificateFields }
  | { readonly where: string; readonly file: FileReference };

export interface RateLimitFields {
  rate: number;
  per: number;
}

export interface QuotaFields {
  max: number;
  renewal_rate: number;
}

export interface DeclaredApi {
  readonly where: string;
  /** The admin API's wire format (`/zones/{zone_id}/gateway/apis`), the allowlist apart. */
  readonly input: {
    name: string;
    hostname: string;
    listen_path?: string;
    upstream_url: string;
    strip_listen_path?: boolean;
    protocol?: string;
    active?: boolean;
    auth: { mode: string; token_required?: boolean };
    rate_limit?: RateLimitFields;
  };
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
  readonly input: { name: string; rate_limit?: RateLimitFields; quota?: QuotaFields; active?: boolean };
  readonly accessRights: readonly DeclaredAccessRight[];
  /** Where each key was written: `name`, `quota.max`, `access_rights[0].methods`… */
  readonly whereOf: Readonly<Record<string, string>>;
}

export interface DeclaredZone {
  readonly where: string;
  readonly name: string;
  readonly edgeCertificates: readonly DeclaredEdgeCertificate[];
  readonly mtls: readonly DeclaredAssociation[];
  /** Undefined when the key is left out (the gateway's default applies). */
  readonly identityHeaders: Located<readonly IdentityFormat[]> | undefined;
  readonly routes: readonly DeclaredRoute[];
  readonly mtlsRule: DeclaredMtlsRule | undefined;
  readonly rules: readonly DeclaredRule[];
  readonly apis: readonly DeclaredApi[];
}

/** Parses and checks the configuration text. Throws GW_ERR_CONFIG_INVALID naming file, key and line. */
export function readGatewayConfig(text: string, file: string): DeclaredConfig {
  const lines = new LineCounter();
  const document = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const [error] = document.errors;
  if (error !== undefined) {
    // The parser's message, without the excerpt of the source prettyErrors would add.
    const { line, col } = lines.linePos(error.pos[0]);
    throw configInvalid(`${file} (line ${line}, column ${col})`, `not valid YAML: ${error.message}`);
  }
  const root = new YamlCursor(document.contents, { file, lines });
  if (root.isNull) return { file, accounts: [] };
  const fields = root.fields(['accounts']);
  const accounts = listOf(fields.optional('accounts'), readAccount);
  unique(accounts, (account) => account.name, 'account name');
  unique(
    accounts.flatMap((account) => account.zones),
    (zone) => zone.name.toLowerCase().replace(/\.$/, ''),
    'zone',
  );
  return { file, accounts };
}

function listOf<T>(cursor: YamlCursor | undefined, read: (item: YamlCursor) => T): T[] {
  return cursor === undefined ? [] : cursor.items().map(read);
}

function located(cursor: YamlCursor): Located<string> {
  return { value: cursor.string(), where: cursor.where };
}

/** Refuses the second item whose key equals an earlier one's. */
function unique<T extends { where: string }>(items: readonly T[], key: (item: T) => string, what: string): void {
  const seen = new Map<string, T>();
  for (const item of items) {
    const first = seen.get(key(item));
    if (first !== undefined) {
      throw configInvalid(item.where, `${what} ${excerpt(key(item))} is already declared at ${first.where}`);
    }
    seen.set(key(item), item);
  }
}

function readAccount(cursor: YamlCursor): DeclaredAccount {
  const fields = cursor.fields(['name', 'cas', 'zones', 'policies']);
  const cas = listOf(fields.optional('cas'), readCa);
  unique(cas, (ca) => ca.name, 'CA name');
  const caNames = new Set(cas.map((ca) => ca.name));
  const zones = listOf(fields.optional('zones'), (zone) => readZone(zone, caNames));
  const policiesCursor = fields.optional('policies');
  let policies: Located<DeclaredPolicy[]> | undefined;
  if (policiesCursor !== undefined) {
    policies = { value: policiesCursor.items().map(readPolicy), where: policiesCursor.where };
    unique(policies.value, (policy) => policy.input.name.trim(), 'policy name');
    checkApiNames(policies.value, zones);
  }
  return { where: cursor.where, name: fields.required('name').string(), cas, zones, policies };
}

function readCa(cursor: YamlCursor): DeclaredCa {
  const fields = cursor.fields(['name', 'file']);
  const name = fields.required('name');
  if (name.string() === MANAGED_CA)
    throw name.fail(`"${MANAGED_CA}" means the account's managed CA: pick another name`);
  return { where: cursor.where, name: name.string(), file: located(fields.required('file')) };
}

function readZone(cursor: YamlCursor, caNames: ReadonlySet<string>): DeclaredZone {
  const fields = cursor.fields([
    'name',
    'edge_certificates',
    'mtls',
    'identity_headers',
    'routes',
    'mtls_rule',
    'rules',
    'apis',
  ]);
  const mtls = listOf(fields.optional('mtls'), (entry) => readAssociation(entry, caNames));
  unique(mtls, (entry) => entry.ca, 'an mtls entry for CA');
  const mtlsRule = fields.optional('mtls_rule');
  const apis = listOf(fields.optional('apis'), readApi);
  unique(apis, (api) => api.input.name.trim(), 'API name');
  return {
    where: cursor.where,
    name: fields.required('name').string(),
    edgeCertificates: listOf(fields.optional('edge_certificates'), readEdgeCertificate),
    mtls,
    identityHeaders: readIdentityHeaders(fields.optional('identity_headers')),
    routes: listOf(fields.optional('routes'), readRoute),
    mtlsRule: mtlsRule === undefined ? undefined : readMtlsRule(mtlsRule),
    rules: listOf(fields.optional('rules'), readRule),
    apis,
  };
}

function readEdgeCertificate(cursor: YamlCursor): DeclaredEdgeCertificate {
  const fields = cursor.fields(['cert', 'key']);
  return { where: cursor.where, cert: located(fields.required('cert')), key: located(fields.required('key')) };
}

function readAssociation(cursor: YamlCursor, caNames: ReadonlySet<string>): DeclaredAssociation {
  const fields = cursor.fields(['ca', 'hostnames']);
  const ca = fields.required('ca');
  if (ca.string() !== MANAGED_CA && !caNames.has(ca.string())) {
    const known = [MANAGED_CA, ...caNames].join(', ');
    throw ca.fail(`no CA named ${excerpt(ca.string())} in this account's cas (known: ${known})`);
  }
  return { where: cursor.where, ca: ca.string(), hostnames: fields.required('hostnames').items().map(located) };
}

function readIdentityHeaders(cursor: YamlCursor | undefined): Located<IdentityFormat[]> | undefined {
  if (cursor === undefined) return undefined;
  const formats = cursor.items().map((item) => ({ where: item.where, format: item.choice(IDENTITY_FORMATS) }));
  unique(formats, (item) => item.format, 'identity header format');
  return { value: formats.map((item) => item.format), where: cursor.where };
}

function readRoute(cursor: YamlCursor): DeclaredRoute {
  const fields = cursor.fields(['hostname', 'path_prefix', 'upstream', 'strip_prefix', 'description']);
  return {
    where: cursor.where,
    input: {
      hostname: fields.required('hostname').string(),
      path_prefix: fields.optional('path_prefix')?.string(),
      upstream: fields.required('upstream').string(),
      strip_prefix: fields.optional('strip_prefix')?.boolean(),
      description: fields.optional('description')?.string(),
    },
    whereOf: fields.locations(),
  };
}

function readRule(cursor: YamlCursor): DeclaredRule {
  const fields = cursor.fields(['ref', 'expression', 'action', 'action_parameters', 'description', 'enabled']);
  return {
    where: cursor.where,
    rule: {
      ref: fields.optional('ref')?.string(),
      expression: fields.required('expression').string(),
      action: fields.required('action').choice(RULE_ACTIONS),
      action_parameters: fields.optional('action_parameters')?.json(),
      description: fields.optional('description')?.string(),
      enabled: fields.optional('enabled')?.boolean(),
    },
    whereOf: fields.locations(),
  };
}

/** `mtls_rule: [host, ...]` is short for `mtls_rule: { hostnames: [host, ...] }`. */
function readMtlsRule(cursor: YamlCursor): DeclaredMtlsRule {
  if (cursor.isList) return { where: cursor.where, hostnames: cursor.items().map(located) };
  const fields = cursor.fields(['hostnames', 'action', 'check_revoked']);
  return {
    where: cursor.where,
    hostnames: fields.required('hostnames').items().map(located),
    action: fields.optional('action')?.choice(MTLS_RULE_ACTIONS),
    checkRevoked: fields.optional('check_revoked')?.boolean(),
  };
}

function readApi(cursor: YamlCursor): DeclaredApi {
  const fields = cursor.fields([
    'name',
    'hostname',
    'listen_path',
    'upstream_url',
    'strip_listen_path',
    'protocol',
    'active',
    'auth',
    'rate_limit',
  ]);
  const auth = fields.required('auth').fields(['mode', 'token_required', 'allowed_certificates']);
  const rateLimit = fields.optional('rate_limit')?.fields(['rate', 'per']);
  const allowed = listOf(auth.optional('allowed_certificates'), readAllowedCertificate);
  return {
    where: cursor.where,
    input: {
      name: fields.required('name').string(),
      hostname: fields.required('hostname').string(),
      listen_path: fields.optional('listen_path')?.string(),
      upstream_url: fields.required('upstream_url').string(),
      strip_listen_path: fields.optional('strip_listen_path')?.boolean(),
      protocol: fields.optional('protocol')?.string(),
      active: fields.optional('active')?.boolean(),
      auth: { mode: auth.required('mode').string(), token_required: auth.optional('token_required')?.boolean() },
      rate_limit: rateLimit && { rate: number(rateLimit.required('rate')), per: number(rateLimit.required('per')) },
    },
    allowedCertificates: allowed,
    whereOf: {
      ...fields.locations(),
      ...prefixed('auth.', auth.locations()),
      ...prefixed('rate_limit.', rateLimit?.locations() ?? {}),
      ...Object.fromEntries(allowed.map((entry, index) => [`auth.allowed_certificates[${index}]`, entry.where])),
    },
  };
}

/** One of the wire form's keys, or `file:` (a PEM leaf the loader turns into its SHA-256). */
function readAllowedCertificate(cursor: YamlCursor): DeclaredAllowedCertificate {
  const fields = cursor.fields(ALLOWED_CERTIFICATE_KEYS);
  const given = ALLOWED_CERTIFICATE_KEYS.filter((key) => fields.optional(key) !== undefined);
  const [key] = given;
  if (key === undefined || given.length !== 1) {
    throw cursor.fail(`must have exactly one of ${ALLOWED_CERTIFICATE_KEYS.join(', ')}`);
  }
  const value = fields.required(key);
  const where = value.where;
  switch (key) {
    case 'file':
      return { where, file: located(value) };
    case 'mtls_certificate_id':
      return { where, input: { mtls_certificate_id: value.string() } };
    case 'client_certificate_id':
      return { where, input: { client_certificate_id: value.string() } };
    case 'sha256':
      return { where, input: { sha256: value.string() } };
  }
}

function readPolicy(cursor: YamlCursor): DeclaredPolicy {
  const fields = cursor.fields(['name', 'access_rights', 'rate_limit', 'quota', 'active']);
  const rateLimit = fields.optional('rate_limit')?.fields(['rate', 'per']);
  const quota = fields.optional('quota')?.fields(['max', 'renewal_rate']);
  const accessRights = (fields.optional('access_rights')?.items() ?? []).map(readAccessRight);
  return {
    where: cursor.where,
    input: {
      name: fields.required('name').string(),
      rate_limit: rateLimit && { rate: number(rateLimit.required('rate')), per: number(rateLimit.required('per')) },
      quota: quota && { max: number(quota.required('max')), renewal_rate: number(quota.required('renewal_rate')) },
      active: fields.optional('active')?.boolean(),
    },
    accessRights,
    whereOf: {
      ...fields.locations(),
      ...prefixed('rate_limit.', rateLimit?.locations() ?? {}),
      ...prefixed('quota.', quota?.locations() ?? {}),
      ...Object.fromEntries(accessRights.map((right, index) => [`access_rights[${index}]`, right.where])),
      ...Object.fromEntries(
        accessRights.flatMap((right, index) => Object.entries(prefixed(`access_rights[${index}].`, right.whereOf))),
      ),
    },
  };
}

function readAccessRight(cursor: YamlCursor): DeclaredAccessRight {
  const fields = cursor.fields(['api', 'api_id', 'methods', 'paths']);
  const api = fields.optional('api');
  const apiId = fields.optional('api_id');
  if ((api === undefined) === (apiId === undefined)) {
    throw cursor.fail('must have exactly one of api (the name of an API of this file) and api_id');
  }
  return {
    where: cursor.where,
    api: api && located(api),
    apiId: apiId && located(apiId),
    methods: fields.optional('methods')?.strings(),
    paths: fields.optional('paths')?.strings(),
    whereOf: fields.locations(),
  };
}

/** `api:` names an API declared in exactly one zone of the same account. */
function checkApiNames(policies: readonly DeclaredPolicy[], zones: readonly DeclaredZone[]): void {
  const zonesOf = new Map<string, string[]>();
  for (const zone of zones) {
    for (const name of zone.apis.map((api) => api.input.name.trim())) {
      zonesOf.set(name, [...(zonesOf.get(name) ?? []), zone.name]);
    }
  }
  for (const right of policies.flatMap((policy) => policy.accessRights)) {
    if (right.api === undefined) continue;
    const found = zonesOf.get(right.api.value.trim()) ?? [];
    if (found.length === 0) {
      const known = [...zonesOf.keys()].map(excerpt).join(', ') || 'none';
      throw configInvalid(
        right.api.where,
        `no API named ${excerpt(right.api.value)} in this account's zones (known: ${known}); use api_id for an API the file does not declare`,
      );
    }
    if (found.length > 1) {
      throw configInvalid(
        right.api.where,
        `APIs named ${excerpt(right.api.value)} are declared in zones ${found.join(', ')}: give them different names`,
      );
    }
  }
}

/** A number (YAML `10`, not `"10"`); its range is the control plane's check. */
function number(cursor: YamlCursor): number {
  const value = cursor.json();
  if (typeof value !== 'number') throw cursor.fail('must be a number');
  return value;
}

function prefixed(prefix: string, locations: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(locations).map(([key, where]) => [`${prefix}${key}`, where]));
}
