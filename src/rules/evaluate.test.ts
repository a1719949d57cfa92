/**
 * Evaluation: compiled rules against fake RuleContexts. The API Shield mTLS rule on every certificate state, the
 * reference's §8.7 examples, each operator and function, missing values, and byte-string semantics.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compileExpression, type RuleContext } from './index.ts';
import { fakeContext, VERIFIED_CLIENT, type FakeContextOptions } from '../../test/helpers/fake-rule-context.ts';
import { printString } from './printer.ts';

function isContext(options: FakeContextOptions | RuleContext): options is RuleContext {
  return options.connection !== undefined && 'sourceIp' in options.connection;
}

function evaluate(expression: string, options: FakeContextOptions | RuleContext = {}): boolean {
  return compileExpression(expression).evaluate(isContext(options) ? options : fakeContext(options));
}

const MTLS_RULE =
  '(http.host in {"api.example.com"} and (not cf.tls_client_auth.cert_verified or cf.tls_client_auth.cert_revoked))';

test('the mTLS rule blocks a missing, an unverified and a revoked certificate, and passes a good one', () => {
  const rule = compileExpression(MTLS_RULE);
  const on = (clientAuth: FakeContextOptions['clientAuth'], host = 'api.example.com'): boolean =>
    rule.evaluate(fakeContext({ request: { host }, clientAuth }));
  assert.equal(on({}), true, 'no certificate');
  assert.equal(on({ certPresented: true }), true, 'presented, not verified');
  assert.equal(on({ ...VERIFIED_CLIENT, certRevoked: true }), true, 'verified but revoked');
  assert.equal(on(VERIFIED_CLIENT), false, 'verified');
  assert.equal(on({}, 'www.example.com'), false, 'another host is not covered');
  assert.equal(rule.expression, MTLS_RULE.slice(1, -1), 'canonical text drops the outer parentheses');
  assert.deepEqual(rule.fields, ['http.host', 'cf.tls_client_auth.cert_verified', 'cf.tls_client_auth.cert_revoked']);
});

test('§8.7 examples evaluate as documented', () => {
  assert.equal(evaluate('not cf.tls_client_auth.cert_verified'), true);
  assert.equal(evaluate('not cf.tls_client_auth.cert_verified', { clientAuth: VERIFIED_CLIENT }), false);
  const admin =
    '((not cf.tls_client_auth.cert_verified or cf.tls_client_auth.cert_revoked) and http.request.uri.path in {"/admin"})';
  assert.equal(evaluate(admin, { request: { path: '/admin' } }), true);
  assert.equal(evaluate(admin, { request: { path: '/admin/' } }), false);
  const chain =
    'cf.tls_client_auth.cert_verified and not cf.tls_client_auth.cert_revoked and cf.tls_client_auth.cert_chain_rfc9440 ne ""';
  assert.equal(evaluate(chain, { clientAuth: VERIFIED_CLIENT }), false);
  assert.equal(evaluate(chain, { clientAuth: { ...VERIFIED_CLIENT, certChainRfc9440: ':MIIB:' } }), true);
  const login = 'lower(http.request.uri.path) contains "/wp-login.php"';
  assert.equal(evaluate(login, { request: { path: '/blog/WP-Login.PHP' } }), true);
  assert.equal(evaluate(login, { request: { path: '/wp-login' } }), false);
  const aspx = 'http.request.uri.path matches r"/api/login\\.aspx$"';
  assert.equal(evaluate(aspx, { request: { path: '/v1/api/login.aspx' } }), true);
  assert.equal(evaluate(aspx, { request: { path: '/api/loginXaspx' } }), false);
  assert.equal(evaluate(aspx, { request: { path: '/api/login.aspx/x' } }), false);
  const full = 'http.request.full_uri wildcard "https://example.com/a/*"';
  assert.equal(evaluate(full, { request: { host: 'example.com', path: '/a/b', query: 'c=d' } }), true);
  assert.equal(evaluate(full, { request: { host: 'EXAMPLE.com', path: '/A/b' } }), true, 'wildcard ignores case');
  assert.equal(evaluate(full, { request: { host: 'example.com', path: '/b' } }), false);
  const ips = 'ip.src in {198.51.100.1 198.51.100.3..198.51.100.7 192.0.2.0/24 2001:0db8::/32}';
  for (const ip of [
    '198.51.100.1',
    '198.51.100.3',
    '198.51.100.7',
    '192.0.2.255',
    '2001:db8:ffff::1',
    '::ffff:192.0.2.1',
  ]) {
    assert.equal(evaluate(ips, { connection: { ip } }), true, ip);
  }
  for (const ip of ['198.51.100.2', '198.51.100.8', '192.0.3.0', '2001:db9::', '::1', '::192.0.2.1']) {
    assert.equal(evaluate(ips, { connection: { ip } }), false, ip);
  }
  const contentType = 'any(lower(http.request.headers.names[*])[*] == "content-type")';
  assert.equal(
    evaluate(contentType, {
      request: {
        headers: [
          ['Accept', '*/*'],
          ['Content-Type', 'x'],
        ],
      },
    }),
    true,
  );
  assert.equal(evaluate(contentType, { request: { headers: [['Accept', '*/*']] } }), false);
  const port = 'http.host eq "www.example.com" and not cf.edge.server_port in {80 443}';
  assert.equal(evaluate(port, { request: { host: 'www.example.com' }, connection: { serverPort: 8443 } }), true);
  assert.equal(evaluate(port, { request: { host: 'www.example.com' }, connection: { serverPort: 443 } }), false);
  assert.equal(evaluate('true'), true);
  assert.equal(evaluate('false'), false);
});

