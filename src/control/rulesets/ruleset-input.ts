/**
 * Rulesets API input (cloudflare-compatibility.md §6.1–§6.3) checked and turned into stored rules: the one place
 * that decides what a custom rule may say. Pure: the admin API and the configuration file both call it.
 *
 * What the gateway cannot enforce is refused, never stored and ignored (docs/architecture.md, "How it runs"): actions other than
 * block/log/skip, skip targets other than the rest of this ruleset, rate limits, credential checks. Every error
 * names the JSON pointer of the offending value (`/rules/2/expression: Filter parsing error (1:13): …`); an
 * invalid expression keeps the rules engine's own code (GW_ERR_RULE_*), anything else is GW_ERR_API_VALIDATION.
 */
import { GatewayError, GW_ERR_API_VALIDATION } from '../../errors/index.ts';
import { compileExpression, RULE_ERROR_DEFINITIONS, RuleError } from '../../rules/index.ts';
import {
  CUSTOM_RULES_PHASE,
  RULE_ACTIONS,
  type RuleAction,
  type RuleRecord,
  type RulesetRecord,
} from '../../model/records.ts';
import {
  DEFAULT_BLOCK_STATUS,
  MAX_REF_LENGTH,
  MAX_RESPONSE_CONTENT_BYTES,
  MAX_RULE_DESCRIPTION_LENGTH as MAX_DESCRIPTION_LENGTH,
  MAX_RULES_PER_RULESET,
  RESPONSE_CONTENT_TYPES,
} from '../../model/shapes/ruleset-shape.ts';
import { isoMicros } from '../ids.ts';

export const DEFAULT_RULESET_NAME = 'default';
export {
  DEFAULT_BLOCK_STATUS,
  MAX_REF_LENGTH,
  MAX_RESPONSE_CONTENT_BYTES,
  MAX_RULES_PER_RULESET,
  RESPONSE_CONTENT_TYPES,
} from '../../model/shapes/ruleset-shape.ts';

const RULE_ID = /^[0-9a-f]{32}$/;
const SUPPORTED_ACTIONS: readonly string[] = RULE_ACTIONS;
/** Rule properties that change what a rule does but that the gateway has no engine for. */
const UNENFORCEABLE_RULE_PROPERTIES = ['ratelimit', 'exposed_credential_check'];
/** Skip targets Cloudflare has and the gateway does not (it runs one phase, one ruleset, no products). */
const UNSUPPORTED_SKIP_TARGETS = ['phases', 'products', 'rulesets', 'rules'];

/** A rule as given and checked, before it has an id, a version and a time. */
export interface RuleDraft {
  /** JSON pointer of the rule in the request body ('' when the body is the rule). */
  readonly pointer: string;
  /** How errors about another rule refer to this one. */
  readonly label: string;
  /** A rule already stored and not part of this request: never the one blamed for a duplicate. */
  readonly stored: boolean;
  readonly id: string | undefined;
  readonly ref: string | undefined;
  readonly action: RuleAction;
  readonly actionParameters: Record<string, unknown> | null;
  readonly expression: string;
  readonly description: string;
  readonly enabled: boolean;
  readonly logging: { enabled: boolean } | null;
}

export interface ValidatedRuleset {
  rules: RuleRecord[];
  name: string;
  description: string;
}

type Json = Record<string, unknown>;

