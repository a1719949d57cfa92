/**
 * A gateway route as clients write it (`/zones/{zone_id}/gateway/routes` and a zone's `routes:` in
 * portcullis.yaml, the same snake_case keys): the admin route validates with this schema, the
 * OpenAPI document shows it, control/routes/route-input.ts checks and normalises its values.
 */
import { Type, type Static } from 'typebox';
import {
  HostnameFieldSchema,
  PathPrefixFieldSchema,
  upstreamFieldSchema,
  UpstreamTimeoutSchema,
} from './shared-fields.ts';

export const MAX_DESCRIPTION_LENGTH = 500;

/** POST and PUT take the same body: PUT replaces every field, so omitted ones take their defaults. */
export const RouteBodySchema = Type.Object({
  hostname: HostnameFieldSchema,
  path_prefix: Type.Optional(PathPrefixFieldSchema),
  upstream: upstreamFieldSchema('`http://`, `https://` or `h2c://` host[:port][/base path]'),
  strip_prefix: Type.Optional(Type.Boolean({ description: 'Remove path_prefix from the path sent upstream' })),
  upstream_timeout_ms: Type.Optional(UpstreamTimeoutSchema),
  description: Type.Optional(Type.String({ maxLength: MAX_DESCRIPTION_LENGTH })),
});
export type RouteInput = Static<typeof RouteBodySchema>;
