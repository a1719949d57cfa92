/**
 * A gateway key as a client writes it, checked and normalised into what the store keeps, and the
 * certificate binding computed from a certificate's DER. Pure: no store; the clock comes in as
 * `now`. Whether policies, APIs and referenced certificates exist is the service's check.
 *
 * A key is found by a certificate binding, a token secret, or both (never by its id, which is random
 * and never derived from certificate data: Tyk's dynamic-mTLS key id was a function of the public
 * certificate, so anyone holding the certificate could compute the key — docs/adr/0003-gateway-pipeline-decisions.md, "Keys").
 *
 *   certificate   exactly one of { mtls_certificate_id } (a leaf uploaded to the account),
 *                 { client_certificate_id } (issued in a zone of the account), { pem } (one
 *                 certificate) or { sha256 } (the leaf's fingerprint; bind_to leaf only)
 *   bind_to       leaf (default): SHA-256 of the certificate's DER, this certificate only;
 *                 spki: SHA-256 of its SubjectPublicKeyInfo DER, so a renewal with the same key
 *                 pair keeps the key
 *   token         true: a secret `pk_` + base64url(32 random bytes) is made, shown once, and only
 *                 its SHA-256 (hex, of the whole string with its prefix) is stored
 *   policy_ids    at most 100 policies of the account; access_rights, rate_limit, quota as for
 *                 policies (gateway-policy-input.ts). A key takes these from its policies when it
 *                 has any (policy/effective-limits.ts), so it may not have both
 *   expires_on    RFC 3339 date-time in the future, or null (never)
 *   metadata      at most 50 entries; names 1..64 characters, values strings of at most 1024
 *
 * Edits (PUT and PATCH) change everything but the binding and the secret: rotating either means
 * deleting the key and creating another, so an id never silently changes what it authenticates.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { GW_ERR_API_VALIDATION, GW_ERR_CERT_UPLOAD_INVALID } from '../../errors/index.ts';
import { readPemBlocksOf } from '../../pki/pem.ts';
import type { AccessRight, CertificateBinding, GatewayKeyRecord, Quota, RateLimit } from '../../model/records.ts';
import { normaliseSha256Fingerprint } from './api-definition-input.ts';
import {
  accessRightsInputOf,
  checkBoolean,
  checkName,
  quotaInputOf,
  validateAccessRights,
  validateQuota,
  validateRateLimit,
} from './gateway-policy-input.ts';
import {
  MAX_PEM_LENGTH,
  MAX_POLICIES_PER_KEY,
  type KeyCertificateInput,
  type KeyCreateInput,
  type KeySettingsInput,
} from '../../model/shapes/gateway-key-shape.ts';

export type { KeyCertificateInput, KeyCreateInput, KeySettingsInput };
export { MAX_PEM_LENGTH, MAX_POLICIES_PER_KEY };

export type CertificateSource =
  | { kind: 'mtls_certificate'; id: string }
  | { kind: 'client_certificate'; id: string }
  | { kind: 'pem'; pem: string }
  | { kind: 'sha256'; value: string };

export const BIND_TO = ['leaf', 'spki'] as const;
export type BindTo = (typeof BIND_TO)[number];

export interface KeySettings {
  alias: string;
  policyIds: string[];
  accessRights: AccessRight[];
  rateLimit: RateLimit | null;
  quota: Quota | null;
  expiresOn: string | null;
  metadata: Record<string, string>;
  active: boolean;
}

export interface ValidKeyCreate {
  settings: KeySettings;
  certificate: CertificateSource | null;
  bindTo: BindTo;
  token: boolean;
}

export const SECRET_PREFIX = 'pk_';
export const MAX_METADATA_ENTRIES = 50;
export const MAX_METADATA_NAME_LENGTH = 64;
export const MAX_METADATA_VALUE_LENGTH = 1024;

const HEX_ID = /^[0-9a-f]{32}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** RFC 3339 §5.6 date-time with a time zone (Z or ±hh:mm). */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/i;
const IMMUTABLE = ['certificate', 'bind_to', 'token', 'secret', 'certificate_binding'] as const;

export function validateKeyCreate(input: KeyCreateInput, now: Date): ValidKeyCreate {
  const certificate = input.certificate === undefined ? null : validateCertificateSource(input.certificate);
  const bindTo = input.bind_to ?? 'leaf';
  if (!(BIND_TO as readonly unknown[]).includes(bindTo)) {
    throw GW_ERR_API_VALIDATION.create(`bind_to must be one of ${BIND_TO.join(', ')}`);
  }
  if (input.bind_to !== undefined && certificate === null) {
    throw GW_ERR_API_VALIDATION.create('bind_to needs a certificate');
  }
  if (certificate?.kind === 'sha256' && bindTo === 'spki') {
    throw GW_ERR_API_VALIDATION.create(
      'certificate.sha256 is the fingerprint of one certificate and says nothing of its public key: bind_to spki needs the certificate itself (pem, mtls_certificate_id or client_certificate_id)',
    );
  }
  const token = checkBoolean(input.token ?? false, 'token');
  if (certificate === null && !token) {
    throw GW_ERR_API_VALIDATION.create('a key needs a certificate, a token (token: true), or both');
  }
  return { settings: settingsOf(input, now, undefined), certificate, bindTo: bindTo as BindTo, token };
}

