/**
 * validateRouteInput: every rule of the route fields, the normal forms it stores, and a property
 * test that what it accepts is a fixed point (validating a stored route again changes nothing),
 * which is what lets a re-applied config file leave routes untouched.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { GatewayError } from '../../errors/index.ts';
import type { ZoneRecord } from '../../model/records.ts';
import { validateRouteInput, type RouteInput } from './route-input.ts';

const ZONE: ZoneRecord = {
  id: 'a'.repeat(32),
  accountId: 'b'.repeat(32),
  name: 'example.com',
  createdAt: '2025-01-01T00:00:00Z',
  delegated: false,
};

const base: RouteInput = { hostname: 'api.example.com', upstream: 'http://127.0.0.1:8080' };
const validate = (overrides: Partial<Record<keyof RouteInput, unknown>>): ReturnType<typeof validateRouteInput> =>
  validateRouteInput({ ...base, ...overrides } as RouteInput, ZONE);

/** Asserts that `overrides` are refused with this code and a message matching `message`. */
function refuses(overrides: Partial<Record<keyof RouteInput, unknown>>, code: string, message: RegExp): void {
  assert.throws(
    () => validate(overrides),
    (error) => {
      assert.ok(error instanceof GatewayError, String(error));
      assert.equal(error.code, code, error.message);
      assert.match(error.message, message);
      return true;
    },
    JSON.stringify(overrides),
  );
}

