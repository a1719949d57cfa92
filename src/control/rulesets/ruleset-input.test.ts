/**
 * validateRulesetBody and the one-rule helpers: what a custom rule may say (cloudflare-compatibility.md §6.2,
 * §6.3), errors that name the JSON pointer and keep the rules engine's codes, ids and refs that stay put, and
 * versions that move only when a rule's content changes.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayError } from '../../errors/index.ts';
import type { RuleRecord, RulesetRecord } from '../../model/records.ts';
import {
  assembleRules,
  draftOfRecord,
  MAX_RULES_PER_RULESET,
  parseRule,
  positionIndex,
  rulesetChanged,
  validateRulesetBody,
  type ValidatedRuleset,
} from './ruleset-input.ts';

const T0 = new Date('2026-01-01T00:00:00.000Z');
const T1 = new Date('2026-02-01T00:00:00.123Z');
const BLOCK_UNVERIFIED = 'not cf.tls_client_auth.cert_verified';

/** Deterministic ids: 000…001, 000…002, … */
function idCounter(): () => string {
  let next = 0;
  return () => (++next).toString(16).padStart(32, '0');
}

function validate(body: unknown, previous?: RulesetRecord, now = T0): ValidatedRuleset {
  return validateRulesetBody(body, previous, now, idCounter());
}

function refusal(body: unknown, previous?: RulesetRecord): GatewayError {
  try {
    validate(body, previous);
  } catch (error) {
    assert.ok(error instanceof GatewayError, String(error));
    return error;
  }
  assert.fail(`accepted: ${JSON.stringify(body)}`);
}

function assertRefused(body: unknown, code: string, message: RegExp): void {
  const error = refusal(body);
  assert.equal(error.code, code, error.message);
  assert.match(error.message, message);
}

function stored(result: ValidatedRuleset, version = 1): RulesetRecord {
  return {
    id: 'f'.repeat(32),
    zoneId: 'e'.repeat(32),
    phase: 'http_request_firewall_custom',
    kind: 'zone',
    version,
    lastUpdated: '2026-01-01T00:00:00.000000Z',
    ...result,
  };
}

const rule = (extra: object = {}): object => ({ action: 'block', expression: BLOCK_UNVERIFIED, ...extra });

describe('validateRulesetBody: accepted rules', () => {
  test('defaults: ref = id, description "", enabled, version 1, last_updated with microseconds', () => {
    const { rules, name, description } = validate({ rules: [rule()] });
    assert.equal(name, 'default');
    assert.equal(description, '');
    assert.deepEqual(rules, [
      {
        id: '00000000000000000000000000000001',
        version: 1,
        action: 'block',
        actionParameters: null,
        expression: BLOCK_UNVERIFIED,
        description: '',
        enabled: true,
        ref: '00000000000000000000000000000001',
        lastUpdated: '2026-01-01T00:00:00.000000Z',
        logging: null,
      },
    ]);
  });

  test('block with a custom response; the status defaults to 403', () => {
    const [withStatus, withoutStatus] = validate({
      rules: [
        rule({
          action_parameters: { response: { status_code: 401, content: '{"e":1}', content_type: 'application/json' } },
        }),
        rule({ action_parameters: { response: { content: 'no', content_type: 'text/plain' } } }),
      ],
    }).rules;
    assert.deepEqual(withStatus?.actionParameters, {
      response: { status_code: 401, content: '{"e":1}', content_type: 'application/json' },
    });
    assert.deepEqual(withoutStatus?.actionParameters, {
      response: { status_code: 403, content: 'no', content_type: 'text/plain' },
    });
  });

  test('skip the rest of the ruleset (ruleset or phase "current"), log, logging, disabled, ids and refs given', () => {
    const { rules } = validate({
      rules: [
        rule({ action: 'skip', action_parameters: { ruleset: 'current' }, logging: { enabled: false } }),
        rule({ action: 'skip', action_parameters: { phase: 'current' } }),
        rule({ action: 'log', action_parameters: {}, enabled: false, description: 'shadow' }),
        rule({ id: 'a'.repeat(32), ref: 'my-ref' }),
      ],
    });
    assert.deepEqual(
      rules.map((r) => [r.action, r.actionParameters, r.logging, r.enabled, r.description]),
      [
        ['skip', { ruleset: 'current' }, { enabled: false }, true, ''],
        ['skip', { phase: 'current' }, null, true, ''],
        ['log', null, null, false, 'shadow'],
        ['block', null, null, true, ''],
      ],
    );
    assert.equal(rules[3]!.id, 'a'.repeat(32));
    assert.equal(rules[3]!.ref, 'my-ref');
  });

  test('what the SDK echoes back (version, last_updated, categories, unknown fields, nulls) is ignored', () => {
    const { rules } = validate({
      rules: [
        rule({ version: '7', last_updated: 'x', categories: ['a'], whatever: 1, ratelimit: null, logging: null }),
      ],
      some_extension: true,
    });
    assert.equal(rules[0]?.version, 1);
  });

  test('an empty list is a valid ruleset (no rules)', () => {
    assert.deepEqual(validate({ rules: [] }).rules, []);
  });
});

