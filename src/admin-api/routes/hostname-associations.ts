/** Hostname associations (cloudflare-compatibility.md §5): GET/PUT per (zone, CA); no CA id = the managed CA. */
import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { HEX_ID_PATTERN, UUID_PATTERN } from '../../control/ids.ts';
import { principalOf } from '../authentication.ts';
import { success } from '../envelope.ts';
import type { AdminServices } from '../services.ts';

const PATH = '/zones/:zone_id/certificate_authorities/hostname_associations';
const Params = Type.Object({ zone_id: Type.String({ pattern: HEX_ID_PATTERN }) });
const CertificateId = Type.String({ pattern: UUID_PATTERN });

export const hostnameAssociationRoutes: FastifyPluginAsyncTypebox<{ services: AdminServices }> = (
  app,
  { services },
) => {
  const { hostnameAssociations } = services;
  const tags = ['hostname_associations'];
  const view = (hostnames: string[], id: string | undefined): object =>
    id === undefined ? { hostnames } : { hostnames, mtls_certificate_id: id };

  app.get(
    PATH,
    {
      schema: { tags, params: Params, querystring: Type.Object({ mtls_certificate_id: Type.Optional(CertificateId) }) },
    },
    async (request) => {
      const id = request.query.mtls_certificate_id;
      return success(view(await hostnameAssociations.get(principalOf(request), request.params.zone_id, id), id));
    },
  );

  app.put(
    PATH,
    {
      schema: {
        tags,
        params: Params,
        body: Type.Object({
          hostnames: Type.Optional(Type.Array(Type.String({ maxLength: 253 }), { maxItems: 1000 })),
          mtls_certificate_id: Type.Optional(CertificateId),
        }),
      },
    },
    async (request) => {
      const id = request.body.mtls_certificate_id;
      const hostnames = await hostnameAssociations.replace(
        principalOf(request),
        request.params.zone_id,
        id,
        request.body.hostnames ?? [],
      );
      return success(view(hostnames, id));
    },
  );
  return Promise.resolve();
};
