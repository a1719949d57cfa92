/**
 * The pieces of a policy as a client writes them, checked and normalised into what the store
 * keeps: access rights, rate limits and quotas (keys and APIs use the same pieces), and the policy
 * itself. Pure: no store, no clock. Whether an access right's API exists is the service's check.
 *
 *   rate_limit     { rate: 1..1e9 requests, per: 1..86400 seconds } or null (no limit)
 *   quota          { max: 1..1e12 requests, renewal_rate: 1..31622400 seconds (366 days) } or null
 *   access_rights  at most 1000; several for one API are alternatives (a request needs one that
 *                  allows both its method and its path: policy/access-rights.ts); repeats are merged
 *     api_id       an API (32 hex) of a zone of the same account
 *     methods      uppercase method tokens (`GET`, `M-SEARCH`; methods are case-sensitive, RFC 9110
 *                  §9.1), at most 20; empty = every method
 *     paths        path patterns, at most 100 of at most 1024 characters; empty = every path. A
 *                  pattern starts with `/` and holds RFC 3986 path characters; `*` matches any run
 *                  of one or more characters, `/` included (`/orders/*` matches `/orders/1` and
 *                  `/orders/1/items`, not `/orders/`); without `*` a pattern matches that path
 *                  exactly. Percent escapes are kept in the listen path's canonical form, and dot
 *                  segments, `//`, `%2F` and `%00` are refused, as for listen paths.
 */
import { GW_ERR_API_VALIDATION } from '../../errors/index.ts';
import type { AccessRight, Quota, RateLimit } from '../../model/records.ts';
import {
  MAX_ACCESS_RIGHTS,
  MAX_METHODS_PER_RIGHT,
  MAX_PATH_PATTERN_LENGTH,
  MAX_PATHS_PER_RIGHT,
  MAX_QUOTA,
  MAX_QUOTA_RENEWAL_SECONDS,
  MAX_RATE,
  MAX_RATE_PER_SECONDS,
  type AccessRightInput,
  type PolicyInput,
  type QuotaInput,
  type RateLimitInput,
} from '../../model/shapes/gateway-policy-shape.ts';
import { MAX_NAME_LENGTH } from '../../model/shapes/shared-fields.ts';
import { canonicalPercentEncoding, PATH_CHARACTERS } from '../routes/route-input.ts';

export type { AccessRightInput, PolicyInput, QuotaInput, RateLimitInput };
export {
  MAX_ACCESS_RIGHTS,
  MAX_METHODS_PER_RIGHT,
  MAX_NAME_LENGTH,
  MAX_PATH_PATTERN_LENGTH,
  MAX_PATHS_PER_RIGHT,
  MAX_QUOTA,
  MAX_QUOTA_RENEWAL_SECONDS,
  MAX_RATE,
  MAX_RATE_PER_SECONDS,
};

/** A policy as the store keeps it, without id, account and times. */
export interface ValidPolicy {
  name: string;
  accessRights: AccessRight[];
  rateLimit: RateLimit | null;
  quota: Quota | null;
  active: boolean;
}

const HEX_ID = /^[0-9a-f]{32}$/;
/** RFC 9110 §5.6.2 token characters, uppercase letters only. */
const METHOD = /^[A-Z][A-Z0-9!#$%&'*+.^_`|~-]{0,31}$/;

export function validatePolicyInput(input: PolicyInput): ValidPolicy {
  return {
    name: checkName(input.name, 'name', 1),
    accessRights: validateAccessRights(input.access_rights ?? [], 'access_rights'),
    rateLimit: validateRateLimit(input.rate_limit ?? null, 'rate_limit'),
    quota: validateQuota(input.quota ?? null, 'quota'),
    active: checkBoolean(input.active ?? true, 'active'),
  };
}

/** The input form of a stored policy (PATCH merges a body into it). */
export function policyInputOf(policy: ValidPolicy): PolicyInput {
  return {
    name: policy.name,
    access_rights: accessRightsInputOf(policy.accessRights),
    rate_limit: policy.rateLimit,
    quota: quotaInputOf(policy.quota),
    active: policy.active,
  };
}

export function accessRightsInputOf(rights: readonly AccessRight[]): AccessRightInput[] {
  return rights.map((right) => ({ api_id: right.apiId, methods: right.methods, paths: right.paths }));
}

export function quotaInputOf(quota: Quota | null): QuotaInput | null {
  return quota === null ? null : { max: quota.max, renewal_rate: quota.renewalRate };
}

/** A name or alias, trimmed, of `min`..MAX_NAME_LENGTH characters (code points). */
export function checkName(value: unknown, field: string, min: number): string {
  if (typeof value !== 'string') throw GW_ERR_API_VALIDATION.create(`${field} must be a string`);
  const trimmed = value.trim();
  if (Array.from(trimmed).length < min) throw GW_ERR_API_VALIDATION.create(`${field} must not be empty`);
  if (Array.from(trimmed).length > MAX_NAME_LENGTH) {
    throw GW_ERR_API_VALIDATION.create(`${field} is longer than ${MAX_NAME_LENGTH} characters`);
  }
  return trimmed;
}

export function checkBoolean(value: unknown, field: string): boolean {
  if (typeof value !== 'boolean') throw GW_ERR_API_VALIDATION.create(`${field} must be a boolean`);
  return value;
}

function checkCount(value: unknown, field: string, max: number, unit: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw GW_ERR_API_VALIDATION.create(`${field} must be a whole number of ${unit} from 1 to ${max}`);
  }
  return value;
}