/**
 * The changeable settings. Omitted fields take their defaults (PUT; PATCH merges into the stored
 * key first). `expires_on` must be in the future unless it is `storedExpiry`, the value the key
 * already has: an expired key can still be edited without moving its expiry.
 */
export function validateKeySettings(input: KeySettingsInput, now: Date, storedExpiry?: string | null): KeySettings {
  refuseImmutable(input);
  return settingsOf(input, now, storedExpiry);
}

function settingsOf(input: KeySettingsInput, now: Date, storedExpiry: string | null | undefined): KeySettings {
  const settings: KeySettings = {
    alias: checkName(input.alias ?? '', 'alias', 0),
    policyIds: checkPolicyIds(input.policy_ids ?? []),
    accessRights: validateAccessRights(input.access_rights ?? [], 'access_rights'),
    rateLimit: validateRateLimit(input.rate_limit ?? null, 'rate_limit'),
    quota: validateQuota(input.quota ?? null, 'quota'),
    expiresOn: checkExpiry(input.expires_on ?? null, now, storedExpiry),
    metadata: checkMetadata(input.metadata ?? {}),
    active: checkBoolean(input.active ?? true, 'active'),
  };
  const own = settings.accessRights.length > 0 || settings.rateLimit !== null || settings.quota !== null;
  if (settings.policyIds.length > 0 && own) {
    // policy/effective-limits.ts: with policies, the key's own rights and limits are ignored. Storing
    // them would show a limit that is not enforced, so the combination is refused.
    throw GW_ERR_API_VALIDATION.create(
      'a key with policy_ids takes its access rights, rate limit and quota from its policies: leave out access_rights, rate_limit and quota (or set them to [] and null), or remove policy_ids',
    );
  }
  return settings;
}

/** The input form of a stored key's settings (PATCH merges a body into it). */
export function keySettingsInputOf(key: GatewayKeyRecord): KeySettingsInput {
  return {
    alias: key.alias,
    policy_ids: key.policyIds,
    access_rights: accessRightsInputOf(key.accessRights),
    rate_limit: key.rateLimit,
    quota: quotaInputOf(key.quota),
    expires_on: key.expiresOn,
    metadata: key.metadata,
    active: key.active,
  };
}

function refuseImmutable(input: object): void {
  const given = IMMUTABLE.filter((field) => (input as Record<string, unknown>)[field] !== undefined);
  if (given.length > 0) {
    throw GW_ERR_API_VALIDATION.create(
      `${given.join(', ')} cannot change: a key's certificate binding and secret are fixed; to rotate them, delete the key and create a new one`,
    );
  }
}

export function validateCertificateSource(input: unknown): CertificateSource {
  const entry = (typeof input === 'object' && input !== null && !Array.isArray(input) ? input : {}) as Record<
    string,
    unknown
  >;
  const given = (['mtls_certificate_id', 'client_certificate_id', 'pem', 'sha256'] as const).filter(
    (name) => entry[name] !== undefined,
  );
  const [name] = given;
  if (name === undefined || given.length !== 1) {
    throw GW_ERR_API_VALIDATION.create(
      'certificate must have exactly one of mtls_certificate_id, client_certificate_id, pem or sha256',
    );
  }
  const value = entry[name];
  switch (name) {
    case 'sha256':
      return { kind: 'sha256', value: normaliseSha256Fingerprint(value, 'certificate.sha256') };
    case 'pem':
      if (typeof value !== 'string' || value.length > MAX_PEM_LENGTH) {
        throw GW_ERR_API_VALIDATION.create(`certificate.pem must be a string of at most ${MAX_PEM_LENGTH} characters`);
      }
      return { kind: 'pem', pem: value };
    default: {
      const id = typeof value === 'string' ? value.toLowerCase() : '';
      if (!UUID.test(id)) throw GW_ERR_API_VALIDATION.create(`certificate.${name} must be a certificate id (a UUID)`);
      return name === 'mtls_certificate_id' ? { kind: 'mtls_certificate', id } : { kind: 'client_certificate', id };
    }
  }
}

/** The DER of the one certificate in `pem` (a PEM bundle of several is refused: send the leaf). */
export function leafDerOf(pem: string, field: string): Buffer {
  let blocks: Buffer[];
  try {
    blocks = readPemBlocksOf(pem, 'CERTIFICATE');
  } catch (error) {
    throw GW_ERR_CERT_UPLOAD_INVALID.create(`${field}: ${(error as Error).message}`);
  }
  const [der] = blocks;
  if (der === undefined || blocks.length !== 1) {
    throw GW_ERR_API_VALIDATION.create(
      `${field} must hold exactly one certificate (the client's leaf), not ${blocks.length}`,
    );
  }
  return der;
}

