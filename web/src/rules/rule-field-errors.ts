/**
 * Which field of a rule form an API error belongs to. The server names the offending value with a
 * JSON pointer (src/control/rulesets/ruleset-input.ts): `/expression: …` for one rule, `/rules/0/expression:
 * …` for a whole ruleset, after the error's own wording ("Invalid request: " or "Filter parsing
 * error "). '' when it names no field of the form.
 */
const RULE_FIELDS = ['expression', 'description', 'action', 'enabled'] as const;
export type RuleField = (typeof RULE_FIELDS)[number] | '';

export function ruleFieldOfError(message: string): RuleField {
  const pointer = /(?:^|\s)\/(?:rules\/\d+\/)?([a-z_]+)(?:\/[^\s:]*)?:/.exec(message);
  const name = pointer?.[1];
  return RULE_FIELDS.find((field) => field === name) ?? '';
}
