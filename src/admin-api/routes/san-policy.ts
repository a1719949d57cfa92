/**
 * A zone's SAN policy for the client certificates its managed CA issues (docs/adr/0019): which requested
 * subject alternative names are certified. A Portcullis setting (Cloudflare's managed CA certifies none), at the
 * path of Cloudflare's zone settings with their `{ value }` body. DELETE goes back to the zone's default.
 */
import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { HEX_ID_PATTERN } from '../../control/ids.ts';
import { principalOf } from '../authentication.ts';
import { success } from '../envelope.ts';
import type { AdminServices } from '../services.ts';

const PATH = '/zones/:zone_id/settings/client_certificate_san_policy';
const Params = Type.Object({ zone_id: Type.String({ pattern: HEX_ID_PATTERN }) });
const Domains = Type.Array(Type.String({ maxLength: 253 }), { maxItems: 50 });
const Policy = Type.Object(
  {
    dns_domains: Type.Optional(Domains),
    email_domains: Type.Optional(Domains),
    uri_prefixes: Type.Optional(Type.Array(Type.String({ maxLength: 200 }), { maxItems: 50 })),
    ip_addresses: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

const setting = (value: object): object => ({ id: 'client_certificate_san_policy', value, editable: true });

export const sanPolicyRoutes: FastifyPluginAsyncTypebox<{ services: AdminServices }> = (app, { services }) => {
  const { sanPolicies } = services;
  const tags = ['zone_settings'];

  app.get(PATH, { schema: { tags, params: Params } }, async (request) =>
    success(setting(await sanPolicies.get(principalOf(request), request.params.zone_id))),
  );

  app.patch(PATH, { schema: { tags, params: Params, body: Type.Object({ value: Policy }) } }, async (request) =>
    success(setting(await sanPolicies.set(principalOf(request), request.params.zone_id, request.body.value))),
  );

  app.delete(PATH, { schema: { tags, params: Params } }, async (request) =>
    success(setting(await sanPolicies.reset(principalOf(request), request.params.zone_id))),
  );
  return Promise.resolve();
};
