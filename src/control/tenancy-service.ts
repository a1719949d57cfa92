/**
 * TenancyService: accounts and zones. Zone lookups used by every zone-scoped use case live here, so
 * "unknown zone → 404, zone of another account → 403" is decided in one place.
 */
import { GW_ERR_API_OBJECT_NOT_FOUND, GW_ERR_API_VALIDATION, GW_ERR_ZONE_EXISTS } from '../errors/index.ts';
import { StoreConflictError, type Store } from '../store/ports.ts';
import type { AccountRecord, HexId, TokenPermission, ZoneRecord } from '../store/records.ts';
import { assertAccount, assertGlobal, assertZone, canSeeAccount, type Principal } from './access-policy.ts';
import { isoMicros, newHexId } from './ids.ts';

/** RFC 1035 §2.3.1 labels (letters, digits, hyphens), at least two labels, 253 characters at most. */
const ZONE_NAME = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/**
 * The one single-label zone allowed: `localhost` (RFC 6761 §6.3, always the local machine), so a
 * gateway on a laptop — and the `npm start` demo — can serve https://localhost with mTLS.
 */
const LOCAL_ZONE = 'localhost';

export function normaliseZoneName(name: string): string {
  const lower = name.trim().toLowerCase().replace(/\.$/, '');
  if (lower !== LOCAL_ZONE && !ZONE_NAME.test(lower))
    throw GW_ERR_API_VALIDATION.create(`"${name.slice(0, 80)}" is not a valid zone name`);
  return lower;
}

export class TenancyService {
  readonly #store: Store;
  readonly #now: () => Date;

  constructor(store: Store, now: () => Date = () => new Date()) {
    this.#store = store;
    this.#now = now;
  }

  async createAccount(principal: Principal, name: string): Promise<AccountRecord> {
    assertGlobal(principal, 'edit', 'create accounts');
    const record = { id: newHexId(), name: name.trim(), createdAt: isoMicros(this.#now()) };
    if (record.name === '') throw GW_ERR_API_VALIDATION.create('name must not be empty');
    await this.#store.createAccount(record);
    return record;
  }

  async listAccounts(principal: Principal): Promise<AccountRecord[]> {
    const accounts = await this.#store.listAccounts();
    return accounts.filter((account) => canSeeAccount(principal, account.id));
  }

  async getAccount(principal: Principal, accountId: HexId, needed: TokenPermission = 'read'): Promise<AccountRecord> {
    const account = await this.#store.getAccount(accountId);
    if (account === undefined) throw GW_ERR_API_OBJECT_NOT_FOUND.create(`/accounts/${accountId}`);
    assertAccount(principal, accountId, needed, `${needed} account ${accountId}`);
    return account;
  }

  async createZone(principal: Principal, input: { name: string; accountId: HexId }): Promise<ZoneRecord> {
    await this.getAccount(principal, input.accountId, 'edit');
    const record = {
      id: newHexId(),
      accountId: input.accountId,
      name: normaliseZoneName(input.name),
      createdAt: isoMicros(this.#now()),
    };
    try {
      await this.#store.createZone(record);
    } catch (error) {
      if (error instanceof StoreConflictError) throw GW_ERR_ZONE_EXISTS.create(record.name);
      throw error;
    }
    return record;
  }

  async listZones(principal: Principal, filter: { name?: string; accountId?: HexId }): Promise<ZoneRecord[]> {
    const zones = await this.#store.listZones({
      ...(filter.accountId === undefined ? {} : { accountIds: [filter.accountId] }),
      ...(filter.name === undefined ? {} : { name: filter.name.toLowerCase().replace(/\.$/, '') }),
    });
    const { scope } = principal;
    return zones.filter(
      (zone) =>
        scope.kind === 'global' ||
        (scope.kind === 'account' ? scope.accountId === zone.accountId : scope.zoneId === zone.id),
    );
  }

  /** The zone by id without an access check: only for deriving facts (a token scope's account). */
  lookupZone(zoneId: HexId): Promise<ZoneRecord | undefined> {
    return this.#store.getZone(zoneId);
  }

  /** The zone, if it exists (404) and the principal may act on it (403). */
  async getZone(principal: Principal, zoneId: HexId, needed: TokenPermission = 'read'): Promise<ZoneRecord> {
    const zone = await this.#store.getZone(zoneId);
    if (zone === undefined) throw GW_ERR_API_OBJECT_NOT_FOUND.create(`/zones/${zoneId}`);
    assertZone(principal, zone, needed, `${needed} zone ${zoneId}`);
    return zone;
  }
}
