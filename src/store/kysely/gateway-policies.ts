/**
 * Gateway policies (templates of access rights and limits applied to keys), per account. Also the
 * checked readers of the JSON columns policies share with keys and APIs (rate limit, quota, access
 * rights): a row edited by hand or by a newer version fails loudly here instead of flowing on.
 */
import type { AccessRight, GatewayPolicyRecord, HexId, Quota, RateLimit } from '../../model/records.ts';
import type { Db, GatewayPoliciesTable } from './schema.ts';
import { insertUnique } from './conflicts.ts';
import { byCodeUnits, fromFlag, toFlag } from './columns.ts';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

function parseJson(text: string, column: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`Store column ${column} does not hold JSON`);
  }
}

/** Writes only the record's fields, in a fixed order. */
export function rateLimitToJson(limit: RateLimit | null): string | null {
  return limit === null ? null : JSON.stringify({ rate: limit.rate, per: limit.per });
}

export function parseRateLimit(text: string | null, column: string): RateLimit | null {
  if (text === null) return null;
  const value = parseJson(text, column);
  if (isObject(value) && isCount(value.rate) && isCount(value.per)) return { rate: value.rate, per: value.per };
  throw new Error(`Store column ${column} does not hold a rate limit`);
}

export function quotaToJson(quota: Quota | null): string | null {
  return quota === null ? null : JSON.stringify({ max: quota.max, renewalRate: quota.renewalRate });
}

export function parseQuota(text: string | null, column: string): Quota | null {
  if (text === null) return null;
  const value = parseJson(text, column);
  if (isObject(value) && isCount(value.max) && isCount(value.renewalRate)) {
    return { max: value.max, renewalRate: value.renewalRate };
  }
  throw new Error(`Store column ${column} does not hold a quota`);
}

export function accessRightsToJson(rights: readonly AccessRight[]): string {
  return JSON.stringify(rights.map((right) => ({ apiId: right.apiId, methods: right.methods, paths: right.paths })));
}

const isStringArray = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((item) => typeof item === 'string');

export function parseAccessRights(text: string, column: string): AccessRight[] {
  const value = parseJson(text, column);
  if (!Array.isArray(value)) throw new Error(`Store column ${column} does not hold a JSON array`);
  return value.map((item: unknown): AccessRight => {
    if (isObject(item) && typeof item.apiId === 'string' && isStringArray(item.methods) && isStringArray(item.paths)) {
      return { apiId: item.apiId, methods: item.methods, paths: item.paths };
    }
    throw new Error(`Store column ${column} holds an entry that is not an access right`);
  });
}

function toPolicy(row: GatewayPoliciesTable): GatewayPolicyRecord {
  return {
    id: row.id,
    accountId: row.account_id,
    name: row.name,
    accessRights: parseAccessRights(row.access_rights, 'gateway_policies.access_rights'),
    rateLimit: parseRateLimit(row.rate_limit, 'gateway_policies.rate_limit'),
    quota: parseQuota(row.quota, 'gateway_policies.quota'),
    active: fromFlag(row.active, 'gateway_policies.active'),
    createdOn: row.created_on,
    modifiedOn: row.modified_on,
  };
}

function toRow(record: GatewayPolicyRecord): GatewayPoliciesTable {
  return {
    id: record.id,
    account_id: record.accountId,
    name: record.name,
    access_rights: accessRightsToJson(record.accessRights),
    rate_limit: rateLimitToJson(record.rateLimit),
    quota: quotaToJson(record.quota),
    active: toFlag(record.active),
    created_on: record.createdOn,
    modified_on: record.modifiedOn,
  };
}

/** Oldest first, then id (stable whatever the database's collation). */
function byCreation(a: GatewayPolicyRecord, b: GatewayPolicyRecord): number {
  return byCodeUnits(a.createdOn, b.createdOn) || byCodeUnits(a.id, b.id);
}

export async function createPolicy(db: Db, record: GatewayPolicyRecord): Promise<void> {
  await insertUnique(db, 'gateway_policies', toRow(record), 'A policy with this id already exists');
}

export async function updatePolicy(db: Db, record: GatewayPolicyRecord): Promise<void> {
  const { id, account_id, ...row } = toRow(record);
  const changes: Partial<GatewayPoliciesTable> = { ...row };
  delete changes.created_on; // set once, by createPolicy
  await db
    .updateTable('gateway_policies')
    .set(changes)
    .where('id', '=', id)
    .where('account_id', '=', account_id)
    .execute();
}

export async function getPolicy(db: Db, accountId: HexId, id: HexId): Promise<GatewayPolicyRecord | undefined> {
  const row = await db
    .selectFrom('gateway_policies')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .executeTakeFirst();
  return row === undefined ? undefined : toPolicy(row);
}

export async function listPolicies(db: Db, accountId: HexId): Promise<GatewayPolicyRecord[]> {
  const rows = await db.selectFrom('gateway_policies').selectAll().where('account_id', '=', accountId).execute();
  return rows.map(toPolicy).sort(byCreation);
}

export async function deletePolicy(db: Db, accountId: HexId, id: HexId): Promise<void> {
  await db.deleteFrom('gateway_policies').where('account_id', '=', accountId).where('id', '=', id).execute();
}

export async function listAllPolicies(db: Db): Promise<GatewayPolicyRecord[]> {
  const rows = await db.selectFrom('gateway_policies').selectAll().execute();
  return rows.map(toPolicy).sort(byCreation);
}
