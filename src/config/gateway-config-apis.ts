/**
 * The `apis:` (per zone) and `policies:` (per account) parts of the config file, in the admin API's
 * wire format (snake_case); the control plane's validators check the values, with `whereOf`
 * telling the plan on which line each key was written.
 */
import type { YamlCursor } from './yaml-cursor.ts';
import { configInvalid, excerpt } from './yaml-cursor.ts';
import { listOf, located } from './yaml-items.ts';
import {
  ALLOWED_CERTIFICATE_KEYS,
  type DeclaredAccessRight,
  type DeclaredAllowedCertificate,
  type DeclaredApi,
  type DeclaredPolicy,
  type DeclaredZone,
} from './gateway-config-model.ts';

export function readApi(cursor: YamlCursor): DeclaredApi {
  const fields = cursor.fields([
    'name',
    'hostname',
    'listen_path',
    'upstream_url',
    'strip_listen_path',
    'upstream_timeout_ms',
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
      upstream_timeout_ms: fields.optional('upstream_timeout_ms')?.number(),
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

export function readPolicy(cursor: YamlCursor): DeclaredPolicy {
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
export function checkApiNames(policies: readonly DeclaredPolicy[], zones: readonly DeclaredZone[]): void {
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
