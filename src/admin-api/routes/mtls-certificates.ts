/**
 * Account mTLS certificates (cloudflare-compatibility.md §3): upload, list, get, delete, associations. Beyond
 * Cloudflare's object: `compatibility` (`strict` or `legacy`, docs/adr/0008) on upload and in every view, and PATCH
 * to change it on a CA.
 */
import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { HEX_ID_PATTERN, UUID_PATTERN } from '../../control/ids.ts';
import type { MtlsCertificateRecord } from '../../model/records.ts';
import { principalOf } from '../authentication.ts';
import { success } from '../envelope.ts';
import { arrayParam, singlePageInfo } from '../pagination.ts';
import type { AdminServices } from '../services.ts';
import type { MtlsCertificateWire } from '../wire-types.ts';

const Params = Type.Object({ account_id: Type.String({ pattern: HEX_ID_PATTERN }) });
const Compatibility = Type.Union([Type.Literal('strict'), Type.Literal('legacy')]);
const ItemParams = Type.Object({
  account_id: Type.String({ pattern: HEX_ID_PATTERN }),
  mtls_certificate_id: Type.String({ pattern: UUID_PATTERN }),
});

export function mtlsCertificateView(
  record: MtlsCertificateRecord,
  { withUpdatedAt = false }: { withUpdatedAt?: boolean } = {},
): MtlsCertificateWire {
  return {
    id: record.id,
    name: record.name ?? '',
    ca: record.ca,
    certificates: record.certificatesPem,
    issuer: record.issuer,
    serial_number: record.serialNumber,
    signature: record.signature,
    type: record.type,
    compatibility: record.compatibility,
    uploaded_on: record.uploadedOn,
    expires_on: record.expiresOn,
    ...(withUpdatedAt ? { updated_at: record.updatedAt } : {}),
  };
}

export const mtlsCertificateRoutes: FastifyPluginAsyncTypebox<{ services: AdminServices }> = (app, { services }) => {
  const { mtlsCertificates } = services;
  const tags = ['mtls_certificates'];

  app.post(
    '/accounts/:account_id/mtls_certificates',
    {
      schema: {
        tags,
        params: Params,
        body: Type.Object({
          ca: Type.Boolean(),
          certificates: Type.String({ minLength: 1, maxLength: 65_536 }),
          name: Type.Optional(Type.String({ maxLength: 200 })),
          private_key: Type.Optional(Type.String({ maxLength: 16_384 })),
          compatibility: Type.Optional(Compatibility),
        }),
      },
    },
    async (request) => {
      const { ca, certificates, name, private_key: privateKey, compatibility } = request.body;
      const record = await mtlsCertificates.upload(principalOf(request), request.params.account_id, {
        ca,
        certificates,
        name,
        privateKey,
        compatibility,
      });
      return success(mtlsCertificateView(record, { withUpdatedAt: true }));
    },
  );

  app.patch(
    '/accounts/:account_id/mtls_certificates/:mtls_certificate_id',
    {
      schema: {
        tags,
        params: ItemParams,
        body: Type.Object({ compatibility: Compatibility }, { additionalProperties: false }),
      },
    },
    async (request) =>
      success(
        mtlsCertificateView(
          await mtlsCertificates.setCompatibility(
            principalOf(request),
            request.params.account_id,
            request.params.mtls_certificate_id,
            request.body.compatibility,
          ),
          { withUpdatedAt: true },
        ),
      ),
  );

  app.get(
    '/accounts/:account_id/mtls_certificates',
    {
      schema: {
        tags,
        params: Params,
        querystring: Type.Object({ type: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())])) }),
      },
    },
    async (request) => {
      const records = await mtlsCertificates.list(
        principalOf(request),
        request.params.account_id,
        arrayParam(request.query.type),
      );
      return success(
        records.map((record) => mtlsCertificateView(record)),
        singlePageInfo(records.length),
      );
    },
  );

  app.get(
    '/accounts/:account_id/mtls_certificates/:mtls_certificate_id',
    { schema: { tags, params: ItemParams } },
    async (request) =>
      success(
        mtlsCertificateView(
          await mtlsCertificates.get(
            principalOf(request),
            request.params.account_id,
            request.params.mtls_certificate_id,
          ),
        ),
      ),
  );

  app.delete(
    '/accounts/:account_id/mtls_certificates/:mtls_certificate_id',
    { schema: { tags, params: ItemParams } },
    async (request) =>
      success(
        mtlsCertificateView(
          await mtlsCertificates.delete(
            principalOf(request),
            request.params.account_id,
            request.params.mtls_certificate_id,
          ),
        ),
      ),
  );

  app.get(
    '/accounts/:account_id/mtls_certificates/:mtls_certificate_id/associations',
    { schema: { tags, params: ItemParams } },
    async (request) => {
      const uses = await mtlsCertificates.associations(
        principalOf(request),
        request.params.account_id,
        request.params.mtls_certificate_id,
      );
      const result = uses.map((use) => ({
        service: 'api_shield',
        status: 'active',
        hostname: use.hostname,
        zone_id: use.zoneId,
      }));
      return success(result, singlePageInfo(result.length));
    },
  );
  return Promise.resolve();
};