test('comparison operators on strings, integers and addresses', () => {
  const request = { host: 'm.example.com', method: 'POST', path: '/api/v2/users' };
  const cases: [string, boolean][] = [
    ['http.host eq "m.example.com"', true],
    ['http.host == "M.example.com"', false],
    ['http.host ne "a"', true],
    ['http.host lt "n"', true],
    ['http.host le "m.example.com"', true],
    ['http.host gt "m.example.com"', false],
    ['http.host ge "m"', true],
    ['http.request.method in {"PUT" "POST"}', true],
    ['http.request.method in {"PUT" "GET"}', false],
    ['http.request.uri.path contains "/v2/"', true],
    ['http.request.uri.path ~ "^/api/v[0-9]+/"', true],
    ['http.request.uri.path matches "(?i)^/API/"', true],
    ['http.request.uri.path matches "^/API/"', false],
    ['http.request.uri.path wildcard "/API/*/USERS"', true],
    ['http.request.uri.path strict wildcard "/API/*"', false],
    ['http.request.uri.path strict wildcard "/api/*"', true],
    ['http.request.uri.path wildcard "/api/v2/users"', true],
    ['http.request.uri.path wildcard "/api/*/*/users"', false],
    ['http.request.uri.path wildcard "*"', true],
    ['cf.edge.server_port eq 443', true],
    ['cf.edge.server_port != 443', false],
    ['cf.edge.server_port < 444 and cf.edge.server_port > 442', true],
    ['cf.edge.server_port <= 443 and cf.edge.server_port >= 443', true],
    ['cf.edge.server_port in {80 400..450}', true],
    ['cf.edge.server_port in {80 444..450}', false],
    ['cf.edge.server_port eq 0x1bb', true],
    ['cf.edge.server_port eq 0673', true],
    ['ip.src eq 192.0.2.10', true],
    ['ip.src ne 192.0.2.10', false],
    ['ip.src eq ::ffff:192.0.2.10', false],
    ['ip.src in {192.0.2.0/28}', true],
    ['ip.src in {192.0.2.11..192.0.2.20 ::/0}', false],
  ];
  for (const [expression, expected] of cases) assert.equal(evaluate(expression, { request }), expected, expression);
});

test('logical operators, precedence and short-circuits', () => {
  const truth = (a: boolean, b: boolean): FakeContextOptions => ({
    connection: { ssl: a },
    clientAuth: { certPresented: b },
  });
  for (const a of [false, true]) {
    for (const b of [false, true]) {
      const options = truth(a, b);
      assert.equal(evaluate('ssl and cf.tls_client_auth.cert_presented', options), a && b);
      assert.equal(evaluate('ssl && cf.tls_client_auth.cert_presented', options), a && b);
      assert.equal(evaluate('ssl or cf.tls_client_auth.cert_presented', options), a || b);
      assert.equal(evaluate('ssl || cf.tls_client_auth.cert_presented', options), a || b);
      assert.equal(evaluate('ssl xor cf.tls_client_auth.cert_presented', options), a !== b);
      assert.equal(evaluate('ssl ^^ cf.tls_client_auth.cert_presented', options), a !== b);
      assert.equal(evaluate('not ssl', options), !a);
      assert.equal(evaluate('!ssl', options), !a);
      assert.equal(evaluate('not ssl and cf.tls_client_auth.cert_presented', options), !a && b);
      assert.equal(evaluate('not (ssl and cf.tls_client_auth.cert_presented)', options), !(a && b));
    }
  }
  assert.equal(evaluate('true or false and false'), true, 'and binds tighter than or');
  assert.equal(evaluate('true xor true or true'), true, 'xor binds tighter than or');
  assert.equal(evaluate('true or true xor true'), true);
  assert.equal(evaluate('(true or true) xor true'), false);
  assert.equal(evaluate('true xor true xor true'), true, 'n-ary xor is odd parity');
  assert.equal(evaluate('false or false or false or true'), true);
  assert.equal(evaluate('true and true and true and false'), false);
});

