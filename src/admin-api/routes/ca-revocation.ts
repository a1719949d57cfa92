/**
 * Revocation for uploaded CAs (docs/adr/0014): our own resources under Cloudflare's
 * `mtls_certificates`, in the v4 style (envelope, snake_case, `{ id }` from a DELETE).
 *
 *   PUT    /accounts/:a/mtls_certificates/:c/crl                     upload a CRL (PEM or base64 DER)
 *   GET    /accounts/:a/mtls_certificates/:c/crl                     the CRLs in force (one per issuing CA)
 *   DELETE /accounts/:a/mtls_certificates/:c/crl                     drop them
 *   GET    /accounts/:a/mtls_certificates/:c/revocation              settings, fetch status, CRLs
 *   PATCH  /accounts/:a/mtls_certificates/:c/revocation              change settings
 *   GET    /accounts/:a/mtls_certificates/:c/blocked_certificates    the CA's block list
 *   POST   /accounts/:a/mtls_certificates/:c/blocked_certificates    block { sha256 | serial_number }
 *   DELETE /accounts/:a/mtls_certificates/:c/blocked_certificates/:b
 *   GET    /accounts/:a/blocked_certificates                         the account's block list
 *   POST   /accounts/:a/blocked_certificates
 *   DELETE /accounts/:a/blocked_certificates/:b
 */
import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { HEX_ID_PATTERN, UUID_PATTERN } from '../../control/ids.ts';
import { settingsWire } from '../../control/revocation/ca-revocation-input.ts';
import type { CaRevocationState } from '../../control/revocation/ca-revocation-service.ts';
import { MAX_CRL_BYTES } from '../../pki/crl-input.ts';
import type { CaCrlRecord, CertificateBlockRecord } from '../../store/ca-revocation-records.ts';
import { principalOf } from '../authentication.ts';
import { success } from '../envelope.ts';
import { singlePageInfo } from '../pagination.ts';
import type { AdminServices } from '../services.ts';

const CA_PATH = '/accounts/:account_id/mtls_certificates/:mtls_certificate_id';
const CaParams = Type.Object({
  account_id: Type.String({ pattern: HEX_ID_PATTERN }),
  mtls_certificate_id: Type.String({ pattern: UUID_PATTERN }),
});
const AccountParams = Type.Object({ account_id: Type.String({ pattern: HEX_ID_PATTERN }) });
const CaBlockParams = Type.Object({
  account_id: Type.String({ pattern: HEX_ID_PATTERN }),
  mtls_certificate_id: Type.String({ pattern: UUID_PATTERN }),
  block_id: Type.String({ pattern: HEX_ID_PATTERN }),
});
const AccountBlockParams = Type.Object({
  account_id: Type.String({ pattern: HEX_ID_PATTERN }),
  block_id: Type.String({ pattern: HEX_ID_PATTERN }),
});
/** Base64 grows the DER by a third; PEM adds line breaks. */
const MAX_CRL_TEXT = Math.ceil((MAX_CRL_BYTES * 4) / 3) + MAX_CRL_BYTES / 32 + 1024;

