/** Edge (server) certificates of a zone, Cloudflare's `custom_certificates`. Keys are never returned. */
import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { HEX_ID_PATTERN, UUID_PATTERN } from '../../control/ids.ts';
import type { EdgeCertificateRecord } from '../../model/records.ts';
import { principalOf } from '../authentication.ts';
import { success } from '../envelope.ts';
import { singlePageInfo } from '../pagination.ts';
import type { AdminServices } from '../services.ts';

const Params = Type.Object({ zone_id: Type.String({ pattern: HEX_ID_PATTERN }) });
const ItemParams = Type.Object({
  zone_id: Type.String({ pattern: HEX_ID_PATTERN }),
  custom_certificate_id: Type.String({ pattern: UUID_PATTERN }),
});

export function edgeCertificateView(record: EdgeCertificateRecord): object {
  return {
    id: record.id,
    zone_id: record.zoneId,
    hosts: record.hosts,
    issuer: record.issuer,
    signature: record.signature,
    status: 'active',
    bundle_method: 'ubiquitous',
    type: 'legacy_custom',
    priority: 0,
    expires_on: record.expiresOn,
    uploaded_on: record.uploadedOn,
    modified_on: record.modifiedOn,
  };
}

export const customCertificateRoutes: FastifyPluginAsyncTypebox<{ services: AdminServices }> = (app, { services }) => {
  const { edgeCertificates } = services;
  const tags = ['custom_certificates'];

  app.post(
    '/zones/:zone_id/custom_certificates',
    {
      schema: {
        tags,
        params: Params,
        body: Type.Object({
          certificate: Type.String({ minLength: 1, maxLength: 65_536 }),
          private_key: Type.String({ minLength: 1, maxLength: 16_384 }),
          bundle_method: Type.Optional(Type.String()),
          type: Type.Optional(Type.String()),
        }),
      },
    },
    async (request) =>
      success(
        edgeCertificateView(
          await edgeCertificates.upload(principalOf(request), request.params.zone_id, {
            certificate: request.body.certificate,
            privateKey: request.body.private_key,
          }),
        ),
      ),
  );

  app.get('/zones/:zone_id/custom_certificates', { schema: { tags, params: Params } }, async (request) => {
    const records = await edgeCertificates.list(principalOf(request), request.params.zone_id);
    return success(records.map(edgeCertificateView), singlePageInfo(records.length));
  });

  app.get(
    '/zones/:zone_id/custom_certificates/:custom_certificate_id',
    { schema: { tags, params: ItemParams } },
    async (request) =>
      success(
        edgeCertificateView(
          await edgeCertificates.get(
            principalOf(request),
            request.params.zone_id,
            request.params.custom_certificate_id,
          ),
        ),
      ),
  );

  app.delete(
    '/zones/:zone_id/custom_certificates/:custom_certificate_id',
    { schema: { tags, params: ItemParams } },
    async (request) => {
      const record = await edgeCertificates.delete(
        principalOf(request),
        request.params.zone_id,
        request.params.custom_certificate_id,
      );
      return success({ id: record.id });
    },
  );
  return Promise.resolve();
};
