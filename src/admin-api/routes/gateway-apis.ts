/**
 * Gateway APIs of a zone (`/zones/:zone_id/gateway/apis`, Tyk's API definitions): hostname +
 * listen path → upstream, with an auth mode. Our own resource, shaped like the v4 API's others
 * (envelope, snake_case, `{ id }` from DELETE). Body schemas: model/shapes/gateway-api-shape.ts; field rules: control/apis/api-definition-input.ts.
 */
import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { HEX_ID_PATTERN } from '../../control/ids.ts';
import { allowedInputOf } from '../../control/apis/api-definition-input.ts';
import { ApiBodySchema, ApiPatchBodySchema } from '../../model/shapes/gateway-api-shape.ts';
import type { ApiDefinitionRecord } from '../../model/records.ts';
import { principalOf } from '../authentication.ts';
import { success } from '../envelope.ts';
import { singlePageInfo } from '../pagination.ts';
import type { AdminServices } from '../services.ts';
import { rateLimitView } from './gateway-policies.ts';

const PATH = '/zones/:zone_id/gateway/apis';
const Params = Type.Object({ zone_id: Type.String({ pattern: HEX_ID_PATTERN }) });
const ItemParams = Type.Object({
  zone_id: Type.String({ pattern: HEX_ID_PATTERN }),
  api_id: Type.String({ pattern: HEX_ID_PATTERN }),
});

export function apiView(record: ApiDefinitionRecord): object {
  return {
    id: record.id,
    name: record.name,
    hostname: record.hostname,
    listen_path: record.listenPath,
    upstream_url: record.upstreamUrl,
    strip_listen_path: record.stripListenPath,
    upstream_timeout_ms: record.upstreamTimeoutMs,
    protocol: record.protocol,
    active: record.active,
    auth: {
      mode: record.authMode,
      token_required: record.tokenRequired,
      allowed_certificates: record.allowedCertificates.map(allowedInputOf),
    },
    rate_limit: rateLimitView(record.rateLimit),
    created_on: record.createdOn,
    modified_on: record.modifiedOn,
  };
}

export const gatewayApiRoutes: FastifyPluginAsyncTypebox<{ services: AdminServices }> = (app, { services }) => {
  const { apis } = services;
  const tags = ['gateway_apis'];

  app.get(PATH, { schema: { tags, params: Params } }, async (request) => {
    const records = await apis.list(principalOf(request), request.params.zone_id);
    return success(records.map(apiView), singlePageInfo(records.length));
  });

  app.post(PATH, { schema: { tags, params: Params, body: ApiBodySchema } }, async (request) =>
    success(apiView(await apis.create(principalOf(request), request.params.zone_id, request.body))),
  );

  app.get(`${PATH}/:api_id`, { schema: { tags, params: ItemParams } }, async (request) =>
    success(apiView(await apis.get(principalOf(request), request.params.zone_id, request.params.api_id))),
  );

  app.put(`${PATH}/:api_id`, { schema: { tags, params: ItemParams, body: ApiBodySchema } }, async (request) => {
    const { zone_id, api_id } = request.params;
    return success(apiView(await apis.update(principalOf(request), zone_id, api_id, request.body)));
  });

  app.patch(`${PATH}/:api_id`, { schema: { tags, params: ItemParams, body: ApiPatchBodySchema } }, async (request) => {
    const { zone_id, api_id } = request.params;
    return success(apiView(await apis.patch(principalOf(request), zone_id, api_id, request.body)));
  });

  app.delete(`${PATH}/:api_id`, { schema: { tags, params: ItemParams } }, async (request) => {
    const deleted = await apis.delete(principalOf(request), request.params.zone_id, request.params.api_id);
    return success({ id: deleted.id });
  });
  return Promise.resolve();
};