describe('validateRulesetBody: refusals name the JSON pointer', () => {
  const V = 'GW_ERR_API_VALIDATION';

  test('an invalid expression keeps the engine code and its (line:col) message', () => {
    const error = refusal({ rules: [rule(), rule(), rule({ expression: 'http.host eq' })] });
    assert.equal(error.code, 'GW_ERR_RULE_SYNTAX');
    assert.equal(error.v4Code, 12120);
    assert.equal(
      error.message,
      '/rules/2/expression: Filter parsing error (1:13): expected a value after eq, found end of input',
    );
    assertRefused({ rules: [rule({ expression: 'http.hots eq "a"' })] }, 'GW_ERR_RULE_UNKNOWN_NAME', /\(1:1\)/);
    assertRefused({ rules: [rule({ expression: 'http.host eq 1' })] }, 'GW_ERR_RULE_TYPE', /^\/rules\/0\/expression/);
    assertRefused({ rules: [rule({ expression: '' })] }, 'GW_ERR_RULE_SYNTAX', /^\/rules\/0\/expression/);
    assertRefused({ rules: [rule({ expression: `http.host eq "${'a'.repeat(4100)}"` })] }, 'GW_ERR_RULE_LIMIT', /4096/);
    assertRefused({ rules: [rule({ expression: undefined })] }, V, /\/rules\/0\/expression: is required/);
    assertRefused({ rules: [rule({ expression: 5 })] }, V, /\/rules\/0\/expression: must be a string/);
  });

  test('actions the gateway cannot enforce are refused, saying so', () => {
    for (const action of ['managed_challenge', 'js_challenge', 'challenge', 'execute', 'redirect', 'rewrite']) {
      assertRefused({ rules: [rule({ action })] }, V, new RegExp(`/rules/0/action: "${action}" cannot be enforced`));
    }
    assertRefused({ rules: [rule({ action: undefined })] }, V, /\/rules\/0\/action: is required/);
    assertRefused({ rules: [rule({ ratelimit: { period: 60 } })] }, V, /\/rules\/0\/ratelimit: .*cannot enforce/);
    assertRefused(
      { rules: [rule({ exposed_credential_check: { username_expression: 'a', password_expression: 'b' } })] },
      V,
      /\/rules\/0\/exposed_credential_check: .*cannot enforce/,
    );
  });

  test('skip targets other than the rest of this ruleset, and malformed skips', () => {
    for (const parameters of [{ phases: ['x'] }, { products: ['waf'] }, { rulesets: ['a'] }, { rules: { a: ['b'] } }]) {
      const key = Object.keys(parameters)[0]!;
      assertRefused(
        { rules: [rule({ action: 'skip', action_parameters: parameters })] },
        V,
        new RegExp(`/rules/0/action_parameters/${key}: is not supported`),
      );
    }
    assertRefused({ rules: [rule({ action: 'skip' })] }, V, /\/rules\/0\/action_parameters: skip needs/);
    assertRefused(
      { rules: [rule({ action: 'skip', action_parameters: { ruleset: 'other' } })] },
      V,
      /ruleset: only "current"/,
    );
  });

  test('log takes no parameters; block takes only a well-formed response', () => {
    const response = (r: object): object => rule({ action_parameters: { response: r } });
    const ok = { content: 'x', content_type: 'text/plain' };
    assertRefused(
      { rules: [rule({ action: 'log', action_parameters: { response: ok } })] },
      V,
      /\/rules\/0\/action_parameters\/response: log takes no action parameters/,
    );
    assertRefused({ rules: [rule({ action_parameters: { foo: 1 } })] }, V, /action_parameters\/foo: is not supported/);
    assertRefused({ rules: [response({ ...ok, status_code: 399 })] }, V, /response\/status_code: .*400 to 499/);
    assertRefused({ rules: [response({ ...ok, status_code: 500 })] }, V, /response\/status_code/);
    assertRefused({ rules: [response({ ...ok, status_code: 403.5 })] }, V, /response\/status_code/);
    assertRefused({ rules: [response({ ...ok, content: '' })] }, V, /response\/content: must be 1 to 2048 bytes/);
    assertRefused({ rules: [response({ content_type: 'text/plain' })] }, V, /response\/content: is required/);
    // 2048 bytes, counted in UTF-8: 683 three-byte characters are 2049 bytes.
    assert.equal(validate({ rules: [response({ ...ok, content: 'a'.repeat(2048) })] }).rules.length, 1);
    assertRefused({ rules: [response({ ...ok, content: '€'.repeat(683) })] }, V, /got 2049/);
    assertRefused({ rules: [response({ content: 'x', content_type: 'image/png' })] }, V, /response\/content_type/);
    assertRefused({ rules: [response({ content: 'x' })] }, V, /response\/content_type: must be one of/);
    assertRefused({ rules: [response({ ...ok, headers: {} })] }, V, /response\/headers: is not supported/);
  });

  test('ids, refs and the other fields', () => {
    assertRefused({ rules: [rule({ id: 'A'.repeat(32) })] }, V, /\/rules\/0\/id: must be 32 lowercase hex/);
    assertRefused({ rules: [rule({ id: 'abc' })] }, V, /\/rules\/0\/id/);
    assertRefused(
      { rules: [rule({ id: 'a'.repeat(32) }), rule({ id: 'a'.repeat(32) })] },
      V,
      /\/rules\/1\/id: "a{32}" is already the id of \/rules\/0/,
    );
    assertRefused({ rules: [rule({ ref: 'x' }), rule({ ref: 'x' })] }, V, /\/rules\/1\/ref: "x" is already the ref/);
    // A default ref (the id) collides with an explicit ref equal to that id.
    assertRefused(
      { rules: [rule({ ref: 'b'.repeat(32) }), rule({ id: 'b'.repeat(32) })] },
      V,
      /\/rules\/1\/ref: "b{32}" is already the ref of \/rules\/0/,
    );
    assertRefused({ rules: [rule({ ref: '' })] }, V, /\/rules\/0\/ref: must not be empty/);
    assertRefused({ rules: [rule({ enabled: 'yes' })] }, V, /\/rules\/0\/enabled: must be true or false/);
    assertRefused({ rules: [rule({ description: 7 })] }, V, /\/rules\/0\/description: must be a string/);
    assertRefused({ rules: [rule({ description: 'd'.repeat(1001) })] }, V, /at most 1000/);
    assertRefused({ rules: [rule({ logging: { enabled: 1 } })] }, V, /\/rules\/0\/logging\/enabled/);
    assertRefused({ rules: ['block'] }, V, /\/rules\/0: must be a JSON object/);
  });

  test('the body: rules required, at most 500, kind/phase/name checks', () => {
    assertRefused([], V, /body: must be a JSON object/);
    assertRefused({}, V, /\/rules: is required/);
    assertRefused({ rules: {} }, V, /\/rules: must be an array/);
    assertRefused({ rules: Array.from({ length: MAX_RULES_PER_RULESET + 1 }, () => rule()) }, V, /at most 500 rules/);
    assert.equal(validate({ rules: Array.from({ length: MAX_RULES_PER_RULESET }, () => rule()) }).rules.length, 500);
    assertRefused({ rules: [], kind: 'custom' }, V, /\/kind/);
    assertRefused({ rules: [], phase: 'http_request_firewall_managed' }, V, /\/phase/);
    assertRefused({ rules: [], name: '' }, V, /\/name: must not be empty/);
    const previous = stored(validate({ rules: [], name: 'mine' }));
    assert.match(refusal({ rules: [], name: 'other' }, previous).message, /\/name: cannot be changed/);
    assert.equal(validate({ rules: [], name: 'mine' }, previous).name, 'mine');
  });
});

