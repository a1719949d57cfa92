/**
 * A custom rule and a whole ruleset as clients write them (the Rulesets API,
 * cloudflare-compatibility.md §6.1–§6.2, and a zone's `rules:` in portcullis.yaml). These schemas
 * type the bodies for the OpenAPI document and for TypeScript; the values are checked by
 * control/rulesets/ruleset-input.ts, not by the admin API's validator, because its errors name the
 * JSON pointer of the offending value (`/rules/2/expression: …`) and a rule's expression keeps the
 * rules engine's own error code.
 */
import { Type, type Static } from 'typebox';
import { RULE_ACTIONS } from '../records.ts';

export const MAX_RULES_PER_RULESET = 500;
export const MAX_RULE_DESCRIPTION_LENGTH = 1000;
export const MAX_REF_LENGTH = 256;
/** Cloudflare's limit on a custom block response body (WAF custom rules): 2 KB. */
export const MAX_RESPONSE_CONTENT_BYTES = 2048;
export const RESPONSE_CONTENT_TYPES: readonly string[] = ['text/html', 'text/plain', 'application/json', 'text/xml'];
export const DEFAULT_BLOCK_STATUS = 403;

/** A JSON Schema `enum` of strings, typed as their union (TypeBox unions of mapped literals type as never). */
function stringEnum<T extends string>(values: readonly T[], description: string) {
  return Type.Unsafe<T>({ type: 'string', enum: [...values], description });
}

export const RuleActionSchema = stringEnum(RULE_ACTIONS, '`block`, `log` or `skip` (the rest of this ruleset)');

export const BlockResponseSchema = Type.Object(
  {
    status_code: Type.Optional(
      Type.Integer({ minimum: 400, maximum: 499, description: `Default ${DEFAULT_BLOCK_STATUS}` }),
    ),
    content: Type.String({ description: `1 to ${MAX_RESPONSE_CONTENT_BYTES} bytes (UTF-8)` }),
    content_type: stringEnum(RESPONSE_CONTENT_TYPES, 'The Content-Type of the answer'),
  },
  { additionalProperties: false },
);

/** block: an optional custom answer; skip: `ruleset` (or `phase`) `current`; log: none. */
export const ActionParametersSchema = Type.Object(
  {
    response: Type.Optional(BlockResponseSchema),
    ruleset: Type.Optional(Type.Literal('current', { description: 'skip: the rest of this ruleset' })),
    phase: Type.Optional(Type.Literal('current', { description: 'skip: the same as ruleset here' })),
  },
  { additionalProperties: false },
);

export const RuleSchema = Type.Object({
  id: Type.Optional(Type.String({ pattern: '^[0-9a-f]{32}$', description: 'Kept across PUTs when given' })),
  ref: Type.Optional(
    Type.String({ minLength: 1, maxLength: MAX_REF_LENGTH, description: 'Names the rule across versions' }),
  ),
  action: RuleActionSchema,
  action_parameters: Type.Optional(ActionParametersSchema),
  expression: Type.String({ description: 'Rules language expression (docs/reference/rules-language.md)' }),
  description: Type.Optional(Type.String({ maxLength: MAX_RULE_DESCRIPTION_LENGTH })),
  enabled: Type.Optional(Type.Boolean({ description: 'Default true' })),
  logging: Type.Optional(Type.Object({ enabled: Type.Optional(Type.Boolean()) })),
});
export type RuleInput = Static<typeof RuleSchema>;

/** Where a rule goes: exactly one of `before` (`""`: top), `after` (`""`: bottom) or `index` (1-based). */
export const RulePositionSchema = Type.Object(
  {
    before: Type.Optional(Type.String({ description: 'A rule id, or "" for the top' })),
    after: Type.Optional(Type.String({ description: 'A rule id, or "" for the bottom' })),
    index: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false, description: 'Exactly one field' },
);

/** POST and PATCH of one rule: the rule, and where it goes. */
export const RuleBodySchema = Type.Object({
  ...RuleSchema.properties,
  position: Type.Optional(RulePositionSchema),
});

/** PUT of an entry point or a ruleset: the whole list of rules. */
export const RulesetBodySchema = Type.Object({
  rules: Type.Array(RuleSchema, { maxItems: MAX_RULES_PER_RULESET }),
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Fixed once the ruleset exists' })),
  description: Type.Optional(Type.String({ maxLength: MAX_RULE_DESCRIPTION_LENGTH })),
  kind: Type.Optional(Type.Literal('zone')),
  phase: Type.Optional(Type.Literal('http_request_firewall_custom')),
});

/**
 * A rule in portcullis.yaml: the API's fields but `id` (the file names a rule by `ref`) and
 * `logging`; parameters are passed on as written for ruleset-input.ts to check.
 */
export const DeclaredRuleFieldsSchema = Type.Omit(RuleSchema, ['id', 'logging']);
export type DeclaredRuleFields = Static<typeof DeclaredRuleFieldsSchema>;
