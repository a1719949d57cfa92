/**
 * runCustomRules: the zone's `http_request_firewall_custom` phase for one request (reference/
 * cloudflare-compatibility.md §6.3). Rules run in order; the first matching `block` ends the phase and
 * answers; `log` records a hit and goes on (shadow mode); `skip` (`ruleset: "current"`) ends the
 * phase and lets the request through. Every match counts a hit for analytics.
 */
import type { RuleContext } from '../../rules/index.ts';
import type { RuleHitRecorder } from '../../runtime-config/rule-hits.ts';
import type { CustomRuleRuntime } from '../../runtime-config/zone-runtime.ts';

/** Told about each rule that matched, whatever its action (the pipeline logs `log` hits and keeps ids). */
export type RuleMatch = (rule: CustomRuleRuntime) => void;

/** The `block` rule that matched, or undefined when the request may go on. */
export function runCustomRules(
  rules: readonly CustomRuleRuntime[],
  context: RuleContext,
  hits: RuleHitRecorder,
  onMatch: RuleMatch,
): CustomRuleRuntime | undefined {
  for (const rule of rules) {
    if (!rule.evaluate(context)) continue;
    hits.record(rule.rulesetId, rule.ruleId);
    onMatch(rule);
    if (rule.action === 'block') return rule;
    if (rule.action === 'skip') return undefined;
  }
  return undefined;
}
