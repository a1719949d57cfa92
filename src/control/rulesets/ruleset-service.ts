/**
 * RulesetService: a zone's custom rules through the Rulesets API (cloudflare-compatibility.md §6): the phase
 * entry point (`http_request_firewall_custom`, the only phase the gateway runs), its versions, one-rule changes,
 * the mTLS rule helper and rule hit counts.
 *
 * Every change is a whole new version saved with optimistic concurrency: the version read is the version
 * expected, and a writer that lost a race gets GW_ERR_API_CONFLICT instead of silently dropping the other
 * writer's rules. A change that changes nothing saves nothing (no new version), so repeating a call is free.
 */
import { GW_ERR_API_CONFLICT, GW_ERR_API_OBJECT_NOT_FOUND, GW_ERR_API_VALIDATION } from '../../errors/index.ts';
import { limits } from '../../rules/index.ts';
import type { RuleHitStore } from '../../runtime-config/rule-hits.ts';
import { StoreConflictError, type Store } from '../../store/ports.ts';
import {
  CUSTOM_RULES_PHASE,
  type HexId,
  type RuleAction,
  type RulesetRecord,
  type TokenPermission,
  type ZoneRecord,
} from '../../model/records.ts';
import type { Principal } from '../access-policy.ts';
import { normaliseHostname } from '../certificates/hostname-association-service.ts';
import { isoMicros, newHexId } from '../ids.ts';
import { inZoneTransaction } from '../account-transaction.ts';
import { MTLS_RULE_DESCRIPTION, MTLS_RULE_REF, mtlsRuleExpression } from './mtls-rule.ts';
import {
  assembleRules,
  DEFAULT_RULESET_NAME,
  draftOfRecord,
  invalid,
  parseRule,
  positionIndex,
  ruleInputOfRecord,
  rulesetChanged,
  validateRulesetBody,
  type RuleDraft,
  type ValidatedRuleset,
} from './ruleset-input.ts';
import type { TenancyService } from '../tenancy/tenancy-service.ts';

export interface WriteOptions {
  /** Validate and compute the result, store nothing (`?dry_run=true`). */
  readonly dryRun?: boolean;
}

export const MAX_MTLS_RULE_HOSTNAMES = 100;

export interface MtlsRuleInput {
  readonly hostnames: readonly string[];
  /** What the rule does to a request without a valid certificate (default block; log to try it first). */
  readonly action?: 'block' | 'log';
  /** Also refuse revoked certificates (default true). */
  readonly checkRevoked?: boolean;
}

export interface RuleHits {
  readonly rulesetId: HexId;
  readonly ruleId: HexId;
  readonly ref: string;
  readonly description: string;
  readonly action: RuleAction;
  readonly hits: number;
  readonly lastHitAt: string | null;
}

export interface RuleHitsReport {
  readonly rules: RuleHits[];
  /** Why the cluster's counts could not be read: the counts are then this gateway's only. */
  readonly sharedUnavailable: string | undefined;
}

type Json = Record<string, unknown>;

export class RulesetService {
  readonly #store: Store;
  readonly #tenancy: TenancyService;
  readonly #now: () => Date;
  readonly #newId: () => string;

  constructor(store: Store, tenancy: TenancyService, now: () => Date = () => new Date(), newId = newHexId) {
    this.#store = store;
    this.#tenancy = tenancy;
    this.#now = now;
    this.#newId = newId;
  }

  async getEntrypoint(principal: Principal, zoneId: HexId, phase: string): Promise<RulesetRecord> {
    const zone = await this.#zone(principal, zoneId, 'read', phase);
    const ruleset = await this.#store.getRulesetByPhase(zone.id, phase);
    if (ruleset === undefined) throw GW_ERR_API_OBJECT_NOT_FOUND.create(entrypointPath(zoneId, phase));
    return ruleset;
  }

  /** Creates the entry point or replaces all its rules (the body carries every rule, §6.1). */
  async putEntrypoint(
    principal: Principal,
    zoneId: HexId,
    phase: string,
    body: unknown,
    options: WriteOptions = {},
  ): Promise<RulesetRecord> {
    const zone = await this.#zone(principal, zoneId, 'edit', phase);
    const previous = await this.#store.getRulesetByPhase(zone.id, phase);
    return this.#save(zone, previous, (now) => validateRulesetBody(body, previous, now, this.#newId), options);
  }

