/**
 * Gateway routes of a zone (hostname + path prefix → upstream): our own resource, shaped like the
 * v4 API's others (envelope, snake_case, `{ id }` from DELETE). Field rules: control/routes/route-input.ts.
 */
import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { HEX_ID_PATTERN } from '../../control/ids.ts';
import {
  MAX_DESCRIPTION_LENGTH,
  MAX_PATH_PREFIX_LENGTH,
  MAX_UPSTREAM_LENGTH,
} from '../../control/routes/route-input.ts';
import { MAX_UPSTREAM_TIMEOUT_MS } from '../../control/routes/upstream-timeout-input.ts';
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

/**
 * `upstream_timeout_ms` of routes and APIs (control/routes/upstream-timeout-input.ts checks it again). One
 * schema with two types rather than a union: with the API's type coercion, a union's `null` branch
 * would turn a refused `0` into null (the default) instead of a 400.
 */
export const UpstreamTimeoutSchema = Type.Unsafe<number | null>({
  type: ['integer', 'null'],
  minimum: 1,
  maximum: MAX_UPSTREAM_TIMEOUT_MS,
  description:
    'Milliseconds the upstream gets to send its response headers (and, over HTTP/1.1, each later body chunk) before the client gets 504; null or left out: the gateway default (`serve --upstream-timeout`, 30 s)',
});

/** POST and PUT take the same body: PUT replaces every field, so omitted ones take their defaults. */
const RouteBody = Type.Object({
  hostname: Type.String({ minLength: 1, maxLength: 253, description: 'Hostname in the zone, or `*.` + a parent' }),
  path_prefix: Type.Optional(
    Type.String({
      maxLength: MAX_PATH_PREFIX_LENGTH,
      description: 'Matched on segment boundaries (`/api` matches `/api/x`, not `/apix`); default `/`',
    }),
  ),
  upstream: Type.String({
    minLength: 1,
    maxLength: MAX_UPSTREAM_LENGTH,
    description: '`http://`, `https://` or `h2c://` host[:port][/base path]',
  }),
  strip_prefix: Type.Optional(Type.Boolean({ description: 'Remove path_prefix from the path sent upstream' })),
  upstream_timeout_ms: Type.Optional(UpstreamTimeoutSchema),
  description: Type.Optional(Type.String({ maxLength: MAX_DESCRIPTION_LENGTH })),
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

  app.post(PATH, { schema: { tags, params: Params, body: RouteBody } }, async (request) =>
    success(routeView(await routes.create(principalOf(request), request.params.zone_id, request.body))),
  );

  app.get(`${PATH}/:route_id`, { schema: { tags, params: ItemParams } }, async (request) =>
    success(routeView(await routes.get(principalOf(request), request.params.zone_id, request.params.route_id))),
  );

  app.put(`${PATH}/:route_id`, { schema: { tags, params: ItemParams, body: RouteBody } }, async (request) => {
    const { zone_id, route_id } = request.params;
    return success(routeView(await routes.update(principalOf(request), zone_id, route_id, request.body)));
  });

  app.delete(`${PATH}/:route_id`, { schema: { tags, params: ItemParams } }, async (request) => {
    const deleted = await routes.delete(principalOf(request), request.params.zone_id, request.params.route_id);
    return success({ id: deleted.id });
  });
  return Promise.resolve();
};
