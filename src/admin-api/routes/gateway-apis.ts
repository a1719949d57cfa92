/**
 * Gateway APIs of a zone (`/zones/:zone_id/gateway/apis`, Tyk's API definitions): hostname +
 * listen path → upstream, with an auth mode. Our own resource, shaped like the v4 API's others
 * (envelope, snake_case, `{ id }` from DELETE). Field rules: control/apis/api-definition-input.ts.
 */
import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { HEX_ID_PATTERN } from '../../control/ids.ts';
import { allowedInputOf, MAX_ALLOWED_CERTIFICATES } from '../../control/apis/api-definition-input.ts';
import { MAX_NAME_LENGTH } from '../../control/apis/gateway-policy-input.ts';
import { MAX_PATH_PREFIX_LENGTH, MAX_UPSTREAM_LENGTH } from '../../control/routes/route-input.ts';
import type { ApiDefinitionRecord } from '../../model/records.ts';
import { principalOf } from '../authentication.ts';
import { success } from '../envelope.ts';
import { singlePageInfo } from '../pagination.ts';
import type { AdminServices } from '../services.ts';
import { RateLimitSchema, rateLimitView } from './gateway-policies.ts';
import { UpstreamTimeoutSchema } from './gateway-routes.ts';

const PATH = '/zones/:zone_id/gateway/apis';
const Params = Type.Object({ zone_id: Type.String({ pattern: HEX_ID_PATTERN }) });
const ItemParams = Type.Object({
  zone_id: Type.String({ pattern: HEX_ID_PATTERN }),
  api_id: Type.String({ pattern: HEX_ID_PATTERN }),
});

const AuthSchema = Type.Object({
  mode: Type.String({ description: '`keyless`, `mtls_static`, `mtls_dynamic` or `token`' }),
  token_required: Type.Optional(
    Type.Boolean({ description: 'mtls_static only: a token key is required as well as the certificate' }),
  ),
  allowed_certificates: Type.Optional(
    Type.Array(
      Type.Object({
        mtls_certificate_id: Type.Optional(Type.String({ description: 'A leaf uploaded to the account' })),
        client_certificate_id: Type.Optional(Type.String({ description: 'A client certificate of the zone' })),
        sha256: Type.Optional(Type.String({ maxLength: 95, description: 'SHA-256 of the leaf (hex, colons allowed)' })),
      }),
      {
        maxItems: MAX_ALLOWED_CERTIFICATES,
        description: 'mtls_static only (and then required): exactly one field per entry',
      },
    ),
  ),
});

const ApiFields = {
  name: Type.String({ minLength: 1, maxLength: MAX_NAME_LENGTH }),
  hostname: Type.String({ minLength: 1, maxLength: 253, description: 'Hostname in the zone, or `*.` + a parent' }),
  listen_path: Type.Optional(
    Type.String({
      maxLength: MAX_PATH_PREFIX_LENGTH,
      description: 'Matched on segment boundaries (`/api` matches `/api/x`, not `/apix`); default `/`',
    }),
  ),
  upstream_url: Type.String({
    minLength: 1,
    maxLength: MAX_UPSTREAM_LENGTH,
    description: '`http://`, `https://` or `h2c://` host[:port][/base path]; grpc needs h2c:// or https://',
  }),
  strip_listen_path: Type.Optional(Type.Boolean({ description: 'Remove listen_path from the path sent upstream' })),
  upstream_timeout_ms: Type.Optional(UpstreamTimeoutSchema),
  protocol: Type.Optional(Type.String({ description: '`http` (default) or `grpc`' })),
  active: Type.Optional(Type.Boolean()),
  auth: AuthSchema,
  rate_limit: Type.Optional(RateLimitSchema),
};
/** POST and PUT: PUT replaces every field, so omitted ones take their defaults. */
const ApiBody = Type.Object(ApiFields);
/** PATCH: the fields given replace the stored ones (`auth` and `rate_limit` as a whole). */
const ApiPatchBody = Type.Partial(Type.Object(ApiFields));

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

  app.post(PATH, { schema: { tags, params: Params, body: ApiBody } }, async (request) =>
    success(apiView(await apis.create(principalOf(request), request.params.zone_id, request.body))),
  );

  app.get(`${PATH}/:api_id`, { schema: { tags, params: ItemParams } }, async (request) =>
    success(apiView(await apis.get(principalOf(request), request.params.zone_id, request.params.api_id))),
  );

  app.put(`${PATH}/:api_id`, { schema: { tags, params: ItemParams, body: ApiBody } }, async (request) => {
    const { zone_id, api_id } = request.params;
    return success(apiView(await apis.update(principalOf(request), zone_id, api_id, request.body)));
  });

  app.patch(`${PATH}/:api_id`, { schema: { tags, params: ItemParams, body: ApiPatchBody } }, async (request) => {
    const { zone_id, api_id } = request.params;
    return success(apiView(await apis.patch(principalOf(request), zone_id, api_id, request.body)));
  });

  app.delete(`${PATH}/:api_id`, { schema: { tags, params: ItemParams } }, async (request) => {
    const deleted = await apis.delete(principalOf(request), request.params.zone_id, request.params.api_id);
    return success({ id: deleted.id });
  });
  return Promise.resolve();
};
