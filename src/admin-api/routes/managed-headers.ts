/**
 * Managed Transforms (cloudflare-compatibility.md §8.1), wire-compatible with the SDK's
 * `client.managedTransforms.list/edit/delete`: GET and PATCH answer both lists, DELETE turns every
 * transform off and answers 204 with no body, as Cloudflare does. What each id does:
 * control/rulesets/managed-headers-service.ts.
 */
import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { HEX_ID_PATTERN } from '../../control/ids.ts';
import type { ManagedHeaders, ManagedHeaderState } from '../../control/rulesets/managed-headers-service.ts';
import { principalOf } from '../authentication.ts';
import { success } from '../envelope.ts';
import type { AdminServices } from '../services.ts';

const PATH = '/zones/:zone_id/managed_headers';
const Params = Type.Object({ zone_id: Type.String({ pattern: HEX_ID_PATTERN }) });
// Extra properties (has_conflict, conflicts_with from a GET read back) are accepted and ignored.
const Transform = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }), enabled: Type.Boolean() });
const Transforms = Type.Array(Transform, { maxItems: 100 });

/** The SDK's item type requires has_conflict; none of ours conflict with another. */
const itemView = (item: ManagedHeaderState): object => ({ id: item.id, enabled: item.enabled, has_conflict: false });

function view(headers: ManagedHeaders): object {
  return {
    managed_request_headers: headers.managed_request_headers.map(itemView),
    managed_response_headers: headers.managed_response_headers.map(itemView),
  };
}

export const managedHeaderRoutes: FastifyPluginAsyncTypebox<{ services: AdminServices }> = (app, { services }) => {
  const { managedHeaders } = services;
  const tags = ['managed_transforms'];

  app.get(PATH, { schema: { tags, params: Params } }, async (request) =>
    success(view(await managedHeaders.get(principalOf(request), request.params.zone_id))),
  );

  app.patch(
    PATH,
    {
      schema: {
        tags,
        params: Params,
        body: Type.Object({
          managed_request_headers: Type.Optional(Transforms),
          managed_response_headers: Type.Optional(Transforms),
        }),
      },
    },
    async (request) =>
      success(view(await managedHeaders.edit(principalOf(request), request.params.zone_id, request.body))),
  );

  app.delete(PATH, { schema: { tags, params: Params } }, async (request, reply) => {
    await managedHeaders.delete(principalOf(request), request.params.zone_id);
    return reply.code(204).send();
  });
  return Promise.resolve();
};
