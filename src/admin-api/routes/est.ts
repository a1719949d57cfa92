/**
 * EST management (docs/adr/0016), Cloudflare-style envelopes under the zone:
 *
 *   /zones/{zone_id}/est/profiles[/{profile_id}]                          enrollment profiles
 *   /zones/{zone_id}/est/profiles/{profile_id}/bootstrap_secrets[/{id}]   secrets (shown once)
 *   /zones/{zone_id}/est/approvals[/{id}/approve|reject]                  manual approval
 *   /zones/{zone_id}/est/renewal_health                                   devices late to renew
 *   /zones/{zone_id}/client_certificates/{id}/tags                        tags of a certificate
 *   POST /zones/{zone_id}/client_certificates/revoke                      bulk revocation
 */
import { REVOCATIONS_ONLY } from '../change-kind.ts';
import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { HEX_ID_PATTERN, UUID_PATTERN } from '../../control/ids.ts';
import { profileWire, type EstProfileInput } from '../../control/est/est-profile-input.ts';
import type { EstAdminService } from '../../control/est/est-admin-service.ts';
import type { ClientCertificateService } from '../../control/certificates/client-certificate-service.ts';
import type { EstApprovalRecord, EstBootstrapSecretRecord } from '../../model/est-records.ts';
import { principalOf } from '../authentication.ts';
import { success } from '../envelope.ts';
import { checkedPageQuery, PER_PAGE_QUERY } from '../pagination.ts';

const Zone = Type.Object({ zone_id: Type.String({ pattern: HEX_ID_PATTERN }) });
const Profile = Type.Object({
  zone_id: Type.String({ pattern: HEX_ID_PATTERN }),
  profile_id: Type.String({ pattern: UUID_PATTERN }),
});
const Secret = Type.Object({
  zone_id: Type.String({ pattern: HEX_ID_PATTERN }),
  profile_id: Type.String({ pattern: UUID_PATTERN }),
  secret_id: Type.String({ pattern: HEX_ID_PATTERN }),
});
const Approval = Type.Object({
  zone_id: Type.String({ pattern: HEX_ID_PATTERN }),
  approval_id: Type.String({ pattern: UUID_PATTERN }),
});
const Certificate = Type.Object({
  zone_id: Type.String({ pattern: HEX_ID_PATTERN }),
  client_certificate_id: Type.String({ pattern: UUID_PATTERN }),
});
const ProfileBody = Type.Object({}, { additionalProperties: true });

function secretWire(record: EstBootstrapSecretRecord): Record<string, unknown> {
  return {
    id: record.id,
    profile_id: record.profileId,
    name: record.name,
    max_uses: record.maxUses,
    uses: record.uses,
    expires_on: record.expiresOn,
    created_on: record.createdOn,
  };
}

function approvalWire(record: EstApprovalRecord): Record<string, unknown> {
  return {
    id: record.id,
    profile_id: record.profileId,
    status: record.status,
    requester: record.requester,
    public_key_sha256: record.spkiSha256,
    csr: record.csrPem,
    client_certificate_id: record.clientCertificateId,
    created_on: record.createdOn,
    decided_on: record.decidedOn,
  };
}

