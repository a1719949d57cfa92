import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compileAccessRights } from '../../policy/access-rights.ts';
import type { UsageCounters } from '../../policy/usage-counters.ts';
import type { ApiRuntime, KeyRuntime } from '../../runtime-config/api-runtime.ts';
import { MemoryUsageCounters } from '../../store/counters/memory-usage-counters.ts';
import type { Quota, RateLimit } from '../../model/records.ts';
import { applyApiLimits, applyApiLimitsNow, type LimitOutcome } from './api-limits.ts';

function api(rateLimit: RateLimit | null): ApiRuntime {
  return {
    id: 'api1',
    zoneId: 'z',
    accountId: 'a',
    name: 'API',
    authMode: 'mtls_dynamic',
    tokenRequired: false,
    allowedLeafSha256: new Set(),
    rateLimit,
  };
}

function key(rateLimit: RateLimit | null, quota: Quota | null): KeyRuntime {
  return {
    id: 'key1',
    accountId: 'a',
    alias: '',
    binding: null,
    active: true,
    expiresAtMs: null,
    limits: { access: compileAccessRights([{ apiId: 'api1', methods: [], paths: [] }]), rateLimit, quota },
  };
}

/** Error code (or "ok") and header names of each of `n` requests, in order. */
function summary(outcomes: LimitOutcome[]): string[] {
  return outcomes.map(
    (outcome) =>
      `${outcome.error?.code ?? 'ok'} ${Object.keys(outcome.headers).sort().join(',')} ${outcome.headers['x-ratelimit-limit'] ?? ''}`,
  );
}

const CASES: [string, ApiRuntime, KeyRuntime | undefined][] = [
  ['key rate limit', api(null), key({ rate: 2, per: 60 }, null)],
  ['API-wide limit only', api({ rate: 2, per: 60 }), key(null, null)],
  [
    'key and API limits: the API refusal carries its own headers',
    api({ rate: 2, per: 60 }),
    key({ rate: 5, per: 60 }, null),
  ],
  ['quota', api(null), key(null, { max: 2, renewalRate: 3600 })],
  ['rate limit and quota', api(null), key({ rate: 3, per: 60 }, { max: 2, renewalRate: 3600 })],
  ['keyless API with a limit', api({ rate: 1, per: 60 }), undefined],
];

describe('applyApiLimitsNow answers as applyApiLimits does', () => {
  for (const [name, theApi, theKey] of CASES) {
    test(name, async () => {
      const viaPromises: LimitOutcome[] = [];
      const promiseCounters = new MemoryUsageCounters();
      for (let i = 0; i < 4; i++) viaPromises.push(await applyApiLimits(theApi, theKey, promiseCounters));
      const syncCounters = new MemoryUsageCounters();
      const atOnce = Array.from({ length: 4 }, () => applyApiLimitsNow(theApi, theKey, syncCounters));
      assert.ok(atOnce.every((outcome) => outcome !== undefined));
      assert.deepEqual(summary(atOnce), summary(viaPromises));
      assert.ok(
        viaPromises.some((outcome) => outcome.error !== undefined),
        'the case reaches a refusal',
      );
    });
  }

  test('counters that only answer with promises (a remote backend): undefined, to be awaited', () => {
    const memory = new MemoryUsageCounters();
    const remote: UsageCounters = {
      consumeRate: (bucket, limit) => memory.consumeRate(bucket, limit),
      consumeQuota: (keyId, quota) => memory.consumeQuota(keyId, quota),
      quotaRemaining: (keyId, quota) => memory.quotaRemaining(keyId, quota),
    };
    assert.equal(applyApiLimitsNow(api({ rate: 1, per: 60 }), undefined, remote), undefined);
  });
});

test('the limits of a changed key or API apply at once: a plan is kept per (API, key) object, never per id', () => {
  const counters = new MemoryUsageCounters();
  const limitOf = (theApi: ApiRuntime, theKey: KeyRuntime | undefined): string | undefined =>
    applyApiLimitsNow(theApi, theKey, counters)?.headers['x-ratelimit-limit'];
  const theApi = api(null);
  assert.equal(limitOf(theApi, key({ rate: 2, per: 60 }, null)), '2');
  // The same key id under a new policy (a new snapshot makes a new KeyRuntime): its own limit at once.
  assert.equal(limitOf(theApi, key({ rate: 7, per: 60 }, null)), '7');
  const sameKey = key({ rate: 3, per: 60 }, null);
  assert.equal(limitOf(theApi, sameKey), '3');
  assert.equal(limitOf(theApi, sameKey), '3', 'the kept plan gives the same answer');
  // The same key on an API that now has a limit of its own (a new ApiRuntime): the API limit counts too.
  const limited = api({ rate: 1, per: 60 });
  const refused = [0, 1, 2].map(() => applyApiLimitsNow(limited, sameKey, new MemoryUsageCounters())?.error?.code);
  assert.deepEqual(refused, [undefined, undefined, undefined], 'each with fresh counters: allowed');
  const shared = new MemoryUsageCounters();
  assert.equal(applyApiLimitsNow(limited, sameKey, shared)?.error, undefined);
  assert.equal(applyApiLimitsNow(limited, sameKey, shared)?.error?.code, 'GW_ERR_RATE_LIMITED');
  // Keyless requests on the API have their own plan.
  assert.equal(applyApiLimitsNow(limited, undefined, new MemoryUsageCounters())?.headers['x-ratelimit-limit'], '1');
});
