/**
 * ZoneScopedCrud: the create / list / get / replace / delete shape shared by a zone's APIs and routes, resources
 * that own a hostname of the zone and a unique (hostname, path) pair. Each write:
 *  - needs `edit` on the zone, reads need `read` (TenancyService);
 *  - holds the account lock (inZoneTransaction), so concurrent writers end as some serial order would;
 *  - refuses a hostname another zone owns, then runs the resource's own checks that need the store;
 *  - turns the store's unique-key conflict into the resource's 409 that names the pair.
 * What differs between resources (field rules, the store calls, the checks, the messages) is the spec.
 */
import { GW_ERR_API_OBJECT_NOT_FOUND, GW_ERR_API_VALIDATION, type GatewayError } from '../errors/index.ts';
import { StoreConflictError, type Store } from '../store/ports.ts';
import type { HexId, ZoneRecord } from '../model/records.ts';
import type { Principal } from './access-policy.ts';
import { isoMicros, newHexId } from './ids.ts';
import type { TenancyService } from './tenancy/tenancy-service.ts';
import { inZoneTransaction } from './account-transaction.ts';
import { refuseForeignHostnames } from './tenancy/foreign-hostnames.ts';

/** The fields every zone-scoped resource record has; the rest is the resource's validated input. */
export interface ZoneScopedRecord {
  id: HexId;
  zoneId: HexId;
  hostname: string;
  createdOn: string;
  modifiedOn: string;
}

/** A record without what the service assigns: what the input parser returns. */
export type ValidFields<R extends ZoneScopedRecord> = Omit<R, 'id' | 'zoneId' | 'createdOn' | 'modifiedOn'>;

export interface ZoneScopedSpec<R extends ZoneScopedRecord, I> {
  /** Plural noun of the per-zone limit's message: `a zone has at most 1000 routes`. */
  readonly plural: string;
  readonly maxPerZone: number;
  /** The admin API collection under `/zones/:zone_id/gateway/`, named by the not-found error. */
  readonly collection: string;
  /** The field rules (throws a 400 or 12114 GatewayError). */
  readonly validate: (input: I, zone: ZoneRecord) => ValidFields<R>;
  readonly store: {
    readonly list: (store: Store, zoneId: HexId) => Promise<R[]>;
    readonly get: (store: Store, zoneId: HexId, id: HexId) => Promise<R | undefined>;
    readonly create: (store: Store, record: R) => Promise<void>;
    readonly update: (store: Store, record: R) => Promise<void>;
    readonly delete: (store: Store, zoneId: HexId, id: HexId) => Promise<void>;
  };
  /** The resource's checks that need the store, run inside the write's transaction. */
  readonly checkReferences: (store: Store, zone: ZoneRecord, records: readonly R[]) => Promise<void>;
  /** The 409 for a (hostname, path) pair the store already holds. */
  readonly conflict: (record: R) => GatewayError;
}

export class ZoneScopedCrud<R extends ZoneScopedRecord, I> {
  readonly #store: Store;
  readonly #tenancy: TenancyService;
  readonly #now: () => Date;
  readonly #spec: ZoneScopedSpec<R, I>;

  constructor(store: Store, tenancy: TenancyService, now: () => Date, spec: ZoneScopedSpec<R, I>) {
    this.#store = store;
    this.#tenancy = tenancy;
    this.#now = now;
    this.#spec = spec;
  }