  /** Newest first; [] when the zone has no entry point (cloudflare-compatibility.md §6.1). */
  async listEntrypointVersions(principal: Principal, zoneId: HexId, phase: string): Promise<RulesetRecord[]> {
    const zone = await this.#zone(principal, zoneId, 'read', phase);
    const ruleset = await this.#store.getRulesetByPhase(zone.id, phase);
    return ruleset === undefined ? [] : this.#store.listRulesetVersions(ruleset.id);
  }

  async getEntrypointVersion(
    principal: Principal,
    zoneId: HexId,
    phase: string,
    version: number,
  ): Promise<RulesetRecord> {
    const zone = await this.#zone(principal, zoneId, 'read', phase);
    const ruleset = await this.#store.getRulesetByPhase(zone.id, phase);
    const found = ruleset === undefined ? undefined : await this.#store.getRulesetVersion(ruleset.id, version);
    if (found === undefined)
      throw GW_ERR_API_OBJECT_NOT_FOUND.create(`${entrypointPath(zoneId, phase)}/versions/${version}`);
    return found;
  }

  async list(principal: Principal, zoneId: HexId): Promise<RulesetRecord[]> {
    const zone = await this.#tenancy.getZone(principal, zoneId, 'read');
    return this.#store.listRulesets(zone.id);
  }

