/**
 * validatePolicyInput and the pieces keys share with policies: access rights (methods, path
 * patterns), rate limits, quotas, names. Every rule, and the normal forms stored.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayError } from '../../errors/index.ts';
import { policyInputOf, validateAccessRights, validatePolicyInput, validateQuota } from './gateway-policy-input.ts';

const API = 'c'.repeat(32);
const API2 = 'd'.repeat(32);

function refused(work: () => unknown, message: RegExp): void {
  assert.throws(work, (error) => {
    assert.ok(error instanceof GatewayError, String(error));
    assert.equal(error.code, 'GW_ERR_API_VALIDATION', error.message);
    assert.match(error.message, message);
    return true;
  });
}

const rights = (value: unknown): ReturnType<typeof validateAccessRights> =>
  validateAccessRights(value, 'access_rights');

describe('validatePolicyInput', () => {
  test('defaults: no rights, no limits, active', () => {
    assert.deepEqual(validatePolicyInput({ name: ' Gold ' }), {
      name: 'Gold',
      accessRights: [],
      rateLimit: null,
      quota: null,
      active: true,
    });
  });

  test('everything given, and a stored policy read back as input validates to itself', () => {
    const policy = validatePolicyInput({
      name: 'Gold',
      access_rights: [{ api_id: API, methods: ['GET'], paths: ['/orders/*'] }],
      rate_limit: { rate: 10, per: 1 },
      quota: { max: 1000, renewal_rate: 86400 },
      active: false,
    });
    assert.deepEqual(policy, {
      name: 'Gold',
      accessRights: [{ apiId: API, methods: ['GET'], paths: ['/orders/*'] }],
      rateLimit: { rate: 10, per: 1 },
      quota: { max: 1000, renewalRate: 86400 },
      active: false,
    });
    assert.deepEqual(validatePolicyInput(policyInputOf(policy)), policy);
  });

  test('name 1..255', () => {
    refused(() => validatePolicyInput({ name: '' }), /name must not be empty/);
    refused(() => validatePolicyInput({ name: 'x'.repeat(256) }), /name is longer than 255/);
  });
});

describe('access rights', () => {
  test('methods and paths default to [] (= all); duplicates merged', () => {
    assert.deepEqual(rights([{ api_id: API }]), [{ apiId: API, methods: [], paths: [] }]);
    assert.deepEqual(rights([{ api_id: API, methods: ['GET', 'GET', 'M-SEARCH'], paths: ['/a', '/a'] }]), [
      { apiId: API, methods: ['GET', 'M-SEARCH'], paths: ['/a'] },
    ]);
  });

  test('several rights for one API are alternatives and kept; the same right twice is one', () => {
    const read = { api_id: API, methods: ['GET'], paths: ['/read/*'] };
    const write = { api_id: API, methods: ['POST'], paths: ['/write/*'] };
    assert.deepEqual(
      rights([read, write, { ...read, methods: ['GET', 'GET'] }, { api_id: API2 }]).map((r) => [r.apiId, r.methods]),
      [
        [API, ['GET']],
        [API, ['POST']],
        [API2, []],
      ],
    );
  });

  test('api_id: 32 lowercase hex', () => {
    refused(() => rights([{ api_id: API.toUpperCase() }]), /access_rights\[0\]\.api_id must be an API id/);
    refused(() => rights([{}]), /api_id must be an API id/);
    refused(() => rights('x'), /access_rights must be an array/);
    refused(() => rights([null]), /access_rights\[0\] must be an object/);
    refused(
      () => rights(Array.from({ length: 1001 }, (_, i) => ({ api_id: i.toString(16).padStart(32, '0') }))),
      /more than 1000/,
    );
  });

  test('methods: uppercase tokens, case-sensitive (no silent uppercasing), at most 20', () => {
    refused(() => rights([{ api_id: API, methods: ['get'] }]), /"get" is not an uppercase HTTP method/);
    refused(() => rights([{ api_id: API, methods: ['GET POST'] }]), /not an uppercase HTTP method/);
    refused(() => rights([{ api_id: API, methods: [''] }]), /not an uppercase HTTP method/);
    refused(() => rights([{ api_id: API, methods: [1] }]), /not an uppercase HTTP method/);
    refused(() => rights([{ api_id: API, methods: 'GET' }]), /methods must be an array/);
    const many = Array.from({ length: 21 }, (_, i) => `M${i}`);
    refused(() => rights([{ api_id: API, methods: many }]), /more than 20 methods/);
  });

  test('paths: start with "/", path characters and "*", canonical escapes, at most 100 of 1024', () => {
    assert.deepEqual(rights([{ api_id: API, paths: ['/orders/*', '/a/*/b', '/%7euser/%c3%a9', '/'] }])[0]?.paths, [
      '/orders/*',
      '/a/*/b',
      '/~user/%C3%A9',
      '/',
    ]);
    const bad: [string, RegExp][] = [
      ['orders', /must start with "\/"/],
      ['*', /must start with "\/"/],
      ['/a?b', /RFC 3986 path characters and "\*"/],
      ['/a b', /RFC 3986 path characters/],
      ['/a#', /RFC 3986 path characters/],
      ['/a//b', /must not contain "\/\/"/],
      ['/a/../b', /"\." or "\.\." segments/],
      ['/a/%2e%2e/b', /"\." or "\.\." segments/],
      ['/a%2fb', /encoded "\/" or NUL/],
      [`/${'a'.repeat(1024)}`, /longer than 1024/],
    ];
    for (const [pattern, reason] of bad) refused(() => rights([{ api_id: API, paths: [pattern] }]), reason);
    refused(() => rights([{ api_id: API, paths: [7] }]), /paths must hold strings/);
    const many = Array.from({ length: 101 }, (_, i) => `/p${i}`);
    refused(() => rights([{ api_id: API, paths: many }]), /more than 100 patterns/);
  });
});

describe('quota', () => {
  test('max 1..1e12 requests, renewal_rate 1..366 days; null = none', () => {
    assert.deepEqual(validateQuota({ max: 1e12, renewal_rate: 31_622_400 }, 'quota'), {
      max: 1e12,
      renewalRate: 31_622_400,
    });
    assert.equal(validateQuota(null, 'quota'), null);
    refused(() => validateQuota({ max: 0, renewal_rate: 1 }, 'quota'), /quota\.max must be a whole number/);
    refused(() => validateQuota({ max: 1, renewal_rate: 31_622_401 }, 'quota'), /quota\.renewal_rate/);
    refused(() => validateQuota({ max: 1 }, 'quota'), /quota\.renewal_rate/);
    refused(() => validateQuota([], 'quota'), /quota must be an object or null/);
  });
});