function checkObject(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw GW_ERR_API_VALIDATION.create(`${field} must be an object or null`);
  }
  return value as Record<string, unknown>;
}

export function validateRateLimit(input: unknown, field: string): RateLimit | null {
  if (input === null) return null;
  const limit = checkObject(input, field);
  return {
    rate: checkCount(limit.rate, `${field}.rate`, MAX_RATE, 'requests'),
    per: checkCount(limit.per, `${field}.per`, MAX_RATE_PER_SECONDS, 'seconds'),
  };
}

export function validateQuota(input: unknown, field: string): Quota | null {
  if (input === null) return null;
  const quota = checkObject(input, field);
  return {
    max: checkCount(quota.max, `${field}.max`, MAX_QUOTA, 'requests'),
    renewalRate: checkCount(quota.renewal_rate, `${field}.renewal_rate`, MAX_QUOTA_RENEWAL_SECONDS, 'seconds'),
  };
}

/** The fields of a PATCH body that are present (JSON has no undefined, but callers in code may pass it). */
export function defined<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined)) as Partial<T>;
}

export function validateAccessRights(input: unknown, field: string): AccessRight[] {
  if (!Array.isArray(input)) throw GW_ERR_API_VALIDATION.create(`${field} must be an array`);
  if (input.length > MAX_ACCESS_RIGHTS) {
    throw GW_ERR_API_VALIDATION.create(`${field} has more than ${MAX_ACCESS_RIGHTS} entries`);
  }
  const rights = new Map<string, AccessRight>();
  input.forEach((item: unknown, index) => {
    const at = `${field}[${index}]`;
    const right = checkObject(item, at);
    const apiId = right.api_id;
    if (typeof apiId !== 'string' || !HEX_ID.test(apiId)) {
      throw GW_ERR_API_VALIDATION.create(`${at}.api_id must be an API id (32 lowercase hex characters)`);
    }
    const valid: AccessRight = {
      apiId,
      methods: checkMethods(right.methods ?? [], `${at}.methods`),
      paths: checkPaths(right.paths ?? [], `${at}.paths`),
    };
    // The same right twice is one right; different rights for one API are alternatives.
    const key = JSON.stringify([apiId, [...valid.methods].sort(), [...valid.paths].sort()]);
    if (!rights.has(key)) rights.set(key, valid);
  });
  return [...rights.values()];
}

function checkMethods(input: unknown, field: string): string[] {
  if (!Array.isArray(input)) throw GW_ERR_API_VALIDATION.create(`${field} must be an array`);
  const methods = new Set<string>();
  for (const method of input as unknown[]) {
    if (typeof method !== 'string' || !METHOD.test(method)) {
      const shown = JSON.stringify(String(method).slice(0, 40));
      throw GW_ERR_API_VALIDATION.create(
        `${field}: ${shown} is not an uppercase HTTP method (methods are case-sensitive: write GET, not get)`,
      );
    }
    methods.add(method);
  }
  if (methods.size > MAX_METHODS_PER_RIGHT) {
    throw GW_ERR_API_VALIDATION.create(`${field} has more than ${MAX_METHODS_PER_RIGHT} methods`);
  }
  return [...methods];
}

function checkPaths(input: unknown, field: string): string[] {
  if (!Array.isArray(input)) throw GW_ERR_API_VALIDATION.create(`${field} must be an array`);
  if (input.length > MAX_PATHS_PER_RIGHT) {
    throw GW_ERR_API_VALIDATION.create(`${field} has more than ${MAX_PATHS_PER_RIGHT} patterns`);
  }
  return [...new Set((input as unknown[]).map((pattern) => normalisePathPattern(pattern, field)))];
}

/** One path pattern in its canonical form (see the header comment). */
export function normalisePathPattern(pattern: unknown, field: string): string {
  if (typeof pattern !== 'string') throw GW_ERR_API_VALIDATION.create(`${field} must hold strings`);
  const shown = JSON.stringify(pattern.slice(0, 80));
  if (pattern.length > MAX_PATH_PATTERN_LENGTH) {
    throw GW_ERR_API_VALIDATION.create(`${field}: a pattern is longer than ${MAX_PATH_PATTERN_LENGTH} characters`);
  }
  if (!pattern.startsWith('/')) throw GW_ERR_API_VALIDATION.create(`${field}: ${shown} must start with "/"`);
  if (!PATH_CHARACTERS.test(pattern)) {
    throw GW_ERR_API_VALIDATION.create(
      `${field}: ${shown} may hold only RFC 3986 path characters and "*" (no "?", "#" or spaces)`,
    );
  }
  const canonical = canonicalPercentEncoding(pattern);
  if (/%2F|%00/.test(canonical)) {
    throw GW_ERR_API_VALIDATION.create(`${field}: ${shown} must not contain an encoded "/" or NUL`);
  }
  if (canonical.includes('//')) throw GW_ERR_API_VALIDATION.create(`${field}: ${shown} must not contain "//"`);
  if (canonical.split('/').some((segment) => segment === '.' || segment === '..')) {
    throw GW_ERR_API_VALIDATION.create(`${field}: ${shown} must not contain "." or ".." segments`);
  }
  return canonical;
}
