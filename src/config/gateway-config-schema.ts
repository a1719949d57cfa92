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
import { CA_COMPATIBILITIES, RULE_ACTIONS } from '../model/records.ts';
import { IDENTITY_FORMATS, type IdentityFormat } from './identity-formats.ts';
import { configInvalid, excerpt, YamlCursor } from './yaml-cursor.ts';
import { readEst } from './gateway-config-est.ts';
import { readSanPolicyOfZone } from './gateway-config-san-policy.ts';
import { listOf, located, unique } from './yaml-items.ts';
import { checkApiNames, readApi, readPolicy } from './gateway-config-apis.ts';
import { readBlock, readCaRevocation } from './gateway-config-revocation.ts';
import { readPortalProducts } from './gateway-config-portal.ts';
import {
  MANAGED_CA,
  MTLS_RULE_ACTIONS,
  type DeclaredAccount,
  type DeclaredAssociation,
  type DeclaredCa,
  type DeclaredConfig,
  type DeclaredEdgeCertificate,
  type DeclaredMtlsRule,
  type DeclaredPolicy,
  type DeclaredRoute,
  type DeclaredRule,
  type DeclaredZone,
  type Located,
} from './gateway-config-model.ts';
import { canonicalHostname } from '../model/hostname.ts';

export * from './gateway-config-model.ts';

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
    (zone) => canonicalHostname(zone.name),
    'zone',
  );
  return { file, accounts };
}

function readAccount(cursor: YamlCursor): DeclaredAccount {
  const fields = cursor.fields(['name', 'cas', 'zones', 'policies', 'blocked_certificates', 'portal_products']);
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
  const blocked = fields.optional('blocked_certificates');
  const portalProducts = fields.optional('portal_products');
  return {
    where: cursor.where,
    name: fields.required('name').string(),
    cas,
    zones,
    policies,
    blockedCertificates:
      blocked === undefined ? undefined : { value: blocked.items().map(readBlock), where: blocked.where },
    portalProducts: portalProducts === undefined ? undefined : readPortalProducts(portalProducts, zones),
  };
}

function readCa(cursor: YamlCursor): DeclaredCa {
  const fields = cursor.fields(['name', 'file', 'compatibility', 'revocation']);
  const name = fields.required('name');
  if (name.string() === MANAGED_CA)
    throw name.fail(`"${MANAGED_CA}" means the account's managed CA: pick another name`);
  const compatibility = fields.optional('compatibility');
  const revocation = fields.optional('revocation');
  return {
    where: cursor.where,
    name: name.string(),
    file: located(fields.required('file')),
    compatibility: {
      value: compatibility?.choice(CA_COMPATIBILITIES) ?? 'strict',
      where: compatibility?.where ?? cursor.where,
    },
    revocation: revocation === undefined ? undefined : readCaRevocation(revocation),
  };
}

function readZone(cursor: YamlCursor, caNames: ReadonlySet<string>): DeclaredZone {
  const fields = cursor.fields([
    'name',
    'delegated',
    'edge_certificates',
    'mtls',
    'identity_headers',
    'routes',
    'mtls_rule',
    'rules',
    'apis',
    'est',
    'san_policy',
  ]);
  const mtls = listOf(fields.optional('mtls'), (entry) => readAssociation(entry, caNames));
  unique(mtls, (entry) => entry.ca, 'an mtls entry for CA');
  const mtlsRule = fields.optional('mtls_rule');
  const apis = listOf(fields.optional('apis'), readApi);
  unique(apis, (api) => api.input.name.trim(), 'API name');
  const delegated = fields.optional('delegated');
  return {
    where: cursor.where,
    name: fields.required('name').string(),
    delegated: delegated === undefined ? undefined : { value: delegated.boolean(), where: delegated.where },
    edgeCertificates: listOf(fields.optional('edge_certificates'), readEdgeCertificate),
    mtls,
    identityHeaders: readIdentityHeaders(fields.optional('identity_headers')),
    routes: listOf(fields.optional('routes'), readRoute),
    mtlsRule: mtlsRule === undefined ? undefined : readMtlsRule(mtlsRule),
    rules: listOf(fields.optional('rules'), readRule),
    apis,
    est: readEst(fields.optional('est')),
    sanPolicy: readSanPolicyOfZone(fields.optional('san_policy')),
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
  const fields = cursor.fields([
    'hostname',
    'path_prefix',
    'upstream',
    'strip_prefix',
    'upstream_timeout_ms',
    'description',
  ]);
  return {
    where: cursor.where,
    input: {
      hostname: fields.required('hostname').string(),
      path_prefix: fields.optional('path_prefix')?.string(),
      upstream: fields.required('upstream').string(),
      strip_prefix: fields.optional('strip_prefix')?.boolean(),
      upstream_timeout_ms: fields.optional('upstream_timeout_ms')?.number(),
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
