/**
 * HostnameOwnership: which zones may serve a hostname, decided from the zones alone
 * (docs/adr/0007-zone-ownership.md). The snapshot compiler asks here for every hostname a zone
 * names, so what the store holds can never hand one account's hostname to another, whatever wrote
 * it (the control plane refuses such zones; rows from before that check, or written around it,
 * are held to the same rule here):
 *
 *   1. A hostname lies in the zones whose name is it or a parent of it (`*.b.test` lies where
 *      `b.test` does). A zone never serves a hostname outside its own name.
 *   2. Oldest first, a zone COUNTS unless a counting zone of another account is older and the
 *      operator did not delegate this one: the first claim wins, as the control plane enforces it
 *      now, and a later overlapping zone needs the operator's `delegated`.
 *   3. The most specific counting zone decides the account; the hostname may be served by that
 *      account's counting zones down to the first one of another account (same-account nesting).
 */
import type { ZoneRecord } from '../../model/records.ts';
import { enclosingNames } from './zone-names.ts';

/** A stored overlap the operator did not allow: `zone` came after `older`, of another account. */
export interface UnapprovedOverlap {
  readonly zone: ZoneRecord;
  readonly older: ZoneRecord;
}

export class HostnameOwnership {
  readonly #byName: ReadonlyMap<string, ZoneRecord>;

  constructor(zones: Iterable<ZoneRecord>) {
    this.#byName = new Map([...zones].map((zone) => [zone.name, zone]));
  }

  /**
   * The zones that may serve `hostname` (lowercase; `*.` for a wildcard), most specific first, all
   * of one account; [] when no zone contains it.
   */
  servingZones(hostname: string): ZoneRecord[] {
    const bare = hostname.startsWith('*.') ? hostname.slice(2) : hostname;
    const containing = enclosingNames(bare)
      .map((name) => this.#byName.get(name))
      .filter((zone): zone is ZoneRecord => zone !== undefined);
    const counting = new Set<ZoneRecord>();
    for (const zone of [...containing].sort(byAge)) {
      const claimedBefore = [...counting].some((older) => older.accountId !== zone.accountId);
      if (zone.delegated || !claimedBefore) counting.add(zone);
    }
    const serving: ZoneRecord[] = [];
    for (const zone of containing) {
      if (!counting.has(zone)) continue;
      if (serving.length > 0 && zone.accountId !== serving[0]?.accountId) break;
      serving.push(zone);
    }
    return serving;
  }

  /** Pairs of overlapping zones of two accounts where the newer one was not delegated. */
  unapprovedOverlaps(): UnapprovedOverlap[] {
    const found: UnapprovedOverlap[] = [];
    for (const zone of this.#byName.values()) {
      for (const name of enclosingNames(zone.name).slice(1)) {
        const parent = this.#byName.get(name);
        if (parent === undefined || parent.accountId === zone.accountId) continue;
        const [older, newer] = byAge(parent, zone) < 0 ? [parent, zone] : [zone, parent];
        if (!newer.delegated) found.push({ zone: newer, older });
      }
    }
    return found;
  }
}

/** Oldest first; the id breaks a tie so that every compile decides the same. */
function byAge(a: ZoneRecord, b: ZoneRecord): number {
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
