/** Identifier formats of the v4 API (cloudflare-compatibility.md §1.4), generated here, never by a database. */
import { randomBytes, randomUUID } from 'node:crypto';

/** 32 lowercase hex characters: accounts, zones, tokens, rulesets. */
export function newHexId(): string {
  return randomBytes(16).toString('hex');
}

/** Lowercase RFC 4122 v4 UUID: certificates. */
export function newUuid(): string {
  return randomUUID();
}

export { HEX_ID_PATTERN } from '../model/shapes/shared-fields.ts';
export const UUID_PATTERN = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';

/** Timestamps as the API shows them: RFC 3339 UTC with whole seconds. */
export function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Timestamps with microseconds, as mTLS certificates and rulesets show them. */
export function isoMicros(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