export function invalid(pointer: string, detail: string): GatewayError {
  return GW_ERR_API_VALIDATION.create(`${pointer === '' ? 'body' : pointer}: ${detail}`);
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asObject(value: unknown, pointer: string): Json {
  if (!isObject(value)) throw invalid(pointer, 'must be a JSON object');
  return value;
}

/** Absent and null are the same for optional properties (clients serialise unset fields as null). */
function given(object: Json, key: string): unknown {
  return object[key] ?? undefined;
}

function optionalString(object: Json, key: string, pointer: string, maxLength: number): string | undefined {
  const value = given(object, key);
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalid(`${pointer}/${key}`, 'must be a string');
  if (value.length > maxLength) throw invalid(`${pointer}/${key}`, `must be at most ${maxLength} characters`);
  return value;
}

function optionalBoolean(object: Json, key: string, pointer: string): boolean | undefined {
  const value = given(object, key);
  if (value === undefined || typeof value === 'boolean') return value;
  throw invalid(`${pointer}/${key}`, 'must be true or false');
}

/** Parses and checks one rule of a request; `pointer` is where it sits in the body. */
export function parseRule(raw: unknown, pointer: string): RuleDraft {
  const rule = asObject(raw, pointer);
  for (const key of UNENFORCEABLE_RULE_PROPERTIES) {
    if (given(rule, key) !== undefined)
      throw invalid(`${pointer}/${key}`, 'is not supported: the gateway cannot enforce it');
  }
  const action = parseAction(given(rule, 'action'), `${pointer}/action`);
  const id = optionalString(rule, 'id', pointer, 32);
  if (id !== undefined && !RULE_ID.test(id)) throw invalid(`${pointer}/id`, 'must be 32 lowercase hex characters');
  const ref = optionalString(rule, 'ref', pointer, MAX_REF_LENGTH);
  if (ref === '') throw invalid(`${pointer}/ref`, 'must not be empty');
  return {
    pointer,
    label: pointer === '' ? 'this rule' : pointer,
    stored: false,
    id,
    ref,
    action,
    actionParameters: parseActionParameters(action, given(rule, 'action_parameters'), `${pointer}/action_parameters`),
    expression: parseExpressionText(given(rule, 'expression'), `${pointer}/expression`),
    description: optionalString(rule, 'description', pointer, MAX_DESCRIPTION_LENGTH) ?? '',
    enabled: optionalBoolean(rule, 'enabled', pointer) ?? true,
    logging: parseLogging(given(rule, 'logging'), `${pointer}/logging`),
  };
}

/** A stored rule taking part in a rule-level change (POST/PATCH/DELETE of one rule) unchanged. */
export function draftOfRecord(record: RuleRecord): RuleDraft {
  return {
    pointer: '',
    label: `rule ${record.id}`,
    stored: true,
    id: record.id,
    ref: record.ref,
    action: record.action,
    actionParameters: record.actionParameters,
    expression: record.expression,
    description: record.description,
    enabled: record.enabled,
    logging: record.logging,
  };
}

/** A stored rule as the API shows it (what a PATCH body is laid over). */
export function ruleInputOfRecord(record: RuleRecord): Json {
  return {
    id: record.id,
    ref: record.ref,
    action: record.action,
    ...(record.actionParameters === null ? {} : { action_parameters: record.actionParameters }),
    expression: record.expression,
    description: record.description,
    enabled: record.enabled,
    ...(record.logging === null ? {} : { logging: record.logging }),
  };
}

function parseAction(value: unknown, pointer: string): RuleAction {
  if (value === undefined) throw invalid(pointer, `is required (${RULE_ACTIONS.join(', ')})`);
  if (typeof value !== 'string') throw invalid(pointer, 'must be a string');
  if (!SUPPORTED_ACTIONS.includes(value)) {
    throw invalid(
      pointer,
      `"${value.slice(0, 40)}" cannot be enforced by the gateway; use one of ${RULE_ACTIONS.join(', ')}`,
    );
  }
  return value as RuleAction;
}

function parseExpressionText(value: unknown, pointer: string): string {
  if (value === undefined) throw invalid(pointer, 'is required');
  if (typeof value !== 'string') throw invalid(pointer, 'must be a string');
  try {
    compileExpression(value);
  } catch (error) {
    // Keep the engine's code (12120–12124) and its "(line:col): reason", prefixed with where the expression is.
    if (error instanceof RuleError) {
      throw new GatewayError(RULE_ERROR_DEFINITIONS[error.code], `${pointer}: ${error.message}`, error);
    }
    throw error;
  }
  return value;
}

function parseLogging(value: unknown, pointer: string): { enabled: boolean } | null {
  if (value === undefined) return null;
  const logging = asObject(value, pointer);
  const enabled = optionalBoolean(logging, 'enabled', pointer);
  return enabled === undefined ? null : { enabled };
}

function parseActionParameters(action: RuleAction, value: unknown, pointer: string): Json | null {
  const parameters = value === undefined ? undefined : asObject(value, pointer);
  const keys =
    parameters === undefined ? [] : Object.keys(parameters).filter((key) => given(parameters, key) !== undefined);
  switch (action) {
    case 'log':
      if (keys.length > 0) throw invalid(`${pointer}/${keys[0] ?? ''}`, 'log takes no action parameters');
      return null;
    case 'block':
      return parameters === undefined ? null : parseBlockParameters(parameters, keys, pointer);
    case 'skip':
      return parseSkipParameters(parameters ?? {}, keys, pointer);
  }
}

function parseBlockParameters(parameters: Json, keys: string[], pointer: string): Json | null {
  for (const key of keys) {
    if (key !== 'response')
      throw invalid(`${pointer}/${key}`, 'is not supported for block: the gateway cannot enforce it');
  }
  const raw = given(parameters, 'response');
  if (raw === undefined) return null;
  const at = `${pointer}/response`;
  const response = asObject(raw, at);
  for (const key of Object.keys(response)) {
    if (given(response, key) !== undefined && !['status_code', 'content', 'content_type'].includes(key)) {
      throw invalid(`${at}/${key}`, 'is not supported');
    }
  }
  const status = given(response, 'status_code') ?? DEFAULT_BLOCK_STATUS;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 400 || status > 499) {
    throw invalid(`${at}/status_code`, 'must be an integer from 400 to 499');
  }
  const content = given(response, 'content');
  if (typeof content !== 'string')
    throw invalid(`${at}/content`, content === undefined ? 'is required' : 'must be a string');
  const bytes = Buffer.byteLength(content, 'utf8');
  if (bytes < 1 || bytes > MAX_RESPONSE_CONTENT_BYTES) {
    throw invalid(`${at}/content`, `must be 1 to ${MAX_RESPONSE_CONTENT_BYTES} bytes (UTF-8), got ${bytes}`);
  }
  const contentType = given(response, 'content_type');
  if (typeof contentType !== 'string' || !RESPONSE_CONTENT_TYPES.includes(contentType)) {
    throw invalid(`${at}/content_type`, `must be one of ${RESPONSE_CONTENT_TYPES.join(', ')}`);
  }
  return { response: { status_code: status, content, content_type: contentType } };
}

