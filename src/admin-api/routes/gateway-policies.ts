/**
 * Gateway policies of an account (`/accounts/:account_id/gateway/policies`): templates of access
 * rights, rate limits and quotas applied to keys. Our own resource, shaped like the v4 API's others
 * (envelope, snake_case, `{ id }` from DELETE). Field rules: control/apis/gateway-policy-input.ts. Also
 * the schemas of the pieces keys share (access rights, rate limit, quota).
 */
import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { HEX_ID_PATTERN } from '../../control/ids.ts';
import {
  MAX_ACCESS_RIGHTS,
  MAX_METHODS_PER_RIGHT,
  MAX_NAME_LENGTH,
  MAX_PATH_PATTERN_LENGTH,
  MAX_PATHS_PER_RIGHT,
  MAX_QUOTA,
  MAX_QUOTA_RENEWAL_SECONDS,
  MAX_RATE,
  MAX_RATE_PER_SECONDS,
} from '../../control/apis/gateway-policy-input.ts';
import type { AccessRight, GatewayPolicyRecord, Quota, RateLimit } from '../../model/records.ts';
import { principalOf } from '../authentication.ts';
import { success } from '../envelope.ts';
import { singlePageInfo } from '../pagination.ts';
import type { AdminServices } from '../services.ts';

const PATH = '/accounts/:account_id/gateway/policies';
const Params = Type.Object({ account_id: Type.String({ pattern: HEX_ID_PATTERN }) });
const ItemParams = Type.Object({
  account_id: Type.String({ pattern: HEX_ID_PATTERN }),
  policy_id: Type.String({ pattern: HEX_ID_PATTERN }),
});

export const RateLimitSchema = Type.Union([
  Type.Object({
    rate: Type.Integer({ minimum: 1, maximum: MAX_RATE, description: 'Requests allowed per `per` seconds' }),
    per: Type.Integer({ minimum: 1, maximum: MAX_RATE_PER_SECONDS, description: 'Window, in seconds' }),
  }),
  Type.Null(),
]);

export const QuotaSchema = Type.Union([
  Type.Object({
    max: Type.Integer({ minimum: 1, maximum: MAX_QUOTA, description: 'Requests allowed per renewal period' }),
    renewal_rate: Type.Integer({
      minimum: 1,
      maximum: MAX_QUOTA_RENEWAL_SECONDS,
      description: 'Renewal period, in seconds',
    }),
  }),
  Type.Null(),
]);

export const AccessRightsSchema = Type.Array(
  Type.Object({
    api_id: Type.String({ pattern: HEX_ID_PATTERN, description: 'An API of a zone of this account' }),
    methods: Type.Optional(
      Type.Array(Type.String({ maxLength: 32 }), {
        maxItems: MAX_METHODS_PER_RIGHT,
        description: 'Uppercase methods; empty or absent = every method',
      }),
    ),
    paths: Type.Optional(
      Type.Array(Type.String({ maxLength: MAX_PATH_PATTERN_LENGTH }), {
        maxItems: MAX_PATHS_PER_RIGHT,
        description:
          'Path patterns starting with `/`; `*` matches any run of one or more characters (`/` included); without `*` the exact path. Empty or absent = every path',
      }),
    ),
  }),
  {
    maxItems: MAX_ACCESS_RIGHTS,
    description: 'Several rights for one API are alternatives: a request needs one allowing its method and path',
  },
);

const PolicyFields = {
  name: Type.String({ minLength: 1, maxLength: MAX_NAME_LENGTH }),
  access_rights: Type.Optional(AccessRightsSchema),
  rate_limit: Type.Optional(RateLimitSchema),
  quota: Type.Optional(QuotaSchema),
  active: Type.Optional(Type.Boolean()),
};
/** POST and PUT: PUT replaces every field, so omitted ones take their defaults. */
const PolicyBody = Type.Object(PolicyFields);
const PolicyPatchBody = Type.Partial(Type.Object(PolicyFields));

export function rateLimitView(limit: RateLimit | null): object | null {
  return limit === null ? null : { rate: limit.rate, per: limit.per };
}

export function quotaView(quota: Quota | null): object | null {
  return quota === null ? null : { max: quota.max, renewal_rate: quota.renewalRate };
}

export function accessRightsView(rights: readonly AccessRight[]): object[] {
  return rights.map((right) => ({ api_id: right.apiId, methods: right.methods, paths: right.paths }));
}

export function policyView(record: GatewayPolicyRecord): object {
  return {
    id: record.id,
    name: record.name,
    access_rights: accessRightsView(record.accessRights),
    rate_limit: rateLimitView(record.rateLimit),
    quota: quotaView(record.quota),
    active: record.active,
    created_on: record.createdOn,
    modified_on: record.modifiedOn,
  };
}

export const gatewayPolicyRoutes: FastifyPluginAsyncTypebox<{ services: AdminServices }> = (app, { services }) => {
  const { policies } = services;
  const tags = ['gateway_policies'];

  app.get(PATH, { schema: { tags, params: Params } }, async (request) => {
    const records = await policies.list(principalOf(request), request.params.account_id);
    return success(records.map(policyView), singlePageInfo(records.length));
  });

  app.post(PATH, { schema: { tags, params: Params, body: PolicyBody } }, async (request) =>
    success(policyView(await policies.create(principalOf(request), request.params.account_id, request.body))),
  );

  app.get(`${PATH}/:policy_id`, { schema: { tags, params: ItemParams } }, async (request) => {
    const { account_id, policy_id } = request.params;
    return success(policyView(await policies.get(principalOf(request), account_id, policy_id)));
  });

  app.put(`${PATH}/:policy_id`, { schema: { tags, params: ItemParams, body: PolicyBody } }, async (request) => {
    const { account_id, policy_id } = request.params;
    return success(policyView(await policies.update(principalOf(request), account_id, policy_id, request.body)));
  });

  app.patch(`${PATH}/:policy_id`, { schema: { tags, params: ItemParams, body: PolicyPatchBody } }, async (request) => {
    const { account_id, policy_id } = request.params;
    return success(policyView(await policies.patch(principalOf(request), account_id, policy_id, request.body)));
  });

  app.delete(`${PATH}/:policy_id`, { schema: { tags, params: ItemParams } }, async (request) => {
    const { account_id, policy_id } = request.params;
    const deleted = await policies.delete(principalOf(request), account_id, policy_id);
    return success({ id: deleted.id });
  });
  return Promise.resolve();
};
