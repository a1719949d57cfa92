/**
 * Custom rules through the Rulesets API (cloudflare-compatibility.md §6, zone level): the phase entry point and
 * its versions, rulesets by id (cursor-paged list, §1.5), one-rule changes, plus the gateway's own mTLS rule
 * helper and rule hit counts. Bodies are checked by control/rulesets/ruleset-input.ts (one checker for the API and the
 * configuration file), whose errors name the JSON pointer of the offending value.
 */
import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { GW_ERR_API_VALIDATION, GW_ERR_LIMITS_UNAVAILABLE } from '../../errors/index.ts';
import { HEX_ID_PATTERN } from '../../control/ids.ts';
import type { RuleHits, WriteOptions } from '../../control/rulesets/ruleset-service.ts';
import type { RuleHitStore } from '../../runtime-config/rule-hits.ts';
import type { RuleRecord, RulesetRecord } from '../../model/records.ts';
import { RuleBodySchema, RulesetBodySchema } from '../../model/shapes/ruleset-shape.ts';
import { principalOf } from '../authentication.ts';
import { AnyObjectBody, documentBodyAs } from '../checked-by-service.ts';
import { success, type EnvelopeMessage } from '../envelope.ts';
import { checkedPageQuery, PER_PAGE_QUERY, singlePageInfo } from '../pagination.ts';
import type { AdminServices } from '../services.ts';

const HexId = Type.String({ pattern: HEX_ID_PATTERN });
const ZoneParams = Type.Object({ zone_id: HexId });
const PhaseParams = Type.Object({ zone_id: HexId, ruleset_phase: Type.String({ maxLength: 64 }) });
const VersionParams = Type.Object({
  zone_id: HexId,
  ruleset_phase: Type.String({ maxLength: 64 }),
  ruleset_version: Type.String({ pattern: '^[0-9]{1,15}$' }),
});
const RulesetParams = Type.Object({ zone_id: HexId, ruleset_id: HexId });
const RuleParams = Type.Object({ zone_id: HexId, ruleset_id: HexId, rule_id: HexId });
const DryRunQuery = Type.Object({ dry_run: Type.Optional(Type.String()) });
/**
 * The validator checks only that these bodies are objects; ruleset-input.ts checks them field by field
 * (naming JSON pointers), and the OpenAPI document shows their schemas (model/shapes/ruleset-shape.ts).
 */
const RulesetBodyDocs = { swaggerTransform: documentBodyAs(RulesetBodySchema) };
const RuleBodyDocs = { swaggerTransform: documentBodyAs(RuleBodySchema) };
const MtlsRuleBody = Type.Object({
  hostnames: Type.Array(Type.String({ maxLength: 253 }), { minItems: 1, maxItems: 100 }),
  action: Type.Optional(Type.Union([Type.Literal('block'), Type.Literal('log')])),
  check_revoked: Type.Optional(Type.Boolean()),
});
const DEFAULT_PER_PAGE = 20;
const MAX_PER_PAGE = 50;

export function ruleView(rule: RuleRecord): object {
  return {
    id: rule.id,
    version: String(rule.version),
    action: rule.action,
    ...(rule.actionParameters === null ? {} : { action_parameters: rule.actionParameters }),
    expression: rule.expression,
    description: rule.description,
    last_updated: rule.lastUpdated,
    ref: rule.ref,
    enabled: rule.enabled,
    ...(rule.logging === null ? {} : { logging: rule.logging }),
  };
}

/** The ruleset as §6.1 shows it; lists and version lists leave the rules out. */
export function rulesetView(ruleset: RulesetRecord, { withRules = true }: { withRules?: boolean } = {}): object {
  return {
    id: ruleset.id,
    name: ruleset.name,
    description: ruleset.description,
    kind: ruleset.kind,
    phase: ruleset.phase,
    version: String(ruleset.version),
    last_updated: ruleset.lastUpdated,
    ...(withRules ? { rules: ruleset.rules.map(ruleView) } : {}),
  };
}

/**
 * In `messages` when the cluster's counts (Redis) did not answer; code: GW_ERR_LIMITS_UNAVAILABLE's,
 * as for the keys' quota_remaining (gateway-keys.ts), since the same counters are down.
 */
const RULE_HITS_LOCAL_ONLY: EnvelopeMessage = {
  code: GW_ERR_LIMITS_UNAVAILABLE.v4Code,
  message: "hits and last_hit_at are this gateway's only (since it started): the cluster's counters did not answer",
};

