/**
 * RouteService: a zone's routes (hostname + path prefix → upstream). The (hostname, prefix) pair is
 * unique across the installation, since a hostname belongs to one zone; a second route for a pair
 * is a 409, and so is a route at the pair of an API (api-definition-service.ts checks the reverse).
 * Writes hold the account lock, so concurrent writers end as some serial order would.
 */
import {
  GatewayError,
  GW_ERR_API_CONFLICT,
  GW_ERR_API_OBJECT_NOT_FOUND,
  GW_ERR_API_VALIDATION,
} from '../../errors/index.ts';
import { StoreConflictError, type Store } from '../../store/ports.ts';
import type { HexId, RouteRecord, ZoneRecord } from '../../model/records.ts';
import type { Principal } from '../access-policy.ts';
import { isoMicros, newHexId } from '../ids.ts';
import { validateRouteInput, type RouteInput, type ValidRoute } from './route-input.ts';
import type { TenancyService } from '../tenancy/tenancy-service.ts';
import { inZoneTransaction } from '../account-transaction.ts';
import { refuseForeignHostnames } from '../tenancy/foreign-hostnames.ts';

/** At most this many routes per zone (each one is compiled into every snapshot). */
export const MAX_ROUTES_PER_ZONE = 1000;

export class RouteService {
  readonly #store: Store;
  readonly #tenancy: TenancyService;
  readonly #now: () => Date;

  constructor(store: Store, tenancy: TenancyService, now: () => Date = () => new Date()) {
    this.#store = store;
    this.#tenancy = tenancy;
    this.#now = now;
  }

  async create(principal: Principal, zoneId: HexId, input: RouteInput): Promise<RouteRecord> {
    const zone = await this.#tenancy.getZone(principal, zoneId, 'edit');
    const route = validateRouteInput(input, zone);
    const now = isoMicros(this.#now());
    const record: RouteRecord = { id: newHexId(), zoneId: zone.id, ...route, createdOn: now, modifiedOn: now };
    await this.#inAccount(zone, async (store) => {
      if ((await store.listRoutes(zone.id)).length >= MAX_ROUTES_PER_ZONE) {
        throw GW_ERR_API_VALIDATION.create(`a zone has at most ${MAX_ROUTES_PER_ZONE} routes`);
      }
      await refuseForeignHostnames(store, zone, [record.hostname]);
      await refuseApiPairs(store, [record]);
      await writeRoute(() => store.createRoute(record), record);
    });
    return record;
  }

  async list(principal: Principal, zoneId: HexId): Promise<RouteRecord[]> {
    const zone = await this.#tenancy.getZone(principal, zoneId, 'read');
    return this.#store.listRoutes(zone.id);
  }

  async get(principal: Principal, zoneId: HexId, id: HexId): Promise<RouteRecord> {
    const zone = await this.#tenancy.getZone(principal, zoneId, 'read');
    return requireRoute(this.#store, zone, id);
  }

  /** Replaces every field but the id and the creation time. */
  async update(principal: Principal, zoneId: HexId, id: HexId, input: RouteInput): Promise<RouteRecord> {
    const zone = await this.#tenancy.getZone(principal, zoneId, 'edit');
    const route = validateRouteInput(input, zone);
    return this.#inAccount(zone, async (store) => {
      const current = await requireRoute(store, zone, id);
      const record: RouteRecord = { ...current, ...route, modifiedOn: isoMicros(this.#now()) };
      await refuseForeignHostnames(store, zone, [record.hostname]);
      await refuseApiPairs(store, [record]);
      await writeRoute(() => store.updateRoute(record), record);
      return record;
    });
  }

  /** Deletes the route and returns it as it was. */
  async delete(principal: Principal, zoneId: HexId, id: HexId): Promise<RouteRecord> {
    const zone = await this.#tenancy.getZone(principal, zoneId, 'edit');
    return this.#inAccount(zone, async (store) => {
      const current = await requireRoute(store, zone, id);
      await store.deleteRoute(zone.id, id);
      return current;
    });
  }

  /**
   * Makes the zone's routes exactly `inputs` (the config file's declarative apply). All are
   * validated before anything is written, and the swap is one transaction. A route whose
   * (hostname, prefix) stays keeps its id and creation time, and its modification time too when
   * nothing else changed, so applying the same list twice changes nothing.
   */
  async replaceAll(principal: Principal, zoneId: HexId, inputs: readonly RouteInput[]): Promise<RouteRecord[]> {
    const zone = await this.#tenancy.getZone(principal, zoneId, 'edit');
    if (inputs.length > MAX_ROUTES_PER_ZONE) {
      throw GW_ERR_API_VALIDATION.create(`a zone has at most ${MAX_ROUTES_PER_ZONE} routes`);
    }
    const routes = validateAll(inputs, zone);
    return this.#inAccount(zone, async (store) => {
      const previous = new Map((await store.listRoutes(zone.id)).map((record) => [keyOf(record), record]));
      const now = isoMicros(this.#now());
      const records = routes.map((route): RouteRecord => {
        const kept = previous.get(keyOf(route));
        if (kept === undefined) return { id: newHexId(), zoneId: zone.id, ...route, createdOn: now, modifiedOn: now };
        return sameRoute(kept, route) ? kept : { ...kept, ...route, modifiedOn: now };
      });
      await refuseForeignHostnames(
        store,
        zone,
        records.map((record) => record.hostname),
      );
      for (const record of previous.values()) await store.deleteRoute(zone.id, record.id);
      await refuseApiPairs(store, records);
      for (const record of records) await writeRoute(() => store.createRoute(record), record);
      return store.listRoutes(zone.id);
    });
  }

  #inAccount<T>(zone: ZoneRecord, work: (store: Store) => Promise<T>): Promise<T> {
    return inZoneTransaction(this.#store, zone, work);
  }
}

