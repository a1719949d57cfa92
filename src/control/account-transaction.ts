/**
 * inAccountTransaction: runs `work` in one store transaction that first takes the account's lock
 * (Store.lockAccount), so the read-check-write sequences of one account — quotas, "in use" checks,
 * read-modify-write of settings — never interleave with another writer's.
 */
import type { Store } from '../store/ports.ts';
import type { HexId } from '../store/records.ts';

export function inAccountTransaction<T>(root: Store, accountId: HexId, work: (store: Store) => Promise<T>): Promise<T> {
  return root.transaction(async (store) => {
    await store.lockAccount(accountId);
    return work(store);
  });
}
