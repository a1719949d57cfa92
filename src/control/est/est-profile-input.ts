/**
 * Enrollment profile input (admin API and portcullis.yaml wire form, snake_case) to settings. Pure:
 * whether hostnames, policies and CAs exist is the service's check.
 */
import { GW_ERR_API_VALIDATION } from '../../errors/index.ts';
import { MAX_CLIENT_VALIDITY_DAYS } from '../../pki/client-certificate-issuer.ts';
import { EST_LABEL } from '../../est/est-path.ts';
import { commonNameRegExp } from '../../est/enrollment-rules.ts';
import {
  DEFAULT_EST_KEY_TYPES,
  EST_KEY_TYPES,
  type EstKeyType,
  type EstProfileSettings,
  type EstSubjectFields,
} from '../../model/est-records.ts';
import { isHostname } from '../../model/hostname.ts';

export interface EstProfileInput {
  label?: string;
  hostnames?: string[];
  validity_days?: number;
  key_types?: string[];
  subject?: {
    organization?: string;
    organizational_unit?: string;
    country?: string;
    state?: string;
    locality?: string;
  };
  common_name_pattern?: string;
  dns_name_templates?: string[];
  key_policy_ids?: string[] | null;
  tags?: string[];
  bootstrap_secrets?: boolean;
  bootstrap_ca_ids?: string[];
  manual_approval?: boolean;
  renewal_grace_seconds?: number;
  renew_before_days?: number;
}

export const DEFAULT_COMMON_NAME_PATTERN = '[A-Za-z0-9][A-Za-z0-9._:-]{0,63}';
export const DEFAULT_VALIDITY_DAYS = 90;
export const DEFAULT_RENEWAL_GRACE_SECONDS = 3600;
export const DEFAULT_RENEW_BEFORE_DAYS = 14;
const MAX_GRACE_SECONDS = 30 * 86_400;
const TAG = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const HEX_ID = /^[0-9a-f]{32}$/;

function invalid(message: string): never {
  throw GW_ERR_API_VALIDATION.create(message);
}

function wholeNumber(value: unknown, name: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    invalid(`${name} must be a whole number from ${min} to ${max}`);
  }
  return value;
}

function stringList(
  value: unknown,
  name: string,
  max: number,
  check: (item: string) => boolean,
  what: string,
): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.length > max) invalid(`${name} must be a list of at most ${max} ${what}`);
  for (const item of value)
    if (typeof item !== 'string' || !check(item)) invalid(`${name}: ${JSON.stringify(item)} is not ${what}`);
  return [...new Set(value as string[])];
}

export function checkTags(value: unknown, name = 'tags'): string[] {
  return stringList(value, name, 32, (tag) => TAG.test(tag), 'a tag (letters, digits, . _ : / -, at most 64)');
}

