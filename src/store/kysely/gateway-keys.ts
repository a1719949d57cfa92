/**
 * Gateway keys, per account. A key's certificate binding is unique within its account and its
 * secret hash across the installation (table constraints, migrations 0003 and 0008), so a presented
 * certificate finds one key of an account and a token one key.
 */
import {
  CERTIFICATE_BINDING_KINDS,
  type CertificateBinding,
  type GatewayKeyRecord,
  type HexId,
} from '../../model/records.ts';
import type { Db, GatewayKeysTable } from './schema.ts';
import { guardUnique, insertUnique } from './conflicts.ts';
import { byCodeUnits, fromFlag, oneOf, parseStringArray, toFlag } from './columns.ts';
import {
  accessRightsToJson,
  parseAccessRights,
  parseQuota,
  parseRateLimit,
  quotaToJson,
  rateLimitToJson,
} from './gateway-policies.ts';

/** The message of any unique violation: a binding or a secret already belongs to a key. */
const DUPLICATE = 'A key is already bound to this certificate or secret';

function parseBinding(row: GatewayKeysTable): CertificateBinding | null {
  if (row.binding_kind === null && row.binding_value === null) return null;
  if (row.binding_kind === null || row.binding_value === null) {
    throw new Error('Store columns gateway_keys.binding_kind and binding_value must be both set or both NULL');
  }
  return {
    kind: oneOf(row.binding_kind, CERTIFICATE_BINDING_KINDS, 'gateway_keys.binding_kind'),
    value: row.binding_value,
  };
}

function parseMetadata(text: string, column: string): Record<string, string> {
  const value: unknown = JSON.parse(text);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`Store column ${column} does not hold a JSON object`);
  }
  const entries = Object.entries(value);
  if (!entries.every(([, item]) => typeof item === 'string')) {
    throw new Error(`Store column ${column} holds a value that is not a string`);
  }
  return Object.fromEntries(entries);
}

function toKey(row: GatewayKeysTable): GatewayKeyRecord {
  return {
    id: row.id,
    accountId: row.account_id,
    alias: row.alias,
    certificateBinding: parseBinding(row),
    secretHash: row.secret_hash,
    policyIds: parseStringArray(row.policy_ids, 'gateway_keys.policy_ids'),
    accessRights: parseAccessRights(row.access_rights, 'gateway_keys.access_rights'),
    rateLimit: parseRateLimit(row.rate_limit, 'gateway_keys.rate_limit'),
    quota: parseQuota(row.quota, 'gateway_keys.quota'),
    expiresOn: row.expires_on,
    metadata: parseMetadata(row.metadata, 'gateway_keys.metadata'),
    active: fromFlag(row.active, 'gateway_keys.active'),
    createdOn: row.created_on,
    modifiedOn: row.modified_on,
  };
}

function toRow(record: GatewayKeyRecord): GatewayKeysTable {
  return {
    id: record.id,
    account_id: record.accountId,
    alias: record.alias,
    binding_kind: record.certificateBinding?.kind ?? null,
    binding_value: record.certificateBinding?.value ?? null,
    secret_hash: record.secretHash,
    policy_ids: JSON.stringify(record.policyIds),
    access_rights: accessRightsToJson(record.accessRights),
    rate_limit: rateLimitToJson(record.rateLimit),
    quota: quotaToJson(record.quota),
    expires_on: record.expiresOn,
    metadata: JSON.stringify(record.metadata),
    active: toFlag(record.active),
    created_on: record.createdOn,
    modified_on: record.modifiedOn,
  };
}

/** Oldest first, then id (stable whatever the database's collation). */
function byCreation(a: GatewayKeyRecord, b: GatewayKeyRecord): number {
  return byCodeUnits(a.createdOn, b.createdOn) || byCodeUnits(a.id, b.id);
}

export async function createKey(db: Db, record: GatewayKeyRecord): Promise<void> {
  // ON CONFLICT DO NOTHING: a duplicate must not abort a PostgreSQL transaction (conflicts.ts).
  await insertUnique(db, 'gateway_keys', toRow(record), DUPLICATE);
}

export async function updateKey(db: Db, record: GatewayKeyRecord): Promise<void> {
  const { id, account_id, ...row } = toRow(record);
  const changes: Partial<GatewayKeysTable> = { ...row };
  delete changes.created_on; // set once, by createKey
  await guardUnique(DUPLICATE, () =>
    db.updateTable('gateway_keys').set(changes).where('id', '=', id).where('account_id', '=', account_id).execute(),
  );
}

export async function getKey(db: Db, accountId: HexId, id: HexId): Promise<GatewayKeyRecord | undefined> {
  const row = await db
    .selectFrom('gateway_keys')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .executeTakeFirst();
  return row === undefined ? undefined : toKey(row);
}

export async function getKeyBySecretHash(db: Db, secretHash: string): Promise<GatewayKeyRecord | undefined> {
  const row = await db.selectFrom('gateway_keys').selectAll().where('secret_hash', '=', secretHash).executeTakeFirst();
  return row === undefined ? undefined : toKey(row);
}

export async function getKeyByBinding(
  db: Db,
  accountId: HexId,
  binding: CertificateBinding,
): Promise<GatewayKeyRecord | undefined> {
  const row = await db
    .selectFrom('gateway_keys')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('binding_kind', '=', binding.kind)
    .where('binding_value', '=', binding.value)
    .executeTakeFirst();
  return row === undefined ? undefined : toKey(row);
}

export async function listKeys(db: Db, accountId: HexId): Promise<GatewayKeyRecord[]> {
  const rows = await db.selectFrom('gateway_keys').selectAll().where('account_id', '=', accountId).execute();
  return rows.map(toKey).sort(byCreation);
}

export async function deleteKey(db: Db, accountId: HexId, id: HexId): Promise<void> {
  await db.deleteFrom('gateway_keys').where('account_id', '=', accountId).where('id', '=', id).execute();
}

export async function listAllKeys(db: Db): Promise<GatewayKeyRecord[]> {
  const rows = await db.selectFrom('gateway_keys').selectAll().execute();
  return rows.map(toKey).sort(byCreation);
}
