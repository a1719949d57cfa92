/**
 * AccessPolicy: what an API token may do. Scopes nest (global ⊃ account ⊃ zone) and permissions
 * order read < edit. Every use case asks here before touching the store, so a token of account A
 * can never read or change anything of account B.
 */
import { GW_ERR_AUTH_FORBIDDEN } from '../errors/index.ts';
import type { ApiTokenRecord, HexId, TokenPermission, TokenScope, ZoneRecord } from '../model/records.ts';

export type Principal = Pick<ApiTokenRecord, 'id' | 'scope' | 'permission'>;

const RANK: Record<TokenPermission, number> = { read: 1, edit: 2 };

function allows(principal: Principal, needed: TokenPermission): boolean {
  return RANK[principal.permission] >= RANK[needed];
}

export function assertGlobal(principal: Principal, needed: TokenPermission, action: string): void {
  if (principal.scope.kind !== 'global' || !allows(principal, needed)) throw GW_ERR_AUTH_FORBIDDEN.create(action);
}

/** Account-level resources (mTLS certificates, the managed CA, zones of the account). */
export function assertAccount(principal: Principal, accountId: HexId, needed: TokenPermission, action: string): void {
  const { scope } = principal;
  const inScope = scope.kind === 'global' || (scope.kind === 'account' && scope.accountId === accountId);
  if (!inScope || !allows(principal, needed)) throw GW_ERR_AUTH_FORBIDDEN.create(action);
}

/** Zone-level resources (client certificates, associations, edge certificates, rules). */
export function assertZone(principal: Principal, zone: ZoneRecord, needed: TokenPermission, action: string): void {
  const { scope } = principal;
  const inScope =
    scope.kind === 'global' ||
    (scope.kind === 'account' && scope.accountId === zone.accountId) ||
    (scope.kind === 'zone' && scope.zoneId === zone.id);
  if (!inScope || !allows(principal, needed)) throw GW_ERR_AUTH_FORBIDDEN.create(action);
}

/** Whether a principal can see an account at all (for lists: filter instead of refusing). */
export function canSeeAccount(principal: Principal, accountId: HexId): boolean {
  const { scope } = principal;
  return scope.kind === 'global' || scope.accountId === accountId;
}

/** A token may only mint tokens no broader than itself. */
export function isWithin(inner: TokenScope, innerPermission: TokenPermission, outer: Principal): boolean {
  if (!allows(outer, innerPermission)) return false;
  const scope = outer.scope;
  if (scope.kind === 'global') return true;
  if (scope.kind === 'account') return inner.kind !== 'global' && inner.accountId === scope.accountId;
  return inner.kind === 'zone' && inner.zoneId === scope.zoneId;
}