/** The first certificate of a stored PEM bundle (an uploaded leaf may carry its chain after it). */
export function firstDerOf(pem: string, field: string): Buffer {
  const [first] = readPemBlocksOf(pem, 'CERTIFICATE');
  if (first === undefined) throw new Error(`${field} holds no certificate`);
  return first;
}

/** Both fingerprints of a certificate: of its DER, and of its SubjectPublicKeyInfo DER. */
export function fingerprintsOf(
  der: Buffer,
  field: string,
): { leaf: string; spki: string; certificate: X509Certificate } {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(der);
  } catch {
    throw GW_ERR_CERT_UPLOAD_INVALID.create(`${field} is not a parsable X.509 certificate`);
  }
  const spki = certificate.publicKey.export({ type: 'spki', format: 'der' });
  return {
    leaf: createHash('sha256').update(certificate.raw).digest('hex'),
    spki: createHash('sha256').update(spki).digest('hex'),
    certificate,
  };
}

/**
 * The binding of a key to a certificate. A CA certificate is refused (clients present leaves; a
 * key "bound" to a CA would be bound to nothing), and so is binding the exact DER of a certificate
 * that has expired (no request could ever use it; bind_to spki follows its renewals instead).
 */
export function bindingOf(der: Buffer, bindTo: BindTo, now: Date, field: string): CertificateBinding {
  const { leaf, spki, certificate } = fingerprintsOf(der, field);
  if (certificate.ca) {
    throw GW_ERR_API_VALIDATION.create(`${field} is a CA certificate; a key is bound to a client's leaf certificate`);
  }
  if (bindTo === 'leaf' && Date.parse(certificate.validTo) < now.getTime()) {
    throw GW_ERR_API_VALIDATION.create(
      `${field} expired on ${new Date(certificate.validTo).toISOString()}; a key bound to it could never be used (bind_to spki follows renewals with the same key pair)`,
    );
  }
  return bindTo === 'leaf' ? { kind: 'leaf_sha256', value: leaf } : { kind: 'spki_sha256', value: spki };
}

/** What is stored of a token secret: lowercase hex SHA-256 of the whole string, prefix included. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

function checkPolicyIds(input: unknown): string[] {
  if (!Array.isArray(input)) throw GW_ERR_API_VALIDATION.create('policy_ids must be an array');
  const ids = new Set<string>();
  for (const id of input as unknown[]) {
    if (typeof id !== 'string' || !HEX_ID.test(id)) {
      throw GW_ERR_API_VALIDATION.create('policy_ids must hold policy ids (32 lowercase hex characters)');
    }
    ids.add(id);
  }
  if (ids.size > MAX_POLICIES_PER_KEY) {
    throw GW_ERR_API_VALIDATION.create(`policy_ids has more than ${MAX_POLICIES_PER_KEY} policies`);
  }
  return [...ids];
}

function checkExpiry(input: unknown, now: Date, storedExpiry: string | null | undefined): string | null {
  if (input === null) return null;
  if (typeof input !== 'string' || !DATE_TIME.test(input) || Number.isNaN(Date.parse(input))) {
    throw GW_ERR_API_VALIDATION.create('expires_on must be an RFC 3339 date-time with a time zone, or null');
  }
  const normal = new Date(Date.parse(input)).toISOString();
  if (normal === storedExpiry) return normal;
  if (Date.parse(input) <= now.getTime()) throw GW_ERR_API_VALIDATION.create('expires_on must be in the future');
  return normal;
}

function checkMetadata(input: unknown): Record<string, string> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw GW_ERR_API_VALIDATION.create('metadata must be an object of strings');
  }
  const entries = Object.entries(input);
  if (entries.length > MAX_METADATA_ENTRIES) {
    throw GW_ERR_API_VALIDATION.create(`metadata has more than ${MAX_METADATA_ENTRIES} entries`);
  }
  for (const [name, value] of entries) {
    if (name.length === 0 || name.length > MAX_METADATA_NAME_LENGTH) {
      throw GW_ERR_API_VALIDATION.create(`metadata names must have 1 to ${MAX_METADATA_NAME_LENGTH} characters`);
    }
    if (typeof value !== 'string') throw GW_ERR_API_VALIDATION.create(`metadata.${name} must be a string`);
    if (value.length > MAX_METADATA_VALUE_LENGTH) {
      throw GW_ERR_API_VALIDATION.create(`metadata.${name} is longer than ${MAX_METADATA_VALUE_LENGTH} characters`);
    }
  }
  return Object.fromEntries(entries);
}
