/**
 * Gateway keys of an account (`/accounts/:account_id/gateway/keys`, Tyk's keys): bound to a client
 * certificate, a token secret, or both, with policies, access rights, limits and an expiry. Our own
 * resource, shaped like the v4 API's others (envelope, snake_case, paged list, `{ id }` from
 * DELETE). Body schemas: model/shapes/gateway-key-shape.ts; field rules: control/apis/gateway-key-input.ts.
 *
 * The token secret is in the create response only (`secret`); nothing else ever shows it, and the
 * store keeps only its SHA-256. PUT and PATCH change everything but the binding and the secret.
 * `quota_remaining` counts against the key's effective quota: its own, or its policies' when it has
 * any (null: no quota; 0: a listed policy is missing or inactive, so the key is refused).
 */
import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { HEX_ID_PATTERN } from '../../control/ids.ts';
import {
  KeyCreateBodySchema,
  KeySettingsBodySchema,
  KeySettingsPatchBodySchema,
} from '../../model/shapes/gateway-key-shape.ts';
import type { GatewayKeyRecord } from '../../model/records.ts';
import type { EffectiveLimitsResult } from '../../policy/effective-limits.ts';
import { principalOf } from '../authentication.ts';
import type { FastifyRequest } from 'fastify';
import { GW_ERR_LIMITS_UNAVAILABLE } from '../../errors/index.ts';
import { success, type EnvelopeMessage } from '../envelope.ts';
import { PAGE_QUERY, planPage, resultInfo } from '../pagination.ts';
import type { AdminServices } from '../services.ts';
import { accessRightsView, quotaView, rateLimitView } from './gateway-policies.ts';

const PATH = '/accounts/:account_id/gateway/keys';
const Params = Type.Object({ account_id: Type.String({ pattern: HEX_ID_PATTERN }) });
const ItemParams = Type.Object({
  account_id: Type.String({ pattern: HEX_ID_PATTERN }),
  key_id: Type.String({ pattern: HEX_ID_PATTERN }),
});

const ListQuery = Type.Object(PAGE_QUERY);

/**
 * `effective`: what the gateway enforces for the key (policy/effective-limits.ts): its own rights and limits
 * without policies, its policies' combined with them. A listed policy missing or inactive refuses the key
 * every request: `refused` says which, and the rights are empty.
 */
export function effectiveView(result: EffectiveLimitsResult): object {
  if (result.kind !== 'ok') {
    return {
      refused: { reason: result.kind, policy_id: result.policyId },
      access_rights: [],
      rate_limit: null,
      quota: null,
    };
  }
  return {
    refused: null,
    access_rights: accessRightsView(result.limits.accessRights),
    rate_limit: rateLimitView(result.limits.rateLimit),
    quota: quotaView(result.limits.quota),
  };
}

/** `quotaRemaining`: requests left in the key's effective quota (GatewayKeyService.quotaRemaining). */
export function keyView(
  record: GatewayKeyRecord,
  quotaRemaining: number | null,
  effective: EffectiveLimitsResult | undefined,
): object {
  return {
    id: record.id,
    alias: record.alias,
    certificate_binding:
      record.certificateBinding === null
        ? null
        : { kind: record.certificateBinding.kind, value: record.certificateBinding.value },
    has_secret: record.secretHash !== null,
    policy_ids: record.policyIds,
    access_rights: accessRightsView(record.accessRights),
    rate_limit: rateLimitView(record.rateLimit),
    quota: quotaView(record.quota),
    quota_remaining: quotaRemaining,
    ...(effective === undefined ? {} : { effective: effectiveView(effective) }),
    expires_on: record.expiresOn,
    metadata: record.metadata,
    active: record.active,
    created_on: record.createdOn,
    modified_on: record.modifiedOn,
  };
}

/** In `messages` when the usage counters (Redis) did not answer; code: GW_ERR_LIMITS_UNAVAILABLE's. */
const QUOTA_REMAINING_UNKNOWN: EnvelopeMessage = {
  code: GW_ERR_LIMITS_UNAVAILABLE.v4Code,
  message: 'quota_remaining is null: the usage counters did not answer (the change itself, if any, is saved)',
};

export const gatewayKeyRoutes: FastifyPluginAsyncTypebox<{ services: AdminServices }> = (app, { services }) => {
  const { keys } = services;
  const tags = ['gateway_keys'];
  /** The keys' views, and a message when their quota_remaining could not be read (counters down). */
  const views = async (
    request: FastifyRequest,
    records: readonly GatewayKeyRecord[],
  ): Promise<{ result: object[]; messages: EnvelopeMessage[] }> => {
    const { values, countersUnavailable, effective } = await keys.quotaRemaining(records);
    const result = records.map((record, index) => keyView(record, values[index] ?? null, effective[index]));
    if (countersUnavailable === undefined) return { result, messages: [] };
    request.log.warn({ err: countersUnavailable }, 'usage counters unavailable: quota_remaining left null');
    return { result, messages: [QUOTA_REMAINING_UNKNOWN] };
  };
  const view = async (request: FastifyRequest, record: GatewayKeyRecord): Promise<object> => {
    const { result, messages } = await views(request, [record]);
    return success(result[0] ?? {}, undefined, messages);
  };

  app.get(PATH, { schema: { tags, params: Params, querystring: ListQuery } }, async (request) => {
    const plan = planPage(request.query);
    const records = await keys.list(principalOf(request), request.params.account_id);
    const page = records.slice(plan.offset, plan.offset + plan.limit);
    const { result, messages } = await views(request, page);
    return success(result, resultInfo(plan, page.length, records.length), messages);
  });

  app.post(PATH, { schema: { tags, params: Params, body: KeyCreateBodySchema } }, async (request) => {
    const { key, secret } = await keys.create(principalOf(request), request.params.account_id, request.body);
    // The secret is shown here and never again: nothing after the commit may fail this response.
    const { result, messages } = await views(request, [key]);
    return success({ ...result[0], ...(secret === null ? {} : { secret }) }, undefined, messages);
  });

  app.get(`${PATH}/:key_id`, { schema: { tags, params: ItemParams } }, async (request) => {
    const { account_id, key_id } = request.params;
    return view(request, await keys.get(principalOf(request), account_id, key_id));
  });

  app.put(`${PATH}/:key_id`, { schema: { tags, params: ItemParams, body: KeySettingsBodySchema } }, async (request) => {
    const { account_id, key_id } = request.params;
    return view(request, await keys.update(principalOf(request), account_id, key_id, request.body));
  });

  app.patch(
    `${PATH}/:key_id`,
    { schema: { tags, params: ItemParams, body: KeySettingsPatchBodySchema } },
    async (request) => {
      const { account_id, key_id } = request.params;
      return view(request, await keys.patch(principalOf(request), account_id, key_id, request.body));
    },
  );

  app.delete(`${PATH}/:key_id`, { schema: { tags, params: ItemParams } }, async (request) => {
    const { account_id, key_id } = request.params;
    const deleted = await keys.delete(principalOf(request), account_id, key_id);
    return success({ id: deleted.id });
  });
  return Promise.resolve();
};
