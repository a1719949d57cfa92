/**
 * foreignHostnames: the hostnames under a zone's name that a zone of ANOTHER account holds — a
 * subdomain zone the operator delegated (docs/adr/0007-zone-ownership.md). The snapshot compiler
 * would never serve them from this zone; the services refuse them on write instead of storing
 * configuration that can never apply. Decided by HostnameOwnership, the compiler's own rule.
 */
import { GW_ERR_HOSTNAME_NOT_IN_ZONE } from '../../errors/index.ts';
import type { Store } from '../../store/ports.ts';
import type { ZoneRecord } from '../../model/records.ts';
import { HostnameOwnership } from './hostname-ownership.ts';

/** Each hostname another account's zone holds, with that zone. */
export async function foreignHostnames(
  store: Store,
  zone: ZoneRecord,
  hostnames: readonly string[],
): Promise<Map<string, ZoneRecord>> {
  const foreign = new Map<string, ZoneRecord>();
  const overlapping = await store.listOverlappingZones(zone.name);
  if (overlapping.every((other) => other.accountId === zone.accountId)) return foreign;
  const ownership = new HostnameOwnership(overlapping);
  for (const hostname of hostnames) {
    const owner = ownership.servingZones(hostname)[0];
    if (owner !== undefined && owner.accountId !== zone.accountId) foreign.set(hostname, owner);
  }
  return foreign;
}

/** 400 GW_ERR_HOSTNAME_NOT_IN_ZONE naming the first hostname another account's zone holds. */
export async function refuseForeignHostnames(
  store: Store,
  zone: ZoneRecord,
  hostnames: readonly string[],
): Promise<void> {
  for (const [hostname, owner] of await foreignHostnames(store, zone, hostnames)) {
    throw GW_ERR_HOSTNAME_NOT_IN_ZONE.create(`${hostname} (it belongs to the zone ${owner.name} of another account)`);
  }
}
