/**
 * A gateway API (Tyk's API definition) as clients write it (`/zones/{zone_id}/gateway/apis` and a
 * zone's `apis:` in portcullis.yaml). The admin route validates with these schemas, the OpenAPI
 * document shows them, control/apis/api-definition-input.ts checks and normalises the values (its
 * messages are the ones a client sees for a value the schema lets through).
 */
import { Type, type Static } from 'typebox';
import { RateLimitFieldsSchema, RateLimitSchema } from './gateway-policy-shape.ts';
import {
  HostnameFieldSchema,
  MAX_NAME_LENGTH,
  PathPrefixFieldSchema,
  upstreamFieldSchema,
  UpstreamTimeoutSchema,
} from './shared-fields.ts';

export const MAX_ALLOWED_CERTIFICATES = 1000;

export const AllowedCertificateSchema = Type.Object(
  {
    mtls_certificate_id: Type.Optional(Type.String({ description: 'A leaf uploaded to the account' })),
    client_certificate_id: Type.Optional(Type.String({ description: 'A client certificate of the zone' })),
    sha256: Type.Optional(Type.String({ maxLength: 95, description: 'SHA-256 of the leaf (hex, colons allowed)' })),
  },
  { description: 'Exactly one field' },
);
export type AllowedCertificateInput = Static<typeof AllowedCertificateSchema>;

export const ApiAuthSchema = Type.Object({
  mode: Type.String({ description: '`keyless`, `mtls_static`, `mtls_dynamic` or `token`' }),
  token_required: Type.Optional(
    Type.Boolean({ description: 'mtls_static only: a token key is required as well as the certificate' }),
  ),
  allowed_certificates: Type.Optional(
    Type.Array(AllowedCertificateSchema, {
      maxItems: MAX_ALLOWED_CERTIFICATES,
      description: 'mtls_static only (and then required): exactly one field per entry',
    }),
  ),
});
export type ApiAuthInput = Static<typeof ApiAuthSchema>;

/** POST and PUT: PUT replaces every field, so omitted ones take their defaults. */
export const ApiBodySchema = Type.Object({
  name: Type.String({ minLength: 1, maxLength: MAX_NAME_LENGTH }),
  hostname: HostnameFieldSchema,
  listen_path: Type.Optional(PathPrefixFieldSchema),
  upstream_url: upstreamFieldSchema(
    '`http://`, `https://` or `h2c://` host[:port][/base path]; grpc needs h2c:// or https://',
  ),
  strip_listen_path: Type.Optional(Type.Boolean({ description: 'Remove listen_path from the path sent upstream' })),
  upstream_timeout_ms: Type.Optional(UpstreamTimeoutSchema),
  protocol: Type.Optional(Type.String({ description: '`http` (default) or `grpc`' })),
  active: Type.Optional(Type.Boolean()),
  auth: ApiAuthSchema,
  rate_limit: Type.Optional(RateLimitSchema),
});
/** PATCH: the fields given replace the stored ones (`auth` and `rate_limit` as a whole). */
export const ApiPatchBodySchema = Type.Partial(ApiBodySchema);
export type ApiInput = Static<typeof ApiBodySchema>;

/**
 * An API in portcullis.yaml: the API's fields but the allowlist, whose entries there may also name a
 * certificate `file` (config/gateway-config-apis.ts reads them apart, with their lines); a file has
 * no null to write, so `rate_limit` is the limit or absent.
 */
export const DeclaredApiFieldsSchema = Type.Object({
  ...Type.Omit(ApiBodySchema, ['auth', 'rate_limit']).properties,
  auth: Type.Omit(ApiAuthSchema, ['allowed_certificates']),
  rate_limit: Type.Optional(RateLimitFieldsSchema),
});
export type DeclaredApiFields = Static<typeof DeclaredApiFieldsSchema>;
