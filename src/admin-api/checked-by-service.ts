/**
 * Bodies the admin API's validator only checks to be a JSON object, while the OpenAPI document shows
 * their full schema: for bodies whose checker names the JSON pointer of every refused value
 * (control/rulesets/ruleset-input.ts, shared with the configuration file), so a client gets that
 * message and code rather than the validator's.
 */
import { Type, type TSchema } from 'typebox';
import type { SwaggerTransform } from '@fastify/swagger';

/** What the validator checks: a JSON object, nothing more. */
export const AnyObjectBody = Type.Object({}, { additionalProperties: true });

/** A route's `config.swaggerTransform` that documents `documented` as the request body. */
export function documentBodyAs(documented: TSchema): SwaggerTransform {
  return ({ schema, url }) => ({ schema: { ...schema, body: documented }, url });
}