export const estRoutes: FastifyPluginAsyncTypebox<{
  services: { est: EstAdminService; clientCertificates: ClientCertificateService };
}> = (app, { services }) => {
  const { est, clientCertificates } = services;
  const tags = ['est'];

  app.post('/zones/:zone_id/est/profiles', { schema: { tags, params: Zone, body: ProfileBody } }, async (request) =>
    success(
      profileWire(
        await est.createProfile(principalOf(request), request.params.zone_id, request.body as EstProfileInput),
      ),
    ),
  );
  app.get('/zones/:zone_id/est/profiles', { schema: { tags, params: Zone } }, async (request) =>
    success((await est.listProfiles(principalOf(request), request.params.zone_id)).map(profileWire)),
  );
  app.get('/zones/:zone_id/est/profiles/:profile_id', { schema: { tags, params: Profile } }, async (request) =>
    success(profileWire(await est.getProfile(principalOf(request), request.params.zone_id, request.params.profile_id))),
  );
  app.put(
    '/zones/:zone_id/est/profiles/:profile_id',
    { schema: { tags, params: Profile, body: ProfileBody } },
    async (request) =>
      success(
        profileWire(
          await est.updateProfile(
            principalOf(request),
            request.params.zone_id,
            request.params.profile_id,
            request.body as EstProfileInput,
          ),
        ),
      ),
  );
  app.delete('/zones/:zone_id/est/profiles/:profile_id', { schema: { tags, params: Profile } }, async (request) =>
    success(
      profileWire(await est.deleteProfile(principalOf(request), request.params.zone_id, request.params.profile_id)),
    ),
  );

  app.post(
    '/zones/:zone_id/est/profiles/:profile_id/bootstrap_secrets',
    {
      schema: {
        tags,
        params: Profile,
        body: Type.Object({
          name: Type.Optional(Type.String({ maxLength: 200 })),
          max_uses: Type.Optional(Type.Integer()),
          expires_in_seconds: Type.Optional(Type.Integer()),
        }),
      },
    },
    async (request) => {
      const { record, secret } = await est.createSecret(
        principalOf(request),
        request.params.zone_id,
        request.params.profile_id,
        request.body,
      );
      // The secret is shown here only; the HTTP Basic user name is the id.
      return success({ ...secretWire(record), secret });
    },
  );
  app.get(
    '/zones/:zone_id/est/profiles/:profile_id/bootstrap_secrets',
    { schema: { tags, params: Profile } },
    async (request) =>
      success(
        (await est.listSecrets(principalOf(request), request.params.zone_id, request.params.profile_id)).map(
          secretWire,
        ),
      ),
  );
  app.delete(
    '/zones/:zone_id/est/profiles/:profile_id/bootstrap_secrets/:secret_id',
    { schema: { tags, params: Secret } },
    async (request) =>
      success(
        secretWire(
          await est.deleteSecret(
            principalOf(request),
            request.params.zone_id,
            request.params.profile_id,
            request.params.secret_id,
          ),
        ),
      ),
  );

  app.get(
    '/zones/:zone_id/est/approvals',
    {
      schema: {
        tags,
        params: Zone,
        querystring: Type.Object({
          status: Type.Optional(Type.Union(['pending', 'approved', 'rejected', 'issued'].map((s) => Type.Literal(s)))),
        }),
      },
    },
    async (request) =>
      success(
        (
          await est.listApprovals(
            principalOf(request),
            request.params.zone_id,
            request.query.status as EstApprovalRecord['status'] | undefined,
          )
        ).map(approvalWire),
      ),
  );
  for (const decision of ['approve', 'reject'] as const) {
    app.post(
      `/zones/:zone_id/est/approvals/:approval_id/${decision}`,
      { schema: { tags, params: Approval } },
      async (request) =>
        success(
          approvalWire(
            await est.decide(
              principalOf(request),
              request.params.zone_id,
              request.params.approval_id,
              decision === 'approve',
            ),
          ),
        ),
    );
  }

  app.get('/zones/:zone_id/est/renewal_health', { schema: { tags, params: Zone } }, async (request) =>
    success(
      (await est.renewalHealth(principalOf(request), request.params.zone_id)).map((entry) => ({
        client_certificate_id: entry.clientCertificateId,
        profile_id: entry.profileId,
        common_name: entry.commonName,
        expires_on: entry.expiresOn,
        renew_by: entry.renewBy,
        overdue: entry.overdue,
      })),
    ),
  );

  app.put(
    '/zones/:zone_id/client_certificates/:client_certificate_id/tags',
    {
      schema: {
        tags: ['client_certificates'],
        params: Certificate,
        body: Type.Object({ tags: Type.Array(Type.String()) }),
      },
    },
    async (request) =>
      success({
        tags: await est.setTags(
          principalOf(request),
          request.params.zone_id,
          request.params.client_certificate_id,
          request.body.tags,
        ),
      }),
  );
  app.get(
    '/zones/:zone_id/client_certificates/:client_certificate_id/tags',
    { schema: { tags: ['client_certificates'], params: Certificate } },
    async (request) => {
      const certificate = await clientCertificates.get(
        principalOf(request),
        request.params.zone_id,
        request.params.client_certificate_id,
      );
      return success({ tags: (await est.tagsOf([certificate.id])).get(certificate.id) ?? [] });
    },
  );
  app.post(
    '/zones/:zone_id/client_certificates/revoke',
    {
      config: REVOCATIONS_ONLY,
      schema: {
        tags: ['client_certificates'],
        params: Zone,
        querystring: Type.Object(PER_PAGE_QUERY),
        body: Type.Object(
          {
            tag: Type.Optional(Type.String({ maxLength: 64 })),
            profile_id: Type.Optional(Type.String({ pattern: UUID_PATTERN })),
            ca_id: Type.Optional(Type.String({ pattern: UUID_PATTERN })),
            issued_before: Type.Optional(Type.String({ maxLength: 64 })),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => {
      const perPage = checkedPageQuery(request.query).per_page;
      // Announced at commit: the other gateways need not wait for this one's CRLs and answer.
      const result = await est.bulkRevoke(principalOf(request), request.params.zone_id, request.body, () =>
        request.announceChange(),
      );
      if (perPage === undefined) return success({ revoked: result.revoked, ids: result.ids });
      // A first page only: 10,000 ids are ~0.4 MB of JSON that a client counting them does not want.
      const ids = result.ids.slice(0, perPage);
      return success(
        { revoked: result.revoked, ids },
        {
          page: 1,
          per_page: perPage,
          count: ids.length,
          total_count: result.revoked,
          total_pages: Math.ceil(result.revoked / perPage),
        },
      );
    },
  );
  return Promise.resolve();
};
