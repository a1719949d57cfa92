/** API tokens. The scope is kept as JSON text (one portable column for three shapes). */
import type { Selectable } from 'kysely';
import type { ApiTokenRecord, HexId, TokenScope } from '../../model/records.ts';
import type { ApiTokensTable, Db } from './schema.ts';
import { insertUnique } from './conflicts.ts';
import { oneOf } from './columns.ts';

const PERMISSIONS = ['read', 'edit'] as const;
const STATUSES = ['active', 'disabled', 'expired'] as const;

/** Writes only the fields of the scope's kind, so nothing else ever reaches the column. */
function scopeToJson(scope: TokenScope): string {
  switch (scope.kind) {
    case 'global':
      return JSON.stringify({ kind: 'global' });
    case 'account':
      return JSON.stringify({ kind: 'account', accountId: scope.accountId });
    case 'zone':
      return JSON.stringify({ kind: 'zone', zoneId: scope.zoneId, accountId: scope.accountId });
  }
}

function scopeFromJson(text: string): TokenScope {
  const value = JSON.parse(text) as Record<string, unknown> | null;
  const field = (name: string): string => {
    const item = value?.[name];
    if (typeof item !== 'string') throw new Error(`Store column api_tokens.scope lacks ${name}`);
    return item;
  };
  switch (field('kind')) {
    case 'global':
      return { kind: 'global' };
    case 'account':
      return { kind: 'account', accountId: field('accountId') };
    case 'zone':
      return { kind: 'zone', zoneId: field('zoneId'), accountId: field('accountId') };
    default:
      throw new Error('Store column api_tokens.scope holds an unknown scope kind');
  }
}

function toToken(row: Selectable<ApiTokensTable>): ApiTokenRecord {
  return {
    id: row.id,
    name: row.name,
    secretHash: row.secret_hash,
    scope: scopeFromJson(row.scope),
    permission: oneOf(row.permission, PERMISSIONS, 'api_tokens.permission'),
    status: oneOf(row.status, STATUSES, 'api_tokens.status'),
    createdAt: row.created_at,
    notBefore: row.not_before,
    expiresOn: row.expires_on,
  };
}

export async function createToken(db: Db, record: ApiTokenRecord): Promise<void> {
  const row = {
    id: record.id,
    name: record.name,
    secret_hash: record.secretHash,
    scope: scopeToJson(record.scope),
    permission: record.permission,
    status: record.status,
    created_at: record.createdAt,
    not_before: record.notBefore,
    expires_on: record.expiresOn,
  };
  await insertUnique(db, 'api_tokens', row, 'A token with this id or secret already exists');
}

export async function getTokenBySecretHash(db: Db, secretHash: string): Promise<ApiTokenRecord | undefined> {
  const row = await db.selectFrom('api_tokens').selectAll().where('secret_hash', '=', secretHash).executeTakeFirst();
  return row && toToken(row);
}

export async function getToken(db: Db, id: HexId): Promise<ApiTokenRecord | undefined> {
  const row = await db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toToken(row);
}

/** Every token, oldest first. */
export async function listTokens(db: Db): Promise<ApiTokenRecord[]> {
  const rows = await db.selectFrom('api_tokens').selectAll().orderBy('created_at').orderBy('id').execute();
  return rows.map(toToken);
}

export async function setTokenStatus(db: Db, id: HexId, status: ApiTokenRecord['status']): Promise<void> {
  await db.updateTable('api_tokens').set({ status }).where('id', '=', id).execute();
}
