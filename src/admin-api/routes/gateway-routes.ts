/**
 * Gateway routes of a zone (hostname + path prefix → upstream): our own resource, shaped like the
 * v4 API's others (envelope, snake_case, `{ id }` from DELETE). Body schema: model/shapes/gateway-route-shape.ts;
 * field rules: control/routes/route-input.ts.
 */
import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { HEX_ID_PATTERN } from '../../control/ids.ts';
import { RouteBodySchema } from '../../model/shapes/gateway-route-shape.ts';
import type { RouteRecord } from '../../model/records.ts';
import { principalOf } from '../authentication.ts';
import { success } from '../envelope.ts';
import { singlePageInfo } from '../pagination.ts';
import type { AdminServices } from '../services.ts';

const PATH = '/zones/:zone_id/gateway/routes';
const Params = Type.Object({ zone_id: Type.String({ pattern: HEX_ID_PATTERN }) });
const ItemParams = Type.Object({
  zone_id: Type.String({ pattern: HEX_ID_PATTERN }),
  route_id: Type.String({ pattern: HEX_ID_PATTERN }),
});

export function routeView(record: RouteRecord): object {
  return {
    id: record.id,
    hostname: record.hostname,
    path_prefix: record.pathPrefix,
    upstream: record.upstreamUrl,
    strip_prefix: record.stripPrefix,
    upstream_timeout_ms: record.upstreamTimeoutMs,
    description: record.description,
    created_on: record.createdOn,
    modified_on: record.modifiedOn,
  };
}

export const gatewayRouteRoutes: FastifyPluginAsyncTypebox<{ services: AdminServices }> = (app, { services }) => {
  const { routes } = services;
  const tags = ['gateway_routes'];

  app.get(PATH, { schema: { tags, params: Params } }, async (request) => {
    const records = await routes.list(principalOf(request), request.params.zone_id);
    return success(records.map(routeView), singlePageInfo(records.length));
  });

  app.post(PATH, { schema: { tags, params: Params, body: RouteBodySchema } }, async (request) =>
    success(routeView(await routes.create(principalOf(request), request.params.zone_id, request.body))),
  );

  app.get(`${PATH}/:route_id`, { schema: { tags, params: ItemParams } }, async (request) =>
    success(routeView(await routes.get(principalOf(request), request.params.zone_id, request.params.route_id))),
  );

  app.put(`${PATH}/:route_id`, { schema: { tags, params: ItemParams, body: RouteBodySchema } }, async (request) => {
    const { zone_id, route_id } = request.params;
    return success(routeView(await routes.update(principalOf(request), zone_id, route_id, request.body)));
  });

  app.delete(`${PATH}/:route_id`, { schema: { tags, params: ItemParams } }, async (request) => {
    const deleted = await routes.delete(principalOf(request), request.params.zone_id, request.params.route_id);
    return success({ id: deleted.id });
  });
  return Promise.resolve();
};
