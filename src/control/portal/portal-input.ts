/**
 * What operators and developers write to the portal, checked and normalised. Pure: no store.
 *
 *   product   name 1..100, description ≤ 2000, api_ids 1..20 (hex ids), policy_id, approval_mode
 *             automatic | manual (default manual), published (default true), validity_days 1..825
 *             (certificates the managed CA issues for the product; default 365)
 *   email     ≤ 254 characters, one @, no spaces or angle brackets; kept lowercase
 *   password  12..1024 characters, no composition rules (NIST SP 800-63B §5.1.1.2)
 *   app name  1..100 characters of text, no control characters; shown as text, never as HTML
 */
import { GW_ERR_API_VALIDATION, GW_ERR_PORTAL_PASSWORD_WEAK } from '../../errors/index.ts';
import { APPROVAL_MODES, type ApprovalMode } from '../../model/portal-records.ts';

export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 1024;
export const MAX_APIS_PER_PRODUCT = 20;
export const DEFAULT_VALIDITY_DAYS = 365;
export const MAX_VALIDITY_DAYS = 825;
export const MAX_GRACE_DAYS = 30;
export const SIGNUP_MODES = ['open', 'approval', 'invite'] as const;
export type SignupMode = (typeof SIGNUP_MODES)[number];

const HEX_ID = /^[0-9a-f]{32}$/;
const EMAIL = /^[^\s@<>"]+@[^\s@<>"]+\.[^\s@<>"]+$/;
// C0 and C1 controls, and line/paragraph separators: names are one line of text.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

export interface ProductInput {
  account_id?: string;
  name?: string;
  description?: string;
  api_ids?: string[];
  policy_id?: string;
  approval_mode?: string;
  published?: boolean;
  validity_days?: number;
}

export interface ValidProduct {
  name: string;
  description: string;
  apiIds: string[];
  policyId: string;
  approvalMode: ApprovalMode;
  published: boolean;
  validityDays: number;
}

export function checkText(value: unknown, field: string, min: number, max: number): string {
  if (typeof value !== 'string') throw GW_ERR_API_VALIDATION.create(`${field} must be a string`);
  const text = value.trim();
  if (text.length < min || text.length > max) {
    throw GW_ERR_API_VALIDATION.create(`${field} must have ${min} to ${max} characters`);
  }
  if (CONTROL.test(text.replace(/\r?\n/g, ' '))) {
    throw GW_ERR_API_VALIDATION.create(`${field} must not contain control characters`);
  }
  return text;
}

export function checkHexId(value: unknown, field: string): string {
  if (typeof value !== 'string' || !HEX_ID.test(value)) throw GW_ERR_API_VALIDATION.create(`${field} is not an id`);
  return value;
}

export function validateProduct(input: ProductInput): ValidProduct {
  const name = checkText(input.name, 'name', 1, 100);
  if (/[\r\n]/.test(name)) throw GW_ERR_API_VALIDATION.create('name must be one line');
  const description = input.description === undefined ? '' : checkText(input.description, 'description', 0, 2000);
  if (!Array.isArray(input.api_ids) || input.api_ids.length === 0 || input.api_ids.length > MAX_APIS_PER_PRODUCT) {
    throw GW_ERR_API_VALIDATION.create(`api_ids must list 1 to ${MAX_APIS_PER_PRODUCT} APIs`);
  }
  const apiIds = [...new Set(input.api_ids.map((id, index) => checkHexId(id, `api_ids[${index}]`)))];
  const policyId = checkHexId(input.policy_id, 'policy_id');
  const approvalMode = input.approval_mode ?? 'manual';
  if (!(APPROVAL_MODES as readonly string[]).includes(approvalMode)) {
    throw GW_ERR_API_VALIDATION.create(`approval_mode must be one of ${APPROVAL_MODES.join(', ')}`);
  }
  if (input.published !== undefined && typeof input.published !== 'boolean') {
    throw GW_ERR_API_VALIDATION.create('published must be true or false');
  }
  const validityDays = input.validity_days ?? DEFAULT_VALIDITY_DAYS;
  if (!Number.isInteger(validityDays) || validityDays < 1 || validityDays > MAX_VALIDITY_DAYS) {
    throw GW_ERR_API_VALIDATION.create(`validity_days must be a whole number from 1 to ${MAX_VALIDITY_DAYS}`);
  }
  return {
    name,
    description,
    apiIds,
    policyId,
    approvalMode: approvalMode as ApprovalMode,
    published: input.published ?? true,
    validityDays,
  };
}

export function normaliseEmail(value: unknown): string {
  if (typeof value !== 'string') throw GW_ERR_API_VALIDATION.create('email must be a string');
  const email = value.trim().toLowerCase();
  if (email.length > 254 || !EMAIL.test(email)) throw GW_ERR_API_VALIDATION.create('email is not an email address');
  return email;
}

export function checkPassword(value: unknown): string {
  if (typeof value !== 'string') throw GW_ERR_API_VALIDATION.create('password must be a string');
  // Code points, not UTF-16 units: a password of emoji is as long as it looks.
  const length = Array.from(value).length;
  if (length < MIN_PASSWORD_LENGTH)
    throw GW_ERR_PORTAL_PASSWORD_WEAK.create(`at least ${MIN_PASSWORD_LENGTH} characters`);
  if (length > MAX_PASSWORD_LENGTH)
    throw GW_ERR_PORTAL_PASSWORD_WEAK.create(`at most ${MAX_PASSWORD_LENGTH} characters`);
  return value;
}

export function checkSignupMode(value: unknown): SignupMode {
  if (typeof value !== 'string' || !(SIGNUP_MODES as readonly string[]).includes(value)) {
    throw GW_ERR_API_VALIDATION.create(`signup_mode must be one of ${SIGNUP_MODES.join(', ')}`);
  }
  return value as SignupMode;
}

export function checkGraceDays(value: unknown): number {
  const days = value ?? 7;
  if (typeof days !== 'number' || !Number.isInteger(days) || days < 0 || days > MAX_GRACE_DAYS) {
    throw GW_ERR_API_VALIDATION.create(`grace_days must be a whole number from 0 to ${MAX_GRACE_DAYS}`);
  }
  return days;
}
