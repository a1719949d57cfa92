/**
 * Rules evaluation micro-benchmark: the cost per request of a 20-rule custom ruleset (the issue 5 mTLS rule,
 * header lookups, a regex, an IP set, wildcards, functions), every rule evaluated (as `log` rules would be:
 * the worst case, no terminating match), over four representative requests in turn.
 *
 *   npx tsx bench/rules-eval.bench.ts            RULES_BENCH_ITERATIONS=200000 (requests; bounded)
 *
 * Prints ns per request and per rule, compile time, and the garbage collections seen during the measured loop
 * (none means evaluation allocated nothing worth collecting). Contexts are plain objects: this measures the
 * engine, not the data plane's field extraction.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { setImmediate as tick } from 'node:timers/promises';
import { compileExpression, type CompiledRule, type RuleContext } from '../src/rules/index.ts';
import { fakeContext, VERIFIED_CLIENT } from '../test/helpers/fake-rule-context.ts';

const ITERATIONS = Math.min(Math.max(Number(process.env.RULES_BENCH_ITERATIONS ?? 200_000), 1_000), 5_000_000);
const WARMUP = Math.min(ITERATIONS, 50_000);

const RULESET = [
  '(http.host in {"api.example.com"} and (not cf.tls_client_auth.cert_verified or cf.tls_client_auth.cert_revoked))',
  'http.host in {"admin.example.com" "mtls.example.com" "mtls2.example.com"} and not cf.tls_client_auth.cert_verified',
  'ip.src in {10.0.0.0/8 172.16.0.0/12 192.168.0.0/16 198.51.100.3..198.51.100.7 2001:db8::/32}',
  'http.request.uri.path matches "^/api/v[0-9]+/(users|orders)/[0-9]+/?$"',
  'not any(http.request.headers["x-api-key"][*] in {"key-1" "key-2" "key-3"})',
  'http.request.method in {"POST" "PUT"} and not http.request.headers["content-type"][0] contains "json"',
  'http.request.method in {"PUT" "DELETE" "PATCH"} and not starts_with(http.request.uri.path, "/api/")',
  'lower(http.user_agent) contains "sqlmap"',
  'http.request.full_uri wildcard "https://*.example.com/admin/*"',
  'cf.edge.server_port in {80 8080 8000..8009}',
  'cf.tls_version in {"TLSv1" "TLSv1.1"}',
  'cf.tls_client_auth.cert_verified and cf.tls_client_auth.cert_issuer_ski ne "8204924CF49D471E855862706D889F58F6B784D3"',
  'len(http.request.uri.query) > 2048',
  'any(lower(http.request.headers.names[*])[*] == "x-debug")',
  'http.request.uri.path eq "/health" and http.request.method eq "GET"',
  'cf.tls_client_auth.cert_subject_dn contains "OU=Revoked"',
  'http.referer ne "" and not http.referer wildcard "https://*.example.com/*"',
  'ends_with(http.host, ".internal") or http.host eq "localhost"',
  'http.x_forwarded_for ne "" and not ssl',
  'cf.tls_client_auth.cert_serial in {"00AA" "00BB" "527E0F20A20EA2A4146C78390F34CE7AF0878CA5"}',
];

const browserHeaders: [string, string][] = [
  ['Host', 'api.example.com'],
  ['User-Agent', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36'],
  ['Accept', 'application/json'],
  ['Accept-Encoding', 'gzip, deflate, br'],
  ['Accept-Language', 'en-US,en;q=0.9'],
  ['Content-Type', 'application/json'],
  ['X-Api-Key', 'key-2'],
  ['X-Request-Id', '9f3c2a1e-4b5d-4c6e-8f70-123456789abc'],
  ['Referer', 'https://app.example.com/dashboard'],
  ['Cookie', 'session=abc123; theme=dark'],
];

const CONTEXTS: RuleContext[] = [
  fakeContext({
    request: { host: 'api.example.com', method: 'POST', path: '/api/v2/orders/12345', headers: browserHeaders },
    connection: { ip: '203.0.113.50' },
    clientAuth: VERIFIED_CLIENT,
  }),
  fakeContext({
    request: { host: 'api.example.com', path: '/api/v1/users/7', headers: browserHeaders.slice(0, 4) },
    connection: { ip: '::ffff:192.168.1.20' },
  }),
  fakeContext({
    request: {
      host: 'api.example.com',
      path: '/health',
      headers: [
        ['Host', 'api.example.com'],
        ['User-Agent', 'kube-probe/1.29'],
      ],
    },
    connection: { ip: '10.0.3.7', serverPort: 8080, ssl: false },
  }),
  fakeContext({
    request: {
      host: 'api.example.com',
      method: 'GET',
      path: '/api/v1/users',
      query: `id=1%27%20OR%201=1--${'x'.repeat(300)}`,
      headers: [
        ...browserHeaders.slice(0, 1),
        ['User-Agent', 'sqlmap/1.7.2#stable (https://sqlmap.org)'],
        ['X-Debug', '1'],
      ],
    },
    connection: { ip: '2001:db8::42' },
    clientAuth: { ...VERIFIED_CLIENT, certRevoked: true },
  }),
];

function compileAll(): { rules: CompiledRule[]; microseconds: number } {
  const started = process.hrtime.bigint();
  const rules = RULESET.map((expression) => compileExpression(expression));
  return { rules, microseconds: Number(process.hrtime.bigint() - started) / 1_000 / RULESET.length };
}

function run(rules: readonly CompiledRule[], iterations: number): number {
  let hits = 0;
  for (let i = 0; i < iterations; i++) {
    const context = CONTEXTS[i & 3] as RuleContext;
    for (let r = 0; r < rules.length; r++) if ((rules[r] as CompiledRule).evaluate(context)) hits++;
  }
  return hits;
}

function perRule(rule: CompiledRule, iterations: number): number {
  const started = process.hrtime.bigint();
  let hits = 0;
  for (let i = 0; i < iterations; i++) if (rule.evaluate(CONTEXTS[i & 3] as RuleContext)) hits++;
  const elapsed = Number(process.hrtime.bigint() - started) / iterations;
  return hits < 0 ? -1 : elapsed;
}

const { rules, microseconds } = compileAll();
run(rules, WARMUP);

let collections = 0;
const observer = new PerformanceObserver((list) => {
  collections += list.getEntries().length;
});
observer.observe({ entryTypes: ['gc'] });
await tick();
collections = 0;

const heapBefore = process.memoryUsage().heapUsed;
const started = process.hrtime.bigint();
const hits = run(rules, ITERATIONS);
const elapsed = Number(process.hrtime.bigint() - started);
const heapAfter = process.memoryUsage().heapUsed;
await tick();
observer.disconnect();

const perRequest = elapsed / ITERATIONS;
const lines = [
  `rules-eval: ${RULESET.length} rules, ${ITERATIONS.toLocaleString('en-US')} requests (4 request shapes), Node ${process.version}`,
  `  ${perRequest.toFixed(0)} ns per request (all ${RULESET.length} rules evaluated), ${(perRequest / RULESET.length).toFixed(1)} ns per rule`,
  `  ${(hits / ITERATIONS).toFixed(2)} rule hits per request; compile ${microseconds.toFixed(0)} µs per rule`,
  `  GCs during the measured loop: ${collections}; heap growth ${((heapAfter - heapBefore) / ITERATIONS).toFixed(2)} bytes per request`,
  '  per rule (ns):',
  ...rules.map(
    (rule, index) =>
      `    ${String(index + 1).padStart(2)}  ${perRule(rule, Math.min(ITERATIONS, 100_000)).toFixed(1).padStart(7)}  ${rule.expression.slice(0, 100)}`,
  ),
];
process.stdout.write(`${lines.join('\n')}\n`);