function ruleHitView(hits: RuleHits): object {
  return {
    ruleset_id: hits.rulesetId,
    rule_id: hits.ruleId,
    ref: hits.ref,
    description: hits.description,
    action: hits.action,
    hits: hits.hits,
    last_hit_at: hits.lastHitAt,
  };
}

/** `?dry_run=true|false` (cloudflare-compatibility.md §6.1); any other value is refused rather than guessed. */
export function writeOptions(query: { dry_run?: string }): WriteOptions {
  const value = query.dry_run;
  if (value === undefined || value === 'false') return { dryRun: false };
  if (value === 'true') return { dryRun: true };
  throw GW_ERR_API_VALIDATION.create('dry_run must be true or false');
}

/** A change answers the whole ruleset, or `result: null` for a dry run (cloudflare-compatibility.md §6.1). */
function changed(ruleset: RulesetRecord, options: WriteOptions): object {
  return success(options.dryRun === true ? null : rulesetView(ruleset));
}

/**
 * One page of a cursor list (the SDK's CursorPagination, cloudflare-compatibility.md §1.5): items after `cursor` in
 * id order; the next cursor is the last id of a full page, and absent on the last page, which ends the SDK's
 * iteration.
 */
export function cursorPage<T extends { id: string }>(
  items: readonly T[],
  cursor: string | undefined,
  perPage: number,
): { page: T[]; next: string | undefined } {
  const sorted = [...items].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const rest = cursor === undefined || cursor === '' ? sorted : sorted.filter((item) => item.id > cursor);
  const page = rest.slice(0, perPage);
  return { page, next: rest.length > perPage ? page.at(-1)?.id : undefined };
}