  async get(principal: Principal, zoneId: HexId, rulesetId: HexId): Promise<RulesetRecord> {
    return (await this.#ruleset(principal, zoneId, rulesetId, 'read')).ruleset;
  }

  async put(
    principal: Principal,
    zoneId: HexId,
    rulesetId: HexId,
    body: unknown,
    options: WriteOptions = {},
  ): Promise<RulesetRecord> {
    const { zone, ruleset } = await this.#ruleset(principal, zoneId, rulesetId, 'edit');
    return this.#save(zone, ruleset, (now) => validateRulesetBody(body, ruleset, now, this.#newId), options);
  }

  /** Deletes the ruleset and its versions (the zone then has no custom rules). */
  async delete(principal: Principal, zoneId: HexId, rulesetId: HexId, options: WriteOptions = {}): Promise<void> {
    const { zone, ruleset } = await this.#ruleset(principal, zoneId, rulesetId, 'edit');
    if (options.dryRun !== true) {
      await inZoneTransaction(this.#store, zone, (store) => store.deleteRuleset(zone.id, ruleset.id));
    }
  }

  /** Adds one rule at `position` (default: bottom); the body is the rule plus `position` (§6.2). */
  async createRule(
    principal: Principal,
    zoneId: HexId,
    rulesetId: HexId,
    body: unknown,
    options: WriteOptions = {},
  ): Promise<RulesetRecord> {
    const { zone, ruleset } = await this.#ruleset(principal, zoneId, rulesetId, 'edit');
    const input = requireObject(body);
    const drafts = ruleset.rules.map(draftOfRecord);
    drafts.splice(positionIndex(input.position, ruleset.rules), 0, parseRule(input, ''));
    return this.#saveRules(zone, ruleset, drafts, options);
  }

  /**
   * Changes one rule: the properties given replace the stored ones, the others stay (a new action without
   * action_parameters drops the old action's parameters). `position` moves it; the version is bumped only
   * if what the rule says changed.
   */
  async editRule(
    principal: Principal,
    zoneId: HexId,
    rulesetId: HexId,
    ruleId: HexId,
    body: unknown,
    options: WriteOptions = {},
  ): Promise<RulesetRecord> {
    const { zone, ruleset } = await this.#ruleset(principal, zoneId, rulesetId, 'edit');
    const index = ruleset.rules.findIndex((rule) => rule.id === ruleId);
    const current = ruleset.rules[index];
    if (current === undefined) throw GW_ERR_API_OBJECT_NOT_FOUND.create(rulePath(zoneId, rulesetId, ruleId));
    const input = requireObject(body);
    if (input.id !== undefined && input.id !== null && input.id !== ruleId) throw invalid('/id', 'cannot be changed');
    const merged: Json = { ...ruleInputOfRecord(current) };
    if (input.action !== undefined && input.action !== current.action) delete merged.action_parameters;
    for (const [key, value] of Object.entries(input)) if (value !== undefined) merged[key] = value;
    const others = ruleset.rules.filter((rule) => rule.id !== ruleId);
    const drafts: RuleDraft[] = others.map(draftOfRecord);
    drafts.splice(positionIndex(input.position, others, index), 0, parseRule({ ...merged, id: ruleId }, ''));
    return this.#saveRules(zone, ruleset, drafts, options);
  }

  async deleteRule(
    principal: Principal,
    zoneId: HexId,
    rulesetId: HexId,
    ruleId: HexId,
    options: WriteOptions = {},
  ): Promise<RulesetRecord> {
    const { zone, ruleset } = await this.#ruleset(principal, zoneId, rulesetId, 'edit');
    if (!ruleset.rules.some((rule) => rule.id === ruleId)) {
      throw GW_ERR_API_OBJECT_NOT_FOUND.create(rulePath(zoneId, rulesetId, ruleId));
    }
    const drafts = ruleset.rules.filter((rule) => rule.id !== ruleId).map(draftOfRecord);
    return this.#saveRules(zone, ruleset, drafts, options);
  }

  /**
   * Creates or replaces the zone's one mTLS rule (ref `portcullis_mtls_rule`), first in the entry point (made if
   * missing), keeping its id. The same call twice stores nothing the second time.
   */
  async upsertMtlsRule(
    principal: Principal,
    zoneId: HexId,
    input: MtlsRuleInput,
    options: WriteOptions = {},
  ): Promise<RulesetRecord> {
    const zone = await this.#tenancy.getZone(principal, zoneId, 'edit');
    const expression = mtlsExpressionFor(zone, input);
    const previous = await this.#store.getRulesetByPhase(zone.id, CUSTOM_RULES_PHASE);
    const existing = previous?.rules ?? [];
    const mtlsRule = parseRule(
      {
        id: existing.find((rule) => rule.ref === MTLS_RULE_REF)?.id,
        ref: MTLS_RULE_REF,
        action: input.action ?? 'block',
        expression,
        description: MTLS_RULE_DESCRIPTION,
        enabled: true,
      },
      '',
    );
    const drafts = [mtlsRule, ...existing.filter((rule) => rule.ref !== MTLS_RULE_REF).map(draftOfRecord)];
    return this.#save(
      zone,
      previous,
      (now) => ({
        rules: assembleRules(drafts, existing, now, this.#newId),
        name: previous?.name ?? DEFAULT_RULESET_NAME,
        description: previous?.description ?? '',
      }),
      options,
    );
  }

  /**
   * Every rule of the zone's entry point with its hit count (0 and null when never hit): this
   * gateway's since start, or the cluster's with Redis (RuleHitStore).
   */
  async ruleHits(principal: Principal, zoneId: HexId, counters: RuleHitStore): Promise<RuleHitsReport> {
    const zone = await this.#tenancy.getZone(principal, zoneId, 'read');
    const ruleset = await this.#store.getRulesetByPhase(zone.id, CUSTOM_RULES_PHASE);
    if (ruleset === undefined) return { rules: [], sharedUnavailable: undefined };
    const report = await counters.forRuleset(ruleset.id);
    const counts = new Map(report.counts.map((count) => [count.ruleId, count]));
    const rules = ruleset.rules.map((rule) => {
      const count = counts.get(rule.id);
      return {
        rulesetId: ruleset.id,
        ruleId: rule.id,
        ref: rule.ref,
        description: rule.description,
        action: rule.action,
        hits: count?.hits ?? 0,
        lastHitAt: count === undefined ? null : isoMicros(new Date(count.lastHitAt)),
      };
    });
    return { rules, sharedUnavailable: report.sharedUnavailable };
  }

  /** The zone (404/403 decided by tenancy), and the phase must be one the gateway runs. */
  async #zone(principal: Principal, zoneId: HexId, needed: TokenPermission, phase: string): Promise<ZoneRecord> {
    const zone = await this.#tenancy.getZone(principal, zoneId, needed);
    if (phase !== CUSTOM_RULES_PHASE) {
      throw GW_ERR_API_VALIDATION.create(
        `phase "${phase.slice(0, 64)}" is not supported: the gateway runs only ${CUSTOM_RULES_PHASE}`,
      );
    }
    return zone;
  }

  async #ruleset(
    principal: Principal,
    zoneId: HexId,
    rulesetId: HexId,
    needed: TokenPermission,
  ): Promise<{ zone: ZoneRecord; ruleset: RulesetRecord }> {
    const zone = await this.#tenancy.getZone(principal, zoneId, needed);
    const ruleset = await this.#store.getRuleset(zone.id, rulesetId);
    if (ruleset === undefined) throw GW_ERR_API_OBJECT_NOT_FOUND.create(`/zones/${zoneId}/rulesets/${rulesetId}`);
    return { zone, ruleset };
  }

