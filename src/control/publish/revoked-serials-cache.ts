/**
 * A managed CA's revoked serials, kept between compiles and brought up to date from the certificates changed
 * since the version held (migration 0013). Every configuration change recompiles the snapshot and republishes
 * the CRLs; with a fleet CA of 100,000 revoked certificates, listing them all each time is what stalled the
 * gateway for seconds (bench/revocation-scale.ts). A change now costs one row (the version) when nothing was
 * revoked, and the changed certificates when something was.
 *
 * The sets are updated in place, never copied (copying 100,000 entries per revocation was itself a stall of
 * tens of milliseconds): the snapshot in force holds the same set, so a revocation reaches it a moment before
 * the new snapshot does, which is the direction revocation wants (docs/architecture.md, "Data model").
 *
 * The version is read before the changes: a revocation committed in between is applied and also raises the
 * version past the one kept, so the next read applies it again (idempotent), never the reverse.
 */
import type { Uuid } from '../../model/records.ts';
import type { RevokedSerial } from '../../model/read-models.ts';
import type { Store } from '../../store/ports.ts';
import { NormalisedSerials } from '../../runtime-config/gateway-snapshot.ts';
import { serialForLookup, serialToWire } from '../../pki/serial.ts';

export interface RevokedSerials {
  readonly version: number;
  /** Revoked and pending-revocation certificates by id. */
  readonly byId: ReadonlyMap<Uuid, RevokedSerial>;
  /** Their serials as the data plane's revocation index looks them up. */
  readonly serials: NormalisedSerials;
  /** Lowercase serial → when it was revoked (its issue time when the store has none): the CRL and OCSP view. */
  readonly revokedAt: ReadonlyMap<string, Date>;
}

interface Entry {
  version: number;
  readonly byId: Map<Uuid, RevokedSerial>;
  readonly set: Set<string>;
  readonly serials: NormalisedSerials;
  readonly revokedAt: Map<string, Date>;
}

export class RevokedSerialsCache {
  readonly #entries = new Map<Uuid, Entry>();
  /** The read in progress per CA: reads of one CA run one after the other (see `read`). */
  readonly #reading = new Map<Uuid, Promise<RevokedSerials>>();

  /**
   * The CA's revoked serials, reading from the store only what changed since the last read. Reads of one CA are
   * queued: the snapshot compile and the CRL publication ask at the same time, and two reads applying changes
   * concurrently could let an older answer (a certificate still active) undo a newer one (it is revoked).
   */
  read(store: Store, caId: Uuid): Promise<RevokedSerials> {
    const previous = this.#reading.get(caId);
    const next = (previous === undefined ? Promise.resolve() : previous.then(noop, noop)).then(() =>
      this.#readNow(store, caId),
    );
    this.#reading.set(caId, next);
    const forget = (): void => {
      if (this.#reading.get(caId) === next) this.#reading.delete(caId);
    };
    next.then(forget, forget);
    return next;
  }

  async #readNow(store: Store, caId: Uuid): Promise<RevokedSerials> {
    const version = await store.getRevocationVersion(caId);
    const cached = this.#entries.get(caId);
    if (cached !== undefined && cached.version === version) return cached;
    if (cached === undefined) {
      const fresh = emptyEntry(version);
      for (const entry of await store.listRevokedSerials(caId)) add(fresh, entry);
      this.#entries.set(caId, fresh);
      return fresh;
    }
    for (const change of await store.listRevocationChanges(caId, cached.version)) {
      remove(cached, change.id);
      // pending_revocation already counts as revoked: revocation takes effect at once (docs/architecture.md).
      if (change.status === 'revoked' || change.status === 'pending_revocation') {
        add(cached, { ...change, status: change.status });
      }
    }
    cached.version = version;
    return cached;
  }
}

function noop(): void {
  // The previous read's outcome is its caller's; this one only waits for it to end.
}

function emptyEntry(version: number): Entry {
  const set = new Set<string>();
  return { version, byId: new Map(), set, serials: new NormalisedSerials(set), revokedAt: new Map() };
}

function add(entry: Entry, revoked: RevokedSerial): void {
  entry.byId.set(revoked.id, revoked);
  entry.set.add(serialForLookup(revoked.serialNumber));
  entry.revokedAt.set(serialToWire(revoked.serialNumber), new Date(revoked.revokedAt ?? revoked.issuedOn));
}

function remove(entry: Entry, id: Uuid): void {
  const before = entry.byId.get(id);
  if (before === undefined) return;
  entry.byId.delete(id);
  entry.set.delete(serialForLookup(before.serialNumber));
  entry.revokedAt.delete(serialToWire(before.serialNumber));
}