export const rulesetRoutes: FastifyPluginAsyncTypebox<{ services: AdminServices; ruleHits: RuleHitStore }> = (
  app,
  { services, ruleHits },
) => {
  const { rulesets } = services;
  const tags = ['rulesets'];
  const entrypoint = '/zones/:zone_id/rulesets/phases/:ruleset_phase/entrypoint';

  app.get(entrypoint, { schema: { tags, params: PhaseParams } }, async (request) => {
    const { zone_id: zoneId, ruleset_phase: phase } = request.params;
    return success(rulesetView(await rulesets.getEntrypoint(principalOf(request), zoneId, phase)));
  });

  app.put(
    entrypoint,
    { schema: { tags, params: PhaseParams, querystring: DryRunQuery, body: AnyObjectBody }, config: RulesetBodyDocs },
    async (request) => {
      const { zone_id: zoneId, ruleset_phase: phase } = request.params;
      const options = writeOptions(request.query);
      const ruleset = await rulesets.putEntrypoint(principalOf(request), zoneId, phase, request.body, options);
      return changed(ruleset, options);
    },
  );

  app.get(`${entrypoint}/versions`, { schema: { tags, params: PhaseParams } }, async (request) => {
    const { zone_id: zoneId, ruleset_phase: phase } = request.params;
    const versions = await rulesets.listEntrypointVersions(principalOf(request), zoneId, phase);
    return success(
      versions.map((version) => rulesetView(version, { withRules: false })),
      singlePageInfo(versions.length),
    );
  });

  app.get(`${entrypoint}/versions/:ruleset_version`, { schema: { tags, params: VersionParams } }, async (request) => {
    const { zone_id: zoneId, ruleset_phase: phase, ruleset_version: version } = request.params;
    return success(
      rulesetView(await rulesets.getEntrypointVersion(principalOf(request), zoneId, phase, Number(version))),
    );
  });

  app.get(
    '/zones/:zone_id/rulesets',
    {
      schema: {
        tags,
        params: ZoneParams,
        querystring: Type.Object({
          cursor: Type.Optional(Type.String({ maxLength: 64 })),
          ...PER_PAGE_QUERY,
        }),
      },
    },
    async (request) => {
      const perPage = Math.min(MAX_PER_PAGE, checkedPageQuery(request.query).per_page ?? DEFAULT_PER_PAGE);
      const all = await rulesets.list(principalOf(request), request.params.zone_id);
      const { page, next } = cursorPage(all, request.query.cursor, perPage);
      // The cursor list's result_info (§1.5) is not the page-numbered one of envelope.ts.
      return {
        ...success(page.map((ruleset) => rulesetView(ruleset, { withRules: false }))),
        result_info: { count: page.length, per_page: perPage, ...(next === undefined ? {} : { cursor: next }) },
      };
    },
  );

  app.get('/zones/:zone_id/rulesets/:ruleset_id', { schema: { tags, params: RulesetParams } }, async (request) => {
    const { zone_id: zoneId, ruleset_id: rulesetId } = request.params;
    return success(rulesetView(await rulesets.get(principalOf(request), zoneId, rulesetId)));
  });

  app.put(
    '/zones/:zone_id/rulesets/:ruleset_id',
    { schema: { tags, params: RulesetParams, querystring: DryRunQuery, body: AnyObjectBody }, config: RulesetBodyDocs },
    async (request) => {
      const { zone_id: zoneId, ruleset_id: rulesetId } = request.params;
      const options = writeOptions(request.query);
      return changed(await rulesets.put(principalOf(request), zoneId, rulesetId, request.body, options), options);
    },
  );

  // 204 without a body, dry run or not (cloudflare-compatibility.md §1.3, §6.1).
  app.delete(
    '/zones/:zone_id/rulesets/:ruleset_id',
    { schema: { tags, params: RulesetParams, querystring: DryRunQuery } },
    async (request, reply) => {
      const { zone_id: zoneId, ruleset_id: rulesetId } = request.params;
      await rulesets.delete(principalOf(request), zoneId, rulesetId, writeOptions(request.query));
      return reply.code(204).send();
    },
  );

  app.post(
    '/zones/:zone_id/rulesets/:ruleset_id/rules',
    { schema: { tags, params: RulesetParams, querystring: DryRunQuery, body: AnyObjectBody }, config: RuleBodyDocs },
    async (request) => {
      const { zone_id: zoneId, ruleset_id: rulesetId } = request.params;
      const options = writeOptions(request.query);
      const ruleset = await rulesets.createRule(principalOf(request), zoneId, rulesetId, request.body, options);
      return changed(ruleset, options);
    },
  );

  app.patch(
    '/zones/:zone_id/rulesets/:ruleset_id/rules/:rule_id',
    { schema: { tags, params: RuleParams, querystring: DryRunQuery, body: AnyObjectBody }, config: RuleBodyDocs },
    async (request) => {
      const { zone_id: zoneId, ruleset_id: rulesetId, rule_id: ruleId } = request.params;
      const options = writeOptions(request.query);
      const principal = principalOf(request);
      const ruleset = await rulesets.editRule(principal, zoneId, rulesetId, ruleId, request.body, options);
      return changed(ruleset, options);
    },
  );

  app.delete(
    '/zones/:zone_id/rulesets/:ruleset_id/rules/:rule_id',
    { schema: { tags, params: RuleParams, querystring: DryRunQuery } },
    async (request) => {
      const { zone_id: zoneId, ruleset_id: rulesetId, rule_id: ruleId } = request.params;
      const options = writeOptions(request.query);
      const ruleset = await rulesets.deleteRule(principalOf(request), zoneId, rulesetId, ruleId, options);
      return changed(ruleset, options);
    },
  );

  app.post(
    '/zones/:zone_id/gateway/mtls_rule',
    { schema: { tags, params: ZoneParams, querystring: DryRunQuery, body: MtlsRuleBody } },
    async (request) => {
      const { hostnames, action, check_revoked: checkRevoked } = request.body;
      const options = writeOptions(request.query);
      const ruleset = await rulesets.upsertMtlsRule(
        principalOf(request),
        request.params.zone_id,
        { hostnames, action, checkRevoked },
        options,
      );
      return changed(ruleset, options);
    },
  );

  app.get('/zones/:zone_id/gateway/rule_hits', { schema: { tags, params: ZoneParams } }, async (request) => {
    const { rules, sharedUnavailable } = await rulesets.ruleHits(
      principalOf(request),
      request.params.zone_id,
      ruleHits,
    );
    if (sharedUnavailable !== undefined) {
      request.log.warn({ err: sharedUnavailable }, "rule hit counters unavailable: answering this gateway's own");
    }
    const messages = sharedUnavailable === undefined ? [] : [RULE_HITS_LOCAL_ONLY];
    return success(rules.map(ruleHitView), singlePageInfo(rules.length), messages);
  });
  return Promise.resolve();
};