test('headers: map keys, indexes, [*], any and all, and missing values', () => {
  const options: FakeContextOptions = {
    request: {
      headers: [
        ['Host', 'api.example.com'],
        ['Accept', 'text/html'],
        ['accept', 'application/json'],
        ['X-Tenant', 'acme'],
        ['X-Tenant', 'acme'],
      ],
    },
  };
  const cases: [string, boolean][] = [
    ['http.request.headers["accept"][0] eq "text/html"', true],
    ['http.request.headers["accept"][1] eq "application/json"', true],
    ['any(http.request.headers["accept"][*] contains "json")', true],
    ['all(http.request.headers["accept"][*] contains "json")', false],
    ['all(http.request.headers["x-tenant"][*] eq "acme")', true],
    ['len(http.request.headers["accept"]) eq 2', true],
    ['len(http.request.headers.names) eq 5', true],
    ['http.request.headers.names[0] eq "Host"', true],
    ['http.request.headers.values[3] eq "acme"', true],
    ['any(http.request.headers[*][0] eq "acme")', true],
    ['all(http.request.headers[*][0] ne "")', true],
    ['any(starts_with(http.request.headers.names[*], "X-"))', true],
    ['any(ends_with(http.request.headers.names[*], "-Missing"))', false],
    ['any(len(http.request.headers.values[*])[*] > 15)', true],
    ['any(upper(lower(http.request.headers.names[*])[*])[*] eq "X-TENANT")', true],
    ['any(concat(http.request.headers.names[*], ":")[*] eq "Accept:")', true],
    ['any(concat(http.request.headers.names, http.request.headers.values)[*] eq "application/json")', true],
    ['len(lower(http.request.headers.names[*])) eq 5', true],
    ['lower(http.request.headers.names[*])[2] eq "accept"', true],
    ['len(len(http.request.headers[*])) eq 3', true],
    ['any(len(http.request.headers[*])[*] eq 2)', true],
    // Missing values: absent key, index out of range. Every comparison with them is false, ne included.
    ['http.request.headers["authorization"][0] eq ""', false],
    ['http.request.headers["authorization"][0] ne ""', false],
    ['not http.request.headers["authorization"][0] ne ""', true],
    ['http.request.headers["accept"][7] ne "x"', false],
    ['len(http.request.headers["authorization"]) >= 0', false],
    ['not len(http.request.headers["authorization"]) >= 0', true],
    ['any(http.request.headers["authorization"][*] eq "x")', false],
    ['all(http.request.headers["authorization"][*] eq "x")', false],
    ['http.request.headers["constructor"][0] eq "x"', false],
    ['http.request.headers["__proto__"][0] ne "x"', false],
    ['http.user_agent eq ""', true],
  ];
  for (const [expression, expected] of cases) assert.equal(evaluate(expression, options), expected, expression);
});

test('a context with header(name) answers http.request.headers["name"] through it, as the map would', () => {
  const base = fakeContext({
    request: {
      headers: [
        ['Accept', 'text/html'],
        ['accept', 'application/json'],
        ['X-Tenant', 'acme'],
      ],
    },
  });
  let mapReads = 0;
  const map = base.request.headers;
  const request = Object.create(base.request, {
    headers: {
      get: () => {
        mapReads++;
        return map;
      },
    },
    header: { value: (name: string) => (Object.hasOwn(map, name) ? map[name] : undefined) },
  }) as RuleContext['request'];
  const withHeader: RuleContext = { ...base, request };
  for (const expression of [
    'http.request.headers["accept"][1] eq "application/json"',
    'any(http.request.headers["accept"][*] contains "json")',
    'all(http.request.headers["x-tenant"][*] eq "acme")',
    'len(http.request.headers["accept"]) eq 2',
    'http.request.headers["authorization"][0] ne ""',
    'any(http.request.headers["constructor"][*] ne "x")',
  ]) {
    assert.equal(evaluate(expression, withHeader), evaluate(expression, base), expression);
  }
  assert.equal(mapReads, 0, 'the map is never built for a read of one header');
  assert.equal(evaluate('any(http.request.headers[*][0] eq "acme")', withHeader), true);
  assert.equal(mapReads, 1, 'a rule over every header reads the map');
});

test('header maps with an ordinary prototype are read by own keys only', () => {
  const context = fakeContext();
  const headers: Record<string, string[]> = { accept: ['a'] };
  const request = { ...context.request, headers };
  assert.equal(evaluate('http.request.headers["constructor"][0] ne "x"', { ...context, request }), false);
  assert.equal(evaluate('http.request.headers["__proto__"][0] ne "x"', { ...context, request }), false);
  assert.equal(evaluate('all(http.request.headers[*][0] eq "a")', { ...context, request }), true);
  assert.equal(
    evaluate('all(http.request.headers[*][0] eq "a")', { ...context, request: { ...request, headers: {} } }),
    true,
  );
});