export function validateProfileInput(input: EstProfileInput): { label: string; settings: EstProfileSettings } {
  const label = input.label ?? '';
  if (typeof label !== 'string' || (label !== '' && !EST_LABEL.test(label))) {
    invalid('label must be empty or letters, digits, . _ - (at most 63)');
  }
  const hostnames = stringList(
    input.hostnames,
    'hostnames',
    50,
    (name) => isHostname(name, { underscore: true }),
    'a lowercase hostname',
  );
  if (hostnames.length === 0) invalid('hostnames must name at least one hostname of the zone');
  const keyTypes = (
    input.key_types === undefined
      ? [...DEFAULT_EST_KEY_TYPES]
      : stringList(
          input.key_types,
          'key_types',
          EST_KEY_TYPES.length,
          (type) => (EST_KEY_TYPES as readonly string[]).includes(type),
          `one of ${EST_KEY_TYPES.join(', ')}`,
        )
  ) as EstKeyType[];
  if (keyTypes.length === 0) invalid('key_types must allow at least one key type');
  const pattern = input.common_name_pattern ?? DEFAULT_COMMON_NAME_PATTERN;
  if (typeof pattern !== 'string' || pattern.length === 0 || pattern.length > 200)
    invalid('common_name_pattern must be 1 to 200 characters');
  try {
    commonNameRegExp(pattern);
  } catch {
    invalid('common_name_pattern is not a regular expression');
  }
  const dnsNameTemplates = stringList(
    input.dns_name_templates,
    'dns_name_templates',
    10,
    (template) => isHostname(template.replaceAll('{cn}', 'x'), { underscore: true }),
    'a DNS name where {cn} stands for the common name',
  );
  const keyPolicyIds =
    input.key_policy_ids === undefined || input.key_policy_ids === null
      ? null
      : stringList(input.key_policy_ids, 'key_policy_ids', 20, (id) => HEX_ID.test(id), 'a policy id');
  return {
    label,
    settings: {
      hostnames,
      validityDays: wholeNumber(
        input.validity_days,
        'validity_days',
        1,
        MAX_CLIENT_VALIDITY_DAYS,
        DEFAULT_VALIDITY_DAYS,
      ),
      keyTypes,
      subject: subjectOf(input.subject),
      commonNamePattern: pattern,
      dnsNameTemplates,
      keyPolicyIds,
      tags: checkTags(input.tags),
      bootstrapSecrets: booleanOf(input.bootstrap_secrets, 'bootstrap_secrets', true),
      bootstrapCaIds: stringList(
        input.bootstrap_ca_ids,
        'bootstrap_ca_ids',
        20,
        (id) => UUID.test(id),
        'an uploaded CA id',
      ),
      manualApproval: booleanOf(input.manual_approval, 'manual_approval', false),
      renewalGraceSeconds: wholeNumber(
        input.renewal_grace_seconds,
        'renewal_grace_seconds',
        0,
        MAX_GRACE_SECONDS,
        DEFAULT_RENEWAL_GRACE_SECONDS,
      ),
      renewBeforeDays: wholeNumber(input.renew_before_days, 'renew_before_days', 0, 3650, DEFAULT_RENEW_BEFORE_DAYS),
    },
  };
}

function booleanOf(value: unknown, name: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') invalid(`${name} must be true or false`);
  return value;
}

/** `raw`: the body as sent (the wire type is not checked before this). */
function subjectOf(raw: unknown): EstSubjectFields {
  if (raw === undefined) return {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) invalid('subject must be an object');
  const input = raw as Record<string, unknown>;
  const fields: EstSubjectFields = {};
  const names = [
    ['organization', 'organization', 64],
    ['organizational_unit', 'organizationalUnit', 64],
    ['country', 'country', 2],
    ['state', 'state', 128],
    ['locality', 'locality', 128],
  ] as const;
  for (const [wire, field, max] of names) {
    const value = input[wire];
    if (value === undefined) continue;
    // eslint-disable-next-line no-control-regex
    if (typeof value !== 'string' || value.length > max || /[\u0000-\u001f\u007f]/.test(value)) {
      invalid(`subject.${wire} must be text of at most ${max} printable characters`);
    }
    if (field === 'country' && !/^[A-Z]{2}$/.test(value)) invalid('subject.country must be two capital letters');
    fields[field] = value;
  }
  return fields;
}

/** The profile as the API shows it. */
export function profileWire(record: {
  id: string;
  label: string;
  settings: EstProfileSettings;
  createdOn: string;
  modifiedOn: string;
}): Record<string, unknown> {
  const { settings } = record;
  return {
    id: record.id,
    label: record.label,
    hostnames: settings.hostnames,
    validity_days: settings.validityDays,
    key_types: settings.keyTypes,
    subject: {
      ...(settings.subject.organization === undefined ? {} : { organization: settings.subject.organization }),
      ...(settings.subject.organizationalUnit === undefined
        ? {}
        : { organizational_unit: settings.subject.organizationalUnit }),
      ...(settings.subject.country === undefined ? {} : { country: settings.subject.country }),
      ...(settings.subject.state === undefined ? {} : { state: settings.subject.state }),
      ...(settings.subject.locality === undefined ? {} : { locality: settings.subject.locality }),
    },
    common_name_pattern: settings.commonNamePattern,
    dns_name_templates: settings.dnsNameTemplates,
    key_policy_ids: settings.keyPolicyIds,
    tags: settings.tags,
    bootstrap_secrets: settings.bootstrapSecrets,
    bootstrap_ca_ids: settings.bootstrapCaIds,
    manual_approval: settings.manualApproval,
    renewal_grace_seconds: settings.renewalGraceSeconds,
    renew_before_days: settings.renewBeforeDays,
    created_on: record.createdOn,
    modified_on: record.modifiedOn,
  };
}