/** skip: only "the rest of this ruleset" (`ruleset: "current"`, or `phase: "current"`, the same thing here). */
function parseSkipParameters(parameters: Json, keys: string[], pointer: string): Json {
  if (keys.length === 0) throw invalid(pointer, 'skip needs {"ruleset": "current"}');
  const skip: Json = {};
  for (const key of keys) {
    if (UNSUPPORTED_SKIP_TARGETS.includes(key)) {
      throw invalid(`${pointer}/${key}`, 'is not supported: the gateway can only skip the rest of this ruleset');
    }
    if (key !== 'ruleset' && key !== 'phase') throw invalid(`${pointer}/${key}`, 'is not supported for skip');
    if (parameters[key] !== 'current') throw invalid(`${pointer}/${key}`, 'only "current" is supported');
    skip[key] = 'current';
  }
  return skip;
}

/**
 * Gives every draft its id, ref, version and time, in order:
 * - an id given in the request is kept (identity across PUTs); ids and refs are unique in the ruleset;
 * - a rule without an id whose ref names a stored rule keeps that rule's id (so a configuration file that names
 *   its rules by ref gets stable ids); otherwise a new id; the ref defaults to the id;
 * - a rule keeps its version and last_updated unless its content changed (moving it is not a change).
 */
export function assembleRules(
  drafts: readonly RuleDraft[],
  previous: readonly RuleRecord[],
  now: Date,
  newId: () => string,
): RuleRecord[] {
  if (drafts.length > MAX_RULES_PER_RULESET) throw invalid('/rules', `at most ${MAX_RULES_PER_RULESET} rules`);
  const ids = assignIds(drafts, previous, newId);
  const byRef = new Map<string, RuleDraft>();
  drafts.forEach((draft, index) => {
    const ref = draft.ref ?? ids[index] ?? '';
    const other = byRef.get(ref);
    if (other !== undefined) throw duplicate('ref', ref, other, draft);
    byRef.set(ref, draft);
  });
  const previousById = new Map(previous.map((rule) => [rule.id, rule]));
  const lastUpdated = isoMicros(now);
  return drafts.map((draft, index) => {
    const id = ids[index] ?? '';
    const rule: RuleRecord = {
      id,
      version: 1,
      action: draft.action,
      actionParameters: draft.actionParameters,
      expression: draft.expression,
      description: draft.description,
      enabled: draft.enabled,
      ref: draft.ref ?? id,
      lastUpdated,
      logging: draft.logging,
    };
    const before = previousById.get(id);
    if (before === undefined) return rule;
    if (sameContent(before, rule)) return { ...rule, version: before.version, lastUpdated: before.lastUpdated };
    return { ...rule, version: before.version + 1 };
  });
}

function assignIds(drafts: readonly RuleDraft[], previous: readonly RuleRecord[], newId: () => string): string[] {
  const claimed = new Map<string, RuleDraft>();
  for (const draft of drafts) {
    if (draft.id === undefined) continue;
    const other = claimed.get(draft.id);
    if (other !== undefined) throw duplicate('id', draft.id, other, draft);
    claimed.set(draft.id, draft);
  }
  const idOfRef = new Map(previous.map((rule) => [rule.ref, rule.id]));
  const storedIds = new Set(previous.map((rule) => rule.id));
  return drafts.map((draft) => {
    if (draft.id !== undefined) return draft.id;
    const inherited = draft.ref === undefined ? undefined : idOfRef.get(draft.ref);
    if (inherited !== undefined && !claimed.has(inherited)) {
      claimed.set(inherited, draft);
      return inherited;
    }
    // A new rule never takes the id of a stored one (that rule's identity and version are its own).
    let id = newId();
    while (claimed.has(id) || storedIds.has(id)) id = newId();
    claimed.set(id, draft);
    return id;
  });
}

