/**
 * Gateway policies of an account (`/accounts/:account_id/gateway/policies`): templates of access
 * rights, rate limits and quotas applied to keys. Our own resource, shaped like the v4 API's others
 * (envelope, snake_case, `{ id }` from DELETE). Body schemas: model/shapes/gateway-policy-shape.ts; field
 * rules: control/apis/gateway-policy-input.ts. Also the views of the pieces keys share (access
 * rights, rate limit, quota).
 */
import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { HEX_ID_PATTERN } from '../../control/ids.ts';
import { PolicyBodySchema, PolicyPatchBodySchema } from '../../model/shapes/gateway-policy-shape.ts';
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

  app.post(PATH, { schema: { tags, params: Params, body: PolicyBodySchema } }, async (request) =>
    success(policyView(await policies.create(principalOf(request), request.params.account_id, request.body))),
  );

  app.get(`${PATH}/:policy_id`, { schema: { tags, params: ItemParams } }, async (request) => {
    const { account_id, policy_id } = request.params;
    return success(policyView(await policies.get(principalOf(request), account_id, policy_id)));
  });

  app.put(`${PATH}/:policy_id`, { schema: { tags, params: ItemParams, body: PolicyBodySchema } }, async (request) => {
    const { account_id, policy_id } = request.params;
    return success(policyView(await policies.update(principalOf(request), account_id, policy_id, request.body)));
  });

  app.patch(
    `${PATH}/:policy_id`,
    { schema: { tags, params: ItemParams, body: PolicyPatchBodySchema } },
    async (request) => {
      const { account_id, policy_id } = request.params;
      return success(policyView(await policies.patch(principalOf(request), account_id, policy_id, request.body)));
    },
  );

  app.delete(`${PATH}/:policy_id`, { schema: { tags, params: ItemParams } }, async (request) => {
    const { account_id, policy_id } = request.params;
    const deleted = await policies.delete(principalOf(request), account_id, policy_id);
    return success({ id: deleted.id });
  });
  return Promise.resolve();
};
