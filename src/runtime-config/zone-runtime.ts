/**
 * ZoneRuntime: what the data plane needs per zone at request time, compiled once per snapshot —
 * the zone's custom rules (http_request_firewall_custom entry point, enabled rules only, in order,
 * each a compiled closure) and the identity headers it forwards upstream (managed request headers).
 */
import type { IdentityFormat } from '../config/identity-formats.ts';
import type { RulePredicate } from '../rules/index.ts';

/** A `block` rule's answer: Cloudflare's custom response, or our JSON 403 when undefined. */
export interface BlockResponse {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

export interface CustomRuleRuntime {
  readonly rulesetId: string;
  readonly ruleId: string;
  readonly ref: string;
  readonly action: 'block' | 'log' | 'skip';
  readonly evaluate: RulePredicate;
  /** `block` only; undefined → 403 GW_ERR_RULE_BLOCKED. */
  readonly response: BlockResponse | undefined;
}

export interface ZoneRuntime {
  readonly zoneId: string;
  readonly customRules: readonly CustomRuleRuntime[];
  readonly identityFormats: readonly IdentityFormat[];
}
