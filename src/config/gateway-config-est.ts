/**
 * The `est:` part of a zone in the config file (docs/adr/0016): enrollment profiles in the admin
 * API's wire form (snake_case, checked by the control plane's validator), each with the bootstrap
 * secrets the file provisions. A secret is never written in the file itself: `secret_file` names a
 * file holding it, `secret_env` an environment variable of `serve` (load-est-secrets.ts reads them).
 */
import type { Located } from './gateway-config-model.ts';
import { configInvalid, excerpt, type YamlCursor } from './yaml-cursor.ts';
import { listOf, located, unique } from './yaml-items.ts';

export interface DeclaredEstSecret {
  readonly where: string;
  /** Its name; with the zone and the profile's label it makes the secret's id (the HTTP Basic user). */
  readonly name: string;
  readonly source: { readonly file: Located<string> } | { readonly env: Located<string> };
  /** Devices it may enroll; default 1. */
  readonly maxUses: Located<number> | undefined;
  /** RFC 3339; default: 7 days after the secret is first applied. */
  readonly expiresOn: Located<string> | undefined;
}

export interface DeclaredEstProfile {
  readonly where: string;
  readonly label: string;
  /** The profile in the API's wire form (without `secrets`). */
  readonly input: Record<string, unknown>;
  /** Where each key of `input` was written. */
  readonly whereOf: Readonly<Record<string, string>>;
  /** Undefined when left out: the profile's secrets are then not the file's business. */
  readonly secrets: { readonly value: readonly DeclaredEstSecret[]; readonly where: string } | undefined;
}

export interface DeclaredEst {
  readonly where: string;
  readonly profiles: readonly DeclaredEstProfile[];
}

const PROFILE_KEYS = [
  'label',
  'hostnames',
  'validity_days',
  'key_types',
  'subject',
  'common_name_pattern',
  'dns_name_templates',
  'key_policy_ids',
  'tags',
  'bootstrap_secrets',
  'bootstrap_ca_ids',
  'manual_approval',
  'renewal_grace_seconds',
  'renew_before_days',
];

export function readEst(cursor: YamlCursor | undefined): DeclaredEst | undefined {
  if (cursor === undefined) return undefined;
  const fields = cursor.fields(['profiles']);
  const profiles = listOf(fields.optional('profiles'), readProfile);
  unique(profiles, (profile) => profile.label, 'an EST profile with label');
  return { where: cursor.where, profiles };
}

function readProfile(cursor: YamlCursor): DeclaredEstProfile {
  const fields = cursor.fields([...PROFILE_KEYS, 'secrets']);
  const input: Record<string, unknown> = {};
  for (const key of PROFILE_KEYS) {
    const value = fields.optional(key);
    if (value !== undefined) input[key] = value.json();
  }
  const label = input.label ?? '';
  if (typeof label !== 'string') throw configInvalid(fields.required('label').where, 'must be a string');
  const secretsCursor = fields.optional('secrets');
  const secrets = listOf(secretsCursor, readSecret);
  unique(secrets, (secret) => secret.name, 'a bootstrap secret named');
  const { secrets: secretsWhere, ...whereOf } = fields.locations();
  return {
    where: cursor.where,
    label,
    input,
    whereOf,
    secrets: secretsCursor === undefined ? undefined : { value: secrets, where: secretsWhere ?? cursor.where },
  };
}

function readSecret(cursor: YamlCursor): DeclaredEstSecret {
  const fields = cursor.fields(['name', 'secret_file', 'secret_env', 'max_uses', 'expires_on']);
  const file = fields.optional('secret_file');
  const env = fields.optional('secret_env');
  if ((file === undefined) === (env === undefined)) {
    throw cursor.fail('must have exactly one of secret_file, secret_env (the secret itself never goes in this file)');
  }
  const name = fields.required('name').string();
  if (name.length > 200) throw cursor.fail(`name ${excerpt(name)} is longer than 200 characters`);
  const maxUses = fields.optional('max_uses');
  const expiresOn = fields.optional('expires_on');
  return {
    where: cursor.where,
    name,
    source: file !== undefined ? { file: located(file) } : { env: located(env as YamlCursor) },
    maxUses: maxUses === undefined ? undefined : { value: maxUses.number(), where: maxUses.where },
    expiresOn: expiresOn === undefined ? undefined : located(expiresOn),
  };
}
