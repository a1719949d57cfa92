/**
 * A managed CA's revoked serials, kept between compiles and brought up to date from the certificates changed
 * since the version held (migration 0013). Every configuration change recompiles the snapshot and republishes
 * the CRLs; with a fleet CA of 100,000 revoked certificates, listing them all each time is what stalled the
 * gateway for seconds (bench/revocation-scale.ts). A change now costs one row (the version) when nothing was
 * revoked, and the changed certificates when something was.
 *
 * One Map per CA, serial (lookup form) → revocation time in ms: the data plane's revocation index reads its keys,
 * the CRL and OCSP its values. No object per entry (no Date, no record): 100,000 of them were most of the start's
 * indexing time and of its heap.
 *
 * The map is updated in place, never copied (copying 100,000 entries per revocation was itself a stall of
 * tens of milliseconds): the snapshot in force holds the same map, so a revocation reaches it a moment before
 * the new snapshot does, which is the direction revocation wants (docs/architecture.md, "Data model").
 *
 * The version is read before the changes: a revocation committed in between is applied and also raises the
 * version past the one kept, so the next read applies it again (idempotent), never the reverse.
 */
import type { Uuid } from '../../model/records.ts';
import type { Store } from '../../store/ports.ts';
import { NormalisedSerials } from '../../runtime-config/gateway-snapshot.ts';
import { serialForLookup } from '../../pki/serial.ts';

export interface RevokedSerials {
  readonly version: number;
  /** The serials as the data plane's revocation index looks them up (the keys of `revokedAtMs`). */
  readonly serials: NormalisedSerials;
  /**
   * Serial (lookup form, serialForLookup) → when it was revoked (its issue time when the store has none), ms since
   * the epoch: the CRL and OCSP view.
   */
  readonly revokedAtMs: ReadonlyMap<string, number>;
}

/**
 * Told of every serial a read adds or removes after the CA's first listing (`revokedAtMs` undefined: removed), in
 * the same synchronous step as the map changes: what a CRL built from an earlier state of the map lacks.
 */
export type RevocationChangeListener = (caId: Uuid, serial: string, revokedAtMs: number | undefined) => void;

interface Entry {
  version: number;
  readonly serials: NormalisedSerials;
  readonly revokedAtMs: Map<string, number>;
}

export class RevokedSerialsCache {
  readonly #entries = new Map<Uuid, Entry>();
  /** The read in progress per CA: reads of one CA run one after the other (see `read`). */
  readonly #reading = new Map<Uuid, Promise<unknown>>();
  readonly #onChange: RevocationChangeListener | undefined;

  constructor(onChange?: RevocationChangeListener) {
    this.#onChange = onChange;
  }

  /**
   * The CA's revoked serials, reading from the store only what changed since the last read. Reads of one CA are
   * queued: the snapshot compile and the CRL publication ask at the same time, and two reads applying changes
   * concurrently could let an older answer (a certificate still active) undo a newer one (it is revoked).
   */
  read(store: Store, caId: Uuid): Promise<RevokedSerials> {
    return this.#queued(caId, () => this.#readNow(store, caId));
  }

  /**
   * Revocations this process committed and knows whole (a bulk revocation's rows as the store returned them), all
   * at `version`, revoked at `revokedAtMs`. When the CA's set stands at the version just below, nothing else changed
   * in between (the version is raised by one under the CA row's lock), so the set takes them without reading 10,000
   * rows back from the store. Otherwise (the CA never read, or another change came between) nothing happens here
   * and the next read brings the set up to date as usual. Resolves to whether the set took them.
   */
  applyOwn(caId: Uuid, version: number, serials: readonly string[], revokedAtMs: number): Promise<boolean> {
    return this.#queued(caId, () => {
      const cached = this.#entries.get(caId);
      if (cached?.version !== version - 1) return Promise.resolve(false);
      for (const serialNumber of serials) {
        const serial = serialForLookup(serialNumber);
        cached.revokedAtMs.set(serial, revokedAtMs);
        this.#onChange?.(caId, serial, revokedAtMs);
      }
      cached.version = version;
      return Promise.resolve(true);
    });
  }

  /** Runs `work` once the CA's earlier reads and updates have ended (see `read`). */
  #queued<T>(caId: Uuid, work: () => Promise<T>): Promise<T> {
    const previous = this.#reading.get(caId);
    const next = (previous === undefined ? Promise.resolve() : previous.then(noop, noop)).then(work);
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
      const { serials, revokedAtMs } = await store.listRevokedSerials(caId);
      const map = new Map<string, number>();
      serials.forEach((serial, index) => map.set(serialForLookup(serial), revokedAtMs[index] ?? 0));
      const fresh: Entry = { version, serials: new NormalisedSerials(map), revokedAtMs: map };
      this.#entries.set(caId, fresh);
      return fresh;
    }
    for (const change of await store.listRevocationChanges(caId, cached.version)) {
      const serial = serialForLookup(change.serialNumber);
      // pending_revocation already counts as revoked: revocation takes effect at once (docs/architecture.md).
      if (change.status === 'revoked' || change.status === 'pending_revocation') {
        const at = Date.parse(change.revokedAt ?? change.issuedOn);
        cached.revokedAtMs.set(serial, at);
        this.#onChange?.(caId, serial, at);
      } else if (cached.revokedAtMs.delete(serial)) {
        this.#onChange?.(caId, serial, undefined);
      }
    }
    cached.version = version;
    return cached;
  }
}

function noop(): void {
  // The previous read's outcome is its caller's; this one only waits for it to end.
}
