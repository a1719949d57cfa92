/**
 * compileZoneRuntimes / compileRoutes: the per-request half of the snapshot — each zone's custom
 * rules compiled to closures (once, here, never per request) with their block responses, the
 * identity headers the zone forwards, and the route table.
 *
 * Fail closed: a stored rule that no longer compiles (e.g. written by a newer version) is replaced
 * by a rule that blocks every request of its zone, and reported — never silently dropped, which
 * would turn an mTLS rule off.
 */
import type { IdentityFormat } from '../../config/identity-formats.ts';
import { parseUpstreamTarget } from '../../config/upstream-target.ts';
import { compileExpression } from '../../rules/index.ts';
import {
  CUSTOM_RULES_PHASE,
  type RouteRecord,
  type RuleRecord,
  type RulesetRecord,
  type ZoneSettingRecord,
} from '../../model/records.ts';
import type { RouteRuntime } from '../../runtime-config/route-table.ts';
import type { BlockResponse, CustomRuleRuntime, ZoneRuntime } from '../../runtime-config/zone-runtime.ts';
import { identityFormatsOf, MANAGED_REQUEST_HEADERS_SETTING } from '../rulesets/managed-headers-service.ts';

export interface CompileProblem {
  readonly zoneId: string;
  readonly what: string;
  readonly reason: string;
}

export function compileZoneRuntimes(
  zoneIds: Iterable<string>,
  rulesets: readonly RulesetRecord[],
  settings: readonly ZoneSettingRecord[],
  onProblem: (problem: CompileProblem) => void,
): ZoneRuntime[] {
  const entrypoints = new Map(
    rulesets.filter((ruleset) => ruleset.phase === CUSTOM_RULES_PHASE).map((ruleset) => [ruleset.zoneId, ruleset]),
  );
  const headerSettings = new Map(
    settings
      .filter((setting) => setting.name === MANAGED_REQUEST_HEADERS_SETTING)
      .map((setting) => [setting.zoneId, setting.value]),
  );
  const zones: ZoneRuntime[] = [];
  for (const zoneId of zoneIds) {
    const ruleset = entrypoints.get(zoneId);
    const customRules = ruleset === undefined ? [] : compileCustomRules(ruleset, onProblem);
    const identityFormats: readonly IdentityFormat[] = Object.freeze(identityFormatsOf(headerSettings.get(zoneId)));
    zones.push(Object.freeze({ zoneId, customRules: Object.freeze(customRules), identityFormats }));
  }
  return zones;
}

function compileCustomRules(ruleset: RulesetRecord, onProblem: (problem: CompileProblem) => void): CustomRuleRuntime[] {
  const compiled: CustomRuleRuntime[] = [];
  for (const rule of ruleset.rules) {
    if (!rule.enabled) continue;
    try {
      const { evaluate } = compileExpression(rule.expression);
      compiled.push(
        Object.freeze({
          rulesetId: ruleset.id,
          ruleId: rule.id,
          ref: rule.ref,
          action: rule.action,
          evaluate,
          response: rule.action === 'block' ? blockResponseOf(rule) : undefined,
        }),
      );
    } catch (error) {
      onProblem({ zoneId: ruleset.zoneId, what: `rule ${rule.id}`, reason: (error as Error).message });
      compiled.push(
        Object.freeze({
          rulesetId: ruleset.id,
          ruleId: rule.id,
          ref: rule.ref,
          action: 'block' as const,
          evaluate: () => true,
          response: undefined,
        }),
      );
    }
  }
  return compiled;
}

/** Cloudflare's `action_parameters.response` (validated when stored); undefined → our JSON 403. */
function blockResponseOf(rule: RuleRecord): BlockResponse | undefined {
  const response = rule.actionParameters?.response as
    { status_code?: number; content?: string; content_type?: string } | undefined;
  if (response === undefined || typeof response.content !== 'string') return undefined;
  return Object.freeze({
    status: response.status_code ?? 403,
    contentType: response.content_type ?? 'text/plain',
    body: response.content,
  });
}

/** Routes of hostnames their zone owns; a route whose upstream no longer parses is skipped and reported. */
export function compileRoutes(
  routes: readonly RouteRecord[],
  ownerOf: (hostname: string) => string | undefined,
  onProblem: (problem: CompileProblem) => void,
): RouteRuntime[] {
  const compiled: RouteRuntime[] = [];
  for (const route of routes) {
    if (ownerOf(route.hostname) !== route.zoneId) continue; // another zone owns the hostname
    try {
      compiled.push(
        Object.freeze({
          id: route.id,
          zoneId: route.zoneId,
          hostname: route.hostname,
          pathPrefix: route.pathPrefix,
          upstream: parseUpstreamTarget(route.upstreamUrl),
          stripPrefix: route.stripPrefix,
          upstreamTimeoutMs: route.upstreamTimeoutMs ?? undefined,
        }),
      );
    } catch (error) {
      onProblem({ zoneId: route.zoneId, what: `route ${route.id}`, reason: (error as Error).message });
    }
  }
  return compiled;
}
