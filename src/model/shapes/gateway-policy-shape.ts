/**
 * A gateway policy as clients write it (`/accounts/{account_id}/gateway/policies` and an account's
 * `policies:` in portcullis.yaml), and the pieces keys share with it: access rights, rate limit,
 * quota. The admin route validates with these schemas, the OpenAPI document shows them,
 * control/apis/gateway-policy-input.ts checks and normalises the values.
 */
import { Type, type Static } from 'typebox';
import { HEX_ID_PATTERN, MAX_NAME_LENGTH } from './shared-fields.ts';

export const MAX_RATE = 1_000_000_000;
export const MAX_RATE_PER_SECONDS = 86_400;
export const MAX_QUOTA = 1_000_000_000_000;
export const MAX_QUOTA_RENEWAL_SECONDS = 31_622_400;
export const MAX_ACCESS_RIGHTS = 1000;
export const MAX_METHODS_PER_RIGHT = 20;
export const MAX_PATHS_PER_RIGHT = 100;
export const MAX_PATH_PATTERN_LENGTH = 1024;

export const RateLimitFieldsSchema = Type.Object({
  rate: Type.Integer({ minimum: 1, maximum: MAX_RATE, description: 'Requests allowed per `per` seconds' }),
  per: Type.Integer({ minimum: 1, maximum: MAX_RATE_PER_SECONDS, description: 'Window, in seconds' }),
});
export type RateLimitInput = Static<typeof RateLimitFieldsSchema>;
/** null: no limit. */
export const RateLimitSchema = Type.Union([RateLimitFieldsSchema, Type.Null()]);

export const QuotaFieldsSchema = Type.Object({
  max: Type.Integer({ minimum: 1, maximum: MAX_QUOTA, description: 'Requests allowed per renewal period' }),
  renewal_rate: Type.Integer({
    minimum: 1,
    maximum: MAX_QUOTA_RENEWAL_SECONDS,
    description: 'Renewal period, in seconds',
  }),
});
export type QuotaInput = Static<typeof QuotaFieldsSchema>;
/** null: no quota. */
export const QuotaSchema = Type.Union([QuotaFieldsSchema, Type.Null()]);

export const AccessRightSchema = Type.Object({
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
});
export type AccessRightInput = Static<typeof AccessRightSchema>;

export const AccessRightsSchema = Type.Array(AccessRightSchema, {
  maxItems: MAX_ACCESS_RIGHTS,
  description: 'Several rights for one API are alternatives: a request needs one allowing its method and path',
});

/** POST and PUT: PUT replaces every field, so omitted ones take their defaults. */
export const PolicyBodySchema = Type.Object({
  name: Type.String({ minLength: 1, maxLength: MAX_NAME_LENGTH }),
  access_rights: Type.Optional(AccessRightsSchema),
  rate_limit: Type.Optional(RateLimitSchema),
  quota: Type.Optional(QuotaSchema),
  active: Type.Optional(Type.Boolean()),
});
/** PATCH: the fields given replace the stored ones. */
export const PolicyPatchBodySchema = Type.Partial(PolicyBodySchema);
export type PolicyInput = Static<typeof PolicyBodySchema>;

/**
 * A policy in portcullis.yaml: the API's fields but its access rights, which there may name an API
 * of the file by name (`api:`) before it has an id; config/gateway-config-apis.ts reads those.
 */
export const DeclaredPolicyFieldsSchema = Type.Omit(PolicyBodySchema, ['access_rights']);
export type DeclaredPolicyFields = Static<typeof DeclaredPolicyFieldsSchema>;
