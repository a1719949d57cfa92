/**
 * inAccountTransaction: runs `work` in one store transaction that first takes the account's lock
 * (Store.lockAccount), so the read-check-write sequences of one account — quotas, "in use" checks,
 * read-modify-write of settings — never interleave with another writer's.
 *
 * inZoneTransaction: the same for a write of a zone's records, which must find the zone still
 * there under the lock: a zone deletion holds the same lock, so a write that read the zone before
 * the deletion gets a clean 404 after it, never a record of a deleted zone (or a foreign-key error).
 */
import { GW_ERR_API_OBJECT_NOT_FOUND } from '../errors/index.ts';
import type { Store } from '../store/ports.ts';
import type { HexId, ZoneRecord } from '../model/records.ts';

export function inAccountTransaction<T>(root: Store, accountId: HexId, work: (store: Store) => Promise<T>): Promise<T> {
  return root.transaction(async (store) => {
    await store.lockAccount(accountId);
    return work(store);
  });
}

export function inZoneTransaction<T>(root: Store, zone: ZoneRecord, work: (store: Store) => Promise<T>): Promise<T> {
  return inAccountTransaction(root, zone.accountId, async (store) => {
    if ((await store.getZone(zone.id)) === undefined) throw GW_ERR_API_OBJECT_NOT_FOUND.create(`/zones/${zone.id}`);
    return work(store);
  });
}