async function requireRoute(store: Store, zone: ZoneRecord, id: HexId): Promise<RouteRecord> {
  const record = await store.getRoute(zone.id, id);
  if (record === undefined) throw GW_ERR_API_OBJECT_NOT_FOUND.create(`/zones/${zone.id}/gateway/routes/${id}`);
  return record;
}

/** An API (gateway_apis) and a route never share a (hostname, path) pair: one request, one configuration. */
async function refuseApiPairs(store: Store, routes: readonly RouteRecord[]): Promise<void> {
  const apis = new Map((await store.listAllApis()).map((api) => [`${api.hostname}\0${api.listenPath}`, api]));
  for (const route of routes) {
    const api = apis.get(keyOf(route));
    if (api !== undefined) {
      throw GW_ERR_API_CONFLICT.create(
        `an API for ${route.hostname}${route.pathPrefix} already exists; an API and a route cannot share a hostname and path`,
      );
    }
  }
}

/** Runs a store write; a taken (hostname, prefix) pair becomes a 409 that names it. */
async function writeRoute(write: () => Promise<void>, route: ValidRoute): Promise<void> {
  try {
    await write();
  } catch (error) {
    if (error instanceof StoreConflictError) {
      throw GW_ERR_API_CONFLICT.create(`a route for ${route.hostname}${route.pathPrefix} already exists`);
    }
    throw error;
  }
}

function validateAll(inputs: readonly RouteInput[], zone: ZoneRecord): ValidRoute[] {
  const seen = new Map<string, number>();
  return inputs.map((input, index) => {
    let route: ValidRoute;
    try {
      route = validateRouteInput(input, zone);
    } catch (error) {
      // Say which route of the list was refused; the code (400 or 12114) stays the same.
      if (error instanceof GatewayError) throw new GatewayError(error, `routes[${index}]: ${error.message}`, error);
      throw error;
    }
    const first = seen.get(keyOf(route));
    if (first !== undefined) {
      throw GW_ERR_API_VALIDATION.create(
        `routes[${first}] and routes[${index}] are both for ${route.hostname}${route.pathPrefix}`,
      );
    }
    seen.set(keyOf(route), index);
    return route;
  });
}

/** The unique key. A NUL cannot occur in either part, so the join is unambiguous. */
function keyOf(route: Pick<ValidRoute, 'hostname' | 'pathPrefix'>): string {
  return `${route.hostname}\0${route.pathPrefix}`;
}

function sameRoute(record: RouteRecord, route: ValidRoute): boolean {
  return (
    record.upstreamUrl === route.upstreamUrl &&
    record.stripPrefix === route.stripPrefix &&
    record.upstreamTimeoutMs === route.upstreamTimeoutMs &&
    record.description === route.description
  );
}