test('functions on strings', () => {
  const options: FakeContextOptions = { request: { host: 'API.Example.com', method: 'get', path: '/a/b.json' } };
  const cases: [string, boolean][] = [
    ['lower(http.host) eq "api.example.com"', true],
    ['upper(http.request.method) eq "GET"', true],
    ['len(http.host) eq 15', true],
    ['len(http.request.uri.query) eq 0', true],
    ['starts_with(http.request.uri.path, "/a/")', true],
    ['starts_with(lower(http.host), "API")', false],
    ['ends_with(http.request.uri.path, ".json")', true],
    ['concat(http.request.method, " ", http.request.uri.path) eq "get /a/b.json"', true],
    ['concat("https://", lower(http.host)) eq "https://api.example.com"', true],
  ];
  for (const [expression, expected] of cases) assert.equal(evaluate(expression, options), expected, expression);
});

test('strings are bytes: UTF-8 literals, \\x escapes, ASCII-only case folding', () => {
  const path = '/caf\xc3\xa9/CAF\xc3\x89';
  const options: FakeContextOptions = { request: { path } };
  assert.equal(evaluate('http.request.uri.path eq "/café/CAFÉ"', options), true);
  assert.equal(evaluate('http.request.uri.path eq "/caf\\xc3\\xa9/CAF\\303\\211"', options), true);
  assert.equal(evaluate('lower(http.request.uri.path) eq "/café/caf\\xc3\\x89"', options), true, 'É is not ASCII');
  assert.equal(evaluate('len(http.request.uri.path) eq 12', options), true, 'len counts bytes');
  assert.equal(evaluate('http.request.uri.path matches "é/"', options), true);
  assert.equal(evaluate('http.request.uri.path matches "^/caf./"', options), false, '. is one byte');
  assert.equal(evaluate('http.request.uri.path matches "^/caf../"', options), true);
  assert.equal(evaluate('http.request.uri.path wildcard "/CAFé/*"', options), true);
});

test('a missing client address never matches', () => {
  const context = fakeContext();
  const connection = { ...context.connection, sourceIp: undefined };
  const without = { ...context, connection };
  assert.equal(evaluate('ip.src in {0.0.0.0/0 ::/0}', without), false);
  assert.equal(evaluate('ip.src ne 192.0.2.1', without), false);
  assert.equal(evaluate('ip.src eq 192.0.2.1', without), false);
});

test('one compiled rule evaluates many requests (regex caches stay correct)', () => {
  const rule = compileExpression('http.user_agent matches "(?i)(curl|wget|python-requests)/[0-9]"');
  const agents: [string, boolean][] = [
    ['curl/8.4.0', true],
    ['Mozilla/5.0', false],
    ['python-requests/2.31', true],
    ['WGET/1.21', true],
    ['curl', false],
    ['', false],
  ];
  for (let round = 0; round < 50; round++) {
    for (const [agent, expected] of agents) {
      assert.equal(rule.evaluate(fakeContext({ request: { headers: [['User-Agent', agent]] } })), expected, agent);
    }
  }
});

test('lower(x) eq/ne/contains "…" is folded into a case-insensitive test with the same answers', () => {
  const unit = fc.constantFrom('a', 'A', 'z', 'Z', '-', '\xc3', '\xa9', '\xc9', '@', '[', '`', '{');
  fc.assert(
    fc.property(
      fc.string({ unit, maxLength: 8 }),
      fc.string({ unit, maxLength: 4 }),
      fc.constantFrom('eq', 'ne', 'contains'),
      fc.array(fc.string({ unit, maxLength: 6 }), { maxLength: 3 }),
      (host, literalBytes, operator, names) => {
        const literal = printString(literalBytes);
        const context = fakeContext({ request: { host, headers: names.map((name) => ['x', name] as const) } });
        const folded = compileExpression(`lower(http.host) ${operator} ${literal}`).evaluate(context);
        const plain = compileExpression(`concat(lower(http.host)) ${operator} ${literal}`).evaluate(context);
        assert.equal(folded, plain);
        const foldedAny = compileExpression(`any(lower(http.request.headers.values[*])[*] ${operator} ${literal})`);
        const plainAny = compileExpression(
          `any(concat(lower(http.request.headers.values[*])[*])[*] ${operator} ${literal})`,
        );
        assert.equal(foldedAny.evaluate(context), plainAny.evaluate(context));
      },
    ),
    { numRuns: 3000 },
  );
});