describe('ids, refs and versions across saves', () => {
  const first = validate({
    rules: [rule({ ref: 'one' }), rule({ ref: 'two', expression: 'ssl' }), rule({ id: 'c'.repeat(32) })],
  });
  const previous = stored(first, 4);
  const byRef = (rules: RuleRecord[], ref: string): RuleRecord | undefined => rules.find((r) => r.ref === ref);

  test('re-ordering keeps every version and time; a changed rule gets version + 1 and a new time', () => {
    const [one, two, three] = previous.rules;
    const next = validate(
      {
        rules: [
          { ...rule({ expression: 'ssl' }), id: two?.id, ref: 'two' },
          { ...rule(), id: one?.id, ref: 'one', description: 'changed' },
          { ...rule(), id: three?.id },
        ],
      },
      previous,
      T1,
    ).rules;
    assert.deepEqual(
      next.map((r) => [r.ref, r.version, r.lastUpdated]),
      [
        ['two', 1, '2026-01-01T00:00:00.000000Z'],
        ['one', 2, '2026-02-01T00:00:00.123000Z'],
        ['c'.repeat(32), 1, '2026-01-01T00:00:00.000000Z'],
      ],
    );
    assert.equal(next[0]?.id, two?.id);
  });

  test('a rule without an id keeps the id of the stored rule with its ref (stable ids by ref)', () => {
    const next = validate(
      { rules: [rule({ ref: 'two', expression: 'ssl' }), rule({ ref: 'one' })] },
      previous,
      T1,
    ).rules;
    assert.equal(byRef(next, 'one')?.id, byRef(previous.rules, 'one')?.id);
    assert.equal(byRef(next, 'two')?.id, byRef(previous.rules, 'two')?.id);
    assert.equal(byRef(next, 'one')?.version, 1, 'unchanged content, same version');
    assert.equal(rulesetChanged(previous, { rules: next, name: 'default', description: '' }), true, 'order changed');
  });

  test('an id given explicitly wins over a ref match; then the ref match gets a new id', () => {
    const oneId = byRef(previous.rules, 'one')?.id;
    const next = validate({ rules: [rule({ ref: 'one' }), rule({ id: oneId, ref: 'uno' })] }, previous, T1).rules;
    assert.equal(next[1]?.id, oneId);
    assert.equal(next[1]?.version, 2, 'its ref changed');
    assert.notEqual(next[0]?.id, oneId);
    assert.equal(next[0]?.version, 1);
  });

  test('the same body again is no change', () => {
    const again = validate(
      { rules: previous.rules.map((r) => ({ ...rule({ expression: r.expression }), id: r.id, ref: r.ref })) },
      previous,
      T1,
    );
    assert.equal(rulesetChanged(previous, again), false);
    assert.equal(rulesetChanged(previous, { ...again, description: 'new' }), true);
    assert.equal(rulesetChanged(undefined, again), true);
  });

  test('one-rule changes: the new rule is blamed for a duplicate, wherever it sits', () => {
    const stored = previous.rules.map(draftOfRecord);
    const added = parseRule(rule({ ref: 'one' }), '');
    for (const drafts of [
      [...stored, added],
      [added, ...stored],
    ]) {
      assert.throws(
        () => assembleRules(drafts, previous.rules, T1, idCounter()),
        /^GatewayError: Invalid request: \/ref: "one" is already the ref of rule [0-9a-f]{32}$/,
      );
    }
  });
});

