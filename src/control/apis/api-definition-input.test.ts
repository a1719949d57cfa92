/**
 * validateApiInput: every rule of the API fields, the normal forms it stores, fingerprint
 * normalisation, and that a stored API read back as input validates to itself (what PATCH relies on).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayError } from '../../errors/index.ts';
import type { ZoneRecord } from '../../model/records.ts';
import { apiInputOf, normaliseSha256Fingerprint, validateApiInput, type ApiInput } from './api-definition-input.ts';

const ZONE: ZoneRecord = {
  id: 'a'.repeat(32),
  accountId: 'b'.repeat(32),
  name: 'example.com',
  createdAt: '2025-01-01T00:00:00Z',
  delegated: false,
};
const UUID = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const SHA = 'ab'.repeat(32);

const base: ApiInput = {
  name: 'Orders',
  hostname: 'api.example.com',
  upstream_url: 'http://orders:8080',
  auth: { mode: 'keyless' },
};
const validate = (overrides: Record<string, unknown>): ReturnType<typeof validateApiInput> =>
  validateApiInput({ ...base, ...overrides }, ZONE);
const staticAuth = (allowed: unknown[], extra: object = {}): Record<string, unknown> => ({
  auth: { mode: 'mtls_static', allowed_certificates: allowed, ...extra },
});

function refuses(overrides: Record<string, unknown>, code: string, message: RegExp): void {
  assert.throws(
    () => validate(overrides),
    (error) => {
      assert.ok(error instanceof GatewayError, String(error));
      assert.equal(error.code, code, error.message);
      assert.match(error.message, message);
      return true;
    },
    JSON.stringify(overrides).slice(0, 200),
  );
}

describe('validateApiInput', () => {
  test('defaults: listen path "/", http, active, no stripping, no rate limit', () => {
    assert.deepEqual(validate({}), {
      name: 'Orders',
      hostname: 'api.example.com',
      listenPath: '/',
      upstreamUrl: 'http://orders:8080',
      stripListenPath: false,
      upstreamTimeoutMs: null,
      protocol: 'http',
      active: true,
      authMode: 'keyless',
      tokenRequired: false,
      allowedCertificates: [],
      rateLimit: null,
    });
  });

  test('normal forms: hostname, listen path, upstream, name trimmed', () => {
    const api = validate({
      name: '  Orders v1 ',
      hostname: 'API.Example.com.',
      listen_path: '/v1/',
      upstream_url: 'HTTP://Orders:8080/base/',
      strip_listen_path: true,
      active: false,
      rate_limit: { rate: 100, per: 60 },
    });
    assert.equal(api.name, 'Orders v1');
    assert.equal(api.hostname, 'api.example.com');
    assert.equal(api.listenPath, '/v1');
    assert.equal(api.upstreamUrl, 'http://orders:8080/base');
    assert.equal(api.stripListenPath, true);
    assert.equal(api.active, false);
    assert.deepEqual(api.rateLimit, { rate: 100, per: 60 });
  });

  test('name: 1..255 characters', () => {
    refuses({ name: '' }, 'GW_ERR_API_VALIDATION', /name must not be empty/);
    refuses({ name: '   ' }, 'GW_ERR_API_VALIDATION', /name must not be empty/);
    refuses({ name: 'x'.repeat(256) }, 'GW_ERR_API_VALIDATION', /name is longer than 255/);
    assert.equal(validate({ name: 'é'.repeat(255) }).name.length, 255);
    refuses({ name: 42 }, 'GW_ERR_API_VALIDATION', /name must be a string/);
  });

  test('hostname in the zone', () => {
    refuses({ hostname: 'api.example.org' }, 'GW_ERR_HOSTNAME_NOT_IN_ZONE', /does not belong to this zone/);
    refuses({ hostname: 'a b' }, 'GW_ERR_API_VALIDATION', /not a valid hostname/);
  });

  test('listen_path follows the route rules, named listen_path in messages', () => {
    refuses({ listen_path: 'v1' }, 'GW_ERR_API_VALIDATION', /listen_path "v1" must start with "\/"/);
    refuses({ listen_path: '/a/../b' }, 'GW_ERR_API_VALIDATION', /listen_path .* "\." or "\.\." segments/);
    refuses({ listen_path: '/a%2Fb' }, 'GW_ERR_API_VALIDATION', /listen_path .* encoded "\/"/);
    refuses({ listen_path: '/a?b' }, 'GW_ERR_API_VALIDATION', /listen_path .* "\?" or "#"/);
  });

  test('upstream_url follows the route rules, named upstream_url in messages', () => {
    refuses({ upstream_url: 'ftp://x' }, 'GW_ERR_API_VALIDATION', /upstream_url scheme must be http, https or h2c/);
    refuses({ upstream_url: 'http://u:p@x' }, 'GW_ERR_API_VALIDATION', /upstream_url must be/);
    refuses({ upstream_url: 'x'.repeat(3000) }, 'GW_ERR_API_VALIDATION', /upstream_url is longer than/);
  });

  test('protocol: http or grpc; grpc needs h2c:// or https:// (fail closed on http://)', () => {
    assert.equal(validate({ protocol: 'grpc', upstream_url: 'h2c://grpc:50051' }).protocol, 'grpc');
    assert.equal(validate({ protocol: 'grpc', upstream_url: 'https://grpc:443' }).upstreamUrl, 'https://grpc');
    refuses({ protocol: 'grpc', upstream_url: 'http://grpc:50051' }, 'GW_ERR_API_VALIDATION', /h2c:\/\/ or https:\/\//);
    refuses({ protocol: 'websocket' }, 'GW_ERR_API_VALIDATION', /protocol must be one of http, grpc/);
    assert.equal(validate({ upstream_url: 'h2c://x:1' }).protocol, 'http', 'http over h2c is fine');
  });

  test('auth.mode: one of the four modes', () => {
    for (const mode of ['keyless', 'mtls_dynamic', 'token']) assert.equal(validate({ auth: { mode } }).authMode, mode);
    refuses({ auth: { mode: 'basic' } }, 'GW_ERR_API_VALIDATION', /auth\.mode must be one of/);
    refuses({ auth: {} }, 'GW_ERR_API_VALIDATION', /auth\.mode must be one of/);
    refuses({ auth: null }, 'GW_ERR_API_VALIDATION', /auth must be an object/);
    refuses({ auth: undefined }, 'GW_ERR_API_VALIDATION', /auth must be an object/);
  });

  test('token_required only with mtls_static', () => {
    const api = validate(staticAuth([{ sha256: SHA }], { token_required: true }));
    assert.equal(api.tokenRequired, true);
    for (const mode of ['keyless', 'mtls_dynamic', 'token']) {
      refuses(
        { auth: { mode, token_required: true } },
        'GW_ERR_API_VALIDATION',
        /token_required applies to mode mtls_static only/,
      );
    }
    assert.equal(validate({ auth: { mode: 'token', token_required: false } }).tokenRequired, false);
  });

  test('allowlist only with mtls_static, and then at least one entry', () => {
    refuses(
      { auth: { mode: 'mtls_dynamic', allowed_certificates: [{ sha256: SHA }] } },
      'GW_ERR_API_VALIDATION',
      /allowed_certificates applies to mode mtls_static only/,
    );
    assert.deepEqual(validate({ auth: { mode: 'keyless', allowed_certificates: [] } }).allowedCertificates, []);
    refuses(staticAuth([]), 'GW_ERR_API_VALIDATION', /needs at least one entry/);
    refuses({ auth: { mode: 'mtls_static' } }, 'GW_ERR_API_VALIDATION', /needs at least one entry/);
    refuses(
      staticAuth(Array.from({ length: 1001 }, (_, i) => ({ sha256: i.toString(16).padStart(64, '0') }))),
      'GW_ERR_API_VALIDATION',
      /more than 1000 entries/,
    );
  });

  test('allowlist entries: exactly one field; ids lowercase UUIDs; duplicates merged', () => {
    const api = validate(
      staticAuth([
        { mtls_certificate_id: UUID.toUpperCase() },
        { client_certificate_id: UUID },
        { sha256: SHA },
        { sha256: SHA.toUpperCase() },
      ]),
    );
    assert.deepEqual(api.allowedCertificates, [
      { kind: 'mtls_certificate', id: UUID },
      { kind: 'client_certificate', id: UUID },
      { kind: 'sha256', value: SHA },
    ]);
    refuses(staticAuth([{}]), 'GW_ERR_API_VALIDATION', /exactly one of/);
    refuses(staticAuth([{ sha256: SHA, mtls_certificate_id: UUID }]), 'GW_ERR_API_VALIDATION', /exactly one of/);
    refuses(staticAuth(['x']), 'GW_ERR_API_VALIDATION', /exactly one of/);
    refuses(
      staticAuth([{ mtls_certificate_id: 'abc' }]),
      'GW_ERR_API_VALIDATION',
      /\[0\]\.mtls_certificate_id must be a certificate id/,
    );
    refuses(
      staticAuth([{ client_certificate_id: 7 }]),
      'GW_ERR_API_VALIDATION',
      /client_certificate_id must be a certificate id/,
    );
    refuses(staticAuth([{ sha256: 'abc' }]), 'GW_ERR_API_VALIDATION', /\[0\]\.sha256 must be a SHA-256 fingerprint/);
  });

  test('rate_limit: rate 1..1e9, per 1..86400 seconds, whole numbers; null = none', () => {
    assert.deepEqual(validate({ rate_limit: { rate: 1e9, per: 86400 } }).rateLimit, { rate: 1e9, per: 86400 });
    assert.equal(validate({ rate_limit: null }).rateLimit, null);
    refuses({ rate_limit: { rate: 0, per: 1 } }, 'GW_ERR_API_VALIDATION', /rate_limit\.rate must be a whole number/);
    refuses({ rate_limit: { rate: 1e9 + 1, per: 1 } }, 'GW_ERR_API_VALIDATION', /rate_limit\.rate/);
    refuses({ rate_limit: { rate: 1.5, per: 1 } }, 'GW_ERR_API_VALIDATION', /rate_limit\.rate/);
    refuses(
      { rate_limit: { rate: 1, per: 86401 } },
      'GW_ERR_API_VALIDATION',
      /rate_limit\.per must be a whole number of seconds from 1 to 86400/,
    );
    refuses({ rate_limit: { rate: 1 } }, 'GW_ERR_API_VALIDATION', /rate_limit\.per/);
    refuses({ rate_limit: 5 }, 'GW_ERR_API_VALIDATION', /rate_limit must be an object or null/);
  });

  test('booleans are booleans', () => {
    refuses({ strip_listen_path: 'yes' }, 'GW_ERR_API_VALIDATION', /strip_listen_path must be a boolean/);
    refuses({ active: 1 }, 'GW_ERR_API_VALIDATION', /active must be a boolean/);
    refuses(
      staticAuth([{ sha256: SHA }], { token_required: 'yes' }),
      'GW_ERR_API_VALIDATION',
      /token_required must be a boolean/,
    );
  });

  test('a stored API read back as input validates to itself (PATCH merges into this)', () => {
    const api = validate({
      listen_path: '/v1',
      protocol: 'grpc',
      upstream_url: 'h2c://g:1',
      rate_limit: { rate: 5, per: 1 },
      ...staticAuth([{ mtls_certificate_id: UUID }, { sha256: SHA }], { token_required: true }),
    });
    assert.deepEqual(validateApiInput(apiInputOf(api), ZONE), api);
  });
});

describe('normaliseSha256Fingerprint', () => {
  test('64 hex in any case, or colon-separated pairs, as lowercase without colons', () => {
    assert.equal(normaliseSha256Fingerprint(SHA.toUpperCase(), 'f'), SHA);
    const colons = SHA.toUpperCase().match(/../g)!.join(':');
    assert.equal(normaliseSha256Fingerprint(colons, 'f'), SHA);
    assert.equal(normaliseSha256Fingerprint(`  ${SHA}\n`, 'f'), SHA);
  });

  test('anything else is refused', () => {
    for (const value of ['', SHA.slice(2), `${SHA}00`, 'g'.repeat(64), `${SHA.slice(0, 62)}:ab`, 'ab:cd', 42]) {
      assert.throws(() => normaliseSha256Fingerprint(value, 'f'), /f must be a/, String(value));
    }
  });
});