const SettingsBody = Type.Object(
  {
    on_unavailable: Type.Optional(Type.String()),
    crl_fetch: Type.Optional(
      Type.Object(
        {
          enabled: Type.Optional(Type.Boolean()),
          urls: Type.Optional(Type.Array(Type.String({ maxLength: 4096 }), { maxItems: 16 })),
          refresh_interval_seconds: Type.Optional(Type.Number()),
          timeout_ms: Type.Optional(Type.Number()),
        },
        { additionalProperties: false },
      ),
    ),
    ocsp: Type.Optional(
      Type.Object(
        {
          enabled: Type.Optional(Type.Boolean()),
          timeout_ms: Type.Optional(Type.Number()),
          nonce: Type.Optional(Type.Boolean()),
          max_cache_seconds: Type.Optional(Type.Number()),
        },
        { additionalProperties: false },
      ),
    ),
    allow_private_addresses: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

const BlockBody = Type.Object(
  {
    sha256: Type.Optional(Type.String({ maxLength: 200 })),
    serial_number: Type.Optional(Type.String({ maxLength: 200 })),
    description: Type.Optional(Type.String({ maxLength: 1024 })),
  },
  { additionalProperties: false },
);

export function crlView(record: CaCrlRecord, now = Date.now()): object {
  return {
    issuer: record.issuerSubject,
    issuer_fingerprint_sha256: record.issuerFingerprint.replaceAll(':', '').toLowerCase(),
    crl_number: record.crlNumber,
    this_update: record.thisUpdate,
    next_update: record.nextUpdate,
    stale: Date.parse(record.nextUpdate) <= now,
    revoked_count: record.revokedSerials.length,
    source: record.source,
    source_url: record.sourceUrl,
    updated_at: record.updatedAt,
  };
}

export function revocationView(state: CaRevocationState): object {
  const record = state.record;
  return {
    mtls_certificate_id: state.mtlsCertificateId,
    ...settingsWire(state.settings),
    crl_fetch_status: {
      discovered_urls: record?.discoveredCrlUrls ?? [],
      last_fetch_at: record?.lastFetchAt ?? null,
      last_success_at: record?.lastFetchSuccessAt ?? null,
      last_error: record?.lastFetchError ?? null,
      next_fetch_at: state.settings.crlFetch.enabled ? (record?.nextFetchAt ?? null) : null,
    },
    crls: state.crls.map((crl) => crlView(crl)),
  };
}

export function blockView(record: CertificateBlockRecord): object {
  return {
    id: record.id,
    ...(record.kind === 'sha256' ? { sha256: record.value } : { serial_number: record.value }),
    description: record.description,
    ...(record.scope === 'account' ? {} : { mtls_certificate_id: record.scope }),
    created_on: record.createdOn,
  };
}

export const caRevocationRoutes: FastifyPluginAsyncTypebox<{ services: AdminServices }> = (app, { services }) => {
  const { caRevocation } = services;
  const tags = ['mtls_certificates'];

  app.put(
    `${CA_PATH}/crl`,
    {
      bodyLimit: MAX_CRL_TEXT + 1024,
      schema: {
        tags,
        params: CaParams,
        body: Type.Object({ crl: Type.String({ minLength: 1, maxLength: MAX_CRL_TEXT }) }),
      },
    },
    async (request) => {
      const { account_id: accountId, mtls_certificate_id: id } = request.params;
      return success(crlView(await caRevocation.uploadCrl(principalOf(request), accountId, id, request.body.crl)));
    },
  );

  app.get(`${CA_PATH}/crl`, { schema: { tags, params: CaParams } }, async (request) => {
    const { account_id: accountId, mtls_certificate_id: id } = request.params;
    const crls = await caRevocation.listCrls(principalOf(request), accountId, id);
    return success(
      crls.map((crl) => crlView(crl)),
      singlePageInfo(crls.length),
    );
  });

  app.delete(`${CA_PATH}/crl`, { schema: { tags, params: CaParams } }, async (request) => {
    const { account_id: accountId, mtls_certificate_id: id } = request.params;
    const removed = await caRevocation.deleteCrls(principalOf(request), accountId, id);
    return success(removed.map((crl) => crlView(crl)));
  });

  app.get(`${CA_PATH}/revocation`, { schema: { tags, params: CaParams } }, async (request) => {
    const { account_id: accountId, mtls_certificate_id: id } = request.params;
    return success(revocationView(await caRevocation.getSettings(principalOf(request), accountId, id)));
  });

  app.patch(`${CA_PATH}/revocation`, { schema: { tags, params: CaParams, body: SettingsBody } }, async (request) => {
    const { account_id: accountId, mtls_certificate_id: id } = request.params;
    const state = await caRevocation.updateSettings(principalOf(request), accountId, id, request.body);
    return success(revocationView(state));
  });

  app.get(`${CA_PATH}/blocked_certificates`, { schema: { tags, params: CaParams } }, async (request) => {
    const { account_id: accountId, mtls_certificate_id: id } = request.params;
    const blocks = await caRevocation.listBlocks(principalOf(request), accountId, id);
    return success(blocks.map(blockView), singlePageInfo(blocks.length));
  });

  app.post(
    `${CA_PATH}/blocked_certificates`,
    { schema: { tags, params: CaParams, body: BlockBody } },
    async (request) => {
      const { account_id: accountId, mtls_certificate_id: id } = request.params;
      return success(blockView(await caRevocation.addBlock(principalOf(request), accountId, id, request.body)));
    },
  );

  app.delete(
    `${CA_PATH}/blocked_certificates/:block_id`,
    { schema: { tags, params: CaBlockParams } },
    async (request) => {
      const { account_id: accountId, mtls_certificate_id: id, block_id: blockId } = request.params;
      await caRevocation.removeBlock(principalOf(request), accountId, id, blockId);
      return success({ id: blockId });
    },
  );

  app.get(
    '/accounts/:account_id/blocked_certificates',
    { schema: { tags, params: AccountParams } },
    async (request) => {
      const blocks = await caRevocation.listBlocks(principalOf(request), request.params.account_id, undefined);
      return success(blocks.map(blockView), singlePageInfo(blocks.length));
    },
  );

  app.post(
    '/accounts/:account_id/blocked_certificates',
    { schema: { tags, params: AccountParams, body: BlockBody } },
    async (request) =>
      success(
        blockView(
          await caRevocation.addBlock(principalOf(request), request.params.account_id, undefined, request.body),
        ),
      ),
  );

  app.delete(
    '/accounts/:account_id/blocked_certificates/:block_id',
    { schema: { tags, params: AccountBlockParams } },
    async (request) => {
      const { account_id: accountId, block_id: blockId } = request.params;
      await caRevocation.removeBlock(principalOf(request), accountId, undefined, blockId);
      return success({ id: blockId });
    },
  );
  return Promise.resolve();
};
