/**
 * planRules: a zone's custom rules (the `http_request_firewall_custom` entry point) as the
 * configuration file declares them, checked by the same code as the Rulesets API
 * (ruleset-input.ts) and written as one new version only when something changed.
 *
 *   [mtls_rule]    first, so that no rule of the file can `skip` it (ref portcullis_mtls_rule,
 *                  written exactly as RulesetService.upsertMtlsRule writes it)
 *   rules[0..n]    in file order
 *
 * A rule keeps its id across applies through its ref: the `ref` given in the file, else one derived
 * from its action and expression (so an unchanged rule keeps its id and version, an edited
 * description bumps the version, and an edited expression is a new rule).
 */
import { createHash } from 'node:crypto';
import { GatewayError, GW_ERR_API_OBJECT_NOT_FOUND } from '../../errors/index.ts';
import type { DeclaredRule } from '../../config/gateway-config-schema.ts';
import type { LoadedZone } from '../../config/load-gateway-config.ts';
import { configInvalid } from '../../config/yaml-cursor.ts';
import { CUSTOM_RULES_PHASE, type RulesetRecord, type ZoneRecord } from '../../model/records.ts';
import { refusedAt, validated, type PlanContext, type PlannedWrite } from './plan-parts.ts';
import { normaliseHostname } from '../certificates/hostname-association-service.ts';
import { newHexId } from '../ids.ts';
import { MTLS_RULE_DESCRIPTION, MTLS_RULE_REF, mtlsRuleExpression } from '../rulesets/mtls-rule.ts';
import { rulesetChanged, validateRulesetBody } from '../rulesets/ruleset-input.ts';
import { MAX_MTLS_RULE_HOSTNAMES } from '../rulesets/ruleset-service.ts';

/** A rule of the entry point's body and where the file declares it. */
interface BodyRule {
  readonly rule: Record<string, unknown>;
  readonly where: string;
  readonly whereOf: Readonly<Record<string, string>>;
}

export async function planRules(
  zone: LoadedZone,
  shape: ZoneRecord,
  stored: boolean,
  zoneId: () => string,
  context: PlanContext,
): Promise<PlannedWrite[]> {
  const { services, principal } = context;
  const declared = [...mtlsRuleOf(zone, shape), ...fileRulesOf(zone.rules)];
  const body = { rules: declared.map((entry) => entry.rule) };
  const previous = stored ? await entrypointOf(shape, context) : undefined;
  let next;
  try {
    next = validateRulesetBody(body, previous, context.now, newHexId);
  } catch (error) {
    throw refusal(error, declared, zone.where);
  }
  const changed = previous === undefined ? body.rules.length > 0 : rulesetChanged(previous, next);
  if (!changed) return [];
  return [
    {
      kind: 'rules',
      target: `zone ${shape.name}: custom rules`,
      run: async () => {
        await services.rulesets.putEntrypoint(principal, zoneId(), CUSTOM_RULES_PHASE, body);
      },
    },
  ];
}

async function entrypointOf(zone: ZoneRecord, context: PlanContext): Promise<RulesetRecord | undefined> {
  try {
    return await context.services.rulesets.getEntrypoint(context.principal, zone.id, CUSTOM_RULES_PHASE);
  } catch (error) {
    if (error instanceof GatewayError && error.code === GW_ERR_API_OBJECT_NOT_FOUND.code) return undefined;
    throw error;
  }
}

function mtlsRuleOf(zone: LoadedZone, shape: ZoneRecord): BodyRule[] {
  const declared = zone.mtlsRule;
  if (declared === undefined) return [];
  const { hostnames } = declared;
  if (hostnames.length < 1 || hostnames.length > MAX_MTLS_RULE_HOSTNAMES) {
    throw configInvalid(declared.where, `must list 1 to ${MAX_MTLS_RULE_HOSTNAMES} hostnames`);
  }
  const names = hostnames.map((hostname) => validated(hostname.where, () => normaliseHostname(hostname.value, shape)));
  const rule = {
    ref: MTLS_RULE_REF,
    action: declared.action ?? 'block',
    expression: mtlsRuleExpression(names, { checkRevoked: declared.checkRevoked !== false }),
    description: MTLS_RULE_DESCRIPTION,
    enabled: true,
  };
  return [{ rule, where: declared.where, whereOf: {} }];
}

function fileRulesOf(rules: readonly DeclaredRule[]): BodyRule[] {
  const refs = new Map<string, string>();
  return rules.map((declared) => {
    const explicit = declared.rule.ref;
    if (explicit === MTLS_RULE_REF) {
      throw configInvalid(declared.whereOf.ref ?? declared.where, `"${MTLS_RULE_REF}" is mtls_rule's ref`);
    }
    const ref = explicit ?? derivedRef(declared);
    const first = refs.get(ref);
    if (first !== undefined) {
      const why = explicit === undefined ? 'the same action and expression as' : 'the same ref as';
      throw configInvalid(declared.where, `${why} the rule at ${first}`);
    }
    refs.set(ref, declared.where);
    return { rule: { ...declared.rule, ref }, where: declared.where, whereOf: declared.whereOf };
  });
}

function derivedRef(declared: DeclaredRule): string {
  const hash = createHash('sha256').update(JSON.stringify([declared.rule.action, declared.rule.expression]));
  return `config_${hash.digest('hex').slice(0, 16)}`;
}

/**
 * ruleset-input.ts names the JSON pointer of the problem (`/rules/2/expression: Filter parsing error
 * (1:13): ...`); the file's reader wants the rule's key and line instead.
 */
function refusal(error: unknown, declared: readonly BodyRule[], zoneWhere: string): unknown {
  if (!(error instanceof GatewayError)) return error;
  const match = /\/rules\/(\d+)(?:\/([\w/]+))?: (.*)$/s.exec(error.message);
  const entry = match === null ? undefined : declared[Number(match[1])];
  if (match === null || entry === undefined) return refusedAt(zoneWhere, error);
  const [, , pointer, detail] = match;
  const field = pointer?.split('/')[0];
  const fieldWhere = field === undefined ? undefined : entry.whereOf[field];
  // At the key's own line the key need not be named again (`expression: expression: ...`).
  const named = pointer === undefined || (pointer === field && fieldWhere !== undefined);
  return configInvalid(fieldWhere ?? entry.where, named ? (detail ?? '') : `${pointer}: ${detail ?? ''}`);
}
