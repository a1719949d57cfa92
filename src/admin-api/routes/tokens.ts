/**
 * API tokens: `GET /user/tokens/verify` and `GET /accounts/{id}/tokens/verify` as Cloudflare's
 * (cloudflare-compatibility.md §2.2), and token management under `/user/tokens`. Portcullis scopes are simpler than
 * Cloudflare's policy documents: `scope` names an account or a zone (or nothing = the whole
 * installation, operator only) and `permission` is `read` or `edit`.
 */
import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { GW_ERR_API_VALIDATION } from '../../errors/index.ts';
import { HEX_ID_PATTERN } from '../../control/ids.ts';
import { assertAccount } from '../../control/access-policy.ts';
import type { ApiTokenRecord, TokenScope } from '../../model/records.ts';
import { principalOf } from '../authentication.ts';
import { success } from '../envelope.ts';
import { singlePageInfo } from '../pagination.ts';
import type { AdminServices } from '../services.ts';
import type { TokenScopeWire, TokenWire } from '../wire-types.ts';

const HexId = Type.String({ pattern: HEX_ID_PATTERN });
const VALID_MESSAGE = { code: 10000, message: 'This API Token is valid and active', type: null };

function verifyView(token: ApiTokenRecord): object {
  return {
    id: token.id,
    status: token.status,
    ...(token.notBefore === null ? {} : { not_before: token.notBefore }),
    ...(token.expiresOn === null ? {} : { expires_on: token.expiresOn }),
  };
}

function scopeView(scope: TokenScope): TokenScopeWire {
  if (scope.kind === 'global') return { kind: 'global' };
  if (scope.kind === 'account') return { kind: 'account', account_id: scope.accountId };
  return { kind: 'zone', account_id: scope.accountId, zone_id: scope.zoneId };
}

export function tokenView(token: ApiTokenRecord): TokenWire {
  return {
    id: token.id,
    name: token.name,
    status: token.status,
    scope: scopeView(token.scope),
    permission: token.permission,
    issued_on: token.createdAt,
    expires_on: token.expiresOn,
  };
}

export const tokenRoutes: FastifyPluginAsyncTypebox<{ services: AdminServices }> = (app, { services }) => {
  const { tokens, tenancy } = services;

  app.get('/user/tokens/verify', { schema: { tags: ['tokens'] } }, (request) =>
    Promise.resolve(success(verifyView(principalOf(request)), undefined, [VALID_MESSAGE])),
  );

  app.get(
    '/accounts/:account_id/tokens/verify',
    { schema: { tags: ['tokens'], params: Type.Object({ account_id: HexId }) } },
    async (request) => {
      const principal = principalOf(request);
      await tenancy.getAccount(principal, request.params.account_id);
      assertAccount(principal, request.params.account_id, 'read', 'use this account');
      return success(verifyView(principal), undefined, [VALID_MESSAGE]);
    },
  );

  app.get('/user/tokens', { schema: { tags: ['tokens'] } }, async (request) => {
    const list = await tokens.list(principalOf(request));
    return success(list.map(tokenView), singlePageInfo(list.length));
  });

  app.post(
    '/user/tokens',
    {
      schema: {
        tags: ['tokens'],
        body: Type.Object({
          name: Type.String({ minLength: 1, maxLength: 120 }),
          permission: Type.Union([Type.Literal('read'), Type.Literal('edit')]),
          scope: Type.Optional(
            Type.Object(
              { account_id: Type.Optional(HexId), zone_id: Type.Optional(HexId) },
              { additionalProperties: false },
            ),
          ),
          expires_on: Type.Optional(Type.String({ format: 'date-time' })),
        }),
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const { name, permission, expires_on: expiresOn } = request.body;
      const scope = await resolveScope(request.body.scope);
      const { record, secret } = await tokens.create(principal, {
        name,
        permission,
        scope,
        expiresOn: expiresOn ?? null,
      });
      return success({ ...tokenView(record), value: secret });
    },
  );

  app.delete(
    '/user/tokens/:token_id',
    { schema: { tags: ['tokens'], params: Type.Object({ token_id: HexId }) } },
    async (request) => success(tokenView(await tokens.revoke(principalOf(request), request.params.token_id))),
  );

  async function resolveScope(input: { account_id?: string; zone_id?: string } | undefined): Promise<TokenScope> {
    if (input?.zone_id !== undefined) {
      // The zone's account is looked up, not trusted from the body.
      const zone = await tenancy.lookupZone(input.zone_id);
      if (zone === undefined) throw GW_ERR_API_VALIDATION.create(`unknown zone ${input.zone_id}`);
      if (input.account_id !== undefined && input.account_id !== zone.accountId) {
        throw GW_ERR_API_VALIDATION.create('scope.zone_id does not belong to scope.account_id');
      }
      return { kind: 'zone', zoneId: zone.id, accountId: zone.accountId };
    }
    if (input?.account_id !== undefined) return { kind: 'account', accountId: input.account_id };
    return { kind: 'global' };
  }
  return Promise.resolve();
};
