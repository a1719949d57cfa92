/**
 * Effective limits: the key's own values without policies; with policies, the union of rights (never widened),
 * the most generous rate limit and quota, the key's values ignored; a missing, foreign or inactive policy fails
 * closed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  effectiveLimits,
  moreGenerousQuota,
  moreGenerousRateLimit,
  unionAccessRights,
  type KeyLimitFields,
} from './effective-limits.ts';
import { compileAccessRights } from './access-rights.ts';
import type { AccessRight, GatewayPolicyRecord } from '../model/records.ts';

const ACCOUNT = 'a'.repeat(32);

function policy(id: string, fields: Partial<GatewayPolicyRecord> = {}): GatewayPolicyRecord {
  return {
    id,
    accountId: ACCOUNT,
    name: id,
    accessRights: [],
    rateLimit: null,
    quota: null,
    active: true,
    createdOn: '2026-01-01T00:00:00Z',
    modifiedOn: '2026-01-01T00:00:00Z',
    ...fields,
  };
}

function key(fields: Partial<KeyLimitFields> = {}): KeyLimitFields {
  return {
    accountId: ACCOUNT,
    policyIds: [],
    accessRights: [{ apiId: 'own', methods: [], paths: [] }],
    rateLimit: { rate: 1, per: 1 },
    quota: { max: 1, renewalRate: 60 },
    ...fields,
  };
}

function byId(...policies: GatewayPolicyRecord[]): Map<string, GatewayPolicyRecord> {
  return new Map(policies.map((p) => [p.id, p]));
}

test('without policies the key’s own values apply', () => {
  const own = key();
  const result = effectiveLimits(own, byId());
  assert.deepEqual(result, {
    kind: 'ok',
    limits: { accessRights: own.accessRights, rateLimit: own.rateLimit, quota: own.quota },
  });
});

test('with one policy the policy decides and the key’s own values are ignored', () => {
  const p1 = policy('p1', {
    accessRights: [{ apiId: 'api1', methods: ['GET'], paths: [] }],
    rateLimit: { rate: 10, per: 1 },
    quota: null,
  });
  const result = effectiveLimits(key({ policyIds: ['p1'] }), byId(p1));
  assert.deepEqual(result, {
    kind: 'ok',
    limits: {
      accessRights: [{ apiId: 'api1', methods: ['GET'], paths: [] }],
      rateLimit: { rate: 10, per: 1 },
      quota: null,
    },
  });
});

test('several policies: union of rights, most generous rate limit and quota', () => {
  const p1 = policy('p1', {
    accessRights: [{ apiId: 'api1', methods: ['GET'], paths: ['/a/*'] }],
    rateLimit: { rate: 100, per: 60 },
    quota: { max: 1000, renewalRate: 86_400 },
  });
  const p2 = policy('p2', {
    accessRights: [
      { apiId: 'api1', methods: ['GET'], paths: ['/b/*'] },
      { apiId: 'api2', methods: [], paths: [] },
    ],
    rateLimit: { rate: 5, per: 1 },
    quota: { max: 100, renewalRate: 3600 },
  });
  const result = effectiveLimits(key({ policyIds: ['p1', 'p2'] }), byId(p1, p2));
  assert.equal(result.kind, 'ok');
  assert.deepEqual(result.limits.accessRights, [
    { apiId: 'api1', methods: ['GET'], paths: ['/a/*', '/b/*'] },
    { apiId: 'api2', methods: [], paths: [] },
  ]);
  assert.deepEqual(result.limits.rateLimit, { rate: 5, per: 1 }); // 5/s beats 100/min
  assert.deepEqual(result.limits.quota, { max: 100, renewalRate: 3600 }); // 2400/day beats 1000/day
});

test('null (unlimited) wins for rate limits and quotas', () => {
  const limited = policy('p1', { rateLimit: { rate: 1000, per: 1 }, quota: { max: 1e9, renewalRate: 1 } });
  const unlimited = policy('p2');
  const result = effectiveLimits(key({ policyIds: ['p1', 'p2'] }), byId(limited, unlimited));
  assert.deepEqual(result.kind === 'ok' && [result.limits.rateLimit, result.limits.quota], [null, null]);
});

test('generosity: rate per second, ties go to the larger burst', () => {
  assert.deepEqual(moreGenerousRateLimit({ rate: 10, per: 1 }, { rate: 600, per: 60 }), { rate: 600, per: 60 });
  assert.deepEqual(moreGenerousRateLimit({ rate: 600, per: 60 }, { rate: 10, per: 1 }), { rate: 600, per: 60 });
  assert.deepEqual(moreGenerousRateLimit({ rate: 11, per: 1 }, { rate: 600, per: 60 }), { rate: 11, per: 1 });
  assert.deepEqual(moreGenerousQuota({ max: 1000, renewalRate: 86_400 }, { max: 1, renewalRate: 1 }), {
    max: 1,
    renewalRate: 1,
  });
  assert.deepEqual(moreGenerousQuota({ max: 0, renewalRate: 60 }, { max: 0, renewalRate: 1 }), {
    max: 0,
    renewalRate: 60,
  });
});

test('fail closed: a missing, foreign or inactive policy', () => {
  const active = policy('p1');
  assert.deepEqual(effectiveLimits(key({ policyIds: ['p1', 'gone'] }), byId(active)), {
    kind: 'policy_missing',
    policyId: 'gone',
  });
  const foreign = policy('p2', { accountId: 'b'.repeat(32) });
  assert.deepEqual(effectiveLimits(key({ policyIds: ['p2'] }), byId(foreign)), {
    kind: 'policy_missing',
    policyId: 'p2',
  });
  const inactive = policy('p3', { active: false });
  assert.deepEqual(effectiveLimits(key({ policyIds: ['p1', 'p3'] }), byId(active, inactive)), {
    kind: 'policy_inactive',
    policyId: 'p3',
  });
});

test('union of rights: an empty list (all) wins within a merge', () => {
  assert.deepEqual(
    unionAccessRights([
      [{ apiId: 'x', methods: ['GET'], paths: ['/a'] }],
      [{ apiId: 'x', methods: ['GET'], paths: [] }],
      [{ apiId: 'x', methods: ['POST'], paths: ['/a'] }],
    ]),
    [
      { apiId: 'x', methods: ['GET'], paths: [] },
      { apiId: 'x', methods: ['POST'], paths: ['/a'] },
    ],
  );
  assert.deepEqual(
    unionAccessRights([[{ apiId: 'x', methods: ['GET'], paths: ['/a'] }], [{ apiId: 'x', methods: [], paths: [] }]]),
    [{ apiId: 'x', methods: [], paths: [] }],
  );
  assert.deepEqual(
    unionAccessRights([
      [{ apiId: 'x', methods: ['GET', 'GET'], paths: ['/a'] }],
      [{ apiId: 'x', methods: ['POST'], paths: ['/a'] }],
    ]),
    [{ apiId: 'x', methods: ['GET', 'POST'], paths: ['/a'] }],
  );
});

test('union of rights allows exactly what one of the lists allows', () => {
  const method = fc.constantFrom('GET', 'POST', 'PUT');
  const pattern = fc.constantFrom('/a', '/a/*', '/b/*', '*');
  const right: fc.Arbitrary<AccessRight> = fc.record({
    apiId: fc.constantFrom('x', 'y'),
    methods: fc.array(method, { maxLength: 2 }),
    paths: fc.array(pattern, { maxLength: 2 }),
  });
  const requests: [string, string, string][] = [];
  for (const api of ['x', 'y', 'z']) {
    for (const m of ['GET', 'POST', 'PUT', 'PATCH']) {
      for (const p of ['/a', '/a/1', '/b/1', '/c']) requests.push([api, m, p]);
    }
  }
  fc.assert(
    fc.property(fc.array(fc.array(right, { maxLength: 3 }), { maxLength: 3 }), (lists) => {
      const merged = compileAccessRights(unionAccessRights(lists));
      const each = lists.map((list) => compileAccessRights(list));
      for (const [api, m, p] of requests) {
        const decisions = each.map((rights) => rights.check(api, m, p));
        const expected = decisions.includes('allowed')
          ? 'allowed'
          : decisions.includes('resource_not_allowed')
            ? 'resource_not_allowed'
            : 'api_not_allowed';
        assert.equal(merged.check(api, m, p), expected, `${api} ${m} ${p}`);
      }
    }),
  );
});