describe('positionIndex (cloudflare-compatibility.md §6.2)', () => {
  const rules = validate({ rules: [rule(), rule(), rule()] }).rules;
  const [a, b, c] = rules.map((r) => r.id);

  test('before / after / index, empty before = top, empty after = bottom, default = keep', () => {
    assert.equal(positionIndex(undefined, rules), 3);
    assert.equal(positionIndex(undefined, rules, 1), 1);
    assert.equal(positionIndex({ before: '' }, rules), 0);
    assert.equal(positionIndex({ after: '' }, rules), 3);
    assert.equal(positionIndex({ before: b }, rules), 1);
    assert.equal(positionIndex({ after: b }, rules), 2);
    assert.equal(positionIndex({ after: c }, rules), 3);
    assert.equal(positionIndex({ before: a }, rules), 0);
    assert.equal(positionIndex({ index: 1 }, rules), 0);
    assert.equal(positionIndex({ index: 4 }, rules), 3);
  });

  test('refusals', () => {
    assert.throws(() => positionIndex({ index: 0 }, rules), /\/position\/index: must be an integer from 1 to 4/);
    assert.throws(() => positionIndex({ index: 5 }, rules), /\/position\/index/);
    assert.throws(() => positionIndex({ before: 'f'.repeat(32) }, rules), /\/position\/before: no other rule/);
    assert.throws(() => positionIndex({ before: a, after: b }, rules), /exactly one of/);
    assert.throws(() => positionIndex({}, rules), /exactly one of/);
    assert.throws(() => positionIndex({ top: true }, rules), /\/position\/top/);
    assert.throws(() => positionIndex('top', rules), /\/position: must be a JSON object/);
  });
});