  #saveRules(zone: ZoneRecord, ruleset: RulesetRecord, drafts: RuleDraft[], options: WriteOptions) {
    return this.#save(
      zone,
      ruleset,
      (now) => ({
        rules: assembleRules(drafts, ruleset.rules, now, this.#newId),
        name: ruleset.name,
        description: ruleset.description,
      }),
      options,
    );
  }

  /** Saves the next version over `previous` (expected unchanged meanwhile), unless nothing changed. */
  async #save(
    zone: ZoneRecord,
    previous: RulesetRecord | undefined,
    build: (now: Date) => ValidatedRuleset,
    options: WriteOptions,
  ): Promise<RulesetRecord> {
    const now = this.#now();
    const next = build(now);
    if (previous !== undefined && !rulesetChanged(previous, next)) return previous;
    const record: RulesetRecord = {
      id: previous?.id ?? this.#newId(),
      zoneId: zone.id,
      phase: previous?.phase ?? CUSTOM_RULES_PHASE,
      name: next.name,
      description: next.description,
      kind: 'zone',
      version: (previous?.version ?? 0) + 1,
      lastUpdated: isoMicros(now),
      rules: next.rules,
    };
    if (options.dryRun === true) return record;
    try {
      await inZoneTransaction(this.#store, zone, (store) => store.saveRuleset(record, previous?.version ?? null));
    } catch (error) {
      if (error instanceof StoreConflictError) throw GW_ERR_API_CONFLICT.create(error.message);
      throw error;
    }
    return record;
  }
}

function requireObject(body: unknown): Json {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('', 'must be a JSON object');
  return body as Json;
}

/**
 * The mTLS rule's expression for the input's hostnames, each checked to be in the zone. Checked as unknown
 * values: the configuration file passes what it parsed, not what the types promise.
 */
function mtlsExpressionFor(zone: ZoneRecord, input: MtlsRuleInput): string {
  const hostnames: unknown = input.hostnames;
  const action: unknown = input.action;
  const checkRevoked: unknown = input.checkRevoked;
  if (!Array.isArray(hostnames) || hostnames.length < 1 || hostnames.length > MAX_MTLS_RULE_HOSTNAMES) {
    throw invalid('/hostnames', `must list 1 to ${MAX_MTLS_RULE_HOSTNAMES} hostnames`);
  }
  if (action !== undefined && action !== 'block' && action !== 'log') throw invalid('/action', 'must be block or log');
  if (checkRevoked !== undefined && typeof checkRevoked !== 'boolean') {
    throw invalid('/check_revoked', 'must be true or false');
  }
  const names = hostnames.map((hostname: unknown, index) => {
    if (typeof hostname !== 'string') throw invalid(`/hostnames/${index}`, 'must be a string');
    return normaliseHostname(hostname, zone);
  });
  const expression = mtlsRuleExpression(names, { checkRevoked: checkRevoked !== false });
  if (expression.length > limits.MAX_EXPRESSION_LENGTH) {
    throw invalid(
      '/hostnames',
      `the rule for these hostnames would be ${expression.length} characters, over the ${limits.MAX_EXPRESSION_LENGTH} of an expression; use fewer hostnames or a wildcard`,
    );
  }
  return expression;
}

function entrypointPath(zoneId: HexId, phase: string): string {
  return `/zones/${zoneId}/rulesets/phases/${phase}/entrypoint`;
}

function rulePath(zoneId: HexId, rulesetId: HexId, ruleId: HexId): string {
  return `/zones/${zoneId}/rulesets/${rulesetId}/rules/${ruleId}`;
}
