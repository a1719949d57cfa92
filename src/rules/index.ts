/**
 * The rules engine: Cloudflare's rules language (wirefilter grammar) parsed, type-checked and compiled to a
 * closure once, evaluated per request against a RuleContext. Pure: it imports nothing of ours but errors/.
 *
 * @example
 *   const rule = compileExpression(
 *     '(http.host in {"api.example.com"} and (not cf.tls_client_auth.cert_verified or cf.tls_client_auth.cert_revoked))',
 *   );
 *   if (rule.evaluate(context)) block();
 */
import type { Expression } from './ast.ts';
import { compilePredicate, type RulePredicate } from './compiler.ts';
import { parseExpression } from './parser.ts';
import { printExpression } from './printer.ts';

export type * from './ast.ts';
export type { RulePredicate } from './compiler.ts';
export type { ClientAuthFields, ConnectionFields, HeaderMap, RequestFields, RuleContext } from './rule-context.ts';
export { NO_CLIENT_CERTIFICATE } from './rule-context.ts';
export { parseIpAddress, formatIp, type IpAddress } from './ip-address.ts';
export { RuleError, type RuleErrorCode, RULE_ERROR_DEFINITIONS } from './rule-error.ts';
export { FIELDS, type FieldDefinition } from './fields.ts';
export { FUNCTIONS, type FunctionDefinition } from './functions.ts';
export { parseExpression } from './parser.ts';
export { printExpression } from './printer.ts';
export * as limits from './limits.ts';

export interface CompiledRule {
  /** The canonical text of the expression (printExpression of its AST). */
  readonly expression: string;
  readonly ast: Expression;
  /** Field names the expression reads. */
  readonly fields: readonly string[];
  /** True when the request matches. Synchronous, allocation-free on the common paths; throws only if the context does. */
  readonly evaluate: RulePredicate;
}

/**
 * compileExpression: parses, checks and compiles an expression, once. Throws RuleError (code, reason, 0-based
 * position) for any invalid expression, and nothing else.
 */
export function compileExpression(text: string): CompiledRule {
  const ast = parseExpression(text);
  const { evaluate, fields } = compilePredicate(ast);
  return Object.freeze({ expression: printExpression(ast), ast, fields, evaluate });
}
