/** Zone client certificates issued by the managed CA (cloudflare-compatibility.md §4). */
import { REVOCATIONS_ONLY } from '../change-kind.ts';
import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { GW_ERR_API_VALIDATION } from '../../errors/index.ts';
import { HEX_ID_PATTERN, UUID_PATTERN } from '../../control/ids.ts';
import {
  CLIENT_CERTIFICATE_STATUSES,
  type ApiTokenRecord,
  type ClientCertificateRecord,
  type ClientCertificateStatus,
} from '../../model/records.ts';
import { principalOf } from '../authentication.ts';
import { success } from '../envelope.ts';
import { arrayParam, PAGE_QUERY, planPage, resultInfo, type PageQuery } from '../pagination.ts';
import type { AdminServices } from '../services.ts';
import type { ClientCertificateWire } from '../wire-types.ts';

const Params = Type.Object({ zone_id: Type.String({ pattern: HEX_ID_PATTERN }) });
const ItemParams = Type.Object({
  zone_id: Type.String({ pattern: HEX_ID_PATTERN }),
  client_certificate_id: Type.String({ pattern: UUID_PATTERN }),
});
const STATUSES: readonly string[] = CLIENT_CERTIFICATE_STATUSES;

export function clientCertificateView(record: ClientCertificateRecord, caName: string): ClientCertificateWire {
  return {
    id: record.id,
    certificate: record.certificatePem,
    certificate_authority: { id: record.caId, name: caName },
    common_name: record.commonName,
    country: record.country,
    state: record.state,
    location: record.location,
    organization: record.organization,
    organizational_unit: record.organizationalUnit,
    csr: record.csr,
    expires_on: record.expiresOn,
    issued_on: record.issuedOn,
    fingerprint_sha256: record.fingerprintSha256,
    serial_number: record.serialNumber,
    signature: record.signature,
    ski: record.ski,
    status: record.status,
    validity_days: record.validityDays,
  };
}

function parseStatuses(value: string | string[] | undefined): ClientCertificateStatus[] | undefined {
  const statuses = arrayParam(value);
  if (statuses === undefined || statuses.includes('all')) return undefined;
  for (const status of statuses) {
    if (!STATUSES.includes(status))
      throw GW_ERR_API_VALIDATION.create(`status must be one of all, ${STATUSES.join(', ')}`);
  }
  return statuses as ClientCertificateStatus[];
}

/** RFC 9745 Deprecation: the date the `…/tagged/{tag}` form was deprecated (2026-12-10), as a structured date. */
const TAGGED_ROUTE_DEPRECATED = `@${Date.UTC(2026, 11, 10) / 1000}`;

interface ListQuery extends PageQuery {
  status?: string | string[] | undefined;
  search?: string | undefined;
  expires_within_days?: number | undefined;
  tag?: string | undefined;
}

