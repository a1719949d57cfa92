/**
 * A managed CA's revoked serials, kept between compiles and brought up to date from the certificates changed
 * since the version held (migration 0013). Every configuration change recompiles the snapshot and republishes
 * the CRLs; with a fleet CA of 100,000 revoked certificates, listing them all each time is what stalled the
 * gateway for seconds (bench/revocation-scale.ts). A change now costs one row (the version) when nothing was
 * revoked, and the changed certificates when something was.
 *
 * The version is read before the changes: a revocation committed in between is applied and also raises the
 * version past the one kept, so the next read applies it again (idempotent), never the reverse.
 */
import type { Uuid } from '../../model/records.ts';
import type { RevokedSerial } from '../../model/read-models.ts';
import type { Store } from '../../store/ports.ts';
import { NormalisedSerials } from '../../runtime-config/gateway-snapshot.ts';
import { serialForLookup } from '../../pki/serial.ts';

export interface RevokedSerials {
  readonly version: number;
  /** Revoked and pending-revocation certificates by id. Never changed once handed out (copied on change). */
  readonly byId: ReadonlyMap<Uuid, RevokedSerial>;
  /** Their serials as the data plane's revocation index looks them up. */
  readonly serials: NormalisedSerials;
}

export class RevokedSerialsCache {
  readonly #entries = new Map<Uuid, RevokedSerials>();

  /** The CA's revoked serials, reading from the store only what changed since the last read. */
  async read(store: Store, caId: Uuid): Promise<RevokedSerials> {
    const version = await store.getRevocationVersion(caId);
    const cached = this.#entries.get(caId);
    if (cached !== undefined && cached.version === version) return cached;
    const fresh =
      cached === undefined
        ? fromList(version, await store.listRevokedSerials(caId))
        : await applyChanges(store, caId, cached, version);
    this.#entries.set(caId, fresh);
    return fresh;
  }
}

function fromList(version: number, revoked: readonly RevokedSerial[]): RevokedSerials {
  const byId = new Map(revoked.map((entry) => [entry.id, entry]));
  const serials = new Set(revoked.map((entry) => serialForLookup(entry.serialNumber)));
  return { version, byId, serials: new NormalisedSerials(serials) };
}

async function applyChanges(
  store: Store,
  caId: Uuid,
  cached: RevokedSerials,
  version: number,
): Promise<RevokedSerials> {
  const changes = await store.listRevocationChanges(caId, cached.version);
  const byId = new Map(cached.byId);
  const serials = new Set(cached.serials.set);
  for (const change of changes) {
    const before = byId.get(change.id);
    if (before !== undefined) {
      byId.delete(change.id);
      serials.delete(serialForLookup(before.serialNumber));
    }
    // pending_revocation already counts as revoked: revocation takes effect at once (docs/architecture.md).
    if (change.status === 'revoked' || change.status === 'pending_revocation') {
      byId.set(change.id, { ...change, status: change.status });
      serials.add(serialForLookup(change.serialNumber));
    }
  }
  return { version, byId, serials: new NormalisedSerials(serials) };
}
