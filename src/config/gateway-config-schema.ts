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
 *   of one zone; a CA named `managed` (that word means the account's managed CA);
 * - an `mtls` entry whose `ca` is neither `managed` nor a CA of the same account.
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
  const fields = cursor.fields(['name', 'cas', 'zones']);
  const cas = listOf(fields.optional('cas'), readCa);
  unique(cas, (ca) => ca.name, 'CA name');
  const caNames = new Set(cas.map((ca) => ca.name));
  return {
    where: cursor.where,
    name: fields.required('name').string(),
    cas,
    zones: listOf(fields.optional('zones'), (zone) => readZone(zone, caNames)),
  };
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
  ]);
  const mtls = listOf(fields.optional('mtls'), (entry) => readAssociation(entry, caNames));
  unique(mtls, (entry) => entry.ca, 'an mtls entry for CA');
  const mtlsRule = fields.optional('mtls_rule');
  return {
    where: cursor.where,
    name: fields.required('name').string(),
    edgeCertificates: listOf(fields.optional('edge_certificates'), readEdgeCertificate),
    mtls,
    identityHeaders: readIdentityHeaders(fields.optional('identity_headers')),
    routes: listOf(fields.optional('routes'), readRoute),
    mtlsRule: mtlsRule === undefined ? undefined : readMtlsRule(mtlsRule),
    rules: listOf(fields.optional('rules'), readRule),
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