/** Blames the rule of the request (not the one already stored) for a duplicate id or ref. */
function duplicate(field: 'id' | 'ref', value: string, first: RuleDraft, second: RuleDraft): GatewayError {
  const [blamed, other] = second.stored && !first.stored ? [first, second] : [second, first];
  return invalid(`${blamed.pointer}/${field}`, `"${value.slice(0, 80)}" is already the ${field} of ${other.label}`);
}

/** Same JSON value, whatever the order of object keys (stored documents come back from JSON). */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (!isObject(value)) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, canonical(value[key])]),
  );
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

/** What a rule says, without its version and time: a change here bumps the version. */
function contentOf(rule: RuleRecord): object {
  const { action, actionParameters, expression, description, enabled, ref, logging } = rule;
  return { action, actionParameters, expression, description, enabled, ref, logging };
}

function sameContent(a: RuleRecord, b: RuleRecord): boolean {
  return sameJson(contentOf(a), contentOf(b));
}

/** Whether saving `next` over `previous` would change anything (no change → no new version). */
export function rulesetChanged(previous: RulesetRecord | undefined, next: ValidatedRuleset): boolean {
  if (previous === undefined) return true;
  return (
    previous.name !== next.name || previous.description !== next.description || !sameJson(previous.rules, next.rules)
  );
}

/**
 * validateRulesetBody: a whole-ruleset body (PUT of an entry point or a ruleset) checked against the stored
 * version, as the rules, name and description to store. Throws a GatewayError naming the JSON pointer.
 */
export function validateRulesetBody(
  body: unknown,
  previous: RulesetRecord | undefined,
  now: Date,
  newId: () => string,
): ValidatedRuleset {
  const object = asObject(body, '');
  const kind = given(object, 'kind');
  if (kind !== undefined && kind !== 'zone') throw invalid('/kind', 'must be "zone" (a zone entry point)');
  const phase = given(object, 'phase');
  const expectedPhase = previous?.phase ?? CUSTOM_RULES_PHASE;
  if (phase !== undefined && phase !== expectedPhase) throw invalid('/phase', `must be "${expectedPhase}"`);
  const name = optionalString(object, 'name', '', 200);
  if (name === '') throw invalid('/name', 'must not be empty');
  if (previous !== undefined && name !== undefined && name !== previous.name) {
    throw invalid('/name', `cannot be changed (it is "${previous.name}")`);
  }
  const rules = given(object, 'rules');
  if (rules === undefined) throw invalid('/rules', 'is required (every PUT carries the whole list of rules)');
  if (!Array.isArray(rules)) throw invalid('/rules', 'must be an array');
  // Before compiling anything: a request over the limit costs nothing.
  if (rules.length > MAX_RULES_PER_RULESET) throw invalid('/rules', `at most ${MAX_RULES_PER_RULESET} rules`);
  const drafts = rules.map((rule, index) => parseRule(rule, `/rules/${index}`));
  return {
    rules: assembleRules(drafts, previous?.rules ?? [], now, newId),
    name: name ?? previous?.name ?? DEFAULT_RULESET_NAME,
    description: optionalString(object, 'description', '', MAX_DESCRIPTION_LENGTH) ?? previous?.description ?? '',
  };
}

/**
 * Where a rule goes (cloudflare-compatibility.md §6.2 `position`): `{ before: id }` (`""` = top), `{ after: id }`
 * (`""` = bottom) or `{ index: n }` (1-based), as the 0-based index among `others` (the ruleset's rules without the
 * one placed).
 * No position = bottom for a new rule; `keep` (its current index) for an edited one.
 */
export function positionIndex(value: unknown, others: readonly RuleRecord[], keep = others.length): number {
  if (value === undefined || value === null) return keep;
  const position = asObject(value, '/position');
  const keys = Object.keys(position).filter((key) => given(position, key) !== undefined);
  if (keys.length !== 1) throw invalid('/position', 'must have exactly one of before, after, index');
  const [key = ''] = keys;
  const target = position[key];
  if (key === 'index') {
    if (typeof target !== 'number' || !Number.isInteger(target) || target < 1 || target > others.length + 1) {
      throw invalid('/position/index', `must be an integer from 1 to ${others.length + 1}`);
    }
    return target - 1;
  }
  if (key !== 'before' && key !== 'after')
    throw invalid(`/position/${key}`, 'is not a position (before, after, index)');
  if (typeof target !== 'string') throw invalid(`/position/${key}`, 'must be a rule id');
  if (target === '') return key === 'before' ? 0 : others.length;
  const at = others.findIndex((rule) => rule.id === target);
  if (at < 0) throw invalid(`/position/${key}`, `no other rule of this ruleset has the id "${target.slice(0, 40)}"`);
  return key === 'before' ? at : at + 1;
}