  async create(principal: Principal, zoneId: HexId, input: I): Promise<R> {
    const zone = await this.zone(principal, zoneId, 'edit');
    const now = this.timestamp();
    const record = this.newRecord(zone, this.#spec.validate(input, zone), now);
    await this.inAccount(zone, async (store) => {
      if ((await this.#spec.store.list(store, zone.id)).length >= this.#spec.maxPerZone) this.refuseOverLimit();
      await this.checkAndWrite(store, zone, [record], (checked) => this.#spec.store.create(store, checked));
    });
    return record;
  }

  async list(principal: Principal, zoneId: HexId): Promise<R[]> {
    const zone = await this.zone(principal, zoneId, 'read');
    return this.#spec.store.list(this.#store, zone.id);
  }

  async get(principal: Principal, zoneId: HexId, id: HexId): Promise<R> {
    const zone = await this.zone(principal, zoneId, 'read');
    return this.require(this.#store, zone, id);
  }

  /** PUT: replaces every field but the id and the creation time; the input is checked before the record is read. */
  async update(principal: Principal, zoneId: HexId, id: HexId, input: I): Promise<R> {
    const zone = await this.zone(principal, zoneId, 'edit');
    const fields = this.#spec.validate(input, zone);
    return this.#replace(zone, id, () => fields);
  }

  /** PATCH: `merge` gives the new fields from the stored record (and checks them); id and creation time stay. */
  async patch(
    principal: Principal,
    zoneId: HexId,
    id: HexId,
    merge: (current: R, zone: ZoneRecord) => ValidFields<R>,
  ): Promise<R> {
    const zone = await this.zone(principal, zoneId, 'edit');
    return this.#replace(zone, id, (current) => merge(current, zone));
  }

  /** Deletes the record and returns it as it was. */
  async delete(principal: Principal, zoneId: HexId, id: HexId): Promise<R> {
    const zone = await this.zone(principal, zoneId, 'edit');
    return this.inAccount(zone, async (store) => {
      const current = await this.require(store, zone, id);
      await this.#spec.store.delete(store, zone.id, id);
      return current;
    });
  }

  #replace(zone: ZoneRecord, id: HexId, next: (current: R) => ValidFields<R>): Promise<R> {
    return this.inAccount(zone, async (store) => {
      const current = await this.require(store, zone, id);
      const record: R = { ...current, ...next(current), modifiedOn: this.timestamp() };
      await this.checkAndWrite(store, zone, [record], (checked) => this.#spec.store.update(store, checked));
      return record;
    });
  }

  // The building blocks, for a resource's own bulk operations (RouteService.replaceAll).

  zone(principal: Principal, zoneId: HexId, access: 'read' | 'edit'): Promise<ZoneRecord> {
    return this.#tenancy.getZone(principal, zoneId, access);
  }

  inAccount<T>(zone: ZoneRecord, work: (store: Store) => Promise<T>): Promise<T> {
    return inZoneTransaction(this.#store, zone, work);
  }

  timestamp(): string {
    return isoMicros(this.#now());
  }

  newRecord(zone: ZoneRecord, fields: ValidFields<R>, now: string): R {
    // ValidFields<R> plus the four assigned fields is R; TypeScript cannot see it through the generic Omit.
    return { id: newHexId(), zoneId: zone.id, ...fields, createdOn: now, modifiedOn: now } as unknown as R;
  }

  refuseOverLimit(): never {
    throw GW_ERR_API_VALIDATION.create(`a zone has at most ${this.#spec.maxPerZone} ${this.#spec.plural}`);
  }

  /** Hostnames of other zones, then the resource's checks, then the write (a taken pair becomes its 409). */
  async checkAndWrite(
    store: Store,
    zone: ZoneRecord,
    records: readonly R[],
    write: (record: R) => Promise<void>,
  ): Promise<void> {
    await refuseForeignHostnames(
      store,
      zone,
      records.map((record) => record.hostname),
    );
    await this.#spec.checkReferences(store, zone, records);
    for (const record of records) {
      try {
        await write(record);
      } catch (error) {
        if (error instanceof StoreConflictError) throw this.#spec.conflict(record);
        throw error;
      }
    }
  }

  async require(store: Store, zone: ZoneRecord, id: HexId): Promise<R> {
    const record = await this.#spec.store.get(store, zone.id, id);
    if (record === undefined) {
      throw GW_ERR_API_OBJECT_NOT_FOUND.create(`/zones/${zone.id}/gateway/${this.#spec.collection}/${id}`);
    }
    return record;
  }
}
