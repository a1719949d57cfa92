/**
 * A gateway key (Tyk's key) as clients write it (`/accounts/{account_id}/gateway/keys`). The admin
 * route validates with these schemas, the OpenAPI document shows them,
 * control/apis/gateway-key-input.ts checks and normalises the values.
 */
import { Type, type Static } from 'typebox';
import { AccessRightsSchema, QuotaSchema, RateLimitSchema } from './gateway-policy-shape.ts';
import { HEX_ID_PATTERN, MAX_NAME_LENGTH } from './shared-fields.ts';

export const MAX_POLICIES_PER_KEY = 100;
export const MAX_PEM_LENGTH = 16_384;

/** What PUT and PATCH may change. */
export const KeySettingsFieldsSchema = Type.Object({
  alias: Type.Optional(Type.String({ maxLength: MAX_NAME_LENGTH })),
  policy_ids: Type.Optional(
    Type.Array(Type.String({ pattern: HEX_ID_PATTERN }), {
      maxItems: MAX_POLICIES_PER_KEY,
      description: 'Policies of this account applied to the key',
    }),
  ),
  access_rights: Type.Optional(AccessRightsSchema),
  rate_limit: Type.Optional(RateLimitSchema),
  quota: Type.Optional(QuotaSchema),
  expires_on: Type.Optional(
    Type.Union([Type.String({ description: 'RFC 3339 date-time in the future' }), Type.Null()]),
  ),
  metadata: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'At most 50 string entries' })),
  active: Type.Optional(Type.Boolean()),
});
export type KeySettingsInput = Static<typeof KeySettingsFieldsSchema>;

export const KeyCertificateSchema = Type.Object(
  {
    mtls_certificate_id: Type.Optional(Type.String({ description: 'A leaf uploaded to the account' })),
    client_certificate_id: Type.Optional(Type.String({ description: 'A client certificate of the account' })),
    pem: Type.Optional(Type.String({ maxLength: MAX_PEM_LENGTH, description: 'The client certificate, PEM' })),
    sha256: Type.Optional(Type.String({ maxLength: 95, description: 'SHA-256 of the leaf; bind_to leaf only' })),
  },
  { description: 'Exactly one field' },
);
export type KeyCertificateInput = Static<typeof KeyCertificateSchema>;

/** The fields fixed at creation: the certificate binding and whether the key has a token secret. */
const KeyBindingFieldsSchema = Type.Object({
  certificate: Type.Optional(KeyCertificateSchema),
  bind_to: Type.Optional(
    Type.String({
      description: '`leaf` (default: this certificate) or `spki` (its public key: renewals keep the key)',
    }),
  ),
  token: Type.Optional(Type.Boolean({ description: 'Make a token secret, returned once in this response' })),
});

export const KeyCreateBodySchema = Type.Object({
  ...KeySettingsFieldsSchema.properties,
  ...KeyBindingFieldsSchema.properties,
});
export type KeyCreateInput = Static<typeof KeyCreateBodySchema>;

/**
 * PUT replaces every setting (omitted ones take their defaults). The binding's fields are accepted
 * with any value so that the refusal can say why (they are fixed at creation) rather than "unknown
 * property".
 */
export const KeySettingsBodySchema = Type.Object({
  ...KeySettingsFieldsSchema.properties,
  certificate: Type.Optional(Type.Unknown({ description: 'Fixed at creation (delete and create to rotate)' })),
  bind_to: Type.Optional(Type.Unknown({ description: 'Fixed at creation' })),
  token: Type.Optional(Type.Unknown({ description: 'Fixed at creation' })),
});
/** PATCH: only the settings given. */
export const KeySettingsPatchBodySchema = Type.Partial(KeySettingsBodySchema);
