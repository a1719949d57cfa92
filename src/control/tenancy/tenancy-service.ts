/**
 * TenancyService: accounts and zones. Zone lookups used by every zone-scoped use case live here, so
 * "unknown zone → 404, zone of another account → 403" is decided in one place.
 *
 * Zone names are claims (docs/adr/0007-zone-ownership.md): a zone whose name equals, contains or
 * lies under a zone of another account is refused (409) unless the operator — a global token —
 * creates it with `delegated`; reserved names (zone-names.ts) are the operator's alone. The check
 * and the insert run in one transaction holding the zone-name lock, so concurrent creates of
 * overlapping names never both win.
 */
import {
  GW_ERR_API_OBJECT_NOT_FOUND,
  GW_ERR_API_VALIDATION,
  GW_ERR_ZONE_CLAIMED,
  GW_ERR_ZONE_EXISTS,
  GW_ERR_ZONE_IN_USE,
  GW_ERR_ZONE_RESERVED,
} from '../../errors/index.ts';
import { StoreConflictError, type Store } from '../../store/ports.ts';
import type { AccountRecord, HexId, TokenPermission, ZoneRecord } from '../../model/records.ts';
import { assertAccount, assertGlobal, assertZone, canSeeAccount, type Principal } from '../access-policy.ts';
import type { ZoneUsage } from '../../model/read-models.ts';
import { inAccountTransaction } from '../account-transaction.ts';
import { isoMicros, newHexId } from '../ids.ts';
import { overlapOf, reservedReason } from './zone-names.ts';
import { canonicalHostname, isHostname } from '../../model/hostname.ts';

/** RFC 1035 §2.3.1 labels (letters, digits, hyphens), at least two labels, 253 characters at most. */
/** An all-numeric top-level label is no domain (RFC 3696 §2): `127.0.0.1` would read as one. */
const NUMERIC_TOP_LABEL = /(?:^|\.)\d+$/;
/**
 * The one single-label zone allowed: `localhost` (RFC 6761 §6.3, always the local machine), so a
 * gateway on a laptop — and the `npm start` demo — can serve https://localhost with mTLS. It is
 * reserved for the operator (zone-names.ts).
 */
const LOCAL_ZONE = 'localhost';

export function normaliseZoneName(name: string): string {
  const lower = canonicalHostname(name.trim());
  if (lower !== LOCAL_ZONE && (!isHostname(lower, { dotted: true }) || NUMERIC_TOP_LABEL.test(lower)))
    throw GW_ERR_API_VALIDATION.create(`"${name.slice(0, 80)}" is not a valid zone name`);
  return lower;
}

export interface CreateZoneInput {
  name: string;
  accountId: HexId;
  /** The operator allows the zone to overlap zones of other accounts (global tokens only). */
  delegated?: boolean;
}

export interface TenancyOptions {
  now?: () => Date;
  /** The gateway's own hostnames (the --public-url host): reserved for the operator, like localhost. */
  operatorHostnames?: readonly string[];
}

export class TenancyService {
  readonly #store: Store;
  readonly #now: () => Date;
  readonly #operatorHostnames: readonly string[];