describe('validateRouteInput', () => {
  test('defaults: path prefix "/", no stripping, empty description', () => {
    assert.deepEqual(validate({}), {
      hostname: 'api.example.com',
      pathPrefix: '/',
      upstreamUrl: 'http://127.0.0.1:8080',
      stripPrefix: false,
      upstreamTimeoutMs: null,
      description: '',
    });
  });

  test('upstream_timeout_ms: whole milliseconds from 1 to 24 h, null for the default', () => {
    assert.equal(validate({ upstream_timeout_ms: 1 }).upstreamTimeoutMs, 1);
    assert.equal(validate({ upstream_timeout_ms: 86_400_000 }).upstreamTimeoutMs, 86_400_000);
    assert.equal(validate({ upstream_timeout_ms: null }).upstreamTimeoutMs, null);
    for (const value of [0, -1, 2.5, 86_400_001, Number.NaN, '30s'] as unknown[]) {
      assert.throws(
        () => validate({ upstream_timeout_ms: value }),
        (error: Error & { code?: string }) =>
          error.code === 'GW_ERR_API_VALIDATION' && /^Invalid request: upstream_timeout_ms must be/.test(error.message),
        String(value),
      );
    }
  });

  test('keeps what was given: strip_prefix, description', () => {
    const route = validate({ path_prefix: '/v1', strip_prefix: true, description: 'the v1 API' });
    assert.equal(route.stripPrefix, true);
    assert.equal(route.description, 'the v1 API');
  });

  describe('hostname', () => {
    test('lowercased, trailing dot dropped; the zone apex and *.zone wildcards are accepted', () => {
      assert.equal(validate({ hostname: 'API.Example.COM.' }).hostname, 'api.example.com');
      assert.equal(validate({ hostname: 'example.com' }).hostname, 'example.com');
      assert.equal(validate({ hostname: '*.example.com' }).hostname, '*.example.com');
      assert.equal(validate({ hostname: '*.eu.example.com' }).hostname, '*.eu.example.com');
    });

    test('outside the zone → GW_ERR_HOSTNAME_NOT_IN_ZONE', () => {
      for (const hostname of ['api.example.org', 'badexample.com', 'example.com.evil.test', '*.com']) {
        refuses({ hostname }, 'GW_ERR_HOSTNAME_NOT_IN_ZONE', /does not belong to this zone/);
      }
    });

    test('not a hostname → GW_ERR_API_VALIDATION', () => {
      for (const hostname of ['', 'api example.com', 'api_.example.com', 'a.*.example.com', 'api.example.com:443']) {
        refuses({ hostname }, 'GW_ERR_API_VALIDATION', /is not a valid hostname/);
      }
    });
  });

  describe('path_prefix', () => {
    test('a trailing "/" is dropped, except for "/" itself', () => {
      assert.equal(validate({ path_prefix: '/' }).pathPrefix, '/');
      assert.equal(validate({ path_prefix: '/api/' }).pathPrefix, '/api');
      assert.equal(validate({ path_prefix: '/api/v1' }).pathPrefix, '/api/v1');
    });

    test('every RFC 3986 path character is accepted, case is kept', () => {
      const all = "/Az09-._~!$&'()*+,;=:@";
      assert.equal(validate({ path_prefix: all }).pathPrefix, all);
      assert.equal(validate({ path_prefix: '/API/V1' }).pathPrefix, '/API/V1');
      assert.equal(validate({ path_prefix: '/a.b/..c/.d.' }).pathPrefix, '/a.b/..c/.d.', 'dots inside segments');
    });

    test('percent escapes: unreserved characters decoded, the rest in uppercase', () => {
      assert.equal(validate({ path_prefix: '/%7Euser/%41%2d' }).pathPrefix, '/~user/A-');
      assert.equal(validate({ path_prefix: '/caf%c3%a9/%20x' }).pathPrefix, '/caf%C3%A9/%20x');
    });

    test('must start with "/"', () => {
      for (const path_prefix of ['', 'api', '*/api', '%2Fapi']) {
        refuses({ path_prefix }, 'GW_ERR_API_VALIDATION', /must start with "\/"/);
      }
    });

    test('no query or fragment', () => {
      for (const path_prefix of ['/api?x=1', '/api#top', '/?', '/#']) {
        refuses({ path_prefix }, 'GW_ERR_API_VALIDATION', /must not contain "\?" or "#"/);
      }
    });

    test('only path characters: no spaces, backslashes, non-ASCII, controls, broken escapes', () => {
      for (const path_prefix of ['/a b', '/a\\b', '/café', '/a\tb', '/a\nb', '/a%', '/a%2', '/a%zz', '/a"b', '/<x>']) {
        refuses({ path_prefix }, 'GW_ERR_API_VALIDATION', /RFC 3986 path characters/);
      }
    });

    test('no "//", plain or trailing', () => {
      for (const path_prefix of ['//', '//api', '/api//v1', '/api//']) {
        refuses({ path_prefix }, 'GW_ERR_API_VALIDATION', /must not contain "\/\/"/);
      }
    });

    test('no dot segments, also when percent-encoded', () => {
      for (const path_prefix of ['/.', '/..', '/./api', '/api/../admin', '/api/.', '/api/..', '/api/../', '/%2e%2E']) {
        refuses({ path_prefix }, 'GW_ERR_API_VALIDATION', /"\." or "\.\." segments/);
      }
    });

    test('no encoded "/" or NUL', () => {
      for (const path_prefix of ['/api%2fadmin', '/api%2F', '/a%00']) {
        refuses({ path_prefix }, 'GW_ERR_API_VALIDATION', /encoded "\/" or NUL/);
      }
    });

    test('at most 1024 characters', () => {
      assert.equal(validate({ path_prefix: `/${'a'.repeat(1023)}` }).pathPrefix.length, 1024);
      refuses({ path_prefix: `/${'a'.repeat(1024)}` }, 'GW_ERR_API_VALIDATION', /longer than 1024/);
    });
  });

  describe('upstream', () => {
    test('normal form: lowercase scheme and host, default http port dropped, no trailing slash', () => {
      const cases: [string, string][] = [
        ['http://127.0.0.1:8080', 'http://127.0.0.1:8080'],
        ['http://127.0.0.1:8080/', 'http://127.0.0.1:8080'],
        ['HTTP://Backend.Internal:80/', 'http://backend.internal'],
        ['https://backend.internal:443/base/', 'https://backend.internal/base'],
        ['https://backend.internal:8443/a/b//', 'https://backend.internal:8443/a/b'],
        ['h2c://Grpc.Internal:50051', 'h2c://grpc.internal:50051'],
        ['h2c://grpc.internal:50051/svc/', 'h2c://grpc.internal:50051/svc'],
        ['http://[::1]:9000/x', 'http://[::1]:9000/x'],
        ['  http://127.0.0.1:8080  ', 'http://127.0.0.1:8080'],
      ];
      for (const [given, stored] of cases) assert.equal(validate({ upstream: given }).upstreamUrl, stored, given);
    });

    test('refused with the reason from parseUpstreamTarget, worded for the API', () => {
      refuses({ upstream: 'not a url' }, 'GW_ERR_API_VALIDATION', /^Invalid request: upstream must be a URL/);
      refuses({ upstream: 'ftp://files.internal' }, 'GW_ERR_API_VALIDATION', /upstream scheme must be http, https/);
      for (const upstream of ['http://user:pw@backend', 'http://backend/?q=1', 'http://backend/#f']) {
        refuses({ upstream }, 'GW_ERR_API_VALIDATION', /without credentials, query or fragment/);
      }
      assert.throws(
        () => validate({ upstream: 'x' }),
        (error: Error) => !error.message.includes('--'),
      );
    });

    test('at most 2048 characters', () => {
      refuses({ upstream: `http://b/${'a'.repeat(2048)}` }, 'GW_ERR_API_VALIDATION', /longer than 2048/);
    });
  });

  test('description: at most 500 characters (code points)', () => {
    assert.equal(validate({ description: 'é'.repeat(500) }).description.length, 500);
    assert.equal(validate({ description: '😀'.repeat(500) }).description.length, 1000, '500 code points');
    refuses({ description: 'x'.repeat(501) }, 'GW_ERR_API_VALIDATION', /description is longer than 500/);
  });

  test('wrong types from a config file are refused, not coerced', () => {
    refuses({ hostname: 42 }, 'GW_ERR_API_VALIDATION', /hostname must be a string/);
    refuses({ upstream: undefined }, 'GW_ERR_API_VALIDATION', /upstream must be a string/);
    refuses({ path_prefix: ['/a'] }, 'GW_ERR_API_VALIDATION', /path_prefix must be a string/);
    refuses({ strip_prefix: 'yes' }, 'GW_ERR_API_VALIDATION', /strip_prefix must be a boolean/);
    refuses({ description: null }, 'GW_ERR_API_VALIDATION', /description must be a string/);
  });

  test('property: an accepted prefix is a fixed point and free of "//", dot segments and a trailing "/"', () => {
    const segment = fc.stringMatching(/^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2}){0,8}$/);
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 6 }), fc.boolean(), (segments, trailing) => {
        const given = `/${segments.join('/')}${trailing ? '/' : ''}`;
        let stored: string;
        try {
          stored = validate({ path_prefix: given }).pathPrefix;
        } catch (error) {
          assert.ok(error instanceof GatewayError && error.code === 'GW_ERR_API_VALIDATION', String(error));
          return;
        }
        assert.equal(validate({ path_prefix: stored }).pathPrefix, stored);
        assert.ok(stored === '/' || !stored.endsWith('/'), stored);
        assert.ok(!stored.includes('//'), stored);
        assert.ok(!stored.split('/').some((s) => s === '.' || s === '..'), stored);
      }),
    );
  });

  test('property: an accepted upstream is a fixed point', () => {
    const upstream = fc
      .tuple(
        fc.constantFrom('http', 'https', 'h2c', 'HTTP'),
        fc.constantFrom('backend', 'Backend.Internal', '127.0.0.1', '[::1]'),
        fc.option(fc.integer({ min: 1, max: 65535 })),
        fc.stringMatching(/^(?:\/[a-z0-9]{0,4}){0,3}$/),
      )
      .map(([scheme, host, port, path]) => `${scheme}://${host}${port === null ? '' : `:${port}`}${path}`);
    fc.assert(
      fc.property(upstream, (given) => {
        const stored = validate({ upstream: given }).upstreamUrl;
        assert.equal(validate({ upstream: stored }).upstreamUrl, stored, given);
        assert.ok(!stored.endsWith('/'), stored);
      }),
    );
  });
});
