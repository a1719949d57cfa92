/**
 * OperandParser: what follows a comparison operator. A regex after `matches` (validated here, so a bad pattern is
 * an error at its position), a string after `contains`/`wildcard` (patterns validated), a `{…}` set after `in`,
 * otherwise one literal; each literal is classified and checked against the left side's type as it is read.
 */
import type { ComparisonOperand, ComparisonOperator, SetItem } from './ast.ts';
import { formatIp } from './ip-address.ts';
import { found, isSymbol, spanOf, type Lexer, type LiteralToken } from './lexer.ts';
import { MAX_REGEXES_PER_EXPRESSION } from './limits.ts';
import { classifyBareLiteral, type BareLiteral } from './literals.ts';
import { checkRegex, RegexSyntaxError } from './regex/compile-regex.ts';
import { RuleError, lineAndColumn, type RuleErrorCode } from './rule-error.ts';
import type { Span, TypeChecker } from './type-check.ts';
import type { RuleType } from './types.ts';
import { parseWildcard, WildcardError } from './wildcard.ts';

export class OperandParser {
  readonly #source: string;
  readonly #lexer: Lexer;
  readonly #checker: TypeChecker;
  #regexes = 0;

  constructor(source: string, lexer: Lexer, checker: TypeChecker) {
    this.#source = source;
    this.#lexer = lexer;
    this.#checker = checker;
  }

  #fail(code: RuleErrorCode, reason: string, span: Span): never {
    throw new RuleError(code, reason, this.#source, span.start, span.end - span.start);
  }

  /** The operand after `operator`, for a left side of type `type`. */
  parse(operator: ComparisonOperator, type: RuleType): { node: ComparisonOperand; end: number } {
    switch (operator) {
      case 'matches':
        return this.#regex();
      case 'in':
        return this.#set(type);
      case 'contains':
      case 'wildcard':
      case 'strict wildcard': {
        const token = this.#lexer.peek();
        if (token.kind !== 'string') {
          this.#fail('GW_ERR_RULE_SYNTAX', `expected a string after ${operator}, found ${found(token)}`, spanOf(token));
        }
        const literal = this.#lexer.readString();
        if (operator !== 'contains') this.#checkWildcard(literal);
        return { node: { type: 'string', value: literal.value }, end: literal.end };
      }
      default:
        return this.#scalar(operator, type);
    }
  }

  #checkWildcard(literal: LiteralToken): void {
    try {
      parseWildcard(literal.value);
    } catch (error) {
      if (!(error instanceof WildcardError)) throw error;
      const start = literal.offsets[error.offset] ?? literal.start;
      this.#fail('GW_ERR_RULE_SYNTAX', error.message, { start, end: start + 2 });
    }
  }

  #scalar(operator: ComparisonOperator, type: RuleType): { node: ComparisonOperand; end: number } {
    const token = this.#lexer.peek();
    if (token.kind === 'string') {
      const literal = this.#lexer.readString();
      const span = { start: literal.start, end: literal.end };
      this.#checker.literal(type, false, { kind: 'string', text: literal.value }, span);
      return { node: { type: 'string', value: literal.value }, end: literal.end };
    }
    const bare = this.#lexer.readBareLiteral();
    if (bare.text === '') {
      this.#fail('GW_ERR_RULE_SYNTAX', `expected a value after ${operator}, found ${found(token)}`, spanOf(token));
    }
    const classified = classifyBareLiteral(bare.text);
    this.#checker.literal(type, false, { ...classified, text: bare.text }, spanOf(bare));
    return { node: this.#setItem(classified) as ComparisonOperand, end: bare.end };
  }

  #set(type: RuleType): { node: ComparisonOperand; end: number } {
    const open = this.#lexer.peek();
    if (isSymbol(open, '$')) {
      this.#lexer.next();
      const name = this.#lexer.peek();
      const end = name.kind === 'word' ? name.end : open.end;
      this.#fail('GW_ERR_RULE_SYNTAX', 'lists ($name) are not supported: write the values in {…}', {
        start: open.start,
        end,
      });
    }
    if (!isSymbol(open, '{'))
      this.#fail('GW_ERR_RULE_SYNTAX', `expected "{" after in, found ${found(open)}`, spanOf(open));
    this.#lexer.next();
    const items: SetItem[] = [];
    for (;;) {
      const token = this.#lexer.peek();
      if (isSymbol(token, '}')) {
        this.#lexer.next();
        if (items.length === 0) {
          this.#fail('GW_ERR_RULE_SYNTAX', 'a set needs at least one value', { start: open.start, end: token.end });
        }
        return { node: { type: 'set', items }, end: token.end };
      }
      if (token.kind === 'string') {
        const literal = this.#lexer.readString();
        this.#checker.literal(
          type,
          true,
          { kind: 'string', text: literal.value },
          { start: literal.start, end: literal.end },
        );
        items.push({ type: 'string', value: literal.value });
        continue;
      }
      const bare = this.#lexer.readBareLiteral();
      if (bare.text === '') {
        const hint = isSymbol(token, ',') ? ': separate values with spaces' : '';
        const where = lineAndColumn(this.#source, open.start);
        this.#fail(
          'GW_ERR_RULE_SYNTAX',
          `expected a value or "}" in the set opened at ${where}, found ${found(token)}${hint}`,
          spanOf(token),
        );
      }
      const classified = classifyBareLiteral(bare.text);
      this.#checker.literal(type, true, { ...classified, text: bare.text }, spanOf(bare));
      items.push(this.#setItem(classified));
    }
  }

  /** The AST form of a checked bare literal (never `invalid` here: the checker refused those). */
  #setItem(literal: BareLiteral): SetItem {
    switch (literal.kind) {
      case 'int':
        return { type: 'int', value: literal.value };
      case 'int_range':
        return { type: 'int_range', from: literal.from, to: literal.to };
      case 'ip':
        return { type: 'ip', value: formatIp(literal.address) };
      case 'ip_range':
        return { type: 'ip_range', from: formatIp(literal.from), to: formatIp(literal.to) };
      case 'cidr':
        return { type: 'cidr', value: `${formatIp(literal.address)}/${literal.prefix}` };
      case 'invalid':
        return this.#fail('GW_ERR_RULE_SYNTAX', 'invalid literal', { start: 0, end: 1 });
    }
  }

  #regex(): { node: ComparisonOperand; end: number } {
    const token = this.#lexer.peek();
    if (token.kind !== 'string') {
      this.#fail('GW_ERR_RULE_SYNTAX', `expected a regex string after matches, found ${found(token)}`, spanOf(token));
    }
    const literal = this.#lexer.readRegex();
    if (++this.#regexes > MAX_REGEXES_PER_EXPRESSION) {
      this.#fail('GW_ERR_RULE_LIMIT', `more than ${MAX_REGEXES_PER_EXPRESSION} regexes in one expression`, {
        start: literal.start,
        end: literal.end,
      });
    }
    try {
      checkRegex(literal.value);
    } catch (error) {
      if (!(error instanceof RegexSyntaxError)) throw error;
      const last = literal.value.length;
      const start = literal.offsets[Math.min(error.offset, last)] ?? literal.start;
      const end = literal.offsets[Math.min(error.offset + error.length, last)] ?? start + 1;
      this.#fail('GW_ERR_RULE_REGEX', `invalid regex: ${error.message}`, { start, end: Math.max(end, start + 1) });
    }
    return { node: { type: 'regex', pattern: literal.value }, end: literal.end };
  }
}