  constructor(store: Store, options: TenancyOptions = {}) {
    this.#store = store;
    this.#now = options.now ?? (() => new Date());
    this.#operatorHostnames = options.operatorHostnames ?? [];
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

  async createZone(principal: Principal, input: CreateZoneInput): Promise<ZoneRecord> {
    await this.getAccount(principal, input.accountId, 'edit');
    const delegated = input.delegated ?? false;
    if (delegated) assertGlobal(principal, 'edit', 'delegate a zone name (only the operator can)');
    const name = normaliseZoneName(input.name);
    const reserved = reservedReason(name, this.#operatorHostnames);
    if (reserved !== undefined && principal.scope.kind !== 'global') throw GW_ERR_ZONE_RESERVED.create(reserved);
    const record: ZoneRecord = {
      id: newHexId(),
      accountId: input.accountId,
      name,
      createdAt: isoMicros(this.#now()),
      delegated,
    };
    await this.#store.transaction(async (store) => {
      await store.lockZoneNames();
      refuseOverlaps(record, await store.listOverlappingZones(name), principal);
      try {
        await store.createZone(record);
      } catch (error) {
        if (error instanceof StoreConflictError) throw GW_ERR_ZONE_EXISTS.create(record.name);
        throw error;
      }
    });
    return record;
  }

  /**
   * DELETE /zones/{id}: refused (409) while the zone serves anything — routes, APIs, hostname
   * associations, edge certificates, custom rules — or has client certificates that still
   * authenticate; the message says what, so the operator removes or revokes them deliberately
   * (docs/adr/0007-zone-ownership.md). Then the zone goes with its rulesets and settings, its
   * zone-scoped tokens are disabled, and its client certificates stay as revocation records.
   * Needs an account-level (or global) edit token: a zone token cannot remove its own zone.
   */
  async deleteZone(principal: Principal, zoneId: HexId): Promise<ZoneRecord> {
    const found = await this.getZone(principal, zoneId, 'edit');
    assertAccount(principal, found.accountId, 'edit', `delete zone ${zoneId}`);
    return inAccountTransaction(this.#store, found.accountId, async (store) => {
      const zone = await store.getZone(zoneId);
      if (zone === undefined) throw GW_ERR_API_OBJECT_NOT_FOUND.create(`/zones/${zoneId}`);
      const inUse = describeUsage(
        await store.zoneUsage(zone.id),
        (await store.listRulesets(zone.id)).reduce((sum, ruleset) => sum + ruleset.rules.length, 0),
      );
      if (inUse !== undefined) throw GW_ERR_ZONE_IN_USE.create(inUse);
      await store.deleteZone(zone.id);
      for (const token of await store.listTokens()) {
        if (token.scope.kind === 'zone' && token.scope.zoneId === zone.id && token.status === 'active') {
          await store.setTokenStatus(token.id, 'disabled');
        }
      }
      return zone;
    });
  }

  /** Sets or clears the operator's delegation of a zone (global tokens only). */
  async setDelegated(principal: Principal, zoneId: HexId, delegated: boolean): Promise<ZoneRecord> {
    const zone = await this.getZone(principal, zoneId, 'edit');
    assertGlobal(principal, 'edit', 'delegate a zone name (only the operator can)');
    await this.#store.setZoneDelegated(zone.id, delegated);
    return { ...zone, delegated };
  }

  async listZones(principal: Principal, filter: { name?: string; accountId?: HexId }): Promise<ZoneRecord[]> {
    const zones = await this.#store.listZones({
      ...(filter.accountId === undefined ? {} : { accountIds: [filter.accountId] }),
      ...(filter.name === undefined ? {} : { name: canonicalHostname(filter.name) }),
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

/**
 * A new zone may not overlap a zone of another account unless delegated (by the operator); the
 * same name is never shared. Tenants learn that a name is taken and how, not by whom: the
 * operator's message names the zone.
 */
function refuseOverlaps(record: ZoneRecord, overlapping: readonly ZoneRecord[], principal: Principal): void {
  for (const other of overlapping) {
    const overlap = overlapOf(record.name, other.name);
    if (overlap === undefined) continue;
    if (overlap === 'same') {
      if (other.accountId === record.accountId) throw GW_ERR_ZONE_EXISTS.create(record.name);
      throw GW_ERR_ZONE_CLAIMED.create(`${record.name} is a zone of another account`);
    }
    if (other.accountId === record.accountId || record.delegated) continue;
    const how = overlap === 'parent' ? `a zone under ${record.name}` : `a zone that ${record.name} lies under`;
    const which = principal.scope.kind === 'global' ? ` (${other.name}, ${other.id})` : '';
    const remedy = principal.scope.kind === 'global' ? '; create it with "delegated": true to allow it' : '';
    throw GW_ERR_ZONE_CLAIMED.create(`another account holds ${how}${which}${remedy}`);
  }
}

/** `2 routes, 1 API, …; remove them first` — what keeps a zone from being deleted, or undefined. */
function describeUsage(usage: ZoneUsage, customRules: number): string | undefined {
  const parts = [
    counted(usage.routes, 'route'),
    counted(usage.apis, 'API'),
    counted(usage.hostnameAssociations, 'hostname association'),
    counted(usage.edgeCertificates, 'edge certificate'),
    counted(customRules, 'custom rule'),
    counted(usage.liveClientCertificates, 'active client certificate'),
  ].filter((part) => part !== undefined);
  if (parts.length === 0) return undefined;
  const revoke = usage.liveClientCertificates > 0 ? ' (revoke the client certificates)' : '';
  return `${parts.join(', ')}; remove them first${revoke}`;
}

function counted(count: number, what: string): string | undefined {
  return count === 0 ? undefined : `${count} ${what}${count === 1 ? '' : 's'}`;
}