export const clientCertificateRoutes: FastifyPluginAsyncTypebox<{ services: AdminServices }> = (app, { services }) => {
  const { clientCertificates, managedCas } = services;
  const tags = ['client_certificates'];
  const view = async (record: ClientCertificateRecord): Promise<object> =>
    clientCertificateView(record, (await managedCas.get(record.caId))?.name ?? '');
  const listPage = async (principal: ApiTokenRecord, zoneId: string, query: ListQuery): Promise<object> => {
    const plan = planPage(query);
    const { items, total } = await clientCertificates.list(
      principal,
      zoneId,
      parseStatuses(query.status),
      { offset: plan.offset, limit: plan.limit },
      { search: query.search, expiresWithinDays: query.expires_within_days, tag: query.tag },
    );
    return success(await Promise.all(items.map(view)), resultInfo(plan, items.length, total));
  };

  app.post(
    '/zones/:zone_id/client_certificates',
    {
      schema: {
        tags,
        params: Params,
        body: Type.Object({ csr: Type.String({ minLength: 1, maxLength: 16_384 }), validity_days: Type.Integer() }),
      },
    },
    async (request) => {
      const record = await clientCertificates.create(principalOf(request), request.params.zone_id, {
        csr: request.body.csr,
        validityDays: request.body.validity_days,
      });
      return success(await view(record), undefined, clientCertificates.issueWarnings());
    },
  );

  app.get(
    '/zones/:zone_id/client_certificates',
    {
      schema: {
        tags,
        params: Params,
        querystring: Type.Object({
          status: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())])),
          // Portcullis' own narrowing (not Cloudflare's): for lists of thousands of certificates.
          search: Type.Optional(
            Type.String({ maxLength: 200, description: 'Part of the CN, or hex of the serial or SHA-256 fingerprint' }),
          ),
          expires_within_days: Type.Optional(
            Type.Integer({
              minimum: 0,
              maximum: 3650,
              description: 'Only those whose notAfter is within this many days',
            }),
          ),
          tag: Type.Optional(
            Type.String({
              minLength: 1,
              maxLength: 64,
              pattern: '^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$',
              description: 'Only certificates that carry this tag',
            }),
          ),
          ...PAGE_QUERY,
        }),
      },
    },
    async (request) => listPage(principalOf(request), request.params.zone_id, request.query),
  );

  // The first form of the tag filter, kept for the clients written against it: the same answer as
  // `?tag=`, marked deprecated (RFC 9745) with its successor linked (RFC 8288).
  app.get(
    '/zones/:zone_id/client_certificates/tagged/:tag',
    {
      schema: {
        tags,
        deprecated: true,
        description: 'Deprecated: use GET /zones/{zone_id}/client_certificates?tag={tag}',
        params: Type.Object({
          zone_id: Type.String({ pattern: HEX_ID_PATTERN }),
          tag: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$' }),
        }),
        querystring: Type.Object({ ...PAGE_QUERY }),
      },
    },
    async (request, reply) => {
      const { zone_id: zoneId, tag } = request.params;
      void reply
        .header('deprecation', TAGGED_ROUTE_DEPRECATED)
        // Relative to this route's URL, whatever prefix the API is served under.
        .header('link', `<../../client_certificates?tag=${encodeURIComponent(tag)}>; rel="successor-version"`);
      return listPage(principalOf(request), zoneId, { ...request.query, tag });
    },
  );

  app.get(
    '/zones/:zone_id/client_certificates/:client_certificate_id',
    { schema: { tags, params: ItemParams } },
    async (request) =>
      success(
        await view(
          await clientCertificates.get(
            principalOf(request),
            request.params.zone_id,
            request.params.client_certificate_id,
          ),
        ),
      ),
  );

  app.delete(
    '/zones/:zone_id/client_certificates/:client_certificate_id',
    { schema: { tags, params: ItemParams }, config: REVOCATIONS_ONLY },
    async (request) =>
      success(
        await view(
          await clientCertificates.revoke(
            principalOf(request),
            request.params.zone_id,
            request.params.client_certificate_id,
          ),
        ),
      ),
  );

  app.patch(
    '/zones/:zone_id/client_certificates/:client_certificate_id',
    {
      schema: {
        tags,
        params: ItemParams,
        body: Type.Object({ reactivate: Type.Optional(Type.Boolean()) }),
      },
      config: REVOCATIONS_ONLY,
      // Older clients send no body at all (cloudflare-compatibility.md §4.3): treat it as {}.
      preValidation: (request, _reply, done) => {
        // The schema types the body as present; at runtime it is undefined when none was sent.
        if ((request.body as object | undefined) === undefined) request.body = {};
        done();
      },
    },
    async (request) => {
      if (request.body.reactivate === false) throw GW_ERR_API_VALIDATION.create('reactivate must be true (or omitted)');
      return success(
        await view(
          await clientCertificates.reactivate(
            principalOf(request),
            request.params.zone_id,
            request.params.client_certificate_id,
          ),
        ),
      );
    },
  );
  return Promise.resolve();
};
