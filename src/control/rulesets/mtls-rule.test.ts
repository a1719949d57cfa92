/**
 * mtlsRuleExpression: the exact text of the mTLS rule (cloudflare-compatibility.md §6.4), hostnames sorted,
 * deduplicated and quoted so that no input escapes its string literal, and every result compiles and matches
 * what it should.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileExpression, parseExpression } from '../../rules/index.ts';
import { fakeContext } from '../../../test/helpers/fake-rule-context.ts';
import { mtlsRuleExpression, quoteRuleString } from './mtls-rule.ts';

test('the recommended hardening by default, the BYO-CA template without revocation', () => {
  const expression = mtlsRuleExpression(['b.example.com', 'a.example.com', 'b.example.com']);
  assert.equal(
    expression,
    '(http.host in {"a.example.com" "b.example.com"} and (not cf.tls_client_auth.cert_verified or cf.tls_client_auth.cert_revoked))',
  );
  assert.equal(
    mtlsRuleExpression(['api.example.com'], { checkRevoked: false }),
    '(http.host in {"api.example.com"} and not cf.tls_client_auth.cert_verified)',
  );
  assert.equal(
    mtlsRuleExpression(['api.example.com'], { checkRevoked: true }),
    mtlsRuleExpression(['api.example.com']),
  );
});

test('wildcard hostnames become wildcard tests beside the exact set', () => {
  assert.equal(
    mtlsRuleExpression(['*.api.example.com', 'www.example.com'], { checkRevoked: false }),
    '((http.host in {"www.example.com"} or http.host wildcard "*.api.example.com") and not cf.tls_client_auth.cert_verified)',
  );
  assert.equal(
    mtlsRuleExpression(['*.api.example.com'], { checkRevoked: false }),
    '(http.host wildcard "*.api.example.com" and not cf.tls_client_auth.cert_verified)',
  );
});

test('no hostname is refused: a rule for nothing protects nothing', () => {
  assert.throws(() => mtlsRuleExpression([]), /at least one hostname/);
});

test('quoting: quotes, backslashes, control and non-ASCII characters cannot leave the literal', () => {
  assert.equal(quoteRuleString('a"b\\c'), '"a\\"b\\\\c"');
  assert.equal(quoteRuleString('x\ny'), '"x\\x0ay"');
  assert.equal(quoteRuleString('é'), '"\\xc3\\xa9"');
  const hostile = ['a"} or true or http.host in {"b', 'c\\', 'd\ne', '*.f\\*"g'];
  const expression = mtlsRuleExpression(hostile);
  const compiled = compileExpression(expression);
  // Still one `in` set, one wildcard, and the certificate test: nothing the input said became syntax.
  assert.deepEqual([...compiled.fields].sort(), [
    'cf.tls_client_auth.cert_revoked',
    'cf.tls_client_auth.cert_verified',
    'http.host',
  ]);
  assert.equal(countNodes(parseExpression(expression), 'or'), 2, JSON.stringify(parseExpression(expression)));
});

test('the expression compiles and refuses exactly unverified or revoked clients on the listed hosts', () => {
  const rule = compileExpression(mtlsRuleExpression(['api.example.com', '*.iot.example.com']));
  const matches = (host: string, verified: boolean, revoked = false): boolean =>
    rule.evaluate(
      fakeContext({
        request: { host },
        clientAuth: { certPresented: verified, certVerified: verified, certRevoked: revoked },
      }),
    );
  assert.equal(matches('api.example.com', false), true);
  assert.equal(matches('api.example.com', true), false);
  assert.equal(matches('api.example.com', true, true), true);
  assert.equal(matches('dev1.iot.example.com', false), true);
  assert.equal(matches('a.b.iot.example.com', false), true, 'a wider match than TLS wildcards, never narrower');
  assert.equal(matches('www.example.com', false), false);
  assert.equal(matches('iot.example.com', false), false);
});

/** How many AST nodes (at any depth) have this operator. */
function countNodes(node: unknown, operator: string): number {
  if (typeof node !== 'object' || node === null) return 0;
  const own = (node as { operator?: unknown }).operator === operator ? 1 : 0;
  return Object.values(node).reduce((sum: number, value: unknown) => sum + countNodes(value, operator), own);
}
