/**
 * RouteService: a zone's routes (hostname + path prefix → upstream). The (hostname, prefix) pair is
 * unique across the installation, since a hostname belongs to one zone; a second route for a pair
 * is a 409, and so is a route at the pair of an API (api-definition-service.ts checks the reverse).
 * Writes hold the account lock, so concurrent writers end as some serial order would.
 */
import { GatewayError, GW_ERR_API_CONFLICT, GW_ERR_API_VALIDATION } from '../../errors/index.ts';
import type { Store } from '../../store/ports.ts';
import type { HexId, RouteRecord, ZoneRecord } from '../../model/records.ts';
import type { Principal } from '../access-policy.ts';
import { validateRouteInput, type RouteInput, type ValidRoute } from './route-input.ts';
import type { TenancyService } from '../tenancy/tenancy-service.ts';
import { ZoneScopedCrud } from '../zone-scoped-crud.ts';

/** At most this many routes per zone (each one is compiled into every snapshot). */
export const MAX_ROUTES_PER_ZONE = 1000;

export class RouteService {
  readonly #crud: ZoneScopedCrud<RouteRecord, RouteInput>;

  constructor(store: Store, tenancy: TenancyService, now: () => Date = () => new Date()) {
    this.#crud = new ZoneScopedCrud(store, tenancy, now, {
      plural: 'routes',
      maxPerZone: MAX_ROUTES_PER_ZONE,
      collection: 'routes',
      validate: validateRouteInput,
      store: {
        list: (s, zoneId) => s.listRoutes(zoneId),
        get: (s, zoneId, id) => s.getRoute(zoneId, id),
        create: (s, record) => s.createRoute(record),
        update: (s, record) => s.updateRoute(record),
        delete: (s, zoneId, id) => s.deleteRoute(zoneId, id),
      },
      checkReferences: (s, _zone, records) => refuseApiPairs(s, records),
      // A taken (hostname, prefix) pair.
      conflict: (route) =>
        GW_ERR_API_CONFLICT.create(`a route for ${route.hostname}${route.pathPrefix} already exists`),
    });
  }

  create(principal: Principal, zoneId: HexId, input: RouteInput): Promise<RouteRecord> {
    return this.#crud.create(principal, zoneId, input);
  }

  list(principal: Principal, zoneId: HexId): Promise<RouteRecord[]> {
    return this.#crud.list(principal, zoneId);
  }

  get(principal: Principal, zoneId: HexId, id: HexId): Promise<RouteRecord> {
    return this.#crud.get(principal, zoneId, id);
  }

  /** Replaces every field but the id and the creation time. */
  update(principal: Principal, zoneId: HexId, id: HexId, input: RouteInput): Promise<RouteRecord> {
    return this.#crud.update(principal, zoneId, id, input);
  }

  /** Deletes the route and returns it as it was. */
  delete(principal: Principal, zoneId: HexId, id: HexId): Promise<RouteRecord> {
    return this.#crud.delete(principal, zoneId, id);
  }

  /**
   * Makes the zone's routes exactly `inputs` (the config file's declarative apply). All are
   * validated before anything is written, and the swap is one transaction. A route whose
   * (hostname, prefix) stays keeps its id and creation time, and its modification time too when
   * nothing else changed, so applying the same list twice changes nothing.
   */
  async replaceAll(principal: Principal, zoneId: HexId, inputs: readonly RouteInput[]): Promise<RouteRecord[]> {
    const crud = this.#crud;
    const zone = await crud.zone(principal, zoneId, 'edit');
    if (inputs.length > MAX_ROUTES_PER_ZONE) crud.refuseOverLimit();
    const routes = validateAll(inputs, zone);
    return crud.inAccount(zone, async (store) => {
      const previous = new Map((await store.listRoutes(zone.id)).map((record) => [keyOf(record), record]));
      const now = crud.timestamp();
      const records = routes.map((route): RouteRecord => {
        const kept = previous.get(keyOf(route));
        if (kept === undefined) return crud.newRecord(zone, route, now);
        return sameRoute(kept, route) ? kept : { ...kept, ...route, modifiedOn: now };
      });
      // The old routes go first, so a kept (hostname, prefix) pair can be written again under its unique key.
      for (const record of previous.values()) await store.deleteRoute(zone.id, record.id);
      await crud.checkAndWrite(store, zone, records, (record) => store.createRoute(record));
      return store.listRoutes(zone.id);
    });
  }
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
